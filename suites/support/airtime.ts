// The analytic UDP goodput limit of one 802.15.4 hop, from the standard's
// constants written out here (not taken from the stack, so a wrong constant
// there cannot agree with itself), for the encapsulation each network kind
// puts on the air: no collisions, no losses, so an upper bound.

// IEEE 802.15.4-2006 §6.5.3 (2.4 GHz O-QPSK): 62.5 ksymbol/s, 2 symbols per byte.
const SYMBOL_US = 16;
const BYTE_US = 2 * SYMBOL_US;
// §7.4.1 / §7.4.2: aUnitBackoffPeriod 20 symbols, aTurnaroundTime 12 symbols,
// aMaxSIFSFrameSize 18 bytes; macMinSIFSPeriod 12, macMinLIFSPeriod 40 symbols.
const UNIT_BACKOFF_US = 20 * SYMBOL_US;
const TURNAROUND_US = 12 * SYMBOL_US;
const MAX_SIFS_FRAME = 18;
const SIFS_US = 12 * SYMBOL_US;
const LIFS_US = 40 * SYMBOL_US;
// §6.9.9: CCA detection time 8 symbols.
const CCA_US = 8 * SYMBOL_US;
// §7.5.1.4: macMinBE 3 → the first backoff is uniform in 0..2^3-1 periods.
const MEAN_FIRST_BACKOFF_US = ((2 ** 3 - 1) / 2) * UNIT_BACKOFF_US;
// §6.3: preamble 4, SFD 1, PHR 1 byte; aMaxPHYPacketSize 127.
const PHY_HEADER_BYTES = 6;
const MAX_PSDU = 127;
// §7.2.2.3: ACK = FCF 2 + sequence 1 + FCS 2.
const ACK_PSDU = 5;
/** What surrounds a UDP payload in a frame, per network kind. */
export interface Encapsulation {
  /** MAC header + FCS (§7.2.1, PAN ID compression). */
  mac: number;
  /** Auxiliary security header + MIC (§7.6.2), 0 when unsecured. */
  security: number;
  /** LOWPAN_IPHC + LOWPAN_NHC UDP (RFC 6282). */
  lowpan: number;
}

export const ENCAPSULATION: Record<'nd' | 'thread', Encapsulation> = {
  // 6LoWPAN-ND addresses frames by EUI-64 (FCF 2, seq 1, PAN 2, dst 8, src 8, FCS 2); the
  // global addresses derive from them with context 0, so IPHC elides both (2 bytes);
  // NHC UDP: 1 + ports 4 + checksum 2 (RFC 6282 §3.1.1, §4.3.3). The default network is unsecured.
  nd: { mac: 2 + 1 + 2 + 8 + 8 + 2, security: 0, lowpan: 2 + 1 + 4 + 2 },
  // Thread addresses frames by RLOC16 (FCF 2, seq 1, PAN 2, dst 2, src 2, FCS 2), secures them
  // at level 5 with key id mode 1 (control 1, counter 4, key index 1; MIC 4), and sends to
  // ML-EIDs, whose random IIDs IPHC carries inline (context 0, SAM = DAM = 01: 8 + 8 bytes).
  thread: { mac: 2 + 1 + 2 + 2 + 2 + 2, security: 6 + 4, lowpan: 2 + 8 + 8 + 1 + 4 + 2 },
};
// RFC 4944 §5.3: FRAG1 4 bytes, FRAGN 5 bytes; fragment offsets in units of 8 bytes.
const FRAG1 = 4;
const FRAGN = 5;
// RFC 8200 / RFC 768: the headers a fragment's offset counts uncompressed.
const IPV6_UDP_UNCOMPRESSED = 40 + 8;

/** One acknowledged frame on an idle channel: mean first backoff, CCA, turnaround, frame, turnaround, ACK, IFS. */
export function frameExchangeUs(psdu: number): number {
  const ifs = psdu > MAX_SIFS_FRAME ? LIFS_US : SIFS_US;
  return MEAN_FIRST_BACKOFF_US + CCA_US + TURNAROUND_US + (PHY_HEADER_BYTES + psdu) * BYTE_US + TURNAROUND_US + (PHY_HEADER_BYTES + ACK_PSDU) * BYTE_US + ifs;
}

/** The PSDU sizes of the frames one UDP datagram of `payload` bytes takes. */
export function framesOf(payload: number, e: Encapsulation): number[] {
  const head = e.mac + e.security;
  const room = MAX_PSDU - head;
  if (e.lowpan + payload <= room) return [head + e.lowpan + payload];
  // First fragment: compressed headers and as much data as keeps its uncompressed size a multiple of 8.
  let first = room - FRAG1 - e.lowpan;
  while ((IPV6_UDP_UNCOMPRESSED + first) % 8 !== 0) first--;
  const frames = [head + FRAG1 + e.lowpan + first];
  const perFragN = Math.floor((room - FRAGN) / 8) * 8;
  for (let left = payload - first; left > 0; left -= perFragN) frames.push(head + FRAGN + Math.min(perFragN, left));
  return frames;
}

/** The largest UDP payload that fits one frame. */
export function largestSingleFramePayload(e: Encapsulation): number {
  return MAX_PSDU - e.mac - e.security - e.lowpan;
}

/**
 * One acknowledged frame as fast as the standard allows: the IFS is a least separation
 * between a device's frames (§7.5.1.3), so the next frame's backoff, CCA and turnaround
 * count towards it; it adds only where they are shorter (a first backoff of 0 periods
 * before a frame after a long one). OpenThread's MAC keeps no IFS of its own and sends so.
 */
function fastestFrameExchangeUs(psdu: number): number {
  const ifs = psdu > MAX_SIFS_FRAME ? LIFS_US : SIFS_US;
  let uncovered = 0;
  for (let k = 0; k < 2 ** 3; k++) uncovered += Math.max(0, ifs - (k * UNIT_BACKOFF_US + CCA_US + TURNAROUND_US));
  return frameExchangeUs(psdu) - ifs + uncovered / 2 ** 3;
}

/**
 * The highest goodput `datagrams` back-to-back datagrams can show by chance: the fastest
 * exchange the standard allows with the mean backoff lowered by three standard errors of
 * the backoffs drawn (uniform over 2^macMinBE values: σ = √((8² − 1) / 12) periods).
 */
export function goodputCeilingKbps(payload: number, e: Encapsulation, datagrams: number): number {
  const frames = framesOf(payload, e);
  const sigmaUs = Math.sqrt((8 ** 2 - 1) / 12) * UNIT_BACKOFF_US;
  const slackUs = (3 * sigmaUs) / Math.sqrt(frames.length * datagrams);
  const us = frames.reduce((sum, psdu) => sum + fastestFrameExchangeUs(psdu) - slackUs, 0);
  return ((payload * 8) / us) * 1000;
}

/** Goodput limit, kbit/s, of back-to-back datagrams over one hop. */
export function goodputLimitKbps(payload: number, e: Encapsulation): number {
  const us = framesOf(payload, e).reduce((sum, psdu) => sum + frameExchangeUs(psdu), 0);
  return ((payload * 8) / us) * 1000;
}
