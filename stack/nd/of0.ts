// Objective Function Zero (RFC 6552): rank = parent rank + rank_increase, with
// rank_increase = (Rf·Sp + Sr) · MinHopRankIncrease (§4.1), and a parent picked by
// rank first (§4.2.1, smallest resulting rank).

/** RFC 6552 §6.1 defaults. */
export const OF0_DEFAULTS = { rankFactor: 1, stepOfRank: 3, rankStretch: 0 } as const;
/** MAX_RANK_INCREASE bounds (§4.1): step_of_rank 1..9. */
export const MIN_STEP_OF_RANK = 1;
export const MAX_STEP_OF_RANK = 9;
/** RFC 6550 §17. */
export const INFINITE_RANK = 0xffff;
export const DEFAULT_MIN_HOP_RANK_INCREASE = 256;

/** Objective Code Point of OF0 (RFC 6552 §6.3). */
export const OCP_OF0 = 0;

export interface Of0Params {
  minHopRankIncrease: number;
  rankFactor?: number;
  stepOfRank?: number;
  rankStretch?: number;
}

export function of0RankIncrease(p: Of0Params): number {
  const rf = p.rankFactor ?? OF0_DEFAULTS.rankFactor;
  const sp = Math.min(MAX_STEP_OF_RANK, Math.max(MIN_STEP_OF_RANK, p.stepOfRank ?? OF0_DEFAULTS.stepOfRank));
  const sr = p.rankStretch ?? OF0_DEFAULTS.rankStretch;
  return (rf * sp + sr) * p.minHopRankIncrease;
}

/** The rank a node gets through a parent of `parentRank` (saturating at INFINITE_RANK). */
export function of0Rank(parentRank: number, p: Of0Params): number {
  if (parentRank >= INFINITE_RANK) return INFINITE_RANK;
  return Math.min(INFINITE_RANK, parentRank + of0RankIncrease(p));
}

/** DAGRank(rank) = floor(rank / MinHopRankIncrease) (RFC 6550 §3.5.1). */
export function dagRank(rank: number, minHopRankIncrease: number): number {
  return Math.floor(rank / minHopRankIncrease);
}

/**
 * Step of rank from link quality, in the spirit of RFC 6552 §4.1 ("a node MAY use a
 * step_of_rank from 1 to 9 depending on the link"): 3 for a good link (the default),
 * worse links cost more so that a good two-hop path can beat a poor one-hop one.
 */
export function stepOfRankFromLqi(lqi: number): number {
  if (lqi >= 200) return 3;
  if (lqi >= 150) return 4;
  if (lqi >= 100) return 6;
  return 9;
}
