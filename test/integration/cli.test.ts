// The real CLI, spawned on fixture rigs and suites: exit codes, the JUnit it
// writes, and what an interruption leaves behind.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { CLI, meshbench, type CliResult, type JUnitXml as Xml } from '../support/cli.ts';
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

/** Runs `meshbench <args>` and sends it SIGTERM once `ready()` holds (polled). */
function termWhen(args: string[], ready: () => boolean): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (!ready()) return;
      clearInterval(poll);
      child.kill('SIGTERM');
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr });
    });
  });
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

  it('on SIGTERM mid-run exits 4, reports the case in progress as interrupted, leaves a valid report and no process behind', async () => {
    // SIGTERM once FIX-011 has begun (its evidence directory exists): a signal that came
    // before would stop the run before FIX-011, with no case in progress.
    const r = await termWhen(['run', '--rig', 'fixtures/rigs/sim-two.yaml', '--suite', 'fixtures/suites/slow.spec.ts', '--out', out], () =>
      existsSync(join(out, 'cases')) && readdirSync(join(out, 'cases')).some((d) => d.startsWith('FIX-011')),
    );
    expect(r.code, r.stdout + r.stderr).to.equal(4);
    const report = join(out, 'junit.xml');
    const xml = (await parseStringPromise(readFileSync(report, 'utf8'))) as Xml;
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    const byId = (id: string) => cases.find((t) => t.$.name.startsWith(id));
    expect(byId('FIX-010'), 'the finished case').not.to.equal(undefined);
    expect(byId('FIX-010')!.skipped).to.equal(undefined);
    // The case in progress reached no verdict: it is neither failed nor an error.
    const stopped = byId('FIX-011');
    expect(stopped, 'the case in progress').not.to.equal(undefined);
    expect(stopped!.error, 'not an error').to.equal(undefined);
    expect(stopped!.failure, 'not a failure').to.equal(undefined);
    expect(stopped!.skipped![0]!.$).to.deep.equal({ type: 'interrupted', message: 'interrupted by SIGTERM' });
    expect(xml.testsuites.$).to.include({ failures: '0', errors: '0' });
    expect(r.stdout).to.match(/^1 passed, 0 failed, 1 skipped \([\d.]+ s\) — interrupted$/m);
    expect(r.stdout).to.match(/- FIX-011 .*\n\s+interrupted by SIGTERM/);
    const lint = await haveXmllint();
    if (lint.ok) expect(await xmllint(report)).to.equal('');
    await new Promise((res) => setTimeout(res, 300));
    expect(processesMentioning(join(out, 'sim-spec.json'))).to.deep.equal([]);
  });
});
