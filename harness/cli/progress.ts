// The terminal reporter: one line per finished case, a summary at the end.
// It only listens to run events. No colour when NO_COLOR is set, on dumb
// terminals or when output is not a terminal.
import { relative } from 'node:path';
import { runTotals } from '../report/model.ts';
import type { RunListener } from '../run/events.ts';

/** Properties that say what a case is (shown by list-cases and the report), not what it measured. */
const IDENTITY_PROPERTIES = new Set(['id', 'board', 'checks', 'needs']);

export function progressReporter(out: NodeJS.WriteStream = process.stdout): RunListener {
  const color = out.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const mark = { passed: paint('32', '✓'), failed: paint('31', '✗'), error: paint('31', '!'), skipped: paint('33', '-') };
  let runDir = '';
  return {
    runBegin(run, info) {
      runDir = info.runDir;
      out.write(`meshbench: rig ${info.rig}, seed ${info.seed}, ${info.cases} case(s)\n`);
      out.write(`  run directory ${relative(process.cwd(), info.runDir) || '.'}\n`);
    },
    suiteBegin(suite) {
      out.write(`\n${suite.name}\n`);
    },
    caseRetry(title, attempt, error) {
      out.write(`  ${paint('33', '↻')} ${title} (attempt ${attempt} failed: ${error.split('\n')[0]}; retrying)\n`);
    },
    caseEnd(tc) {
      const v = tc.outcome.verdict;
      const flaky = v === 'passed' && tc.attempts.length > 0 ? paint('33', ` (flaky: passed after ${tc.attempts.length} failed attempt(s))`) : '';
      const figures = tc.properties.filter((p) => !IDENTITY_PROPERTIES.has(p.name)).map((p) => `${p.name}=${p.value}`);
      out.write(`  ${mark[v]} ${tc.name} ${paint('90', `${tc.time.toFixed(1)}s`)}${flaky}\n`);
      if (figures.length) out.write(`      ${paint('90', figures.join('  '))}\n`);
      if (v === 'failed' || v === 'error' || v === 'skipped') {
        const msg = 'message' in tc.outcome && tc.outcome.message ? tc.outcome.message : '';
        if (msg) out.write(`      ${paint(v === 'skipped' ? '33' : '31', msg.split('\n').join('\n      '))}\n`);
        if ('expected' in tc.outcome && tc.outcome.expected !== undefined) out.write(`      expected: ${tc.outcome.expected}\n      actual:   ${tc.outcome.actual ?? ''}\n`);
      }
    },
    problem(message) {
      out.write(`${paint('31', 'problem:')} ${message}\n`);
    },
    runEnd(run, result) {
      const t = runTotals(run);
      const passed = t.tests - t.failures - t.errors - t.skipped;
      out.write(`\n${passed} passed, ${t.failures + t.errors} failed, ${t.skipped} skipped${t.flaky ? `, ${t.flaky} flaky` : ''} (${(run.time ?? t.time).toFixed(1)} s) — ${result}\n`);
      if (runDir) out.write(`report: ${relative(process.cwd(), runDir) || '.'}/junit.xml\n`);
    },
  };
}
