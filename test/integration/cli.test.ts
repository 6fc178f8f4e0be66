// The real CLI, spawned on fixture rigs and suites: exit codes, the JUnit it
// writes, and what an interruption leaves behind.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, type JUnitXml as Xml } from '../support/cli.ts';
import { haveXmllint, xmllint } from '../unit/report/sample.ts';

type PropertyList = Array<{ property: Array<{ $: { name: string; value: string } }> }>;
/** A report whose testsuites carry properties (the run's facts among them). */
type SuiteProps = Xml & { testsuites: { testsuite: Array<{ properties?: PropertyList }> } };

function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('meshbench CLI', function () {
  this.timeout(120_000);
  let out: string;
  beforeEach(() => (out = mkdtempSync(join(tmpdir(), 'meshbench-cli-'))));
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0 on the default rig and writes a junit-10-valid report, with run properties in its testsuite', async function () {
    const r = await meshbench(['run', '--out', out, '--grep', 'JOIN-ND-001']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const report = join(out, 'junit.xml');
    const xml = (await parseStringPromise(readFileSync(report, 'utf8'))) as SuiteProps;
    expect(xml.testsuites.$.tests).to.equal('1');
    expect(xml.testsuites.$.failures).to.equal('0');
    expect(xml.testsuites, 'junit-10 has no properties under testsuites').not.to.have.property('properties');
    const props = xml.testsuites.testsuite[0]!.properties![0]!.property.map((p) => `${p.$.name}=${p.$.value}`);
    expect(props).to.include('rig=sim-default');
    expect(props.some((p) => p.startsWith('run.id='))).to.equal(true);
    expect(props.some((p) => p.startsWith('seed='))).to.equal(true);
    expect(props.some((p) => /^board=br meshbench-sim \d/.test(p))).to.equal(true);
    const tc = xml.testsuites.testsuite[0]!.testcase[0]!;
    expect(tc.$.name).to.match(/^JOIN-ND-001 /);
    expect(tc.properties![0]!.property.map((p) => p.$.name)).to.include('id');
    expect(existsSync(join(out, 'serial', 'br.log'))).to.equal(true);
    const lint = await haveXmllint();
    if (!lint.ok) {
      this.test!.title += ` (xmllint part skipped: ${lint.reason})`;
      return;
    }
    expect(await xmllint(report)).to.equal('');
  });

  it('exits 1 when a case fails, and reports failure, pass and skip with reasons', async () => {
    const r = await meshbench(['run', '--rig', 'fixtures/rigs/sim-two.yaml', '--suite', 'fixtures/suites/verdicts.spec.ts', '--out', out]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as Xml;
    const suite = xml.testsuites.testsuite[0]!;
    expect(suite.$).to.include({ tests: '3', failures: '1', skipped: '1' });
    const byId = (id: string) => suite.testcase.find((t) => t.$.name.startsWith(id))!;
    expect(byId('FIX-002').failure).to.have.length(1);
    expect(JSON.stringify(byId('FIX-002').failure)).to.contain('GLOBAL_UP');
    expect(byId('FIX-003').skipped![0]!.$?.message).to.equal('needs a power control the rig lacks');
    expect(r.stdout).to.match(/1 passed, 1 failed, 1 skipped/);
  });

  it('exits 2 on a bad rig file and names the field', async () => {
    const r = await meshbench(['run', '--rig', 'fixtures/rigs/bad-field.yaml', '--out', out]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/boards\[1\]\.nd\.role \(line \d+\)/);
  });

  it('exits 2 on a bad flag and 5 when no case is selected', async () => {
    expect((await meshbench(['run', '--seed', 'many'])).code).to.equal(2);
    expect((await meshbench(['run', '--out', out, '--grep', 'NO-SUCH-CASE'])).code).to.equal(5);
  });

  it('on SIGTERM mid-run exits 4, leaves a valid report of what finished, and no process behind', async () => {
    const r = await meshbench(['run', '--rig', 'fixtures/rigs/sim-two.yaml', '--suite', 'fixtures/suites/slow.spec.ts', '--out', out], {
      killAfter: (stdout) => stdout.includes('FIX-010'),
    });
    expect(r.code, r.stdout + r.stderr).to.equal(4);
    const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as Xml;
    const names = xml.testsuites.testsuite.flatMap((s) => s.testcase.map((t) => t.$.name));
    expect(names.some((n) => n.startsWith('FIX-010'))).to.equal(true);
    await new Promise((res) => setTimeout(res, 300));
    expect(processesMentioning(join(out, 'sim-spec.json'))).to.deep.equal([]);
  });
});
