// `meshbench compare A B`: what changed from run A (the baseline) to run B. A
// regression is a case that passed in A and fails in B, or a figure that moved
// the wrong way by more than its threshold. Thresholds are per figure: a default
// per unit, overridden by name patterns (`*goodput_kbps=15%`, `*.pdr=0.05`).
import type { CaseResult, Results } from './results.ts';
import type { Figure } from './figures.ts';

export interface Threshold {
  /** Relative change (0.1 = 10 %) or absolute, in the figure's unit. */
  kind: 'relative' | 'absolute';
  amount: number;
}

/** Defaults by unit: throughput and times move with load and seed; ratios are judged absolutely. */
export const DEFAULT_THRESHOLDS: Record<string, Threshold> = {
  'kbit/s': { kind: 'relative', amount: 0.1 },
  ratio: { kind: 'absolute', amount: 0.02 },
  ms: { kind: 'relative', amount: 0.25 },
  s: { kind: 'relative', amount: 0.25 },
  count: { kind: 'absolute', amount: 0 },
};

export interface ThresholdRule {
  pattern: string;
  threshold: Threshold;
}

/** `PATTERN=10%` or `PATTERN=0.05`. */
export function parseThresholdRule(text: string): ThresholdRule {
  const m = /^([^=]+)=([0-9.]+)(%?)$/.exec(text.trim());
  if (!m || !Number.isFinite(Number(m[2]))) throw new Error(`threshold '${text}': write PATTERN=PERCENT% or PATTERN=ABSOLUTE, e.g. '*goodput_kbps=15%' or '*.pdr=0.05'`);
  return { pattern: m[1]!, threshold: m[3] ? { kind: 'relative', amount: Number(m[2]) / 100 } : { kind: 'absolute', amount: Number(m[2]) } };
}

/** `*` matches any run of characters (figure names hold dots), `?` one. */
function patternRe(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export function thresholdFor(f: Figure, rules: readonly ThresholdRule[]): Threshold | undefined {
  // The last matching rule wins, so a later, narrower rule refines an earlier one.
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (patternRe(r.pattern).test(f.name)) return r.threshold;
  }
  return DEFAULT_THRESHOLDS[f.unit];
}

export interface FigureChange {
  caseId: string;
  name: string;
  unit: string;
  before: number;
  after: number;
  threshold: Threshold;
  regression: boolean;
}

export interface VerdictChange {
  caseId: string;
  name: string;
  before: string;
  after: string;
  regression: boolean;
  quarantined: boolean;
}

export interface Comparison {
  verdicts: VerdictChange[];
  figures: FigureChange[];
  added: string[];
  removed: string[];
  regressions: number;
}

function verdictOf(c: CaseResult): string {
  return c.interrupted ? 'interrupted' : c.flaky ? 'flaky' : c.verdict;
}

const BAD = new Set(['failed', 'error']);

function keyOf(c: CaseResult): string {
  return c.id !== '' ? c.id : c.name;
}

/** How far `after` moved the wrong way from `before`, against the threshold. */
function worse(f: Figure, before: number, after: number, t: Threshold): boolean {
  const delta = f.better === 'higher' ? before - after : after - before;
  if (delta <= 0) return false;
  return t.kind === 'relative' ? delta > Math.abs(before) * t.amount : delta > t.amount;
}

export function compareResults(a: Results, b: Results, rules: readonly ThresholdRule[] = []): Comparison {
  const before = new Map(a.cases.map((c) => [keyOf(c), c]));
  const after = new Map(b.cases.map((c) => [keyOf(c), c]));
  const out: Comparison = { verdicts: [], figures: [], added: [], removed: [], regressions: 0 };
  for (const [k, cb] of after) {
    const ca = before.get(k);
    if (!ca) {
      out.added.push(cb.name);
      // A new case that fails is a regression: the build was green without it.
      if (BAD.has(cb.verdict) && !cb.quarantine) {
        out.verdicts.push({ caseId: k, name: cb.name, before: 'absent', after: verdictOf(cb), regression: true, quarantined: false });
        out.regressions++;
      }
      continue;
    }
    const va = verdictOf(ca);
    const vb = verdictOf(cb);
    if (va !== vb) {
      const regression = BAD.has(cb.verdict) && !BAD.has(ca.verdict) && !cb.quarantine;
      out.verdicts.push({ caseId: k, name: cb.name, before: va, after: vb, regression, quarantined: cb.quarantine !== undefined });
      if (regression) out.regressions++;
    }
    // Figures are compared only between two runs that measured them.
    const fa = new Map(ca.figures.map((f) => [f.name, f]));
    for (const f of cb.figures) {
      const old = fa.get(f.name);
      if (!old || f.better === 'none' || old.value === f.value) continue;
      const t = thresholdFor(f, rules);
      if (!t) continue;
      const regression = worse(f, old.value, f.value, t) && !cb.quarantine;
      out.figures.push({ caseId: k, name: f.name, unit: f.unit, before: old.value, after: f.value, threshold: t, regression });
      if (regression) out.regressions++;
    }
  }
  for (const [k, ca] of before) if (!after.has(k)) out.removed.push(ca.name);
  return out;
}

function thresholdText(t: Threshold, unit: string): string {
  return t.kind === 'relative' ? `${(t.amount * 100).toFixed(0)} %` : `${t.amount} ${unit}`.trim();
}

/** The comparison as text: regressions first, then the rest of what changed. */
export function formatComparison(c: Comparison, a: Results, b: Results, opts: { all?: boolean } = {}): string {
  const lines: string[] = [`compare ${a.run.id} (${a.run.startedAt}) → ${b.run.id} (${b.run.startedAt})`];
  lines.push(`  cases: ${a.totals.passed}/${a.totals.tests} passed → ${b.totals.passed}/${b.totals.tests} passed`);
  const regressions = [...c.verdicts.filter((v) => v.regression).map((v) => `  REGRESSION ${v.caseId}: ${v.before} → ${v.after}`), ...c.figures.filter((f) => f.regression).map((f) => `  REGRESSION ${f.caseId} ${f.name}: ${f.before} → ${f.after} ${f.unit} (threshold ${thresholdText(f.threshold, f.unit)})`)];
  lines.push(...regressions);
  for (const v of c.verdicts.filter((x) => !x.regression)) lines.push(`  changed ${v.caseId}: ${v.before} → ${v.after}${v.quarantined ? ' (quarantined)' : ''}`);
  const moved = c.figures.filter((f) => !f.regression);
  if (opts.all) for (const f of moved) lines.push(`  figure ${f.caseId} ${f.name}: ${f.before} → ${f.after} ${f.unit}`);
  else if (moved.length) lines.push(`  ${moved.length} figure(s) moved within their thresholds or for the better (--all lists them)`);
  for (const n of c.added) lines.push(`  new case: ${n}`);
  for (const n of c.removed) lines.push(`  case gone: ${n}`);
  lines.push(c.regressions ? `${c.regressions} regression(s)` : 'no regression');
  return lines.join('\n');
}
