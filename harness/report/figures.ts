// A case's measured figures, read from its properties: a property whose value is
// a number is a figure; its unit and which way is better follow from its name's
// suffix, the convention the suites record by (`goodput_kbps`, `pdr`,
// `latency_p99_ms`, `join_bench_s`...). Properties that say what a case is (id,
// boards, checks) or name things (peer, parent) are facts, not figures.
import type { Property } from './model.ts';

/** Which way a figure improves: up (goodput, delivery), down (latency, join time), or neither. */
export type Better = 'higher' | 'lower' | 'none';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  better: Better;
}

/** Properties that describe the case rather than measure it. */
export const IDENTITY_PROPERTIES: ReadonlySet<string> = new Set(['id', 'stack', 'board', 'checks', 'needs', 'quarantined']);

interface UnitRule {
  test: RegExp;
  unit: string;
  better: Better;
}

// First match wins: an analytic limit is not a measurement that can regress.
const RULES: readonly UnitRule[] = [
  { test: /(^|[._])limit(_share)?_kbps$/, unit: 'kbit/s', better: 'none' },
  // A moment (when something happened), not a duration.
  { test: /_at_bench_s$/, unit: 's', better: 'none' },
  { test: /_kbps$/, unit: 'kbit/s', better: 'higher' },
  { test: /(^|[._])(pdr|of_limit)$/, unit: 'ratio', better: 'higher' },
  { test: /(^|[._])(bench_)?ms$|_ms$/, unit: 'ms', better: 'lower' },
  { test: /(^|[._])(bench_)?s$|_s$/, unit: 's', better: 'lower' },
  { test: /(^|[._])(hops|hops_to_root|hops_to_br|max_hops)$/, unit: 'hops', better: 'none' },
  { test: /(errors|dropped)$/, unit: 'count', better: 'lower' },
];

export function unitOf(name: string): { unit: string; better: Better } {
  for (const r of RULES) if (r.test.test(name)) return { unit: r.unit, better: r.better };
  return { unit: '', better: 'none' };
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** The figures among a case's properties, in the order recorded. */
export function figuresOf(properties: readonly Property[]): Figure[] {
  const out: Figure[] = [];
  for (const p of properties) {
    if (IDENTITY_PROPERTIES.has(p.name) || !NUMBER.test(p.value.trim())) continue;
    const value = Number(p.value);
    if (!Number.isFinite(value)) continue;
    out.push({ name: p.name, value, ...unitOf(p.name) });
  }
  return out;
}

/** The properties that are neither identity nor figures: names, codes, words. */
export function factsOf(properties: readonly Property[]): Property[] {
  return properties.filter((p) => !IDENTITY_PROPERTIES.has(p.name) && !NUMBER.test(p.value.trim()));
}
