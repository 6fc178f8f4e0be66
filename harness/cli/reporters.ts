// The reporters `run --reporter` chooses from (several at once): `progress` (the
// default, progress.ts), `dot` (one character per case), `json` (one JSON object
// per event, on stdout or into a file: `json=events.ndjson`) and `github`
// (workflow-command annotations for failed and flaky cases, and a step summary in
// $GITHUB_STEP_SUMMARY). Each only listens to run events.
import { appendFileSync, writeFileSync } from 'node:fs';
import { figuresOf } from '../report/figures.ts';
import type { Run, TestCase } from '../report/model.ts';
import { runTotals } from '../report/model.ts';
import type { RunListener } from '../run/events.ts';
import { progressReporter } from './progress.ts';

export const REPORTER_NAMES = ['progress', 'dot', 'json', 'github'] as const;

export class ReporterError extends Error {}

export function dotReporter(out: NodeJS.WritableStream = process.stdout): RunListener {
  let column = 0;
  const failures: string[] = [];
  return {
    runBegin(_run, info) {
      out.write(`meshbench: rig ${info.rig}, seed ${info.seed}, ${info.cases} case(s)\n`);
    },
    caseEnd(tc) {
      const v = tc.outcome.verdict;
      const quarantined = tc.properties.some((p) => p.name === 'quarantined');
      const ch = v === 'passed' ? (tc.attempts.length ? '!' : '.') : v === 'skipped' ? 's' : quarantined ? 'q' : v === 'failed' ? 'F' : 'E';
      out.write(ch);
      if (++column % 60 === 0) out.write('\n');
      if (v === 'failed' || v === 'error') failures.push(`${tc.name}: ${'message' in tc.outcome ? (tc.outcome.message ?? '') : ''}`);
    },
    problem(message) {
      out.write(`\nproblem: ${message}\n`);
    },
    runEnd(run, result) {
      const t = runTotals(run);
      out.write(`${column % 60 ? '\n' : ''}`);
      for (const f of failures) out.write(`  ✗ ${f.split('\n')[0]}\n`);
      out.write(`${t.tests - t.failures - t.errors - t.skipped} passed, ${t.failures + t.errors} failed, ${t.skipped} skipped${t.flaky ? `, ${t.flaky} flaky` : ''} — ${result}\n`);
    },
  };
}

/** One JSON object per line per event; `caseEnd` carries the verdict and figures with units. */
export function jsonReporter(write: (line: string) => void): RunListener {
  const emit = (o: Record<string, unknown>) => write(`${JSON.stringify({ ...o, at: new Date().toISOString() })}\n`);
  return {
    runBegin(run, info) {
      emit({ event: 'runBegin', runId: run.runId, rig: info.rig, seed: info.seed, runDir: info.runDir, cases: info.cases });
    },
    caseBegin(title, suite, position) {
      emit({ event: 'caseBegin', name: title, suite: suite.name, ...(position ?? {}) });
    },
    caseRetry(title, attempt, error) {
      emit({ event: 'caseRetry', name: title, attempt, error });
    },
    caseEnd(tc, suite) {
      const o = tc.outcome;
      emit({
        event: 'caseEnd',
        id: tc.properties.find((p) => p.name === 'id')?.value,
        name: tc.name,
        suite: suite.name,
        verdict: o.verdict,
        flaky: o.verdict === 'passed' && tc.attempts.length > 0,
        quarantined: tc.properties.some((p) => p.name === 'quarantined'),
        time: tc.time,
        ...('message' in o && o.message !== undefined ? { message: o.message } : {}),
        figures: figuresOf(tc.properties),
      });
    },
    problem(message) {
      emit({ event: 'problem', message });
    },
    runEnd(run, result) {
      emit({ event: 'runEnd', result, totals: runTotals(run) });
    },
  };
}

/** GitHub workflow commands: data escapes %, CR, LF; properties also : and ,. */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function failureText(tc: TestCase): string {
  const o = tc.outcome;
  if (o.verdict === 'passed') return '';
  const lines = [o.message ?? o.verdict];
  if ('expected' in o && o.expected !== undefined) lines.push(`expected: ${o.expected}`, `actual:   ${o.actual ?? ''}`);
  return lines.join('\n');
}

export function githubReporter(out: NodeJS.WritableStream = process.stdout, summaryFile = process.env.GITHUB_STEP_SUMMARY): RunListener {
  const rows: string[] = [];
  return {
    caseEnd(tc) {
      const v = tc.outcome.verdict;
      const file = tc.file ? `file=${ghProp(tc.file)},` : '';
      const quarantined = tc.properties.find((p) => p.name === 'quarantined');
      if (v === 'failed' || v === 'error') {
        const level = quarantined ? 'warning' : 'error';
        out.write(`::${level} ${file}title=${ghProp(`${tc.name.split(' ')[0]} ${v}${quarantined ? ' (quarantined)' : ''}`)}::${ghData(`${tc.name}\n${failureText(tc)}`)}\n`);
        rows.push(`| ${v === 'failed' ? '❌' : '💥'} | ${tc.name.replace(/\|/g, '\\|')} | ${(failureText(tc).split('\n')[0] ?? '').replace(/\|/g, '\\|')}${quarantined ? ' (quarantined)' : ''} |`);
      } else if (v === 'passed' && tc.attempts.length > 0) {
        out.write(`::warning ${file}title=${ghProp(`${tc.name.split(' ')[0]} flaky`)}::${ghData(`${tc.name} passed only after ${tc.attempts.length} failed attempt(s): ${tc.attempts[0]?.message ?? ''}`)}\n`);
        rows.push(`| ⚠️ flaky | ${tc.name.replace(/\|/g, '\\|')} | ${(tc.attempts[0]?.message ?? '').split('\n')[0]!.replace(/\|/g, '\\|')} |`);
      }
    },
    problem(message) {
      out.write(`::error title=meshbench::${ghData(message)}\n`);
    },
    runEnd(run: Run, result) {
      if (!summaryFile) return;
      const t = runTotals(run);
      const rig = run.properties.find((p) => p.name === 'rig')?.value ?? '?';
      const md = [
        `### meshbench ${rig}: ${result}`,
        '',
        '| passed | failed | skipped | flaky | wall time |',
        '|---:|---:|---:|---:|---:|',
        `| ${t.tests - t.failures - t.errors - t.skipped} | ${t.failures + t.errors} | ${t.skipped} | ${t.flaky} | ${(run.time ?? t.time).toFixed(1)} s |`,
        '',
        ...(rows.length ? ['| | case | why |', '|---|---|---|', ...rows, ''] : []),
      ].join('\n');
      appendFileSync(summaryFile, `${md}\n`);
    },
  };
}

/** The listeners for `--reporter` values; `json=FILE` writes the events to FILE. */
export function reportersFor(names: readonly string[], out: NodeJS.WriteStream = process.stdout): RunListener[] {
  const chosen = names.flatMap((n) => n.split(',')).map((n) => n.trim()).filter((n) => n !== '');
  const onStdout = chosen.filter((n) => n === 'progress' || n === 'dot' || n === 'json');
  if (onStdout.length > 1) throw new ReporterError(`--reporter: ${onStdout.join(' and ')} would both write to stdout; keep one, or send json to a file (json=FILE)`);
  if (chosen.includes('json') && chosen.includes('github')) throw new ReporterError('--reporter: github annotations would break json lines on stdout; send json to a file (json=FILE)');
  return chosen.map((n) => {
    // MESHBENCH_HEARTBEAT_S: seconds between heartbeat lines of a long case on a non-TTY (default 30).
    if (n === 'progress') return progressReporter(out, { heartbeatS: Number(process.env.MESHBENCH_HEARTBEAT_S) > 0 ? Number(process.env.MESHBENCH_HEARTBEAT_S) : 30 });
    if (n === 'dot') return dotReporter(out);
    if (n === 'github') return githubReporter(out);
    if (n === 'json') return jsonReporter((l) => out.write(l));
    const file = /^json=(.+)$/.exec(n)?.[1];
    if (file) {
      writeFileSync(file, '');
      return jsonReporter((l) => appendFileSync(file, l));
    }
    throw new ReporterError(`--reporter: unknown reporter '${n}' (choose from ${REPORTER_NAMES.join(', ')}, json=FILE)`);
  });
}
