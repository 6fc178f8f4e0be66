// `--shard i/n`: which cases shard i of n runs. Deterministic (every shard computes
// the same split from the same case list and durations, on any machine) and
// balanced: longest first onto the least loaded shard (LPT scheduling), with the
// durations a previous run recorded when given, else every case weighs the same.
// Cases keep their suite order within a shard.
import { readResults } from '../report/results.ts';

export interface Shard {
  index: number;
  total: number;
}

export class ShardError extends Error {}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) throw new ShardError(`--shard expects i/n with 1 ≤ i ≤ n (e.g. 2/3), got '${text}'`);
  return { index, total };
}

/**
 * The keys (case ids, or titles of cases without one) that shard `shard` runs, out of
 * `keys` in their run order. `durations` maps a key to seconds.
 */
export function shardCases(keys: readonly string[], shard: Shard, durations: ReadonlyMap<string, number> = new Map()): Set<string> {
  const known = [...durations.values()].filter((d) => d > 0).sort((a, b) => a - b);
  // An unknown case weighs the median of the known ones (or 1 when none is known).
  const fallback = known.length ? known[Math.floor(known.length / 2)]! : 1;
  const weighted = keys.map((k, order) => ({ k, order, w: durations.get(k) ?? fallback }));
  // Heaviest first; ties by run order, so the split never depends on anything else.
  weighted.sort((a, b) => b.w - a.w || a.order - b.order);
  const load = new Array<number>(shard.total).fill(0);
  const mine = new Set<string>();
  for (const c of weighted) {
    let best = 0;
    for (let i = 1; i < shard.total; i++) if (load[i]! < load[best]!) best = i;
    load[best]! += c.w;
    if (best === shard.index - 1) mine.add(c.k);
  }
  return mine;
}

/** Case durations (wall seconds) from a results.json or a run directory. */
export function durationsFrom(path: string): Map<string, number> {
  const { results } = readResults(path);
  const m = new Map<string, number>();
  for (const c of results.cases) if (c.verdict !== 'skipped') m.set(c.id, c.time);
  return m;
}
