// The run reporters, fed the run events a real run emits: dot, github (workflow
// commands and the step summary) and the choice of several at once.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { progressReporter } from '../../../harness/cli/progress.ts';
import { dotReporter, githubReporter, reportersFor, ReporterError } from '../../../harness/cli/reporters.ts';
import type { Run, TestCase } from '../../../harness/report/model.ts';
import { sampleRun, tempDir } from './sample.ts';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

function replay(run: Run, listener: ReturnType<typeof dotReporter>): void {
  listener.runBegin?.(run, { rig: 'sim-3-boards', seed: 42, runDir: '/tmp/x', cases: run.suites.flatMap((s) => s.cases).length });
  for (const s of run.suites) for (const c of s.cases) listener.caseEnd?.(c, s, run);
  listener.runEnd?.(run, 'failed');
}

describe('reporters', () => {
  const run = sampleRun(tempDir());
  const cases: TestCase[] = run.suites.flatMap((s) => s.cases);

  it('dot: one character per case, then the failures and the totals', () => {
    const out = sink();
    replay(run, dotReporter(out.stream));
    const marks = cases.map((c) => (c.outcome.verdict === 'passed' ? (c.attempts.length ? '!' : '.') : c.outcome.verdict === 'skipped' ? 's' : c.outcome.verdict === 'failed' ? 'F' : 'E')).join('');
    expect(out.text().split('\n')[1]).to.equal(marks);
    expect(out.text()).to.match(/ failed, \d+ skipped.* — failed\n$/);
  });

  it('github: an ::error annotation per failed case with its file and the escaped message, ::warning for a flaky one, and a step summary', () => {
    const out = sink();
    const summary = join(tempDir(), 'summary.md');
    replay(run, githubReporter(out.stream, summary));
    const lines = out.text().trim().split('\n');
    const failed = cases.filter((c) => c.outcome.verdict === 'failed' || c.outcome.verdict === 'error');
    expect(lines.filter((l) => l.startsWith('::error ')).length).to.equal(failed.length);
    for (const l of lines) expect(l, 'one line per annotation').to.match(/^::(error|warning) (file=[^,]+,)?title=[^:]+::/);
    expect(lines.some((l) => l.includes('%0A')), 'multi-line messages escaped').to.equal(true);
    expect(lines.filter((l) => l.startsWith('::warning ')).length).to.equal(cases.filter((c) => c.outcome.verdict === 'passed' && c.attempts.length).length);
    const md = readFileSync(summary, 'utf8');
    expect(md).to.match(/^### meshbench sim-3-boards: failed$/m);
    expect(md).to.include('| passed | failed | skipped | flaky | wall time |');
  });

  it('progress: names the report files when they were written, and says the report was not written (path, errno) when it was not', () => {
    const good = sink();
    const progress = (s: PassThrough) => progressReporter(s as unknown as NodeJS.WriteStream);
    replay(run, progress(good.stream));
    expect(good.text()).to.match(/^report: \S*junit\.xml, \S*report\.html, \S*results\.json$/m);

    const bad = sink();
    const listener = progress(bad.stream);
    listener.runBegin?.(run, { rig: 'sim-3-boards', seed: 42, runDir: '/tmp/x', cases: 1 });
    listener.runEnd?.(run, 'report-failed', { reportError: { path: '/tmp/x/junit.xml', code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' } });
    expect(bad.text()).to.not.match(/^report: /m);
    expect(bad.text()).to.match(/ — report-failed\nreport not written: \/tmp\/x\/junit\.xml: ENOSPC \(ENOSPC: no space left on device, write\); what is in \S+ is not this run's full report\n$/);
  });

  it('several at once, but never two on stdout', () => {
    expect(reportersFor(['progress', 'github'])).to.have.length(2);
    expect(reportersFor(['dot,github'])).to.have.length(2);
    expect(() => reportersFor(['progress', 'dot'])).to.throw(ReporterError, /both write to stdout/);
    expect(() => reportersFor(['json', 'github'])).to.throw(ReporterError, /json=FILE/);
    expect(() => reportersFor(['tap'])).to.throw(ReporterError, /unknown reporter 'tap'/);
  });
});
