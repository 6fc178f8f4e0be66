// Faults a busy CI runner and a hostile lab bring, on the real CLI: the sim
// killed mid-case, a report that cannot be written (a directory in its place, a
// full tmpfs), signals (SIGHUP, a second SIGTERM), two runs on one --out, and
// an --out that is a file or a kernel tree. Each run must end with the exit
// code that tells what happened, and its report must list every selected case.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { CLI, meshbench, type CliResult, type JUnitXml as Xml } from '../support/cli.ts';

const TWO = 'fixtures/rigs/sim-two.yaml';

interface Running {
  child: ChildProcess;
  result: Promise<CliResult & { endedAt: number }>;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult & { endedAt: number }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, endedAt: Date.now() })));
  return { child, result };
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const caseBegun = (out: string, id: string) => () => existsSync(join(out, 'cases')) && readdirSync(join(out, 'cases')).some((d) => d.startsWith(id));

function simPid(out: string): number | undefined {
  try {
    const pids = execFileSync('pgrep', ['-f', join(out, 'sim-spec.json')], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
    return pids[0];
  } catch {
    return undefined;
  }
}

async function cases(out: string): Promise<Map<string, Xml['testsuites']['testsuite'][number]['testcase'][number]>> {
  const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as Xml;
  const m = new Map<string, Xml['testsuites']['testsuite'][number]['testcase'][number]>();
  for (const s of xml.testsuites.testsuite) for (const tc of s.testcase ?? []) m.set(tc.$.name.split(' ')[0]!, tc);
  return m;
}

describe('faults: a run never lies about how it ended', function () {
  this.timeout(90_000);
  let out: string;
  const started: ChildProcess[] = [];
  beforeEach(() => (out = mkdtempSync(join(tmpdir(), 'meshbench-fault-'))));
  afterEach(() => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(out, { recursive: true, force: true });
  });

  it('the sim killed mid-case: that case errs at once with the reason, the rest are reported not run, exit 3', async () => {
    const run = start(['run', '--rig', TWO, '--suite', 'fixtures/suites/faults.spec.ts', '--out', out]);
    started.push(run.child);
    await until('FIX-020 to begin', caseBegun(out, 'FIX-020'));
    const pid = simPid(out);
    expect(pid, 'the sim process').to.be.a('number');
    process.kill(pid!, 'SIGKILL');
    const r = await run.result;
    expect(r.code, r.stdout + r.stderr).to.equal(3);
    const all = await cases(out);
    expect([...all.keys()].sort()).to.deep.equal(['FIX-020', 'FIX-021', 'FIX-022']);
    expect(JSON.stringify(all.get('FIX-020')!.error)).to.contain('the simulated bench exited (SIGKILL)');
    for (const id of ['FIX-021', 'FIX-022']) expect(all.get(id)!.skipped![0]!.$?.message).to.equal('not run: the simulated bench exited (SIGKILL)');
    expect(r.stdout).to.match(/bench-down/);
  });

  it('a report that cannot be written (a directory in its place) stops the run with exit 6, naming the path and errno', async () => {
    const report = join(out, 'junit.xml');
    const r = await meshbench(['run', '--rig', TWO, '--suite', 'fixtures/suites/report-fault.spec.ts', '--out', out], { env: { MESHBENCH_FIXTURE_REPORT: report } });
    expect(r.code, r.stdout + r.stderr).to.equal(6);
    expect(r.stderr).to.contain(`meshbench run: cannot write the report ${report}: EISDIR`);
    // The progress line says the report was not written, never points at it as if it were.
    expect(r.stdout).to.not.match(/^report: /m);
    expect(r.stdout).to.contain(`report not written: ${report}: EISDIR`);
    expect(simPid(out), 'no sim left behind').to.equal(undefined);
  });

  it('a report on a full 200 KiB tmpfs ends the run with exit 6 and ENOSPC, never 0 and never a hang (needs root to mount)', async function () {
    const mnt = join(out, 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      if (process.env.CI || process.env.MESHBENCH_REQUIRE_TOOLS === '1') throw new Error(`cannot mount a tmpfs (CI runs as root): ${(e as Error).message}`);
      this.skip();
    }
    try {
      const r = await meshbench(['run', '--out', join(mnt, 'run'), '--grep', 'JOIN-ND-00']);
      expect(r.code, r.stdout + r.stderr).to.equal(6);
      expect(r.stderr).to.match(/cannot write the report .*junit\.xml: ENOSPC/);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });

  it('SIGHUP is handled like SIGINT: exit 4, the running case interrupted, the rest not run', async () => {
    const run = start(['run', '--rig', TWO, '--suite', 'fixtures/suites/faults.spec.ts', '--out', out]);
    started.push(run.child);
    await until('FIX-020 to begin', caseBegun(out, 'FIX-020'));
    run.child.kill('SIGHUP');
    const r = await run.result;
    expect(r.code, r.stdout + r.stderr).to.equal(4);
    const all = await cases(out);
    expect(all.get('FIX-020')!.skipped![0]!.$).to.deep.equal({ type: 'interrupted', message: 'interrupted by SIGHUP' });
    for (const id of ['FIX-021', 'FIX-022']) expect(all.get(id)!.skipped![0]!.$?.message).to.equal('not run: interrupted by SIGHUP');
    expect(simPid(out)).to.equal(undefined);
  });

  it('a second signal forces the exit at once (exit 4), with every case in the report', async () => {
    const run = start(['run', '--rig', TWO, '--suite', 'fixtures/suites/faults.spec.ts', '--out', out]);
    started.push(run.child);
    await until('FIX-020 to begin', caseBegun(out, 'FIX-020'));
    run.child.kill('SIGTERM');
    run.child.kill('SIGTERM');
    const r = await run.result;
    expect(r.code, r.stdout + r.stderr).to.equal(4);
    const all = await cases(out);
    expect([...all.keys()].sort()).to.deep.equal(['FIX-020', 'FIX-021', 'FIX-022']);
    expect(all.get('FIX-020')!.skipped![0]!.$?.type).to.equal('interrupted');
    await until('the sim to be gone', () => simPid(out) === undefined, 5_000);
  });

  it('two runs on one --out: the second exits 2 naming the holder; with --wait-lock it waits for the first', async () => {
    const first = start(['run', '--rig', TWO, '--suite', 'fixtures/suites/faults.spec.ts', '--out', out]);
    started.push(first.child);
    await until('FIX-020 to begin', caseBegun(out, 'FIX-020'));
    const second = await meshbench(['run', '--rig', TWO, '--suite', 'fixtures/suites/verdicts.spec.ts', '--out', out]);
    expect(second.code, second.stdout + second.stderr).to.equal(2);
    expect(second.stderr).to.contain(`--out ${out} is in use by run`);
    expect(second.stderr).to.contain(`pid ${first.child.pid}`);
    const waiting = start(['run', '--rig', TWO, '--suite', 'fixtures/suites/verdicts.spec.ts', '--out', out, '--wait-lock', '60']);
    started.push(waiting.child);
    await new Promise((r) => setTimeout(r, 500));
    expect(waiting.child.exitCode, 'still waiting for the first run').to.equal(null);
    first.child.kill('SIGTERM');
    expect((await first.result).code).to.equal(4);
    const w = await waiting.result;
    // The verdicts suite has one failing case by design.
    expect(w.code, w.stdout + w.stderr).to.equal(1);
    const all = await cases(out);
    expect([...all.keys()].sort()).to.deep.equal(['FIX-001', 'FIX-002', 'FIX-003']);
  });

  it('--rig /dev/zero: exit 2 at once, naming the file, with bounded memory (other rig bounds: test/unit/rig/bounds.test.ts)', async () => {
    const r = await meshbench(['run', '--rig', '/dev/zero', '--out', out]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('meshbench run: /dev/zero: invalid rig file\n  - a character device, not a regular file');
  });

  it('--out on a file: exit 2 with a message, before any bench (other refusals: test/unit/run/out-dir.test.ts)', async () => {
    const file = join(out, 'a-file');
    writeFileSync(file, 'x');
    const r = await meshbench(['run', '--rig', TWO, '--suite', 'fixtures/suites/verdicts.spec.ts', '--out', file]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`meshbench run: --out ${file}: ${file} is not a directory (ENOTDIR)`);
    expect(r.stderr, 'no stack trace').not.to.match(/\n\s+at /);
    expect(r.stdout, 'no bench started').not.to.contain('run directory');
  });
});
