// The terminal reporter: one line per finished case, a summary at the end, the
// count and name of the case running, and while a long case runs a heartbeat
// saying what it waits for (a CI log that stays silent for 300 s looks hung). It
// only listens to run events. No colour when NO_COLOR is set, on dumb terminals or
// when output is not a terminal.
import { relative } from 'node:path';
import { runTotals, unhealthyOf } from '../report/model.ts';
import type { RunListener } from '../run/events.ts';

/** Properties that say what a case is (shown by list-cases and the report), not what it measured. */
const IDENTITY_PROPERTIES = new Set(['id', 'board', 'checks', 'needs', 'quarantined']);

export interface ProgressOptions {
  /** Seconds between heartbeat lines of a long case on a non-TTY (default 30). */
  heartbeatS?: number;
}

function clock(s: number): string {
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${Math.floor(s)}s`;
}

export function progressReporter(out: NodeJS.WriteStream = process.stdout, opts: ProgressOptions = {}): RunListener {
  const tty = out.isTTY === true && process.env.TERM !== 'dumb';
  const color = tty && !process.env.NO_COLOR;
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const mark = { passed: paint('32', '✓'), failed: paint('31', '✗'), error: paint('31', '!'), skipped: paint('33', '-') };
  const heartbeatS = opts.heartbeatS ?? 30;
  let runDir = '';
  let total = 0;
  let finished = 0;
  let waitingFor: () => string | undefined = () => undefined;
  let running: { title: string; since: number; index: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let statusShown = false;

  const clearStatus = () => {
    if (statusShown) out.write('\r\x1b[K');
    statusShown = false;
  };
  const write = (text: string) => {
    clearStatus();
    out.write(text);
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const beat = () => {
    if (!running) return;
    const elapsed = (performance.now() - running.since) / 1000;
    const waiting = waitingFor();
    const text = `[${running.index}/${total}] ${running.title.split(' ')[0]} ${clock(elapsed)}${waiting ? `, waiting for ${waiting}` : ''}`;
    if (tty) {
      out.write(`\r\x1b[K  ${paint('90', text.slice(0, Math.max(20, (out.columns ?? 100) - 3)))}`);
      statusShown = true;
    } else out.write(`  … ${text}\n`);
  };

  return {
    runBegin(run, info) {
      runDir = info.runDir;
      total = info.cases;
      if (info.waitingFor) waitingFor = info.waitingFor;
      out.write(`meshbench: rig ${info.rig}, seed ${info.seed}, ${info.cases} case(s)\n`);
      out.write(`  run directory ${relative(process.cwd(), info.runDir) || '.'}\n`);
    },
    suiteBegin(suite) {
      write(`\n${suite.name}\n`);
    },
    caseBegin(title, _suite, position) {
      stopTimer();
      running = { title, since: performance.now(), index: position?.index ?? finished + 1 };
      if (position) total = position.total;
      if (tty) {
        beat();
        timer = setInterval(beat, 1000);
      } else {
        out.write(`  [${running.index}/${total}] ${title}\n`);
        timer = setInterval(beat, heartbeatS * 1000);
      }
      timer.unref();
    },
    caseRetry(title, attempt, error) {
      write(`  ${paint('33', '↻')} ${title} (attempt ${attempt} failed: ${error.split('\n')[0]}; retrying)\n`);
    },
    caseEnd(tc) {
      stopTimer();
      running = undefined;
      finished++;
      const v = tc.outcome.verdict;
      const flaky = v === 'passed' && tc.attempts.length > 0 ? paint('33', ` (flaky: passed after ${tc.attempts.length} failed attempt(s))`) : '';
      const quarantined = tc.properties.find((p) => p.name === 'quarantined');
      const figures = tc.properties.filter((p) => !IDENTITY_PROPERTIES.has(p.name)).map((p) => `${p.name}=${p.value}`);
      write(`  ${mark[v]} ${tc.name} ${paint('90', `${tc.time.toFixed(1)}s`)}${flaky}${quarantined ? paint('35', ` (quarantined: ${quarantined.value})`) : ''}\n`);
      if (figures.length) out.write(`      ${paint('90', figures.join('  '))}\n`);
      if (v === 'failed' || v === 'error' || v === 'skipped') {
        const msg = 'message' in tc.outcome && tc.outcome.message ? tc.outcome.message : '';
        if (msg) out.write(`      ${paint(v === 'skipped' ? '33' : '31', msg.split('\n').join('\n      '))}\n`);
        if ('expected' in tc.outcome && tc.outcome.expected !== undefined) out.write(`      expected: ${tc.outcome.expected}\n      actual:   ${tc.outcome.actual ?? ''}\n`);
      }
    },
    problem(message) {
      write(`${paint('31', 'problem:')} ${message}\n`);
    },
    runEnd(run, result, info) {
      stopTimer();
      clearStatus();
      const t = runTotals(run);
      const passed = t.tests - t.failures - t.errors - t.skipped;
      out.write(`\n${passed} passed, ${t.failures + t.errors} failed, ${t.skipped} skipped${t.flaky ? `, ${t.flaky} flaky` : ''} (${(run.time ?? t.time).toFixed(1)} s) — ${result}\n`);
      for (const u of unhealthyOf(run.properties)) out.write(`${paint('31', `board ${u.board} unhealthy:`)} ${u.reason}\n`);
      const failed = info?.reportError;
      if (failed || result === 'report-failed') {
        // Pointing at files that were not written (or are stale) would send a reader to the wrong run.
        const why = failed ? `${failed.path}: ${failed.code ?? 'error'} (${failed.message})` : 'the write failed';
        const where = runDir ? `; what is in ${relative(process.cwd(), runDir) || '.'} is not this run's full report` : '';
        out.write(`${paint('31', 'report not written:')} ${why}${where}\n`);
      } else if (runDir) {
        const dir = relative(process.cwd(), runDir) || '.';
        out.write(`report: ${dir}/junit.xml, ${dir}/report.html, ${dir}/results.json\n`);
      }
    },
  };
}
