// Reading a junit.xml we wrote back into the model, and merging the reports of the
// shards of one run (`meshbench merge`).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Attempt, Outcome, Problem, Property, Run, Suite, TestCase, Verdict } from './model.ts';
import type { JUnitOptions } from './junit.ts';
import type { XmlNode } from './xml.ts';
import { attr, children, parseXml } from './xml.ts';
import {
  ACTUAL_HEADER,
  ATTACHMENT_PREFIX,
  ATTACHMENT_SUFFIX,
  EXPECTED_HEADER,
  RUN_ID_PROPERTY,
  RUN_STARTED_PROPERTY,
  VALUE_INDENT,
  writeJUnit,
} from './junit.ts';

type Node = XmlNode;

function text(node: Node | undefined): string {
  const v = node?.['_'];
  return typeof v === 'string' ? v : '';
}

function optionalText(nodes: Node[]): string | undefined {
  const first = nodes[0];
  if (first === undefined) return undefined;
  const t = text(first);
  return t === '' ? undefined : t;
}

function seconds(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v.replace(/,/g, ''));
  return Number.isFinite(n) ? n : 0;
}

/** `YYYY-MM-DDTHH:MM:SS` (UTC, as written) back to ISO 8601. */
function isoFromJUnit(ts: string | undefined, fallback: string): string {
  if (ts === undefined || ts === '') return fallback;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(ts.slice(10)) ? ts : `${ts}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? fallback : new Date(ms).toISOString();
}

/** Splits a failure body written by `problemBody` into details, expected and actual. */
export function splitProblemBody(body: string): Pick<Problem, 'details' | 'expected' | 'actual'> {
  const lines = body.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i] !== EXPECTED_HEADER || (i > 0 && lines[i - 1] !== '')) continue;
    const actualAt = lines.indexOf(ACTUAL_HEADER, i + 1);
    if (actualAt < 0) continue;
    const expected = lines.slice(i + 1, actualAt);
    const actual = lines.slice(actualAt + 1);
    if (![...expected, ...actual].every((l) => l.startsWith(VALUE_INDENT))) continue;
    const unindent = (ls: string[]): string => ls.map((l) => l.slice(VALUE_INDENT.length)).join('\n');
    const details = lines.slice(0, Math.max(0, i - 1)).join('\n');
    return {
      ...(details !== '' ? { details } : {}),
      expected: unindent(expected),
      actual: unindent(actual),
    };
  }
  return body === '' ? {} : { details: body };
}

function problem(node: Node, body: string): Problem {
  const p: Problem = { ...splitProblemBody(body) };
  const message = attr(node, 'message');
  const type = attr(node, 'type');
  if (message !== undefined) p.message = message;
  if (type !== undefined) p.type = type;
  return p;
}

function properties(node: Node): Property[] {
  return children(node, 'properties').flatMap((ps) =>
    children(ps, 'property').map((p) => ({ name: attr(p, 'name') ?? '', value: attr(p, 'value') ?? '' })),
  );
}

/**
 * A testsuite's properties split into its own and the run's: the run's facts start at the
 * `run.id` property (see junit.ts). A suite without one (a report from another tool) has
 * only its own.
 */
function suiteProperties(ts: Node): { own: Property[]; run: Property[] } {
  const all = properties(ts);
  const at = all.findIndex((p) => p.name === RUN_ID_PROPERTY);
  return at < 0 ? { own: all, run: [] } : { own: all.slice(0, at), run: all.slice(at) };
}

/** Takes the trailing `[[ATTACHMENT|path]]` lines off a case's system-out. */
function splitAttachments(out: string, baseDir: string): { text: string; attachments: string[] } {
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const attachments: string[] = [];
  while (lines.length > 0) {
    const last = lines[lines.length - 1] ?? '';
    if (!last.startsWith(ATTACHMENT_PREFIX) || !last.endsWith(ATTACHMENT_SUFFIX)) break;
    const p = last.slice(ATTACHMENT_PREFIX.length, last.length - ATTACHMENT_SUFFIX.length);
    attachments.unshift(isAbsolute(p) ? p : resolve(baseDir, p));
    lines.pop();
  }
  if (attachments.length === 0) return { text: out, attachments };
  return { text: lines.length > 0 ? `${lines.join('\n')}\n` : '', attachments };
}

function attempts(tc: Node): Attempt[] {
  const result: Attempt[] = [];
  for (const [el, kind] of [
    ['flakyFailure', 'failure'],
    ['flakyError', 'error'],
    ['rerunFailure', 'failure'],
    ['rerunError', 'error'],
  ] as const) {
    for (const n of children(tc, el)) {
      // Older Surefire wrote the trace as text rather than in a stackTrace child.
      const trace = optionalText(children(n, 'stackTrace')) ?? text(n).trim();
      const a: Attempt = { kind, ...problem(n, trace) };
      const out = optionalText(children(n, 'system-out'));
      const err = optionalText(children(n, 'system-err'));
      if (out !== undefined) a.systemOut = out;
      if (err !== undefined) a.systemErr = err;
      result.push(a);
    }
  }
  return result;
}

function testCase(tc: Node, baseDir: string, suiteFile: string | undefined): TestCase {
  let outcome: Outcome = { verdict: 'passed' };
  const failure = children(tc, 'failure')[0];
  const error = children(tc, 'error')[0];
  const skipped = children(tc, 'skipped')[0];
  if (failure !== undefined) outcome = { verdict: 'failed', ...problem(failure, text(failure)) };
  else if (error !== undefined) outcome = { verdict: 'error', ...problem(error, text(error)) };
  else if (skipped !== undefined) {
    const body = text(skipped) === '' ? undefined : text(skipped);
    const type = attr(skipped, 'type');
    // Other writers give the reason as text; ours as the message, with details as text.
    const message = attr(skipped, 'message') ?? body;
    const details = attr(skipped, 'message') !== undefined ? body : undefined;
    outcome = {
      verdict: 'skipped',
      ...(message !== undefined ? { message } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(details !== undefined ? { details } : {}),
    };
  }
  const { text: out, attachments } = splitAttachments(optionalText(children(tc, 'system-out')) ?? '', baseDir);
  const c: TestCase = {
    name: attr(tc, 'name') ?? '',
    classname: attr(tc, 'classname') ?? '',
    time: seconds(attr(tc, 'time')),
    outcome,
    attempts: attempts(tc),
    properties: properties(tc),
    attachments,
  };
  // Other writers may name a case's file; ours leaves it to the suite.
  const file = attr(tc, 'file') ?? suiteFile;
  const err = optionalText(children(tc, 'system-err'));
  if (file !== undefined) c.file = file;
  if (out !== '') c.systemOut = out;
  if (err !== undefined) c.systemErr = err;
  return c;
}

function suite(ts: Node, run: Pick<Run, 'startedAt' | 'hostname'>, baseDir: string): Suite {
  const file = attr(ts, 'file');
  const s: Suite = {
    name: attr(ts, 'name') ?? '',
    timestamp: isoFromJUnit(attr(ts, 'timestamp'), run.startedAt),
    properties: suiteProperties(ts).own,
    cases: children(ts, 'testcase').map((tc) => testCase(tc, baseDir, file)),
  };
  const host = attr(ts, 'hostname');
  const out = optionalText(children(ts, 'system-out'));
  const err = optionalText(children(ts, 'system-err'));
  if (file !== undefined) s.file = file;
  if (host !== undefined && host !== run.hostname) s.hostname = host;
  if (out !== undefined) s.systemOut = out;
  if (err !== undefined) s.systemErr = err;
  return s;
}

export interface ParseOptions {
  /** What relative attachment paths are relative to: the report's directory. */
  baseDir?: string;
}

/**
 * Reads JUnit XML (as `writeJUnit` writes it) back into the model. Attachment paths come
 * back absolute. Text keeps the escapes and redactions the writer applied.
 */
export async function parseJUnit(xml: string, opts: ParseOptions = {}): Promise<Run> {
  const doc = await parseXml(xml);
  const baseDir = resolve(opts.baseDir ?? '.');
  // The root element comes as an object, not an array; a lone `testsuite` root is read too.
  const asNode = (v: unknown): Node | undefined =>
    v !== null && typeof v === 'object' ? (v as Node) : v === '' ? {} : undefined;
  const rootNode = asNode(doc['testsuites']) ?? {};
  const loneSuite = asNode(doc['testsuite']);
  const suites = loneSuite !== undefined ? [loneSuite] : children(rootNode, 'testsuite');
  // The run's facts are repeated in every suite; a report written before they moved there
  // has them in a `properties` element of testsuites, and its start as testsuites@timestamp.
  const allProps = uniqueProperties([properties(rootNode), ...suites.map((ts) => suiteProperties(ts).run)]);
  const runId = allProps.find((p) => p.name === RUN_ID_PROPERTY)?.value ?? '';
  const starts = [
    attr(rootNode, 'timestamp'),
    ...allProps.filter((p) => p.name === RUN_STARTED_PROPERTY).map((p) => p.value),
  ].filter((t): t is string => t !== undefined && t !== '');
  const firstSuite = suites[0];
  const fallbackStart = isoFromJUnit(
    firstSuite !== undefined ? attr(firstSuite, 'timestamp') : undefined,
    new Date(0).toISOString(),
  );
  const run: Run = {
    runId,
    name: attr(rootNode, 'name') ?? '',
    startedAt: starts.length > 0 ? earliest(starts.map((t) => isoFromJUnit(t, fallbackStart))) : fallbackStart,
    hostname: (firstSuite !== undefined ? attr(firstSuite, 'hostname') : undefined) ?? 'localhost',
    properties: allProps.filter((p) => p.name !== RUN_ID_PROPERTY && p.name !== RUN_STARTED_PROPERTY),
    suites: [],
  };
  const time = attr(rootNode, 'time');
  if (time !== undefined) run.time = seconds(time);
  run.suites = suites.map((ts) => suite(ts, run, baseDir));
  return run;
}

export async function readJUnit(path: string): Promise<Run> {
  return parseJUnit(readFileSync(path, 'utf8'), { baseDir: dirname(resolve(path)) });
}

// Worst first: a failure found in any shard must survive a merge.
const SEVERITY: Record<Verdict, number> = { error: 3, failed: 2, passed: 1, skipped: 0 };

function uniqueProperties(lists: Property[][]): Property[] {
  const seen = new Set<string>();
  const out: Property[] = [];
  for (const p of lists.flat()) {
    const key = JSON.stringify([p.name, p.value]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function joinDistinct(values: (string | undefined)[], sep: string): string | undefined {
  const distinct = [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))];
  return distinct.length === 0 ? undefined : distinct.join(sep);
}

function earliest(isos: string[]): string {
  return isos.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
}

function joinText(parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  if (present.length === 0) return undefined;
  return present.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}

function mergeSuites(group: Suite[]): Suite {
  const first = group[0];
  if (first === undefined) throw new Error('mergeSuites: empty group');
  const cases: TestCase[] = [];
  const index = new Map<string, number>();
  for (const c of group.flatMap((s) => s.cases)) {
    const key = JSON.stringify([c.classname, c.name]);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, cases.length);
      cases.push(c);
    } else if (SEVERITY[c.outcome.verdict] > SEVERITY[(cases[at] as TestCase).outcome.verdict]) {
      // The same case in two shards is a sharding bug; never let it hide a failure.
      cases[at] = c;
    }
  }
  const merged: Suite = {
    name: first.name,
    timestamp: earliest(group.map((s) => s.timestamp)),
    properties: uniqueProperties(group.map((s) => s.properties)),
    cases,
  };
  const file = group.find((s) => s.file !== undefined)?.file;
  const host = joinDistinct(group.map((s) => s.hostname), ',');
  const out = joinText(group.map((s) => s.systemOut));
  const err = joinText(group.map((s) => s.systemErr));
  if (file !== undefined) merged.file = file;
  if (host !== undefined) merged.hostname = host;
  if (out !== undefined) merged.systemOut = out;
  if (err !== undefined) merged.systemErr = err;
  return merged;
}

/**
 * Joins the reports of the shards of one run: suites with the same name become one, run
 * properties are united (an identical name/value pair once), the start is the earliest
 * and the run's time the longest shard's (shards run side by side). Totals are always
 * recomputed from the cases when the result is written.
 */
export function mergeRuns(runs: readonly Run[]): Run {
  const first = runs[0];
  if (first === undefined) throw new Error('merge needs at least one report');
  // Each suite keeps the host of the shard that ran it.
  const suites = runs.flatMap((r) =>
    r.suites.map((s) => ({ ...s, hostname: s.hostname ?? r.hostname })),
  );
  const groups = new Map<string, Suite[]>();
  for (const s of suites) {
    const g = groups.get(s.name);
    if (g === undefined) groups.set(s.name, [s]);
    else g.push(s);
  }
  const hostname = joinDistinct(runs.map((r) => r.hostname), ',') ?? 'localhost';
  const merged: Run = {
    runId: joinDistinct(runs.map((r) => r.runId), ',') ?? '',
    name: first.name,
    startedAt: earliest(runs.map((r) => r.startedAt)),
    hostname,
    properties: uniqueProperties(runs.map((r) => r.properties)),
    suites: [...groups.values()].map(mergeSuites).map((s) => {
      // A suite run on the run's only host needs no host of its own.
      if (s.hostname === hostname) {
        const { hostname: _h, ...rest } = s;
        return rest;
      }
      return s;
    }),
  };
  if (runs.every((r) => r.time !== undefined)) {
    merged.time = Math.max(...runs.map((r) => r.time ?? 0));
  }
  return merged;
}

/** Reads shard reports, merges them and writes the result atomically. */
export async function mergeJUnitFiles(inputs: readonly string[], output: string, opts: JUnitOptions = {}): Promise<Run> {
  const runs = await Promise.all(inputs.map((p) => readJUnit(p)));
  const merged = mergeRuns(runs);
  writeJUnit(output, merged, opts);
  return merged;
}
