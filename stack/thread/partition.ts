// Comparing partitions and the leader's sequence numbers (OpenThread
// MleRouter::ComparePartitions, and serial number arithmetic for the 8-bit
// ID sequence and data versions).
import type { LeaderData } from '../wire/mle.ts';

/** Partition comparison (`MleRouter::ComparePartitions`): weighting, then non-singleton, then partition ID. > 0: a better. */
export function comparePartitions(aSingleton: boolean, a: LeaderData, bSingleton: boolean, b: LeaderData): number {
  if (a.weighting !== b.weighting) return a.weighting > b.weighting ? 1 : -1;
  if (aSingleton !== bSingleton) return bSingleton ? 1 : -1;
  if (a.partitionId !== b.partitionId) return a.partitionId > b.partitionId ? 1 : -1;
  return 0;
}

/** 8-bit sequence comparison (serial number arithmetic): a newer than b. */
export function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xff;
  return d !== 0 && d < 128;
}
