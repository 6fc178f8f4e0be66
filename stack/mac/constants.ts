// IEEE 802.15.4-2006 MAC and O-QPSK 2450 MHz PHY numbers the MAC times itself by.
// Symbol = 16 µs (§6.5.2); everything below is in bench microseconds.
import type { Micros } from '../runtime.ts';

export const SYMBOL_US: Micros = 16;

/** aUnitBackoffPeriod: 20 symbols (§7.4.1 Table 85). */
export const UNIT_BACKOFF_US: Micros = 20 * SYMBOL_US;
/** aTurnaroundTime: 12 symbols, RX↔TX (§6.4.1 Table 22). */
export const TURNAROUND_US: Micros = 12 * SYMBOL_US;
/** macAckWaitDuration: 20 + 12 + 10 + 12 = 54 symbols (§7.4.2 Table 86). */
export const ACK_WAIT_US: Micros = 54 * SYMBOL_US;
/** aMinSIFSPeriod 12 symbols, aMinLIFSPeriod 40 symbols (Table 85). */
export const SIFS_US: Micros = 12 * SYMBOL_US;
export const LIFS_US: Micros = 40 * SYMBOL_US;
/** aMaxSIFSFrameSize: an MPDU of at most 18 bytes is followed by a SIFS, longer ones by a LIFS (§7.5.1.3). */
export const MAX_SIFS_FRAME_SIZE = 18;
/** aBaseSuperframeDuration: 960 symbols (Table 85). */
export const BASE_SUPERFRAME_SYMBOLS = 960;

/** Interframe spacing after an MPDU of `mpduLength` bytes (FCS included). */
export function ifsUs(mpduLength: number): Micros {
  return mpduLength <= MAX_SIFS_FRAME_SIZE ? SIFS_US : LIFS_US;
}

/** Active scan dwell per channel: aBaseSuperframeDuration × (2^n + 1) symbols, n = 0…14 (§7.5.2.1.2). */
export function scanDurationUs(exponent: number): Micros {
  return BASE_SUPERFRAME_SYMBOLS * (2 ** exponent + 1) * SYMBOL_US;
}

/** MAC PIB attributes that shape CSMA-CA and retries (§7.4.2 Table 86), with their defaults. */
export interface MacPib {
  macMinBE: number;
  macMaxBE: number;
  macMaxCSMABackoffs: number;
  macMaxFrameRetries: number;
}

export const DEFAULT_PIB: Readonly<MacPib> = {
  macMinBE: 3,
  macMaxBE: 5,
  macMaxCSMABackoffs: 4,
  macMaxFrameRetries: 3,
};
