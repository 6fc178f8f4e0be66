// The suite machinery through the real CLI on a fixture rig: cases the rig
// cannot serve are skipped with the reason, a case that passes on a retry is
// one testcase with flakyFailure, evidence is attached, and list-cases says
// which cases a rig can serve.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, propertiesOf, type JUnitXml } from '../support/cli.ts';
import { haveXmllint, xmllint } from '../unit/report/sample.ts';

const RIG = 'fixtures/rigs/sim-two.yaml';
const SUITE = 'fixtures/suites/machinery.spec.ts';

describe('suite machinery (through the CLI)', function () {
  this.timeout(120_000);
  let out: string;
  beforeEach(() => (out = mkdtempSync(join(tmpdir(), 'meshbench-machinery-'))));
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  type PropertyList = Array<{ property: Array<{ $: { name: string; value: string } }> }>;
  type Report = JUnitXml & { testsuites: { testsuite: Array<{ properties?: PropertyList }> } };
  async function run(extra: string[] = []): Promise<{ code: number | null; cases: JUnitXml['testsuites']['testsuite'][number]['testcase']; xml: Report }> {
    const r = await meshbench(['run', '--rig', RIG, '--suite', SUITE, '--out', out, ...extra]);
    const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as Report;
    return { code: r.code, cases: xml.testsuites.testsuite.flatMap((s) => s.testcase), xml };
  }
  const byId = (cases: Awaited<ReturnType<typeof run>>['cases'], id: string) => cases.find((c) => c.$.name.startsWith(id))!;

  it('skips what the rig cannot serve with the reason, reports a retried pass as flaky, attaches evidence', async () => {
    const { code, cases, xml } = await run(['--retries', '1']);
    expect(code, 'every served case passed (one on its retry)').to.equal(0);
    expect(cases.map((c) => c.$.name.split(' ')[0])).to.deep.equal(['JOIN-ND-901', 'JOIN-TH-901', 'JOIN-ND-902', 'JOIN-ND-903']);

    const flaky = byId(cases, 'JOIN-ND-901');
    expect(flaky.failure, 'a pass on retry is not a failure').to.equal(undefined);
    expect(flaky.flakyFailure, 'the failed first attempt').to.have.length(1);
    expect(JSON.stringify(flaky.flakyFailure)).to.contain('attempt number');

    expect(byId(cases, 'JOIN-TH-901').skipped![0]!.$?.message).to.equal("needs thread boards, rig 'sim-two' has none");
    expect(byId(cases, 'JOIN-ND-902').skipped![0]!.$?.message).to.equal("needs 9 nd boards, rig 'sim-two' has 2");

    const ev = byId(cases, 'JOIN-ND-903');
    const props = propertiesOf(ev);
    expect(props.get('id')).to.deep.equal(['JOIN-ND-903']);
    expect(props.get('stack')).to.deep.equal(['nd']);
    expect(props.get('hops'), 'no datagram travelled').to.deep.equal(['0']);
    expect(props.get('checks')).to.deep.equal(['attachments']);
    expect(props.get('board')![0]).to.match(/^br meshbench-sim \d+\.\d+\.\d+$/);
    const attachments = [...(ev['system-out']?.[0] ?? '').matchAll(/\[\[ATTACHMENT\|([^\]]+)\]\]/g)].map((m) => m[1]!);
    expect(attachments.some((a) => a.endsWith('capture.pcap')), attachments.join(', ')).to.equal(true);
    expect(attachments.some((a) => a.endsWith('serial-br.log')), attachments.join(', ')).to.equal(true);
    for (const a of attachments) {
      expect(isAbsolute(a), `${a} is relative to the report`).to.equal(false);
      expect(existsSync(join(out, a)), a).to.equal(true);
    }
    expect(readFileSync(join(out, attachments.find((a) => a.endsWith('serial-br.log'))!), 'utf8')).to.contain('mesh.status');

    // The run's facts are in every testsuite (junit-10 allows no properties on testsuites).
    for (const s of xml.testsuites.testsuite) {
      const runFacts = new Map((s.properties?.[0]?.property ?? []).map((p) => [p.$.name, p.$.value]));
      expect(runFacts.get('rig')).to.equal('sim-two');
      expect(runFacts.get('rig.file')).to.equal(RIG);
      expect(runFacts.has('run.id') && runFacts.has('seed')).to.equal(true);
    }
    const lint = await haveXmllint();
    if (lint.ok) expect(await xmllint(join(out, 'junit.xml')), 'valid against fixtures/junit/junit-10.xsd').to.equal('');
  });

  it('writes absolute attachment paths with --absolute-attachments', async () => {
    const { cases } = await run(['--retries', '1', '--grep', 'JOIN-ND-903', '--absolute-attachments']);
    const attachments = [...(byId(cases, 'JOIN-ND-903')['system-out']?.[0] ?? '').matchAll(/\[\[ATTACHMENT\|([^\]]+)\]\]/g)].map((m) => m[1]!);
    expect(attachments.length).to.be.greaterThan(0);
    for (const a of attachments) expect(isAbsolute(a), a).to.equal(true);
  });

  it('without retries the flaky case fails (exit 1)', async () => {
    const { code, cases } = await run(['--grep', 'JOIN-ND-901']);
    expect(code).to.equal(1);
    expect(byId(cases, 'JOIN-ND-901').failure).to.have.length(1);
  });

  it('undoes what a failed case changed on the rig, so the next case finds the rig as the topology and network config say', async () => {
    const r = await meshbench(['run', '--rig', RIG, '--suite', 'fixtures/suites/cleanup.spec.ts', '--out', out]);
    expect(r.code, 'the first case fails on purpose').to.equal(1);
    const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as Report;
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(byId(cases, 'JOIN-ND-904').failure, 'the case that pulled the controls').to.have.length(1);
    // Newest first: the suite's own undo, the controls in reverse, then the standing fixtures.
    expect(propertiesOf(byId(cases, 'JOIN-ND-904')).get('cleanup')).to.deep.equal([
      "the suite's own undo",
      'channel 12 unjammed',
      'r1 back on the air',
      'the link br~r1 back to its topology',
      'r1 powered on',
      'br reset: it was configured away from the network config',
    ]);
    const next = byId(cases, 'JOIN-ND-905');
    expect(next.failure ?? next.error, JSON.stringify(next.failure ?? next.error)).to.equal(undefined);
    expect(next.skipped).to.equal(undefined);
  });

  it('list-cases shows every declared case and whether the rig can serve it', async () => {
    const r = await meshbench(['list-cases', '--rig', RIG, '--suite', SUITE]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ID\s+STACK\s+NEEDS\s+RIG CAN SERVE\s+PURPOSE$/);
    expect(lines.find((l) => l.startsWith('JOIN-ND-903'))).to.match(/\byes\b/);
    expect(lines.find((l) => l.startsWith('JOIN-TH-901'))).to.contain("no: needs thread boards, rig 'sim-two' has none");
    const json = JSON.parse((await meshbench(['list-cases', '--suite', SUITE, '--json'])).stdout) as Array<{ id: string; checks: string }>;
    expect(json.map((c) => c.id)).to.deep.equal(['JOIN-ND-901', 'JOIN-TH-901', 'JOIN-ND-902', 'JOIN-ND-903']);
  });
});
