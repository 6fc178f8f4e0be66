// results.json: the run as data, for machines (compare, merge, trends, dashboards).
// The schema is versioned (`format`, `version`) and documented in
// docs/results-json.md; `results.schema.json` beside it is generated from the zod
// schema below, which also validates every file read back. Written atomically after
// every finished case, like the JUnit report, so a killed run leaves valid data.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { factsOf, figuresOf } from './figures.ts';
import { writeFileAtomic } from './junit.ts';
import type { Property, Run, TestCase } from './model.ts';
import { isInterrupted, runTotals, UNHEALTHY_PROPERTY, unhealthyOf } from './model.ts';
import { cleaner } from './sanitize.ts';

export const RESULTS_FORMAT = 'meshbench-results';
export const RESULTS_VERSION = 1;
export const RESULTS_FILE = 'results.json';

const PropertySchema = z.object({ name: z.string(), value: z.string() }).strict();

export const FigureSchema = z
  .object({
    name: z.string(),
    value: z.number(),
    /** `kbit/s`, `ratio`, `ms`, `s` (bench seconds), `hops`, `count`, or '' when unknown. */
    unit: z.string(),
    /** Which way is better; compare judges regressions by it. */
    better: z.enum(['higher', 'lower', 'none']),
  })
  .strict();

export const MeshNodeSchema = z
  .object({
    board: z.string(),
    /** The connection status the board reported (GLOBAL_UP...), or `unreachable`. */
    status: z.string(),
    role: z.string().optional(),
    /** The board id of its parent (RPL preferred parent, Thread parent), when one is known. */
    parent: z.string().optional(),
    /** Radio hops to the root as the board or the case measured them. */
    hops: z.number().int().nonnegative().optional(),
    /** What else it said: rloc16, partition_id, rank, neighbours, children... */
    details: z.record(z.string(), z.string()),
  })
  .strict();

export const MeshSnapshotSchema = z
  .object({
    /** Bench seconds when the boards were asked, if the bench has a clock. */
    atBenchS: z.number().optional(),
    nodes: z.array(MeshNodeSchema),
  })
  .strict();

export const SeriesSchema = z
  .object({
    name: z.string(),
    unit: z.string(),
    /** [bench seconds, value] */
    points: z.array(z.tuple([z.number(), z.number()])),
  })
  .strict();

const ProblemFields = {
  message: z.string().optional(),
  type: z.string().optional(),
  details: z.string().optional(),
  expected: z.string().optional(),
  actual: z.string().optional(),
};

export const AttachmentSchema = z
  .object({
    /** Relative to the directory of results.json (or absolute, when written so). */
    path: z.string(),
    kind: z.enum(['serial', 'capture', 'mesh', 'other']),
    board: z.string().optional(),
  })
  .strict();

export const CaseResultSchema = z
  .object({
    /** The stable case id (JOIN-ND-001), or the title's first word for other tests. */
    id: z.string(),
    name: z.string(),
    suite: z.string(),
    classname: z.string(),
    file: z.string().optional(),
    stack: z.string().optional(),
    verdict: z.enum(['passed', 'failed', 'error', 'skipped']),
    /** Passed only after failed attempts. */
    flaky: z.boolean(),
    /** Stopped by a signal; counted as skipped. */
    interrupted: z.boolean(),
    /** Listed in the quarantine file: run and reported, never failing the build. */
    quarantine: z.object({ reason: z.string(), expires: z.string() }).strict().optional(),
    /** Wall seconds of the attempt that gave the verdict. */
    time: z.number(),
    checks: z.string().optional(),
    needs: z.string().optional(),
    ...ProblemFields,
    attempts: z.array(z.object({ kind: z.enum(['failure', 'error']), ...ProblemFields }).strict()),
    boards: z.array(z.string()),
    /** Most radio hops a datagram of the case travelled, as the stacks counted them. */
    hops: z.string().optional(),
    figures: z.array(FigureSchema),
    /** Recorded properties that are not numbers (peer, parent, codes). */
    facts: z.array(PropertySchema),
    attachments: z.array(AttachmentSchema),
    mesh: MeshSnapshotSchema.optional(),
    series: z.array(SeriesSchema).optional(),
  })
  .strict();

export const ResultsSchema = z
  .object({
    format: z.literal(RESULTS_FORMAT),
    version: z.literal(RESULTS_VERSION),
    run: z
      .object({
        id: z.string(),
        name: z.string(),
        startedAt: z.string(),
        /** Set when the run is over; absent while it goes. */
        finishedAt: z.string().optional(),
        /** running, passed, failed, interrupted, bench-down, nothing-selected, merged */
        result: z.string(),
        time: z.number(),
        hostname: z.string(),
        rig: z.string().optional(),
        seed: z.string().optional(),
        boards: z.array(z.object({ id: z.string(), firmware: z.string(), version: z.string() }).strict()),
        /** The rig file's bounds the verdicts were judged against. */
        bounds: z.record(z.string(), z.number()).optional(),
        shard: z.object({ index: z.number().int().positive(), total: z.number().int().positive() }).strict().optional(),
        /** Boards found unhealthy during the run (no answer after reset and power cycle), with the reason; absent in files of older runs. */
        unhealthy: z.array(z.object({ board: z.string(), reason: z.string() }).strict()).optional(),
        /** The run's other facts (rig file, sim lag...). */
        properties: z.array(PropertySchema),
      })
      .strict(),
    totals: z
      .object({
        tests: z.number(),
        passed: z.number(),
        failed: z.number(),
        errors: z.number(),
        skipped: z.number(),
        flaky: z.number(),
        interrupted: z.number(),
        quarantined: z.number(),
      })
      .strict(),
    cases: z.array(CaseResultSchema),
  })
  .strict();

export type Results = z.infer<typeof ResultsSchema>;
export type CaseResult = z.infer<typeof CaseResultSchema>;
export type MeshSnapshot = z.infer<typeof MeshSnapshotSchema>;
export type MeshNode = z.infer<typeof MeshNodeSchema>;
export type Series = z.infer<typeof SeriesSchema>;
export type Attachment = z.infer<typeof AttachmentSchema>;

/** What the run knows beyond the JUnit model. */
export interface RunExtras {
  result: string;
  finishedAt?: string;
  bounds?: Record<string, number>;
  shard?: { index: number; total: number };
  /** Per case (by its name): quarantine entry, mesh snapshot, time series. */
  cases?: ReadonlyMap<string, CaseExtras>;
  /** Network keys and the like, replaced wherever they appear. */
  redact?: readonly string[];
}

export interface CaseExtras {
  quarantine?: { reason: string; expires: string };
  mesh?: MeshSnapshot;
  series?: Series[];
}

const RUN_FACTS = new Set(['rig', 'seed', 'board', UNHEALTHY_PROPERTY]);

function attachmentOf(path: string, base: string): Attachment {
  const name = path.split('/').pop() ?? path;
  const rel = relative(base, resolve(path));
  const serial = /^serial-(.+)\.log$/.exec(name);
  if (serial) return { path: rel, kind: 'serial', board: serial[1]! };
  if (name.endsWith('.pcap') || name.endsWith('.pcapng')) return { path: rel, kind: 'capture' };
  if (name === 'mesh.json') return { path: rel, kind: 'mesh' };
  return { path: rel, kind: 'other' };
}

function caseResult(tc: TestCase, suite: string, base: string, extras: CaseExtras | undefined): CaseResult {
  const o = tc.outcome;
  const prop = (n: string): string | undefined => tc.properties.find((p) => p.name === n)?.value;
  const problem: Partial<Record<'message' | 'type' | 'details' | 'expected' | 'actual', string>> = {};
  for (const k of ['message', 'type', 'details', 'expected', 'actual'] as const) {
    const v = (o as Partial<Record<typeof k, string>>)[k];
    if (v !== undefined) problem[k] = v;
  }
  const r: CaseResult = {
    id: prop('id') ?? tc.name.split(' ')[0] ?? tc.name,
    name: tc.name,
    suite,
    classname: tc.classname,
    verdict: o.verdict,
    flaky: o.verdict === 'passed' && tc.attempts.length > 0,
    interrupted: isInterrupted(o),
    time: tc.time,
    ...problem,
    attempts: tc.attempts.map((a) => {
      const { systemOut: _o, systemErr: _e, ...rest } = a;
      return rest;
    }),
    boards: tc.properties.filter((p) => p.name === 'board').map((p) => p.value),
    figures: figuresOf(tc.properties),
    facts: factsOf(tc.properties),
    attachments: tc.attachments.map((a) => attachmentOf(a, base)),
  };
  if (tc.file !== undefined) r.file = tc.file;
  const stack = prop('stack');
  if (stack !== undefined) r.stack = stack;
  const hops = prop('hops');
  if (hops !== undefined) r.hops = hops;
  const checks = prop('checks');
  if (checks !== undefined) r.checks = checks;
  const needs = prop('needs');
  if (needs !== undefined) r.needs = needs;
  if (extras?.quarantine) r.quarantine = extras.quarantine;
  if (extras?.mesh) r.mesh = extras.mesh;
  if (extras?.series?.length) r.series = extras.series;
  return r;
}

export function totalsOf(cases: readonly CaseResult[]): Results['totals'] {
  const t = { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, interrupted: 0, quarantined: 0 };
  for (const c of cases) {
    t.tests++;
    if (c.verdict === 'passed') t.passed++;
    if (c.verdict === 'failed') t.failed++;
    if (c.verdict === 'error') t.errors++;
    if (c.verdict === 'skipped') t.skipped++;
    if (c.flaky) t.flaky++;
    if (c.interrupted) t.interrupted++;
    if (c.quarantine) t.quarantined++;
  }
  return t;
}

/** The run model and what the runner knows beyond it, as results.json data. */
export function buildResults(run: Run, base: string, extras: RunExtras): Results {
  const cases = run.suites.flatMap((s) => s.cases.map((c) => caseResult(c, s.name, base, extras.cases?.get(c.name))));
  const prop = (n: string) => run.properties.find((p) => p.name === n)?.value;
  const boards = run.properties
    .filter((p) => p.name === 'board')
    .map((p) => {
      const [id = '', firmware = '?', ...version] = p.value.split(' ');
      return { id, firmware, version: version.join(' ') || '?' };
    });
  const results: Results = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    run: {
      id: run.runId,
      name: run.name,
      startedAt: run.startedAt,
      result: extras.result,
      time: run.time ?? runTotals(run).time,
      hostname: run.hostname,
      boards,
      unhealthy: unhealthyOf(run.properties),
      properties: run.properties.filter((p: Property) => !RUN_FACTS.has(p.name)),
    },
    totals: totalsOf(cases),
    cases,
  };
  const rig = prop('rig');
  const seed = prop('seed');
  if (rig !== undefined) results.run.rig = rig;
  if (seed !== undefined) results.run.seed = seed;
  if (extras.finishedAt !== undefined) results.run.finishedAt = extras.finishedAt;
  if (extras.bounds !== undefined) results.run.bounds = extras.bounds;
  if (extras.shard !== undefined) results.run.shard = extras.shard;
  return extras.redact?.length ? redactResults(results, extras.redact) : results;
}

/** Every string of the document with the secrets replaced. */
function redactResults(r: Results, secrets: readonly string[]): Results {
  const clean = cleaner(secrets);
  return JSON.parse(JSON.stringify(r), (_k, v: unknown) => (typeof v === 'string' ? clean(v) : v)) as Results;
}

export function writeResults(path: string, results: Results): void {
  writeFileAtomic(path, `${JSON.stringify(results, null, 1)}\n`);
}

export class ResultsFileError extends Error {}

/** A results.json, or the results.json in a run directory, validated. Attachment paths stay relative to its directory. */
export function readResults(pathOrDir: string): { results: Results; dir: string; file: string } {
  let file = resolve(pathOrDir);
  try {
    if (statSync(file).isDirectory()) file = join(file, RESULTS_FILE);
  } catch {
    throw new ResultsFileError(`${pathOrDir}: no such file or directory`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ResultsFileError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no results.json (a run directory of meshbench run?)' : `not JSON: ${(e as Error).message}`}`);
  }
  const parsed = ResultsSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const version = (data as { version?: unknown })?.version;
    if ((data as { format?: unknown })?.format === RESULTS_FORMAT && version !== RESULTS_VERSION) {
      throw new ResultsFileError(`${file}: results version ${String(version)}, this meshbench reads version ${RESULTS_VERSION}`);
    }
    throw new ResultsFileError(`${file}: not a meshbench results file: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'}`);
  }
  return { results: parsed.data, dir: dirname(file), file };
}

/** An attachment's path as seen from another directory (a merged report's). */
export function rebaseAttachment(a: Attachment, fromDir: string, toDir: string): Attachment {
  const abs = isAbsolute(a.path) ? a.path : resolve(fromDir, a.path);
  return { ...a, path: relative(toDir, abs) };
}

/** The JSON Schema of results.json, for docs and other tools. */
export function resultsJsonSchema(): unknown {
  return z.toJSONSchema(ResultsSchema, { io: 'output', unrepresentable: 'any' });
}
