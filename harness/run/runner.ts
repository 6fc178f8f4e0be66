// `meshbench run`: loads the rig, brings the bench up, runs the mocha suites
// programmatically against it, writes the report after every case, and always
// brings the bench down, also on failure, SIGINT, SIGTERM and SIGHUP. A run
// that must stop (a signal, the sim gone, a report that cannot be written)
// stops within seconds, and every selected case is in its report.
import { randomBytes } from 'node:crypto';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import Mocha from 'mocha';
import { boardConfigs, secretsOf, tearDownBench, type Bench } from '../bench/bench.ts';
import { bringUp, type LabBringUpOptions } from '../bench/bring-up.ts';
import { FlashPlanError, flashPlan } from '../bench/lab-bench.ts';
import { createRunLogger, type Logger } from '../log/logger.ts';
import { historyBeside, REPORT_HTML, writeHtml } from '../report/html.ts';
import { writeJUnit } from '../report/junit.ts';
import { buildResults, RESULTS_FILE, writeResults, type CaseExtras, type Results } from '../report/results.ts';
import type { Attempt, Run, Suite, TestCase } from '../report/model.ts';
import { INTERRUPTED, interruptedOutcome, recordUnhealthy, runProperties } from '../report/model.ts';
import { redactor, xmlSafe } from '../report/sanitize.ts';
import { loadRig, type LoadedRig } from '../rig/load.ts';
import { caseOf, installCaseContext } from '../suite-api/index.ts';
import { needsText } from './catalogue.ts';
import { CaseRecorder, rerunCommand, suiteBenchOf } from './case-context.ts';
import { CaseFixtures } from './case-fixtures.ts';
import { EXIT_CODES, type RunEndInfo, type RunListener, type RunResult } from './events.ts';
import { meshSnapshot } from './mesh-snapshot.ts';
import { checkOutDir, lockOutDir } from './out-dir.ts';
import type { Quarantine } from './quarantine.ts';
import type { Shard } from './shard.ts';
import { keepShard, selectedTests } from './selection.ts';
import { suiteFilesOf } from './suite-files.ts';
import { TaskRunner } from './tasks.ts';
import { codeOf, ErrorCode } from '../errors.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface RunOptions {
  rigFile: string;
  suiteGlob?: string;
  grep?: string;
  outDir?: string;
  seed?: number;
  retries?: number;
  speed?: number | 'max';
  absoluteAttachments?: boolean;
  /** Wall-clock backstop per case, ms. */
  caseTimeoutMs?: number;
  listeners?: RunListener[];
  quiet?: boolean;
  /** Lab rigs: how long to wait for a locked board, and the like. */
  lab?: LabBringUpOptions;
  /** Run the cases that do NOT match `grep`. */
  grepInvert?: boolean;
  /** Directories of a lab's own suites (every *.spec.ts under each), run instead of the project's. */
  suiteDirs?: string[];
  /** Run only this shard's part of the selected cases. */
  shard?: Shard;
  /** Recorded case durations (seconds, by case id) that balance the shards. */
  durations?: ReadonlyMap<string, number>;
  /** Cases that run and are reported but never fail the build. */
  quarantine?: Quarantine;
  /** A case that passed only on a retry fails the build. */
  failOnFlaky?: boolean;
  /** How many earlier runs' results.json beside this one the HTML report's trend shows (default 10). */
  trend?: number;
  /** Where the earlier runs are (default: beside the run directory). */
  historyDir?: string;
  /** How a run that cannot stop in time ends the process (default: process.exit). */
  forceExit?: (code: number) => void;
  /** Wall ms a stopping run gets to bring its bench down before it is forced (default 20 s). */
  stopGraceMs?: number;
}

/** Signals that stop a run as Ctrl-C does; a second one forces the exit. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** At least this long for the harness's hooks around a case, whatever the case timeout. */
const HARNESS_HOOK_TIMEOUT_MS = 60_000;

/** Why a run stops before its cases are done. */
type Stop = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'bench-lost'; reason: string } | { kind: 'report'; reason: string };

function stopText(stop: Stop): string {
  return stop.kind === 'signal' ? `interrupted by ${stop.signal}` : stop.reason;
}

export interface RunOutcome {
  exitCode: number;
  result: RunResult;
  runDir: string;
  reportPath: string;
  run: Run;
  /** Why the run could not end as it should (the report write failure, with path and errno). */
  message?: string;
}

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

function errorText(e: unknown): { message: string; type: string; details?: string; expected?: string; actual?: string } {
  const err = e as { message?: string; name?: string; stack?: string; expected?: unknown; actual?: unknown; showDiff?: boolean; constructor?: { name?: string } };
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  // Board text is data: control characters and escapes are shown escaped, on the terminal as in the JUnit.
  const out: { message: string; type: string; details?: string; expected?: string; actual?: string } = {
    message: xmlSafe(err?.message ?? String(e)),
    type: err?.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : (err?.name ?? 'Error'),
  };
  if (err?.stack) out.details = xmlSafe(err.stack);
  if (err && 'expected' in err && err.expected !== undefined) out.expected = xmlSafe(show(err.expected));
  if (err && 'actual' in err && err.actual !== undefined) out.actual = xmlSafe(show(err.actual));
  return out;
}

/** A failed assertion is a failure; anything else thrown (timeouts of the rig, port errors) is an error. */
function isAssertion(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return name === 'AssertionError' || codeOf(e) === ErrorCode.BENCH_TIMEOUT;
}

export async function runSuites(opts: RunOptions): Promise<RunOutcome> {
  const loaded: LoadedRig = loadRig(opts.rigFile); // RigFileError → the CLI exits 2
  const rig = loaded.rig;
  const seed = opts.seed ?? rig.seed;
  if (opts.lab?.flash?.length) {
    // Checked before anything is written or locked: a wrong target is a usage error.
    if (rig.kind !== 'lab') throw new FlashPlanError(`--flash: rig '${rig.name}' is a simulated bench, which has no flasher; --flash is for lab rigs`);
    flashPlan(rig, opts.lab.flash);
  }
  const runId = newRunId();
  // Under the directory the command runs in, as every tool writes its output: a lab's CI
  // job keeps its reports in its own workspace, not in meshbench's installation.
  const reportsRoot = join(process.cwd(), 'reports');
  // OutDirError (a kernel tree, a file in the way, no permission, held by another run) → the CLI exits 2.
  const runDir = checkOutDir(opts.outDir ?? join(reportsRoot, runId));
  const outLock = await lockOutDir(runDir, runId, opts.lab?.waitLockS ?? 0);
  try {
    if (!opts.outDir) {
      rmSync(join(reportsRoot, 'latest'), { force: true });
      symlinkSync(runId, join(reportsRoot, 'latest'));
    }
    return await runLocked(opts, loaded, { runId, runDir, seed });
  } finally {
    outLock.release();
  }
}

async function runLocked(opts: RunOptions, loaded: LoadedRig, ids: { runId: string; runDir: string; seed: number }): Promise<RunOutcome> {
  const { runId, runDir, seed } = ids;
  const rig = loaded.rig;
  const reportPath = join(runDir, 'junit.xml');
  const secrets = secretsOf(boardConfigs(loaded));
  const redact = redactor(secrets);
  const log: Logger = createRunLogger(runDir, { quiet: opts.quiet, redact });
  const listeners = opts.listeners ?? [];
  const emit = <K extends keyof RunListener>(k: K, ...args: Parameters<NonNullable<RunListener[K]>>) => {
    for (const l of listeners) (l[k] as ((...a: unknown[]) => void) | undefined)?.(...args);
  };

  const run: Run = {
    runId,
    name: `meshbench ${rig.name}`,
    startedAt: new Date().toISOString(),
    hostname: hostname(),
    properties: runProperties({ rig: rig.name, seed, boards: [] }),
    suites: [],
  };
  const started = performance.now();
  const caseExtras = new Map<string, CaseExtras>();
  const resultsPath = join(runDir, RESULTS_FILE);
  const bounds = { ...rig.bounds } as Record<string, number>;
  let history: Results[] | undefined;
  const results = (result: string, finished: boolean): Results =>
    buildResults(run, runDir, { result, bounds, cases: caseExtras, redact: secrets, ...(opts.shard ? { shard: opts.shard } : {}), ...(finished ? { finishedAt: new Date().toISOString() } : {}) });

  // How the run stops early. The first reason wins; the bench is brought down at
  // once, which ends whatever a case waits for (ports close, the clock stops).
  const tasks = new TaskRunner<{ bench?: Bench }>();
  const ctx: { bench?: Bench } = {};
  let stop: Stop | undefined;
  let mochaRunner: Mocha.Runner | undefined;
  let forced: ReturnType<typeof setTimeout> | undefined;
  const mochaState: MochaState = { done: new Set(), current: undefined, suiteOf: undefined };
  const loadedMocha: { mocha?: Mocha } = {};
  const forceExit = (code: number, why: string) => {
    log.error({ why }, 'forced exit');
    emit('problem', `forced exit: ${why}`);
    completeReport(mochaState, run, `not run: ${stop ? stopText(stop) : why}`, runningOutcome(stop ?? { kind: 'report', reason: why }), loadedMocha.mocha);
    safeWrite(stop ? runOutcomeOfStop(stop) : 'interrupted', true);
    ctx.bench?.sim?.process.kill('SIGKILL');
    (opts.forceExit ?? ((c: number) => process.exit(c)))(code);
  };
  const requestStop = (why: Stop) => {
    if (stop) return;
    stop = why;
    log.warn({ why: stopText(why) }, 'stopping the run: tearing the bench down');
    emit('problem', why.kind === 'signal' ? `interrupted by ${why.signal}` : `${stopText(why)}; stopping the run`);
    for (const b of ctx.bench?.boards ?? []) b.stop(new Error(stopText(why)));
    mochaRunner?.abort();
    void tasks.tearDown(ctx);
    // A bench that does not come down in time does not hold the exit.
    forced = setTimeout(() => forceExit(exitCodeOfStop(why), `the bench was not down ${(opts.stopGraceMs ?? 20_000) / 1000} s after the run began to stop`), opts.stopGraceMs ?? 20_000);
    forced.unref();
  };

  let reportFailure: string | undefined;
  let reportError: NonNullable<RunEndInfo['reportError']> | undefined;
  /** Writes the reports; a failure (full disk, read-only directory) is recorded, never thrown. */
  const safeWrite = (result = 'running', finished = false): boolean => {
    run.time = (performance.now() - started) / 1000;
    // Boards lost so far are a run-level record, kept after teardown (the bench is gone then, the record is not).
    if (ctx.bench?.unhealthy) recordUnhealthy(run, ctx.bench.unhealthy());
    let path = reportPath;
    try {
      writeJUnit(reportPath, run, { redact: secrets, attachmentPaths: opts.absoluteAttachments ? 'absolute' : 'relative' });
      const r = results(result, finished);
      path = resultsPath;
      writeResults(resultsPath, r);
      history ??= historyBeside(runDir, opts.trend ?? 10, opts.historyDir).filter((h) => Date.parse(h.run.startedAt) < Date.parse(run.startedAt));
      path = join(runDir, REPORT_HTML);
      writeHtml(path, r, { history });
      return true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (!reportFailure) {
        reportFailure = `cannot write the report ${path}: ${err.code ? `${err.code} (${err.message})` : err.message}`;
        reportError = { path, ...(err.code ? { code: err.code } : {}), message: err.message };
        log.error({ path, errno: err.code, err: err.message }, 'report write failed');
      }
      return false;
    }
  };
  /** Writes the reports; a failure stops the run. */
  const writeReport = (result = 'running', finished = false) => {
    if (!safeWrite(result, finished)) requestStop({ kind: 'report', reason: reportFailure! });
  };
  const reportFailed = (): RunOutcome => {
    emit('problem', reportFailure!);
    emit('runEnd', run, 'report-failed', { reportError });
    return { exitCode: EXIT_CODES['report-failed'], result: 'report-failed', runDir, reportPath, run, message: reportFailure };
  };

  if (!safeWrite()) return reportFailed();
  log.info({ runId, rig: loaded.file, seed, runDir }, 'run started');

  // Suites: loaded before the bench so that "nothing selected" costs nothing.
  const files = suiteFilesOf(REPO_ROOT, opts);
  const caseTimeoutMs = opts.caseTimeoutMs ?? (rig.caseTimeoutS !== undefined ? rig.caseTimeoutS * 1000 : 300_000);
  const mocha = new Mocha({ timeout: caseTimeoutMs, retries: opts.retries ?? 0, reporter: NullReporter, forbidOnly: !!process.env.CI });
  if (opts.grep) mocha.grep(opts.grep);
  if (opts.grepInvert) mocha.invert();
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  loadedMocha.mocha = mocha;
  if (opts.shard) keepShard(mocha, opts.shard, opts.durations);
  const selected = countSelected(mocha);
  if (selected === 0) {
    log.warn({ glob: opts.suiteGlob, grep: opts.grep }, 'no case selected');
    emit('runEnd', run, 'nothing-selected');
    return { exitCode: EXIT_CODES['nothing-selected'], result: 'nothing-selected', runDir, reportPath, run };
  }

  /** Set when teardown begins: the sim's exit from then on is ours, not a loss. */
  let benchGoingDown = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop?.kind === 'signal') {
      forceExit(EXIT_CODES.interrupted, `a second signal (${sig})`);
      return;
    }
    if (stop) {
      // Already stopping for another reason: a signal now means "stop waiting".
      forceExit(exitCodeOfStop(stop), `${sig} while stopping`);
      return;
    }
    requestStop({ kind: 'signal', signal: sig });
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);

  tasks.add({
    title: 'bench',
    setup: async (c) => {
      c.bench = await bringUp(loaded, { runDir, seed, log, redact, speed: opts.speed, lab: opts.lab });
    },
    teardown: async (c) => {
      benchGoingDown = true;
      if (c.bench?.unhealthy) recordUnhealthy(run, c.bench.unhealthy());
      if (c.bench) await tearDownBench(c.bench);
      c.bench = undefined;
    },
  });

  let result: RunResult = 'passed';
  try {
    try {
      await tasks.setUp(ctx);
      if (stop) throw new Error(stopText(stop));
    } catch (e) {
      log.error({ err: (e as Error).message }, 'bench not up');
      emit('problem', `bench not up: ${xmlSafe((e as Error).message)}`);
      run.suites.push({
        name: 'bench',
        timestamp: new Date().toISOString(),
        properties: [],
        cases: [{ name: 'bench bring-up', classname: 'bench', time: 0, outcome: { verdict: 'error', ...errorText(e) }, attempts: [], properties: [], attachments: [] }],
      });
      completeReport(mochaState, run, `not run: ${stop ? stopText(stop) : 'the bench did not come up'}`, undefined, mocha);
      result = stop ? runOutcomeOfStop(stop) : 'bench-down';
      writeReport(result, true);
      if (reportFailure) return reportFailed();
      return { exitCode: EXIT_CODES[result], result, runDir, reportPath, run };
    }
    const bench = ctx.bench!;
    // The sim dying ends the run at once: the running case with the reason, the rest not run.
    bench.sim?.process.once('exit', (code, signal) => {
      if (stop || benchGoingDown) return;
      const tail = bench.sim!.stderrTail().trim().split('\n').slice(-1)[0];
      requestStop({ kind: 'bench-lost', reason: `the simulated bench exited (${signal ?? `exit code ${code}`})${tail ? `: ${xmlSafe(tail)}` : ''}` });
    });
    run.properties = runProperties({
      rig: rig.name,
      seed,
      boards: bench.boards.map((b) => ({ id: b.id, firmwareKind: b.identity?.firmware ?? '?', firmwareVersion: b.identity?.version ?? '?' })),
    });
    run.properties.push({ name: 'rig.file', value: relative(REPO_ROOT, loaded.file) || loaded.file });
    emit('runBegin', run, { rig: rig.name, seed, runDir, cases: selected, waitingFor: () => bench.boards.map((b) => b.waitingFor).find((w) => w !== undefined) });
    writeReport();

    const failed = await runMocha(mocha, bench, run, mochaState, {
      log,
      emit,
      writeReport: () => writeReport(),
      setRunner: (r) => (mochaRunner = r),
      runDir,
      stop: () => stop,
      total: selected,
      caseExtras,
      quarantine: opts.quarantine,
      failOnFlaky: opts.failOnFlaky === true,
    });
    if (stop) result = runOutcomeOfStop(stop);
    else result = failed ? 'failed' : 'passed';
    const stats = stop ? undefined : await bench.sim?.control.call({ op: 'stats' }).catch(() => undefined);
    if (stats && typeof stats.maxLagUs === 'number') run.properties.push({ name: 'sim.lag_ms', value: (stats.maxLagUs / 1000).toFixed(1) });
  } finally {
    const errors = await tasks.tearDown(ctx);
    for (const e of errors) log.error({ err: e.message }, 'teardown');
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    if (forced) clearTimeout(forced);
    const stopped = completeReport(mochaState, run, `not run: ${stop ? stopText(stop) : 'its suite stopped before it (a hook failed)'}`, stop ? runningOutcome(stop) : undefined, mocha);
    // A case stopped in its hooks (its evidence being set up) is shown as one stopped in its body is.
    if (stopped) emit('caseEnd', stopped.tc, stopped.suite, run);
    if (stop) result = runOutcomeOfStop(stop);
    writeReport(result, true);
  }
  if (reportFailure) return reportFailed();
  emit('runEnd', run, result);
  log.info({ result }, 'run finished');
  return { exitCode: EXIT_CODES[result], result, runDir, reportPath, run };
}

function countSelected(mocha: Mocha): number {
  return selectedTests(mocha).length;
}

function runOutcomeOfStop(stop: Stop): RunResult {
  return stop.kind === 'signal' ? 'interrupted' : stop.kind === 'bench-lost' ? 'bench-down' : 'report-failed';
}

function exitCodeOfStop(stop: Stop): number {
  return EXIT_CODES[runOutcomeOfStop(stop)];
}

/** What the runner and its mocha hooks share about the cases. */
interface MochaState {
  /** Keys of the cases already in the report. */
  done: Set<string>;
  /** The case running now. */
  current: Mocha.Test | undefined;
  suiteOf: ((test: Mocha.Runnable) => Suite) | undefined;
}

/** Keyed by the case's full title: mocha clones a test for each retry. */
const keyOf = (t: Mocha.Runnable) => `${t.file ?? ''}\u0000${t.fullTitle()}`;

/**
 * Puts every selected case that is not in the report yet into it: the case
 * that was running when the run stopped as `running`, the others skipped with `reason`.
 */
/** The outcome of the case that was running (its hooks, or itself) when the run stopped. */
function runningOutcome(stop: Stop): TestCase['outcome'] {
  if (stop.kind === 'signal') return interruptedOutcome(stop.signal);
  if (stop.kind === 'bench-lost') return { verdict: 'error', type: 'BenchLost', message: stop.reason };
  return { verdict: 'skipped', type: INTERRUPTED, message: `interrupted: ${stop.reason}` };
}

/** Returns the case that was running, when it is added here. */
function completeReport(state: MochaState, run: Run, reason: string, running: TestCase['outcome'] | undefined, mocha?: Mocha): { tc: TestCase; suite: Suite } | undefined {
  const suiteOf =
    state.suiteOf ??
    ((test: Mocha.Runnable): Suite => {
      const file = relative(REPO_ROOT, test.file ?? 'unknown');
      let s = run.suites.find((x) => x.file === file);
      if (!s) {
        s = { name: basename(file).replace(/\.spec\.ts$/, ''), file, timestamp: new Date().toISOString(), properties: [], cases: [] };
        run.suites.push(s);
      }
      return s;
    });
  const add = (t: Mocha.Test, outcome: TestCase['outcome']) => {
    state.done.add(keyOf(t));
    const tc: TestCase = { name: t.title, classname: t.parent?.fullTitle() || basename(t.file ?? 'suite'), file: t.file ? relative(REPO_ROOT, t.file) : undefined, time: 0, outcome, attempts: [], properties: [], attachments: [] };
    const suite = suiteOf(t);
    suite.cases.push(tc);
    return { tc, suite };
  };
  const cur = state.current;
  const stopped = running && cur && !state.done.has(keyOf(cur)) ? add(cur, running) : undefined;
  if (mocha) for (const t of selectedTests(mocha)) if (!state.done.has(keyOf(t))) add(t, { verdict: 'skipped', message: reason });
  return stopped;
}

class NullReporter extends Mocha.reporters.Base {}

interface MochaHooks {
  log: Logger;
  emit: <K extends keyof RunListener>(k: K, ...args: Parameters<NonNullable<RunListener[K]>>) => void;
  writeReport: () => void;
  setRunner: (r: Mocha.Runner) => void;
  runDir: string;
  /** Why the run is stopping, once it is. */
  stop: () => Stop | undefined;
  /** Cases selected, for "N/M" progress. */
  total: number;
  /** Filled per case (by title): quarantine, mesh snapshot, series. */
  caseExtras: Map<string, CaseExtras>;
  quarantine?: Quarantine;
  failOnFlaky: boolean;
}

/** Runs the loaded mocha suites; returns whether any case failed. */
function runMocha(mocha: Mocha, bench: Bench, run: Run, state: MochaState, h: MochaHooks): Promise<boolean> {
  // The harness's own work around a case (its recorder, the mesh snapshot, undoing rig changes) is not the
  // case's: a short case timeout must not cut it on a busy host, which would fail every case after it.
  const harnessHookTimeoutMs = Math.max(mocha.suite.timeout(), HARNESS_HOOK_TIMEOUT_MS);
  const suitesByFile = new Map<string, Suite>();
  const key = keyOf;
  const attempts = new Map<string, Attempt[]>();
  const recorders = new Map<string, CaseRecorder>();
  /** The running attempt's fixtures: what it changed on the rig, undone after it. */
  let fixtures: CaseFixtures | undefined;
  const done = state.done;
  let anyFailed = false;
  let begun = 0;

  // The mesh as the case's boards report it when it ends: drawn in the HTML report, kept in results.json and mesh.json.
  const snapshotMesh = async (test: Mocha.Test) => {
    const rec = recorders.get(key(test));
    if (!rec) return;
    try {
      const boards = rec.used.size ? [...rec.used] : bench.boards;
      const now = await Promise.race([bench.clock.now(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())]).catch(() => undefined);
      const mesh = await meshSnapshot(boards, now === undefined ? undefined : now / 1e6);
      h.caseExtras.set(test.title, { ...h.caseExtras.get(test.title), mesh });
      const path = join(rec.dir, 'mesh.json');
      writeFileSync(path, `${JSON.stringify(mesh, null, 1)}\n`);
      rec.extraAttachments.push(path);
    } catch (e) {
      h.log.warn({ err: (e as Error).message, case: test.title }, 'mesh snapshot');
    }
  };

  const suiteOf = (test: Mocha.Runnable): Suite => {
    const file = test.file ?? 'unknown';
    let s = suitesByFile.get(file);
    if (!s) {
      s = { name: basename(file).replace(/\.spec\.ts$/, ''), file: relative(REPO_ROOT, file), timestamp: new Date().toISOString(), properties: [], cases: [] };
      suitesByFile.set(file, s);
      run.suites.push(s);
      h.emit('suiteBegin', s);
    }
    return s;
  };
  state.suiteOf = suiteOf;

  // A case that was running when the run was interrupted did not fail: its bench was
  // taken down under it. It reached no verdict and is reported as interrupted. A case
  // whose bench went away under it is an error, for that reason.
  const unlessInterrupted = (outcome: TestCase['outcome']): TestCase['outcome'] => {
    const stop = h.stop();
    if (stop === undefined || (outcome.verdict !== 'failed' && outcome.verdict !== 'error')) return outcome;
    if (stop.kind === 'signal') return interruptedOutcome(stop.signal, outcome);
    if (stop.kind === 'bench-lost') return { verdict: 'error', type: 'BenchLost', message: stop.reason, details: `the case saw:\n${outcome.details ?? outcome.message ?? ''}` };
    return { verdict: 'skipped', type: INTERRUPTED, message: `interrupted: ${stop.reason}` };
  };

  const finalize = async (test: Mocha.Test, given: TestCase['outcome'], cleanupErrors: Error[] = []) => {
    if (done.has(key(test))) return;
    let outcome = unlessInterrupted(given);
    if (cleanupErrors.length > 0) {
      const message = `the harness could not undo what the case changed on the rig: ${cleanupErrors.map((e) => xmlSafe(e.message)).join('; ')}`;
      h.log.error({ case: test.title, errors: cleanupErrors.map((e) => e.message) }, 'case cleanup failed');
      h.emit('problem', `${test.title}: ${message}`);
      // A pass that left the rig changed is no pass; a failure keeps its own reason.
      if (outcome.verdict === 'passed') outcome = { verdict: 'error', type: 'CleanupError', message };
    }
    done.add(key(test));
    const rec = recorders.get(key(test));
    let attachments: string[] = [];
    try {
      attachments = rec ? await rec.finish() : [];
    } catch (e) {
      // Its evidence could not be written (a full disk): the case keeps its verdict, the run says why.
      h.log.error({ err: (e as Error).message }, 'case evidence not written');
      h.emit('problem', `${test.title}: evidence not written: ${xmlSafe((e as Error).message)}`);
    }
    const title = test.title;
    const { id, stack, meta } = caseOf(test);
    const quarantined = id ? h.quarantine?.active.get(id) : undefined;
    const extras: CaseExtras = h.caseExtras.get(title) ?? {};
    if (quarantined) extras.quarantine = { reason: quarantined.reason, expires: quarantined.expires };
    if (rec?.series.length) extras.series = rec.series;
    h.caseExtras.set(title, extras);
    const properties = [
      ...(id ? [{ name: 'id', value: id }] : []),
      ...(stack ? [{ name: 'stack', value: stack }] : []),
      ...(rec && outcome.verdict !== 'skipped' ? [{ name: 'hops', value: rec.hops() }] : []),
      ...(meta ? [{ name: 'checks', value: meta.checks }, { name: 'needs', value: `${meta.needs.stack}: ${needsText(meta.needs)}` }] : []),
      ...(rec?.properties ?? []),
      ...(quarantined ? [{ name: 'quarantined', value: `${quarantined.reason} (until ${quarantined.expires})` }] : []),
    ];
    if (id && (outcome.verdict === 'failed' || outcome.verdict === 'error')) properties.push({ name: 'rerun', value: rerunCommand(bench, id) });
    for (const b of rec?.used ?? []) properties.push({ name: 'board', value: `${b.id} ${b.identity?.firmware ?? '?'} ${b.identity?.version ?? '?'}` });
    const tc: TestCase = {
      name: title,
      classname: test.parent?.fullTitle() || basename(test.file ?? 'suite'),
      file: test.file ? relative(REPO_ROOT, test.file) : undefined,
      time: (test.duration ?? 0) / 1000,
      outcome,
      attempts: attempts.get(key(test)) ?? [],
      properties,
      attachments,
    };
    const suite = suiteOf(test);
    suite.cases.push(tc);
    // A quarantined case never fails the build; with --fail-on-flaky a pass on a retry does.
    const bad = outcome.verdict === 'failed' || outcome.verdict === 'error' || (h.failOnFlaky && outcome.verdict === 'passed' && tc.attempts.length > 0);
    if (bad && !quarantined) anyFailed = true;
    h.writeReport();
    h.emit('caseEnd', tc, suite, run);
  };

  mocha.rootHooks({
    beforeEach: async function (this: Mocha.Context) {
      this.timeout(harnessHookTimeoutMs);
      const test = this.currentTest as Mocha.Test;
      const attempt = (test as unknown as { currentRetry(): number }).currentRetry();
      // The cases before this one are recorded: their boards' events are let go, so a long run keeps one case's.
      for (const b of bench.boards) b.forgetEvents();
      const rec = new CaseRecorder(bench, caseOf(test).id ?? test.title, attempt);
      recorders.set(key(test), rec);
      const f = (fixtures = new CaseFixtures(bench.controls, bench.boards, (undone) => rec.record('cleanup', undone)));
      installCaseContext({
        bench: suiteBenchOf(bench, f.controls),
        record: (n, v) => rec.record(n, v),
        use: (b) => rec.used.add(b),
        noteHops: (n) => (rec.notedHops = Math.max(rec.notedHops, n)),
        sample: (n, t, v, u) => rec.sample(n, t, v, u),
        skip: (reason) => {
          rec.skipReason = reason;
          return test.skip() as never;
        },
        cleanup: (what, undo) => f.stack(what, undo),
      });
      await rec.start();
    },
    afterEach: async function (this: Mocha.Context) {
      this.timeout(harnessHookTimeoutMs);
      const test = this.currentTest as Mocha.Test & { currentRetry(): number; retries(): number; err?: unknown };
      installCaseContext(undefined);
      // Cut by its timeout, the case's code may still be asleep on the bench clock: wake it with an error.
      if (test.timedOut) await bench.clock.cancelSleeps(new Error(`${test.title}: the case timed out`));
      const retrying = test.state === undefined && !test.isPending();
      // The mesh as the case left it, then the rig as the case found it.
      if (!retrying && !test.isPending() && h.stop() === undefined) await snapshotMesh(test);
      const f = fixtures;
      fixtures = undefined;
      // A stopping run takes the whole bench down: nothing to undo.
      const cleanupErrors = f && h.stop() === undefined ? await f.unwind() : [];
      if (retrying && cleanupErrors.length > 0) {
        h.log.error({ case: test.title, errors: cleanupErrors.map((e) => e.message) }, 'case cleanup failed before a retry');
        h.emit('problem', `${test.title}: the harness could not undo what the attempt changed on the rig: ${cleanupErrors.map((e) => xmlSafe(e.message)).join('; ')}`);
      }
      if (test.state === 'passed') await finalize(test, { verdict: 'passed' }, cleanupErrors);
      else if (test.state === 'failed') {
        const e = errorText(test.err);
        await finalize(test, isAssertion(test.err) ? { verdict: 'failed', ...e } : { verdict: 'error', ...e }, cleanupErrors);
      } else if (test.isPending()) await finalize(test, { verdict: 'skipped', message: recorders.get(key(test))?.skipReason ?? 'skipped' }, cleanupErrors);
      else if (retrying) {
        // A failed attempt that mocha will retry: its evidence stays in its own directory.
        await recorders.get(key(test))?.finish();
      }
    },
  });

  return new Promise<boolean>((resolve) => {
    const runner = mocha.run(() => resolve(anyFailed));
    h.setRunner(runner);
    runner.on(Mocha.Runner.constants.EVENT_TEST_BEGIN, (test: Mocha.Test) => {
      state.current = test;
      // A retry begins the same case again: it is not counted twice.
      if ((test as unknown as { currentRetry(): number }).currentRetry() === 0) begun++;
      h.emit('caseBegin', test.title, suiteOf(test), { index: begun, total: h.total });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_RETRY, (test: Mocha.Test, err: unknown) => {
      const e = errorText(err);
      const list = attempts.get(key(test)) ?? [];
      list.push({ kind: isAssertion(err) ? 'failure' : 'error', ...e });
      attempts.set(key(test), list);
      h.emit('caseRetry', test.title, list.length, e.message);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test: Mocha.Test) => {
      // it.skip / xit never run hooks; this.skip() inside a case does (finalized in afterEach).
      if (!recorders.has(key(test))) void finalize(test, { verdict: 'skipped', message: 'skipped' });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Runnable, err: unknown) => {
      // A hook that failed because the run is stopping is no finding: its cases are reported as not run.
      if ((test as { type?: string }).type === 'hook' && !h.stop()) {
        // A hook failed: the cases it guarded did not run. Report it as an error case of its own.
        const outcome = unlessInterrupted({ verdict: 'error', ...errorText(err) });
        if (outcome.verdict === 'error') anyFailed = true;
        const suite = suiteOf(test);
        suite.cases.push({ name: test.title, classname: test.parent?.fullTitle() || suite.name, file: suite.file, time: (test.duration ?? 0) / 1000, outcome, attempts: [], properties: [], attachments: [] });
        h.writeReport();
        h.emit('problem', `${test.fullTitle()}: ${xmlSafe(String((err as Error)?.message))}`);
      }
    });
  });
}
