// `meshbench merge DIR... --out DIR`: the run directories of the shards of one run
// become one: one junit.xml (merge.ts), one results.json, one report.html. Evidence
// files stay where the shards wrote them; the merged reports point at them.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPORT_HTML, writeHtml } from './html.ts';
import { mergeJUnitFiles } from './merge.ts';
import { rebaseAttachment, readResults, RESULTS_FILE, ResultsFileError, totalsOf, writeResults, type CaseResult, type Results } from './results.ts';

const SEVERITY: Record<CaseResult['verdict'], number> = { error: 3, failed: 2, passed: 1, skipped: 0 };

/** Whether a run's verdicts fail the build: a failed or errored case that is not quarantined. */
export function failsBuild(r: Results, opts: { failOnFlaky?: boolean } = {}): boolean {
  return r.cases.some((c) => !c.quarantine && (c.verdict === 'failed' || c.verdict === 'error' || (opts.failOnFlaky === true && c.flaky)));
}

export function mergeResults(parts: readonly { results: Results; dir: string }[], outDir: string): Results {
  const first = parts[0];
  if (!first) throw new ResultsFileError('merge needs at least one run directory');
  const cases: CaseResult[] = [];
  const index = new Map<string, number>();
  for (const p of parts) {
    for (const c of p.results.cases) {
      const moved = { ...c, attachments: c.attachments.map((a) => rebaseAttachment(a, p.dir, outDir)) };
      const key = JSON.stringify([c.classname, c.name]);
      const at = index.get(key);
      if (at === undefined) {
        index.set(key, cases.length);
        cases.push(moved);
      } else if (SEVERITY[c.verdict] > SEVERITY[cases[at]!.verdict]) cases[at] = moved; // a case in two shards: never hide a failure
    }
  }
  const runs = parts.map((p) => p.results.run);
  const boards = new Map<string, Results['run']['boards'][number]>();
  for (const r of runs) for (const b of r.boards) boards.set(`${b.id} ${b.firmware} ${b.version}`, b);
  const props = new Map<string, Results['run']['properties'][number]>();
  for (const r of runs) for (const p of r.properties) props.set(`${p.name}\u0000${p.value}`, p);
  const merged: Results = {
    format: first.results.format,
    version: first.results.version,
    run: {
      id: [...new Set(runs.map((r) => r.id))].join(','),
      name: first.results.run.name,
      startedAt: runs.map((r) => r.startedAt).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a)),
      result: 'merged',
      time: Math.max(...runs.map((r) => r.time)),
      hostname: [...new Set(runs.map((r) => r.hostname))].join(','),
      boards: [...boards.values()],
      unhealthy: [...new Map(runs.flatMap((r) => r.unhealthy ?? []).map((u) => [`${u.board}\u0000${u.reason}`, u])).values()],
      properties: [...props.values()],
    },
    totals: totalsOf(cases),
    cases,
  };
  const fin = runs.map((r) => r.finishedAt).filter((f): f is string => f !== undefined);
  if (fin.length === runs.length) merged.run.finishedAt = fin.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
  if (first.results.run.rig !== undefined) merged.run.rig = first.results.run.rig;
  if (first.results.run.seed !== undefined) merged.run.seed = first.results.run.seed;
  if (first.results.run.bounds !== undefined) merged.run.bounds = first.results.run.bounds;
  const shards = runs.map((r) => r.shard);
  const total = shards[0]?.total;
  if (shards.every((s) => s !== undefined && s.total === total)) {
    const missing = [...Array(total!).keys()].map((i) => i + 1).filter((i) => !shards.some((s) => s!.index === i));
    if (missing.length) merged.run.properties.push({ name: 'merge.missing_shards', value: missing.map((i) => `${i}/${total}`).join(' ') });
  }
  merged.run.result = failsBuild(merged) ? 'failed' : 'passed';
  return merged;
}

export interface MergeOutcome {
  results: Results;
  outDir: string;
  warnings: string[];
}

/** Reads each run directory's results.json and junit.xml and writes the merged three into `outDir`. */
export async function mergeRunDirs(dirs: readonly string[], outDir: string): Promise<MergeOutcome> {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const parts = dirs.map((d) => readResults(d));
  const warnings: string[] = [];
  const merged = mergeResults(parts, out);
  const missing = merged.run.properties.find((p) => p.name === 'merge.missing_shards');
  if (missing) warnings.push(`shard(s) ${missing.value} missing from the merge`);
  const junits = parts.map((p) => join(p.dir, 'junit.xml'));
  for (const j of junits) if (!existsSync(j)) throw new ResultsFileError(`${j}: no junit.xml beside results.json`);
  await mergeJUnitFiles(junits, join(out, 'junit.xml'));
  writeResults(join(out, RESULTS_FILE), merged);
  writeHtml(join(out, REPORT_HTML), merged);
  return { results: merged, outDir: out, warnings };
}
