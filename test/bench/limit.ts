// The analytic goodput limit of single-hop UDP over IEEE 802.15.4 O-QPSK 2.4 GHz with
// unslotted CSMA-CA and acknowledgements, no collisions and no losses. Every constant is
// written out here from the standard (clause numbers of IEEE 802.15.4-2006, as in the
// reference "ieee802154-6lowpan.md" §1, §2 and §9) and from RFC 4944 / RFC 6282 for
// the 6LoWPAN headers. Nothing is imported from stack/mac or stack/lowpan on purpose:
// a wrong constant there must show up as a gap between the stack and this limit, not
// agree with itself.

// ---- PHY: O-QPSK 2450 MHz (§6.5) ----

/** One symbol: 16 µs, 4 bits (§6.5.2). */
export const SYMBOL_US = 16;
/** Two symbols per octet at 250 kbit/s (§6.5.2). */
export const OCTET_US = 2 * SYMBOL_US;
/** Preamble 4 + SFD 1 + PHR 1 octets ahead of every PSDU (§6.3.1–§6.3.3). */
export const PHY_OVERHEAD_OCTETS = 6;
/** aMaxPHYPacketSize: 127 octets of PSDU (§6.4.1 Table 22). */
export const MAX_PSDU_OCTETS = 127;
/** aTurnaroundTime: 12 symbols, RX→TX and TX→RX (§6.4.1 Table 22, §6.9.3). */
export const TURNAROUND_US = 12 * SYMBOL_US;
/** Clear channel assessment: 8 symbols (§6.9.9). */
export const CCA_US = 8 * SYMBOL_US;

// ---- MAC (§7.4, §7.5) ----

/** aUnitBackoffPeriod: 20 symbols (§7.4.1 Table 85). */
export const UNIT_BACKOFF_US = 20 * SYMBOL_US;
/** macMinBE default 3 (§7.4.2 Table 86): the first backoff is uniform in 0 … 2^3 − 1 periods. */
export const MAC_MIN_BE = 3;
/** macAckWaitDuration: aUnitBackoffPeriod + aTurnaroundTime + SHR (10 symbols) + ⌈6 × 2⌉ symbols = 54 symbols (Table 86). */
export const ACK_WAIT_US = (20 + 12 + 10 + 12) * SYMBOL_US;
/** aMinSIFSPeriod 12 symbols, aMinLIFSPeriod 40 symbols (Table 85). */
export const SIFS_US = 12 * SYMBOL_US;
export const LIFS_US = 40 * SYMBOL_US;
/** aMaxSIFSFrameSize: an MPDU of at most 18 octets is followed by a SIFS, a longer one by a LIFS (§7.5.1.3). */
export const MAX_SIFS_FRAME_OCTETS = 18;
/** Acknowledgment frame: FCF 2 + sequence number 1 + FCS 2 octets (§7.2.2.3). */
export const ACK_MPDU_OCTETS = 5;

/** Mean of the first backoff: (2^macMinBE − 1) / 2 unit periods (§7.5.1.4 step 2). */
export const MEAN_BACKOFF_US = ((2 ** MAC_MIN_BE - 1) / 2) * UNIT_BACKOFF_US;
/** Standard deviation of the first backoff, a discrete uniform over 2^macMinBE values: √((n² − 1) / 12) periods. */
export const BACKOFF_SD_US = Math.sqrt(((2 ** MAC_MIN_BE) ** 2 - 1) / 12) * UNIT_BACKOFF_US;

// ---- Frame headers for the addressing each network kind uses ----

/**
 * MAC header + FCS of a data frame between two extended addresses in one PAN
 * (PAN ID compression): FCF 2 + seq 1 + dst PAN 2 + dst 8 + src 8 + FCS 2 (§7.2.1).
 */
export const MAC_OVERHEAD_EXT_EXT = 2 + 1 + 2 + 8 + 8 + 2;
/** The same between two short addresses: FCF 2 + seq 1 + dst PAN 2 + dst 2 + src 2 + FCS 2 (§7.2.1). */
export const MAC_OVERHEAD_SHORT_SHORT = 2 + 1 + 2 + 2 + 2 + 2;
/**
 * Auxiliary security header of security level 5, key identifier mode 1: security control 1 +
 * frame counter 4 + key index 1 (§7.6.2), and the 4-octet MIC of level 5 (§7.6.2.2.1 Table 95).
 */
export const SECURITY_LEVEL5_MODE1_OCTETS = 1 + 4 + 1 + 4;
/**
 * LOWPAN_IPHC with both addresses global, from context 0 and derived from the MAC
 * addresses (SAC = DAC = 1, SAM = DAM = 11), traffic class and flow label elided
 * (TF = 11), hop limit 64 (HLIM = 10), next header NHC: 2 octets (RFC 6282 §3.1.1).
 */
export const IPHC_OCTETS = 2;
/**
 * LOWPAN_IPHC between two mesh-local EIDs: prefix from context 0, each random 64-bit IID
 * inline (SAC = DAC = 1, SAM = DAM = 01): 2 + 8 + 8 octets (RFC 6282 §3.1.1).
 */
export const IPHC_INLINE_IIDS_OCTETS = 2 + 8 + 8;
/** LOWPAN_NHC UDP with both ports inline and the checksum carried: 1 + 4 + 2 octets (RFC 6282 §4.3.3). */
export const NHC_UDP_PORTS_INLINE_OCTETS = 1 + 4 + 2;
/** FRAG1 and FRAGN headers (RFC 4944 §5.3). */
export const FRAG1_OCTETS = 4;
export const FRAGN_OCTETS = 5;
/** Uncompressed IPv6 header (RFC 8200 §3) and UDP header (RFC 768). */
export const IPV6_HEADER_OCTETS = 40;
export const UDP_HEADER_OCTETS = 8;

/** What surrounds a datagram's bytes in each frame. */
export interface Framing {
  name: string;
  /** MAC header and FCS. */
  mac: number;
  /** Auxiliary security header and MIC, 0 when frames are not secured. */
  security: number;
  /** Compressed IPv6 + UDP headers (IPHC and NHC). */
  headers: number;
}

/**
 * 6LoWPAN-ND as the stack runs it on the default network: frames between EUI-64s,
 * unsecured, global addresses from context 0 and the MAC addresses, ports inline.
 */
export const ND_FRAMING: Framing = { name: '6LoWPAN-ND', mac: MAC_OVERHEAD_EXT_EXT, security: 0, headers: IPHC_OCTETS + NHC_UDP_PORTS_INLINE_OCTETS };
/**
 * Thread between two neighbouring routers: frames between RLOC16s (Thread 1.1 §5.2), MAC
 * security level 5 with key id mode 1 (Thread 1.1 §7.2.2.1), UDP between mesh-local EIDs
 * whose IIDs go inline, ports inline.
 */
export const THREAD_FRAMING: Framing = {
  name: 'Thread',
  mac: MAC_OVERHEAD_SHORT_SHORT,
  security: SECURITY_LEVEL5_MODE1_OCTETS,
  headers: IPHC_INLINE_IIDS_OCTETS + NHC_UDP_PORTS_INLINE_OCTETS,
};

/** Airtime of a PPDU carrying `psdu` octets. */
export function frameAirtimeUs(psdu: number): number {
  return (PHY_OVERHEAD_OCTETS + psdu) * OCTET_US;
}

/** Interframe spacing after an MPDU (= PSDU, FCS included) of `mpdu` octets (§7.5.1.3). */
export function ifsUs(mpdu: number): number {
  return mpdu <= MAX_SIFS_FRAME_OCTETS ? SIFS_US : LIFS_US;
}

/**
 * Mean time one acknowledged frame holds the channel when sent back to back:
 * mean initial backoff + CCA + RX→TX turnaround + data + turnaround + ACK + IFS
 * (reference §9; the IFS follows the ACK, §7.5.1.3).
 */
export function frameCycleUs(psdu: number): number {
  const ackUs = TURNAROUND_US + frameAirtimeUs(ACK_MPDU_OCTETS);
  // Lossless model: the ACK must start and end within macAckWaitDuration, or every frame would be retried.
  if (ackUs > ACK_WAIT_US) throw new Error(`an ACK takes ${ackUs} µs, longer than macAckWaitDuration ${ACK_WAIT_US} µs`);
  return MEAN_BACKOFF_US + CCA_US + TURNAROUND_US + frameAirtimeUs(psdu) + ackUs + ifsUs(psdu);
}

export interface LimitCase {
  /** UDP payload of one datagram. */
  payloadBytes: number;
  /** PSDU of each frame the datagram takes, in order. */
  frames: number[];
  /** Mean bench time to send the whole datagram, µs. */
  datagramUs: number;
  limitKbps: number;
}

/** Room for the 6LoWPAN payload in one frame: aMaxPHYPacketSize − MAC header, FCS and security. */
export function maxLowpanPayload(f: Framing = ND_FRAMING): number {
  return MAX_PSDU_OCTETS - f.mac - f.security;
}

/**
 * The frames of one UDP datagram of `payloadBytes`. One frame when it fits; otherwise
 * RFC 4944 fragments: FRAG1 carries the compressed headers, and every fragment but the
 * last covers a multiple of 8 octets of the uncompressed datagram (RFC 4944 §5.3, RFC 6282 §2).
 */
export function datagramFrames(payloadBytes: number, f: Framing = ND_FRAMING): number[] {
  const head = f.mac + f.security;
  const room = maxLowpanPayload(f);
  if (f.headers + payloadBytes <= room) return [head + f.headers + payloadBytes];
  const uncompressedHeaders = IPV6_HEADER_OCTETS + UDP_HEADER_OCTETS;
  const room1 = room - FRAG1_OCTETS - f.headers;
  const first = Math.floor((uncompressedHeaders + room1) / 8) * 8 - uncompressedHeaders;
  const roomN = Math.floor((room - FRAGN_OCTETS) / 8) * 8;
  const frames = [head + FRAG1_OCTETS + f.headers + first];
  for (let left = payloadBytes - first; left > 0; left -= roomN) {
    frames.push(head + FRAGN_OCTETS + Math.min(roomN, left));
  }
  return frames;
}

/** The goodput limit for back-to-back datagrams of `payloadBytes`, one hop. */
export function goodputLimit(payloadBytes: number, f: Framing = ND_FRAMING): LimitCase {
  const frames = datagramFrames(payloadBytes, f);
  const datagramUs = frames.reduce((sum, psdu) => sum + frameCycleUs(psdu), 0);
  return { payloadBytes, frames, datagramUs, limitKbps: (payloadBytes * 8) / datagramUs * 1000 };
}

/** The largest UDP payload that fits one frame. */
export function largestSingleFramePayload(f: Framing = ND_FRAMING): number {
  return maxLowpanPayload(f) - f.headers;
}
