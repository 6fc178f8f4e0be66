// Lockstep bench time, end to end through the CLI: the same rig and seed give the
// same bytes. A case made to fail (a join bound the far board cannot meet) reports
// the command that reruns it; run at another --speed, that command gives the same
// capture, the same figures and the same verdict; and a case run after another gives
// the capture it gives when run alone.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, propertiesOf, type JUnitXml } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');

type Case = JUnitXml['testsuites']['testsuite'][number]['testcase'][number];

async function casesOf(out: string): Promise<Map<string, Case>> {
  const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as JUnitXml;
  return new Map(xml.testsuites.testsuite.flatMap((s) => s.testcase).map((c) => [c.$.name.split(' ')[0]!, c]));
}

/** What a case measured and concluded, without wall-clock facts. */
function verdictAndFigures(c: Case): { verdict: string; properties: Array<[string, string[]]> } {
  const verdict = c.failure ? 'failed' : c.error ? 'error' : c.skipped ? 'skipped' : 'passed';
  return { verdict, properties: [...propertiesOf(c)].filter(([name]) => name !== 'rerun') };
}

const pcap = (out: string, id: string) => readFileSync(join(out, 'cases', id, 'capture.pcap'));

describe('lockstep bench time (meshbench run)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshbench-lockstep-'));
    // The default rig with a join bound of 6 s: r3, three hops out, joins later than that.
    const rig = readFileSync(join(ROOT, 'rigs', 'sim-default.yaml'), 'utf8')
      .replace('joinWithinS: 120', 'joinWithinS: 6')
      .replaceAll('../fixtures/', `${join(ROOT, 'fixtures')}/`);
    writeFileSync(join(dir, 'tight.yaml'), rig);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a failing case carries its rerun command, which gives the same capture, figures and verdict at another speed', async () => {
    const first = join(dir, 'first');
    const r = await meshbench(['run', '--quiet', '--rig', join(dir, 'tight.yaml'), '--seed', '9', '--speed', 'max', '--grep', '/JOIN-ND-00[13]/', '--out', first], { cwd: ROOT });
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const cases = await casesOf(first);
    const failed = cases.get('JOIN-ND-003')!;
    expect(failed.failure ?? failed.error, 'JOIN-ND-003 fails on a 6 s join bound').to.not.equal(undefined);
    const rerun = propertiesOf(failed).get('rerun')?.[0];
    expect(rerun).to.equal(`meshbench run --rig ${join(dir, 'tight.yaml')} --seed 9 --grep JOIN-ND-003`);
    expect(propertiesOf(cases.get('JOIN-ND-001')!).has('rerun'), 'a passing case has no rerun command').to.equal(false);

    // The command as reported (no shell), at the rig's own speed this time.
    const again = join(dir, 'again');
    const argv = rerun!.split(' ').slice(1);
    const r2 = await meshbench([...argv, '--quiet', '--out', again], { cwd: ROOT });
    expect(r2.code, r2.stdout + r2.stderr).to.equal(1);
    const rerunCase = (await casesOf(again)).get('JOIN-ND-003')!;
    expect(verdictAndFigures(rerunCase)).to.deep.equal(verdictAndFigures(failed));
    expect(pcap(again, 'JOIN-ND-003').equals(pcap(first, 'JOIN-ND-003')), 'identical captures').to.equal(true);
    expect(pcap(first, 'JOIN-ND-003').length).to.be.greaterThan(1000);
  });

  it('two runs of a seed give byte-identical captures of every case', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const args = ['run', '--quiet', '--seed', '4', '--grep', '/JOIN-TH-00[12]|LIGHT-TH-001/'];
    const [ra, rb] = [await meshbench([...args, '--out', a], { cwd: ROOT }), await meshbench([...args, '--speed', 'max', '--out', b], { cwd: ROOT })];
    expect(ra.code, ra.stdout + ra.stderr).to.equal(0);
    expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
    const [ca, cb] = [await casesOf(a), await casesOf(b)];
    expect([...ca.keys()]).to.deep.equal(['JOIN-TH-001', 'JOIN-TH-002', 'LIGHT-TH-001']);
    for (const id of ca.keys()) {
      expect(verdictAndFigures(cb.get(id)!), id).to.deep.equal(verdictAndFigures(ca.get(id)!));
      expect(pcap(a, id).equals(pcap(b, id)), `${id}: identical captures`).to.equal(true);
    }
  });
});
