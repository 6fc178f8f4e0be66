// The report model: what a run produced, as plain serialisable data. The runner fills
// it from mocha events; `junit.ts` writes it as JUnit XML and `merge.ts` reads it back.
// Nothing here knows about XML.

/** A name/value pair. Order is kept and names may repeat (one `board` per board). */
export interface Property {
  name: string;
  value: string;
}

/**
 * Why a case did not pass. For an assertion failure the runner also fills `expected`
 * and `actual` (already formatted as text).
 */
export interface Problem {
  /** One line: the assertion or error message. */
  message?: string;
  /** The error class, e.g. `AssertionError`, `BoardTimeoutError`. */
  type?: string;
  /** Stack trace or longer explanation. */
  details?: string;
  expected?: string;
  actual?: string;
}

/**
 * The verdict of a case. A failure is a failed assertion; an error is an unexpected
 * problem in the test or the rig (flash, serial, power faults name the board and are
 * errors, never failures).
 */
export type Outcome =
  | { verdict: 'passed' }
  | ({ verdict: 'failed' } & Problem)
  | ({ verdict: 'error' } & Problem)
  | {
      verdict: 'skipped';
      /** The reason, e.g. "needs 3 boards, rig has 2", or "interrupted by SIGTERM". */
      message?: string;
      /** Why it has no verdict when that is not a plain skip: `interrupted` (see INTERRUPTED). */
      type?: string;
      /** What the case saw when it stopped (the error its interruption caused). */
      details?: string;
    };

export type Verdict = Outcome['verdict'];

/**
 * The skip type of a case that was running when the run was interrupted (SIGINT,
 * SIGTERM): it reached no verdict, so it is neither passed nor failed. The run's exit code
 * (4) says the run was interrupted.
 */
export const INTERRUPTED = 'interrupted';

/** The outcome of a case stopped by `signal` mid-run; `seen` is the error the stop caused. */
export function interruptedOutcome(signal: string, seen?: { message?: string; details?: string }): Outcome {
  const details = seen?.details ?? seen?.message;
  return {
    verdict: 'skipped',
    type: INTERRUPTED,
    message: `interrupted by ${signal}`,
    ...(details !== undefined && details !== '' ? { details: `when the run stopped, the case saw:\n${details}` } : {}),
  };
}

export function isInterrupted(o: Outcome): boolean {
  return o.verdict === 'skipped' && o.type === INTERRUPTED;
}

/** One attempt of a retried case that did not pass. */
export interface Attempt extends Problem {
  kind: 'failure' | 'error';
  systemOut?: string;
  systemErr?: string;
}

export interface TestCase {
  /** Includes the case's stable id, e.g. `JOIN-001 joins a 6LoWPAN-ND network`. */
  name: string;
  /** GitLab shows the classname as the suite: the suite's dotted name. */
  classname: string;
  /**
   * The suite file, relative to the project root. The report does not write it per case
   * (junit-10 has no testcase `file`): it is the suite's `file`, and reads back as that.
   */
  file?: string;
  /** Wall-clock seconds of the attempt that gave the verdict. */
  time: number;
  outcome: Outcome;
  /**
   * The attempts that did not pass, other than the one `outcome` reports, in the order
   * they ran. With a `passed` outcome they make the case flaky (`flakyFailure` /
   * `flakyError`); with `failed` or `error` they are its reruns (`rerunFailure` /
   * `rerunError`). A retried case is still one case.
   */
  attempts: Attempt[];
  /** Spec reference, boards used, measured figures. */
  properties: Property[];
  /** Files (serial logs, captures, plots): absolute or relative to the working directory. */
  attachments: string[];
  systemOut?: string;
  systemErr?: string;
}

/** One suite file. */
export interface Suite {
  name: string;
  file?: string;
  /** When the suite started, ISO 8601 (UTC). */
  timestamp: string;
  /** The host that ran it, when it differs from the run's (merged shards). */
  hostname?: string;
  properties: Property[];
  cases: TestCase[];
  systemOut?: string;
  systemErr?: string;
}

export interface Run {
  runId: string;
  /** The `testsuites` name. */
  name: string;
  /** ISO 8601 (UTC). */
  startedAt: string;
  hostname: string;
  /**
   * Run-level facts: rig, seed, firmware per board, sim lag. See `runProperties`. The
   * report repeats them, with the run id and start, in every testsuite's properties.
   */
  properties: Property[];
  suites: Suite[];
  /** Wall-clock seconds of the whole run; the sum of the suites' times if absent. */
  time?: number;
}

export interface Totals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  /** Cases stopped by an interruption; also counted in `skipped`. */
  interrupted: number;
  /** Passed on a retry; also counted as passed (not in failures or errors). */
  flaky: number;
  time: number;
}

/** Totals count cases, never attempts. */
export function suiteTotals(suite: Suite): Totals {
  const t: Totals = { tests: 0, failures: 0, errors: 0, skipped: 0, interrupted: 0, flaky: 0, time: 0 };
  for (const c of suite.cases) {
    t.tests += 1;
    t.time += c.time;
    switch (c.outcome.verdict) {
      case 'failed': t.failures += 1; break;
      case 'error': t.errors += 1; break;
      case 'skipped': t.skipped += 1; if (isInterrupted(c.outcome)) t.interrupted += 1; break;
      case 'passed': if (c.attempts.length > 0) t.flaky += 1; break;
    }
  }
  return t;
}

export function runTotals(run: Run): Totals {
  const t: Totals = { tests: 0, failures: 0, errors: 0, skipped: 0, interrupted: 0, flaky: 0, time: 0 };
  for (const s of run.suites) {
    const st = suiteTotals(s);
    t.tests += st.tests;
    t.failures += st.failures;
    t.errors += st.errors;
    t.skipped += st.skipped;
    t.interrupted += st.interrupted;
    t.flaky += st.flaky;
    t.time += st.time;
  }
  if (run.time !== undefined) t.time = run.time;
  return t;
}

/** The facts a run records about its rig, in a fixed order. */
export interface RunFacts {
  rig: string;
  seed?: number | string;
  boards: { id: string; firmwareKind: string; firmwareVersion: string }[];
  /** How far the simulated bench fell behind its speed factor, in bench milliseconds. */
  simLagMs?: number;
}

/** Run-level properties from the rig facts: one `board` property per board. */
export function runProperties(facts: RunFacts): Property[] {
  const props: Property[] = [{ name: 'rig', value: facts.rig }];
  if (facts.seed !== undefined) props.push({ name: 'seed', value: String(facts.seed) });
  for (const b of facts.boards) {
    props.push({ name: 'board', value: `${b.id} ${b.firmwareKind} ${b.firmwareVersion}` });
  }
  if (facts.simLagMs !== undefined) props.push({ name: 'sim.lag_ms', value: String(facts.simLagMs) });
  return props;
}

/**
 * The run-level property that records a board found unhealthy during the run
 * (it did not answer after reset and power cycle): `<board id>: <reason>`, one
 * per board. A run fact like the rig and the boards' firmware, so it is in
 * every testsuite's properties of the JUnit report, in results.json's
 * `run.unhealthy` and at the top of report.html.
 */
export const UNHEALTHY_PROPERTY = 'board.unhealthy';

export interface UnhealthyBoard {
  board: string;
  reason: string;
}

/** The property of an unhealthy board; the reason's own leading `<board>: ` is not repeated. */
export function unhealthyProperty(u: UnhealthyBoard): Property {
  const reason = u.reason.startsWith(`${u.board}: `) ? u.reason.slice(u.board.length + 2) : u.reason;
  return { name: UNHEALTHY_PROPERTY, value: `${u.board}: ${reason}` };
}

/** The unhealthy boards a run's properties record, in order. */
export function unhealthyOf(props: readonly Property[]): UnhealthyBoard[] {
  return props
    .filter((p) => p.name === UNHEALTHY_PROPERTY)
    .map((p) => {
      const at = p.value.indexOf(': ');
      return at < 0 ? { board: p.value, reason: '' } : { board: p.value.slice(0, at), reason: p.value.slice(at + 2) };
    });
}

/** Replaces the run's unhealthy-board records by `boards` (the bench's current health). */
export function recordUnhealthy(run: Run, boards: readonly UnhealthyBoard[]): void {
  run.properties = [...run.properties.filter((p) => p.name !== UNHEALTHY_PROPERTY), ...boards.map(unhealthyProperty)];
}
