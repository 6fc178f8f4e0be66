// `meshbench run`: loads the rig, brings the bench up, runs the mocha suites
// programmatically against it, writes the report after every case, and always
// brings the bench down, also on failure, SIGINT and SIGTERM.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
import { interruptedOutcome, runProperties } from '../report/model.ts';
import { redactor } from '../report/sanitize.ts';
import { loadRig, type LoadedRig } from '../rig/load.ts';
import { declaredCases, installCaseContext } from '../suite-api/index.ts';
import { needsText } from './catalogue.ts';
import { CASE_ID_RE, CaseRecorder, rerunCommand, suiteBenchOf } from './case-context.ts';
import { EXIT_CODES, type RunListener, type RunResult } from './events.ts';
import { meshSnapshot } from './mesh-snapshot.ts';
import type { Quarantine } from './quarantine.ts';
import type { Shard } from './shard.ts';
import { keepShard, selectedTests } from './selection.ts';
import { suiteFilesOf } from './suite-files.ts';
import { TaskRunner } from './tasks.ts';

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
}

export interface RunOutcome {
  exitCode: number;
  result: RunResult;
  runDir: string;
  reportPath: string;
  run: Run;
}

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

function errorText(e: unknown): { message: string; type: string; details?: string; expected?: string; actual?: string } {
  const err = e as { message?: string; name?: string; stack?: string; expected?: unknown; actual?: unknown; showDiff?: boolean; constructor?: { name?: string } };
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  const out: { message: string; type: string; details?: string; expected?: string; actual?: string } = {
    message: err?.message ?? String(e),
    type: err?.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : (err?.name ?? 'Error'),
  };
  if (err?.stack) out.details = err.stack;
  if (err && 'expected' in err && err.expected !== undefined) out.expected = show(err.expected);
  if (err && 'actual' in err && err.actual !== undefined) out.actual = show(err.actual);
  return out;
}

/** A failed assertion is a failure; anything else thrown (timeouts of the rig, port errors) is an error. */
function isAssertion(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return name === 'AssertionError' || (e as { code?: string })?.code === 'ERR_BENCH_TIMEOUT';
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
  const runDir = resolve(opts.outDir ?? join(reportsRoot, runId));
  mkdirSync(runDir, { recursive: true });
  if (!opts.outDir) {
    rmSync(join(reportsRoot, 'latest'), { force: true });
    symlinkSync(runId, join(reportsRoot, 'latest'));
  }
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
  const writeReport = (result = 'running', finished = false) => {
    run.time = (performance.now() - started) / 1000;
    writeJUnit(reportPath, run, { redact: secrets, attachmentPaths: opts.absoluteAttachments ? 'absolute' : 'relative' });
    const r = results(result, finished);
    writeResults(resultsPath, r);
    history ??= historyBeside(runDir, opts.trend ?? 10, opts.historyDir).filter((h) => Date.parse(h.run.startedAt) < Date.parse(run.startedAt));
    writeHtml(join(runDir, REPORT_HTML), r, { history });
  };
  writeReport();
  log.info({ runId, rig: loaded.file, seed, runDir }, 'run started');

  // Suites: loaded before the bench so that "nothing selected" costs nothing.
  const files = suiteFilesOf(REPO_ROOT, opts);
  const caseTimeoutMs = opts.caseTimeoutMs ?? (rig.caseTimeoutS !== undefined ? rig.caseTimeoutS * 1000 : 300_000);
  const mocha = new Mocha({ timeout: caseTimeoutMs, retries: opts.retries ?? 0, reporter: NullReporter, forbidOnly: !!process.env.CI });
  if (opts.grep) mocha.grep(opts.grep);
  if (opts.grepInvert) mocha.invert();
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  if (opts.shard) keepShard(mocha, opts.shard, opts.durations);
  const selected = countSelected(mocha);
  if (selected === 0) {
    log.warn({ glob: opts.suiteGlob, grep: opts.grep }, 'no case selected');
    emit('runEnd', run, 'nothing-selected');
    return { exitCode: EXIT_CODES['nothing-selected'], result: 'nothing-selected', runDir, reportPath, run };
  }

  const tasks = new TaskRunner<{ bench?: Bench }>();
  const ctx: { bench?: Bench } = {};
  let interrupted = false;
  let interruptedBy: NodeJS.Signals | undefined;
  let mochaRunner: Mocha.Runner | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    interruptedBy = sig;
    log.warn({ signal: sig }, 'interrupted: tearing the bench down');
    emit('problem', `interrupted by ${sig}`);
    mochaRunner?.abort();
    // Bringing the bench down ends whatever a case waits for (ports close, the clock stops).
    void tasks.tearDown(ctx);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  tasks.add({
    title: 'bench',
    setup: async (c) => {
      c.bench = await bringUp(loaded, { runDir, seed, log, redact, speed: opts.speed, lab: opts.lab });
    },
    teardown: async (c) => {
      if (c.bench) await tearDownBench(c.bench);
      c.bench = undefined;
    },
  });

  let result: RunResult = 'passed';
  try {
    try {
      await tasks.setUp(ctx);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'bench not up');
      emit('problem', `bench not up: ${(e as Error).message}`);
      run.suites.push({
        name: 'bench',
        timestamp: new Date().toISOString(),
        properties: [],
        cases: [{ name: 'bench bring-up', classname: 'bench', time: 0, outcome: { verdict: 'error', ...errorText(e) }, attempts: [], properties: [], attachments: [] }],
      });
      result = interrupted ? 'interrupted' : 'bench-down';
      writeReport(result, true);
      return { exitCode: EXIT_CODES[result], result, runDir, reportPath, run };
    }
    const bench = ctx.bench!;
    run.properties = runProperties({
      rig: rig.name,
      seed,
      boards: bench.boards.map((b) => ({ id: b.id, firmwareKind: b.identity?.firmware ?? '?', firmwareVersion: b.identity?.version ?? '?' })),
    });
    run.properties.push({ name: 'rig.file', value: relative(REPO_ROOT, loaded.file) || loaded.file });
    emit('runBegin', run, { rig: rig.name, seed, runDir, cases: selected, waitingFor: () => bench.boards.map((b) => b.waitingFor).find((w) => w !== undefined) });
    writeReport();

    const failed = await runMocha(mocha, bench, run, {
      log,
      emit,
      writeReport: () => writeReport(),
      setRunner: (r) => (mochaRunner = r),
      runDir,
      interruptedBy: () => interruptedBy,
      total: selected,
      caseExtras,
      quarantine: opts.quarantine,
      failOnFlaky: opts.failOnFlaky === true,
    });
    if (interrupted) result = 'interrupted';
    else result = failed ? 'failed' : 'passed';
    const stats = await bench.sim?.control.call({ op: 'stats' }).catch(() => undefined);
    if (stats && typeof stats.maxLagUs === 'number') run.properties.push({ name: 'sim.lag_ms', value: (stats.maxLagUs / 1000).toFixed(1) });
  } finally {
    const errors = await tasks.tearDown(ctx);
    for (const e of errors) log.error({ err: e.message }, 'teardown');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writeReport(interrupted ? 'interrupted' : result, true);
  }
  emit('runEnd', run, result);
  log.info({ result }, 'run finished');
  return { exitCode: EXIT_CODES[result], result, runDir, reportPath, run };
}

function countSelected(mocha: Mocha): number {
  return selectedTests(mocha).length;
}

class NullReporter extends Mocha.reporters.Base {}

interface MochaHooks {
  log: Logger;
  emit: <K extends keyof RunListener>(k: K, ...args: Parameters<NonNullable<RunListener[K]>>) => void;
  writeReport: () => void;
  setRunner: (r: Mocha.Runner) => void;
  runDir: string;
  /** The signal that interrupted the run, once one has. */
  interruptedBy: () => NodeJS.Signals | undefined;
  /** Cases selected, for "N/M" progress. */
  total: number;
  /** Filled per case (by title): quarantine, mesh snapshot, series. */
  caseExtras: Map<string, CaseExtras>;
  quarantine?: Quarantine;
  failOnFlaky: boolean;
}

/** Runs the loaded mocha suites; returns whether any case failed. */
function runMocha(mocha: Mocha, bench: Bench, run: Run, h: MochaHooks): Promise<boolean> {
  const suitesByFile = new Map<string, Suite>();
  // Keyed by the case's full title: mocha clones a test for each retry.
  const key = (t: Mocha.Runnable) => `${t.file ?? ''}\u0000${t.fullTitle()}`;
  const attempts = new Map<string, Attempt[]>();
  const recorders = new Map<string, CaseRecorder>();
  const done = new Set<string>();
  let anyFailed = false;
  const suiteBench = suiteBenchOf(bench);
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

  // A case that was running when the run was interrupted did not fail: its bench was
  // taken down under it. It reached no verdict and is reported as interrupted.
  const unlessInterrupted = (outcome: TestCase['outcome']): TestCase['outcome'] => {
    const sig = h.interruptedBy();
    if (sig === undefined || (outcome.verdict !== 'failed' && outcome.verdict !== 'error')) return outcome;
    return interruptedOutcome(sig, outcome);
  };

  const finalize = async (test: Mocha.Test, given: TestCase['outcome']) => {
    if (done.has(key(test))) return;
    const outcome = unlessInterrupted(given);
    done.add(key(test));
    const rec = recorders.get(key(test));
    const attachments = rec ? await rec.finish() : [];
    const title = test.title;
    const id = CASE_ID_RE.exec(title)?.[1];
    const stack = id?.includes('-ND-') ? 'nd' : id?.includes('-TH-') ? 'thread' : undefined;
    const meta = declaredCases().find((c) => c.id === id);
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
      const test = this.currentTest as Mocha.Test;
      const attempt = (test as unknown as { currentRetry(): number }).currentRetry();
      const rec = new CaseRecorder(bench, test.title, attempt);
      recorders.set(key(test), rec);
      installCaseContext({ bench: suiteBench, record: (n, v) => rec.record(n, v), use: (b) => rec.used.add(b), noteHops: (n) => (rec.notedHops = Math.max(rec.notedHops, n)), sample: (n, t, v, u) => rec.sample(n, t, v, u) });
      await rec.start();
    },
    afterEach: async function (this: Mocha.Context) {
      const test = this.currentTest as Mocha.Test & { currentRetry(): number; retries(): number; err?: unknown };
      installCaseContext(undefined);
      const retrying = test.state === undefined && !test.isPending();
      if (!retrying && !test.isPending() && h.interruptedBy() === undefined) await snapshotMesh(test);
      if (test.state === 'passed') await finalize(test, { verdict: 'passed' });
      else if (test.state === 'failed') {
        const e = errorText(test.err);
        await finalize(test, isAssertion(test.err) ? { verdict: 'failed', ...e } : { verdict: 'error', ...e });
      } else if (test.isPending()) await finalize(test, { verdict: 'skipped', message: skipReason(test) });
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
      if (!recorders.has(key(test))) void finalize(test, { verdict: 'skipped', message: skipReason(test) });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Runnable, err: unknown) => {
      if ((test as { type?: string }).type === 'hook') {
        // A hook failed: the cases it guarded did not run. Report it as an error case of its own.
        const outcome = unlessInterrupted({ verdict: 'error', ...errorText(err) });
        if (outcome.verdict === 'error') anyFailed = true;
        const suite = suiteOf(test);
        suite.cases.push({ name: test.title, classname: test.parent?.fullTitle() || suite.name, file: suite.file, time: (test.duration ?? 0) / 1000, outcome, attempts: [], properties: [], attachments: [] });
        h.writeReport();
        h.emit('problem', `${test.fullTitle()}: ${(err as Error)?.message}`);
      }
    });
  });
}

/** The reason a case gave with `this.skip()` is kept on the test by suites (see suite-api `skip`). */
function skipReason(test: Mocha.Test): string {
  return (test as unknown as { skipReason?: string }).skipReason ?? 'skipped';
}
