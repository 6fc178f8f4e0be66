// The JUnit XML writer. The report is valid against the Jenkins xunit-plugin's
// junit-10.xsd with one addition, properties on a testcase (fixtures/junit/junit-10.xsd):
//   testsuites(name tests failures errors time)
//     testsuite(name tests failures errors skipped time timestamp hostname id package file)
//       properties: the suite's own, then the run's facts headed by `run.id`
//       testcase*(classname name time)
//         failure|error|skipped?, flakyFailure|flakyError|rerunFailure|rerunError*,
//         properties, system-out (text, then one [[ATTACHMENT|path]] line each), system-err
//       system-out, system-err
// That schema allows no properties, `skipped` or `timestamp` on testsuites and no `file`
// on a testcase, so the run's facts (rig, seed, boards and firmware, sim lag, when it
// started) are repeated in every testsuite, where Jenkins and GitLab read properties, and
// a case's file is its suite's. Retries follow Surefire's rerun report: one testcase per
// test, earlier attempts as children, totals that count tests (SUREFIRE-1087,
// SUREFIRE-1627).
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import xml2js from 'xml2js';
import { writeAndSync, type SyncIo } from '../durable-file.ts';
import type { Attempt, Problem, Property, Run, Suite, TestCase } from './model.ts';
import { runTotals, suiteTotals } from './model.ts';
import { cleaner } from './sanitize.ts';

export interface JUnitOptions {
  /** Strings to replace by `<redacted>` wherever they appear (network keys, PSKd). */
  redact?: readonly string[];
  /**
   * How `[[ATTACHMENT|path]]` paths are written: relative to `attachmentBase` (the
   * default; GitLab resolves them against the project directory) or absolute (what the
   * Jenkins junit-attachments plugin expects when the files are not next to the report).
   */
  attachmentPaths?: 'relative' | 'absolute';
  /** The directory relative paths start from; defaults to the report's directory. */
  attachmentBase?: string;
}

/** Marks an attachment in system-out: Jenkins junit-attachments and GitLab read it alone on its line. */
export const ATTACHMENT_PREFIX = '[[ATTACHMENT|';
export const ATTACHMENT_SUFFIX = ']]';

/**
 * The run-level property that carries `Run.runId`. In a testsuite's properties it heads
 * the run's facts: the properties before it are the suite's own, those from it on the run's.
 */
export const RUN_ID_PROPERTY = 'run.id';
/** The run-level property that carries `Run.startedAt`, as a JUnit timestamp. */
export const RUN_STARTED_PROPERTY = 'run.started';

/** Lines that separate the details of an assertion failure from its expected and actual values. */
export const EXPECTED_HEADER = 'expected:';
export const ACTUAL_HEADER = 'actual:';
/** Expected and actual values are indented so a reader can tell where each ends. */
export const VALUE_INDENT = '    ';

/** `YYYY-MM-DDTHH:MM:SS`, UTC, no zone: the form the Ant JUnit schema requires. */
export function junitTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`report timestamp is not ISO 8601: ${JSON.stringify(iso)}`);
  return new Date(ms).toISOString().slice(0, 19);
}

/** Decimal seconds, millisecond resolution; matches Surefire's time pattern. */
export function junitTime(seconds: number): string {
  return Number.isFinite(seconds) && seconds > 0 ? seconds.toFixed(3) : '0.000';
}

/**
 * The body of a failure: details, then for an assertion the expected and actual values,
 * each under its own header line and indented.
 */
export function problemBody(p: Problem): string {
  const parts: string[] = [];
  if (p.details !== undefined && p.details !== '') parts.push(p.details.replace(/\n+$/, ''));
  if (p.expected !== undefined || p.actual !== undefined) {
    const indent = (v: string | undefined): string =>
      (v ?? '').split('\n').map((l) => VALUE_INDENT + l).join('\n');
    parts.push(`${EXPECTED_HEADER}\n${indent(p.expected)}\n${ACTUAL_HEADER}\n${indent(p.actual)}`);
  }
  return parts.join('\n\n');
}

type XmlNode = Record<string, unknown>;

class ReportBuilder {
  private readonly clean: (t: string) => string;

  constructor(
    private readonly opts: JUnitOptions,
    private readonly reportDir: string,
  ) {
    this.clean = cleaner(opts.redact ?? []);
  }

  run(run: Run): XmlNode {
    const t = runTotals(run);
    const runFacts: Property[] = [
      { name: RUN_ID_PROPERTY, value: run.runId },
      { name: RUN_STARTED_PROPERTY, value: junitTimestamp(run.startedAt) },
      ...run.properties.filter((p) => p.name !== RUN_ID_PROPERTY && p.name !== RUN_STARTED_PROPERTY),
    ];
    const root: XmlNode = {
      $: {
        name: this.clean(run.name),
        tests: t.tests,
        failures: t.failures,
        errors: t.errors,
        time: junitTime(t.time),
      },
      testsuite: run.suites.map((s, i) => this.suite(s, i, run.hostname, runFacts)),
    };
    return { testsuites: root };
  }

  private suite(s: Suite, id: number, runHost: string, runFacts: readonly Property[]): XmlNode {
    const t = suiteTotals(s);
    const own = s.properties.filter((p) => p.name !== RUN_ID_PROPERTY);
    const node: XmlNode = {
      $: {
        name: this.clean(s.name),
        tests: t.tests,
        failures: t.failures,
        errors: t.errors,
        skipped: t.skipped,
        time: junitTime(t.time),
        timestamp: junitTimestamp(s.timestamp),
        hostname: this.clean(s.hostname ?? (runHost === '' ? 'localhost' : runHost)),
        // The Ant schema numbers suites from 0 and takes the package from the name.
        id,
        package: this.clean(s.name),
        ...(s.file !== undefined ? { file: this.clean(s.file) } : {}),
      },
      properties: this.properties([...own, ...runFacts]),
      testcase: s.cases.map((c) => this.testCase(c)),
      // Required by the Ant schema even when empty.
      'system-out': this.clean(s.systemOut ?? ''),
      'system-err': this.clean(s.systemErr ?? ''),
    };
    return node;
  }

  private testCase(c: TestCase): XmlNode {
    const node: XmlNode = {
      $: {
        classname: this.clean(c.classname),
        name: this.clean(c.name),
        time: junitTime(c.time),
      },
    };
    const o = c.outcome;
    if (o.verdict === 'failed') node['failure'] = this.problem(o, 'AssertionError');
    if (o.verdict === 'error') node['error'] = this.problem(o, 'Error');
    if (o.verdict === 'skipped') {
      const attrs: Record<string, string> = {};
      if (o.type !== undefined) attrs['type'] = this.clean(o.type);
      if (o.message !== undefined) attrs['message'] = this.clean(o.message);
      const body = o.details !== undefined && o.details !== '' ? this.clean(o.details) : undefined;
      const hasAttrs = Object.keys(attrs).length > 0;
      node['skipped'] = body !== undefined ? (hasAttrs ? { $: attrs, _: body } : body) : hasAttrs ? { $: attrs } : '';
    }
    const retryKind = o.verdict === 'passed' ? 'flaky' : 'rerun';
    const failures = c.attempts.filter((a) => a.kind === 'failure').map((a) => this.attempt(a));
    const errors = c.attempts.filter((a) => a.kind === 'error').map((a) => this.attempt(a));
    if (failures.length > 0) node[`${retryKind}Failure`] = failures;
    if (errors.length > 0) node[`${retryKind}Error`] = errors;
    if (c.properties.length > 0) node['properties'] = this.properties(c.properties);
    const out = this.systemOut(c);
    if (out !== '') node['system-out'] = out;
    if (c.systemErr !== undefined && c.systemErr !== '') node['system-err'] = this.clean(c.systemErr);
    return node;
  }

  private problem(p: Problem, defaultType: string): XmlNode {
    const attrs: Record<string, string> = { type: this.clean(p.type ?? defaultType) };
    if (p.message !== undefined) attrs['message'] = this.clean(p.message);
    const body = problemBody(p);
    return body === '' ? { $: attrs } : { $: attrs, _: this.clean(body) };
  }

  private attempt(a: Attempt): XmlNode {
    const attrs: Record<string, string> = {
      type: this.clean(a.type ?? (a.kind === 'failure' ? 'AssertionError' : 'Error')),
    };
    if (a.message !== undefined) attrs['message'] = this.clean(a.message);
    const node: XmlNode = { $: attrs };
    // Surefire 2.22.1+ puts the trace in a stackTrace child, not in mixed text.
    const body = problemBody(a);
    if (body !== '') node['stackTrace'] = this.clean(body);
    if (a.systemOut !== undefined && a.systemOut !== '') node['system-out'] = this.clean(a.systemOut);
    if (a.systemErr !== undefined && a.systemErr !== '') node['system-err'] = this.clean(a.systemErr);
    return node;
  }

  private systemOut(c: TestCase): string {
    let text = c.systemOut ?? '';
    if (c.attachments.length > 0) {
      if (text !== '' && !text.endsWith('\n')) text += '\n';
      text += c.attachments
        .map((p) => `${ATTACHMENT_PREFIX}${this.attachmentPath(p)}${ATTACHMENT_SUFFIX}\n`)
        .join('');
    }
    // An attachment line must stay alone on its line, so no escape may join two lines:
    // escaping never touches LF.
    return this.clean(text);
  }

  private attachmentPath(p: string): string {
    const abs = resolve(p);
    if (this.opts.attachmentPaths === 'absolute') return abs;
    const rel = relative(this.opts.attachmentBase ?? this.reportDir, abs);
    return rel === '' ? '.' : rel;
  }

  private properties(props: readonly Property[]): XmlNode {
    return {
      property: props.map((p) => ({ $: { name: this.clean(p.name), value: this.clean(p.value) } })),
    };
  }
}

/**
 * The report as JUnit XML. `reportPath` is where it will live; relative attachment paths
 * are written from its directory.
 */
export function buildJUnit(run: Run, reportPath: string, opts: JUnitOptions = {}): string {
  const builder = new xml2js.Builder({
    xmldec: { version: '1.0', encoding: 'UTF-8' },
    renderOpts: { pretty: true, indent: '  ', newline: '\n' },
  });
  const xml = builder.buildObject(new ReportBuilder(opts, dirname(resolve(reportPath))).run(run));
  return xml.endsWith('\n') ? xml : `${xml}\n`;
}

/** The file operations the atomic write needs; tests replace them to simulate a crash. */
export interface WriteIo extends SyncIo {
  renameSync: typeof renameSync;
  unlinkSync: typeof unlinkSync;
}

const realIo: WriteIo = { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync };

/**
 * Writes `data` to `path` so that a reader (or a run killed at any moment) sees either the
 * old file or the new one, never a partial one: a temp file in the same directory (a
 * rename is atomic only within one file system), fsync, then rename over the target.
 * Synchronous, so two writes after two finished cases cannot land out of order.
 */
export function writeFileAtomic(path: string, data: string, io: WriteIo = realIo): void {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const bytes = Buffer.from(data, 'utf8');
  let renamed = false;
  try {
    writeAndSync(tmp, bytes, io);
    io.renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        io.unlinkSync(tmp);
      } catch {
        // Nothing was created, or it is already gone.
      }
    }
  }
  syncDirectory(dirname(target), io);
}

function syncDirectory(dir: string, io: WriteIo): void {
  // Makes the rename itself durable; not every platform lets a directory be fsynced.
  try {
    const fd = io.openSync(dir, 'r');
    try {
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
  } catch {
    // Best effort.
  }
}

/** Builds the report and replaces `path` with it atomically. Call after every finished case. */
export function writeJUnit(path: string, run: Run, opts: JUnitOptions = {}, io?: WriteIo): void {
  writeFileAtomic(path, buildJUnit(run, path, opts), io);
}

