import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkOutDir, lockOutDir, OUT_LOCK_FILE, OutDirError } from '../../../harness/run/out-dir.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('run output directory: checked and locked before the bench starts', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-out-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refusal = (path: string): string => {
    try {
      checkOutDir(path);
    } catch (e) {
      expect(e).to.be.instanceOf(OutDirError);
      return (e as Error).message;
    }
    throw new Error(`expected --out ${path} to be refused`);
  };

  it('makes a missing directory, nested, and accepts an existing one', () => {
    const deep = join(dir, 'a/b/c');
    expect(checkOutDir(deep)).to.equal(deep);
    expect(existsSync(deep)).to.equal(true);
    expect(checkOutDir(deep)).to.equal(deep);
  });

  it('refuses /proc and /sys, also reached through a symbolic link, without trying to make anything there', () => {
    expect(refusal('/proc/meshbench-out')).to.match(/\/proc is the kernel's/);
    expect(refusal('/proc/self/x/y')).to.match(/\/proc is the kernel's/);
    expect(refusal('/sys/meshbench-out')).to.match(/\/sys is the kernel's/);
    symlinkSync('/proc', join(dir, 'p'));
    expect(refusal(join(dir, 'p', 'out'))).to.match(/\/proc is the kernel's/);
  });

  it('refuses a file in the way with ENOTDIR', () => {
    writeFileSync(join(dir, 'f'), 'x');
    expect(refusal(join(dir, 'f'))).to.contain('is not a directory (ENOTDIR)');
    expect(refusal(join(dir, 'f', 'sub'))).to.contain(`${join(dir, 'f')} is not a directory (ENOTDIR)`);
  });

  it('refuses a directory it may not write into with EACCES (checked as an unprivileged user)', () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(dir, 0o755);
    chmodSync(ro, 0o555);
    let message: string;
    if (process.getuid?.() === 0) {
      // Root writes anywhere: ask as the unprivileged `nobody` (uid 65534) in a child process.
      const script = `const { checkOutDir } = await import(${JSON.stringify(new URL('../../../harness/run/out-dir.ts', import.meta.url).href)});
        try { checkOutDir(${JSON.stringify(join(ro, 'out'))}); console.log('made'); } catch (e) { console.log(e.message); }`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      message = r.stdout.trim();
    } else message = refusal(join(ro, 'out'));
    expect(message).to.equal(`--out ${join(ro, 'out')}: cannot create ${join(ro, 'out')} (permission denied, EACCES); choose a directory you may write`);
  });

  it('locks the directory to one run: a second lock names the holder, and a released lock is free again', async () => {
    const first = await lockOutDir(dir, 'run-a');
    expect(existsSync(join(dir, OUT_LOCK_FILE))).to.equal(true);
    try {
      await lockOutDir(dir, 'run-b');
      throw new Error('the second lock was taken');
    } catch (e) {
      expect(e).to.be.instanceOf(OutDirError);
      expect((e as Error).message).to.match(new RegExp(`in use by run run-a \\(pid ${process.pid} `));
      expect((e as Error).message).to.contain('--wait-lock');
    }
    first.release();
    const again = await lockOutDir(dir, 'run-c');
    again.release();
  });
});
