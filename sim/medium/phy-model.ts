// The numbers of the IEEE 802.15.4 O-QPSK 2450 MHz PHY and the packet-error
// model the medium uses. Pure functions, so tests can check them against the
// reference tables directly.
import type { Micros } from '../../stack/runtime.ts';
import { MAX_PSDU_LENGTH } from '../../stack/wire/ieee802154.ts';

/** 250 kbit/s: one octet is two 16 µs symbols (802.15.4-2006 §6.5.2). */
export const US_PER_OCTET = 32;
/** 4 µs per bit at 250 kbit/s. */
export const US_PER_BIT = 4;
/** SHR (4-byte preamble + SFD) + PHR = 6 octets ahead of the PSDU (§6.3). */
export const PHY_HEADER_OCTETS = 6;
/** CCA window: 8 symbols (§6.9.9). */
export const CCA_DURATION_US = 128;
/** Channels of page 0 in the 2.4 GHz band (§6.1.2.1). */
export const MIN_CHANNEL = 11;
export const MAX_CHANNEL = 26;
/** Longest frame on air, the furthest back a frame being judged now can have started. */
export const MAX_AIRTIME_US = (PHY_HEADER_OCTETS + MAX_PSDU_LENGTH) * US_PER_OCTET;

/** Thermal noise in 2 MHz: −174 dBm/Hz + 10·log10(2e6) ≈ −111 dBm. */
export const THERMAL_NOISE_DBM = -111;

/** Time on air of a PPDU carrying `psduOctets`: (6 + n) × 32 µs. */
export function airtimeUs(psduOctets: number): Micros {
  return (PHY_HEADER_OCTETS + psduOctets) * US_PER_OCTET;
}

export function isValidChannel(channel: number): boolean {
  return Number.isInteger(channel) && channel >= MIN_CHANNEL && channel <= MAX_CHANNEL;
}

/** Centre frequency, Fc = 2405 + 5(k − 11) MHz (§6.1.2.1). */
export function channelFrequencyMhz(channel: number): number {
  return 2405 + 5 * (channel - 11);
}

export function dbmToMw(dbm: number): number {
  return Math.pow(10, dbm / 10);
}

export function mwToDbm(mw: number): number {
  return mw > 0 ? 10 * Math.log10(mw) : -Infinity;
}

// C(16, k) for the Annex E sum, k = 0..16.
const BINOM16: number[] = (() => {
  const c = [1];
  for (let k = 1; k <= 16; k++) c.push(((c[k - 1] ?? 0) * (16 - k + 1)) / k);
  return c;
})();

/**
 * Bit error rate of the O-QPSK DSSS PHY in AWGN at a given SINR, as in
 * 802.15.4-2006 Annex E.4.1.7 (the formula ns-3's LrWpanErrorModel uses):
 * BER = (8/15)·(1/16)·Σ_{k=2..16} (−1)^k·C(16,k)·exp(20·SINR·(1/k − 1)), SINR linear.
 */
export function berFromSinrDb(sinrDb: number): number {
  const sinr = Math.pow(10, sinrDb / 10);
  let sum = 0;
  for (let k = 2; k <= 16; k++) {
    const term = (BINOM16[k] ?? 0) * Math.exp(20 * sinr * (1 / k - 1));
    sum += k % 2 === 0 ? term : -term;
  }
  const ber = (8 / 15) * (1 / 16) * sum;
  return Math.min(1, Math.max(0, ber));
}

/**
 * From this SINR up the Annex E BER is below 2e-27 (1.6e-27 at 8 dB, falling), so
 * (1 − BER)^bits is exactly 1.0 in double precision for any frame (≤ 133 octets, 1064
 * bits: BER × bits < 2e-24, far below the 1.1e-16 step under 1.0). Skipping the sum there
 * saves the medium most of its work on good links and changes no result.
 */
export const ERROR_FREE_SINR_DB = 8;

/** Probability that `bits` bits all survive at `sinrDb`: (1 − BER)^bits. */
export function bitsSuccess(sinrDb: number, bits: number): number {
  if (sinrDb >= ERROR_FREE_SINR_DB && bits <= 8 * (PHY_HEADER_OCTETS + MAX_PSDU_LENGTH)) return 1;
  const ber = berFromSinrDb(sinrDb);
  if (ber >= 1) return bits > 0 ? 0 : 1;
  return Math.exp(bits * Math.log1p(-ber));
}

/** Packet error rate of a whole PPDU (PHY header included, as in the reference table) at a constant SINR. */
export function packetErrorRate(sinrDb: number, psduOctets: number): number {
  return 1 - bitsSuccess(sinrDb, (PHY_HEADER_OCTETS + psduOctets) * 8);
}

/**
 * LQI 0..255, linear in SINR from the bottom of the error cliff (−3 dB → 0) to
 * a comfortable margin (+20 dB → 255). The standard only asks for monotonic
 * (§6.9.8); radios differ in the mapping.
 */
export function lqiFromSinrDb(sinrDb: number): number {
  const lo = -3;
  const hi = 20;
  const v = Math.round(((sinrDb - lo) / (hi - lo)) * 255);
  return Math.min(255, Math.max(0, v));
}
