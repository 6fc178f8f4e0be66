import { expect } from 'chai';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkJUnit } from '../../../harness/report/check.ts';
import { writeJUnit } from '../../../harness/report/junit.ts';
import { mergeJUnitFiles, mergeRuns, parseJUnit, readJUnit, splitProblemBody } from '../../../harness/report/merge.ts';
import type { Run, Suite, TestCase } from '../../../harness/report/model.ts';
import { runTotals } from '../../../harness/report/model.ts';
import { haveXmllint, sampleRun, tempDir, xmllint } from './sample.ts';

function only(run: Run, suite: Suite, pick: (c: TestCase) => boolean): Run {
  return { ...run, suites: [{ ...suite, cases: suite.cases.filter(pick) }] };
}

describe('report: reading back and merging shards', function () {
  let xmllintReason: string | undefined;

  before(async function () {
    this.timeout(300_000);
    const r = await haveXmllint();
    if (!r.ok) xmllintReason = r.reason;
  });

  describe('merge of two shard reports', function () {
    let root: string;
    let merged: Run;
    let out: string;

    before(async function () {
      root = tempDir();
      const artifacts = join(root, 'artifacts');
      const full = sampleRun(artifacts);
      const join0 = full.suites[0]!;
      // Shard 1 ran JOIN-001..003 and a `soak` suite; shard 2 the rest of `join`.
      const shard1 = only(full, join0, (c) => /JOIN-00[123]/.test(c.name));
      shard1.suites.push({
        name: 'soak', timestamp: '2024-05-01T10:05:00.000Z', properties: [],
        cases: [{ name: 'SOAK-001 one hour of traffic', classname: 'suites.soak', time: 3600, outcome: { verdict: 'passed' }, attempts: [], properties: [], attachments: [] }],
      });
      shard1.time = 3700;
      const shard2 = only(full, join0, (c) => /JOIN-00[456]/.test(c.name));
      shard2.hostname = 'lab-runner-2';
      shard2.startedAt = '2024-05-01T09:59:00.000Z';
      shard2.suites[0]!.timestamp = '2024-05-01T09:59:30.000Z';
      shard2.properties = [
        ...shard2.properties.filter((p) => p.name !== 'board'),
        { name: 'board', value: 'C meshbench-agent 0.1.0' },
      ];
      shard2.time = 20;
      for (const [i, shard] of [shard1, shard2].entries()) {
        mkdirSync(join(root, `shard${i + 1}`));
        writeJUnit(join(root, `shard${i + 1}`, 'junit.xml'), shard);
      }
      out = join(root, 'merged', 'junit.xml');
      mkdirSync(join(root, 'merged'));
      await mergeJUnitFiles([join(root, 'shard1', 'junit.xml'), join(root, 'shard2', 'junit.xml')], out);
      merged = await readJUnit(out);
    });

    it('joins suites of the same name and keeps the others', function () {
      expect(merged.suites.map((s) => s.name)).to.deep.equal(['join', 'soak']);
      expect(merged.suites[0]!.cases.map((c) => c.name.slice(0, 8))).to.deep.equal([
        'JOIN-001', 'JOIN-002', 'JOIN-003', 'JOIN-004', 'JOIN-005', 'JOIN-006',
      ]);
    });

    it('recomputes totals from the cases', function () {
      const xml = readFileSync(out, 'utf8');
      expect(xml).to.match(/<testsuites [^>]*tests="7" failures="2" errors="1"/);
      expect(xml).to.match(/<testsuite name="join" tests="6" failures="2" errors="1" skipped="1"/);
      expect(runTotals(merged)).to.include({ tests: 7, failures: 2, errors: 1, skipped: 1, flaky: 1 });
    });

    it('unites run properties, each distinct pair once', function () {
      expect(merged.runId).to.equal('run-7f3a');
      expect(merged.properties.filter((p) => p.name === 'board').map((p) => p.value)).to.deep.equal([
        'A meshbench-agent 0.1.0', 'B meshbench-agent 0.1.0', 'C meshbench-agent 0.1.0',
      ]);
      expect(merged.properties.filter((p) => p.name === 'rig')).to.have.length(1);
    });

    it('takes the earliest start and the longest shard as the run time', function () {
      expect(merged.startedAt).to.equal('2024-05-01T09:59:00.000Z');
      expect(merged.suites[0]!.timestamp).to.equal('2024-05-01T09:59:30.000Z');
      expect(merged.time).to.equal(3700);
    });

    it('records which hosts ran a suite', function () {
      const xml = readFileSync(out, 'utf8');
      expect(xml).to.match(/<testsuite name="join" [^>]* hostname="lab-runner-1,lab-runner-2"/);
      expect(xml).to.match(/<testsuite name="soak" [^>]* hostname="lab-runner-1"/);
    });

    it('re-bases attachment paths on the merged report', function () {
      const artifacts = join(root, 'artifacts');
      expect(merged.suites[0]!.cases[0]!.attachments).to.deep.equal([
        join(artifacts, 'serial', 'A.log'), join(artifacts, 'capture.pcap'),
      ]);
      expect(readFileSync(out, 'utf8')).to.contain('[[ATTACHMENT|../artifacts/serial/A.log]]');
    });

    it('keeps flaky and rerun attempts', function () {
      const cases = merged.suites[0]!.cases;
      expect(cases[4]!.attempts.map((a) => a.kind)).to.deep.equal(['failure']);
      expect(cases[5]!.attempts.map((a) => a.kind)).to.deep.equal(['failure', 'error']);
    });

    it('is valid by the structural check and by xmllint', async function () {
      expect(await checkJUnit(readFileSync(out, 'utf8'))).to.deep.equal([]);
      if (xmllintReason !== undefined) this.skip();
      expect(await xmllint(out)).to.equal('');
    });
  });

  it('a case found in two shards is kept once, with the worse verdict', function () {
    const a = sampleRun('/tmp/x');
    const b = sampleRun('/tmp/x');
    const s = b.suites[0]!;
    s.cases[0]!.outcome = { verdict: 'error', message: 'board A: no banner' };
    const merged = mergeRuns([a, b]);
    expect(merged.suites[0]!.cases).to.have.length(6);
    expect(merged.suites[0]!.cases[0]!.outcome.verdict).to.equal('error');
  });

  describe('failure bodies', function () {
    it('split into details, expected and actual', function () {
      expect(splitProblemBody('trace\n  at x\n\nexpected:\n    {\n      "a": 1\n    }\nactual:\n    {}')).to.deep.equal({
        details: 'trace\n  at x',
        expected: '{\n  "a": 1\n}',
        actual: '{}',
      });
    });

    it('without the expected/actual block are all details', function () {
      expect(splitProblemBody('expected: 1\nactual: 2')).to.deep.equal({ details: 'expected: 1\nactual: 2' });
    });
  });
});

describe('report: reading a report of the earlier shape', function () {
  it('takes run facts from testsuites properties and the start from testsuites@timestamp', async function () {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<testsuites name="meshbench" tests="1" failures="0" errors="0" skipped="0" time="1.000" timestamp="2024-05-01T10:00:00">' +
      '<properties><property name="run.id" value="r-1"/><property name="rig" value="sim-two"/></properties>' +
      '<testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="1.000" timestamp="2024-05-01T10:00:05" hostname="h" file="suites/s.spec.ts">' +
      '<properties><property name="spec" value="x"/></properties>' +
      '<testcase classname="s" name="A-001 a" time="1.000" file="suites/s.spec.ts"/></testsuite></testsuites>\n';
    const run = await parseJUnit(xml);
    expect(run.runId).to.equal('r-1');
    expect(run.startedAt).to.equal('2024-05-01T10:00:00.000Z');
    expect(run.properties).to.deep.equal([{ name: 'rig', value: 'sim-two' }]);
    expect(run.suites[0]!.properties).to.deep.equal([{ name: 'spec', value: 'x' }]);
    expect(run.suites[0]!.cases[0]!.file).to.equal('suites/s.spec.ts');
  });
});

describe('report: reading a Surefire rerun report (SUREFIRE-1087 shape)', function () {
  const file = join(import.meta.dirname, '../../../fixtures/junit/surefire-rerun.xml');

  it('reads a lone testsuite root with flaky and rerun attempts', async function () {
    const run = await readJUnit(file);
    const cases = run.suites[0]!.cases;
    expect(run.suites[0]!.properties).to.deep.equal([{ name: 'java.version', value: '17' }]);
    expect(cases.map((c) => c.outcome.verdict)).to.deep.equal(['passed', 'passed', 'failed']);
    expect(cases[1]!.attempts).to.deep.equal([
      {
        kind: 'failure',
        message: 'timeout waiting for ACK',
        type: 'java.lang.AssertionError',
        details: 'java.lang.AssertionError: timeout waiting for ACK\n\tat org.example.RadioTest.joinsNetwork(RadioTest.java:21)',
        systemOut: 'first attempt output',
      },
    ]);
    expect(cases[2]!.attempts).to.deep.equal([
      { kind: 'failure', message: 'expected:<false> but was:<true>', type: 'java.lang.AssertionError', details: 'java.lang.AssertionError: rerun 1' },
    ]);
    expect(runTotals(run)).to.include({ tests: 3, failures: 1, flaky: 1 });
  });

  it('is accepted by our schema', async function () {
    this.timeout(300_000);
    const r = await haveXmllint();
    if (!r.ok) this.skip();
    expect(await xmllint(file)).to.equal('');
  });
});
