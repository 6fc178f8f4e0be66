import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardLock, LockHeldError, lockBoards, lockName, processStart } from '../../../harness/lab/lock.ts';

function sleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return new Promise((r) => child.once('spawn', () => r(child)));
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

describe('board locks', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-lock-'))));
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('is exclusive: a second run fails fast and says which run holds the board', async () => {
    const child = await sleeper();
    children.push(child);
    const owner = { pid: child.pid!, start: processStart(child.pid!), host: hostname() };
    await BoardLock.acquire('r1', 'usb-serial:0240A', { dir, runId: 'run-A', owner });
    try {
      await BoardLock.acquire('r1', 'usb-serial:0240A', { dir, runId: 'run-B' });
      expect.fail('second lock taken');
    } catch (e) {
      expect(e).to.be.instanceOf(LockHeldError);
      expect((e as Error).message).to.match(new RegExp(`board 'r1' is locked by run run-A \\(pid ${child.pid} on ${hostname()}, since \\d{4}-.*s ago\\); pass --wait-lock`));
    }
  });

  it('takes over a lock whose process is dead (a killed CI job frees its boards)', async () => {
    const child = await sleeper();
    const owner = { pid: child.pid!, start: processStart(child.pid!), host: hostname() };
    await BoardLock.acquire('r1', 'k', { dir, runId: 'killed', owner });
    child.kill('SIGKILL');
    await exited(child);
    const lock = await BoardLock.acquire('r1', 'k', { dir, runId: 'next' });
    expect(lock.owner.runId).to.equal('next');
    lock.release();
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('does not mistake a reused pid for the owner (start time differs)', async () => {
    const child = await sleeper();
    children.push(child);
    const lie = { pid: child.pid!, start: '1', host: hostname(), runId: 'old', since: new Date().toISOString(), board: 'r1' };
    writeFileSync(join(dir, lockName('k')), JSON.stringify(lie));
    const lock = await BoardLock.acquire('r1', 'k', { dir, runId: 'new' });
    expect(lock.owner.runId).to.equal('new');
  });

  it('waits with --wait-lock until the holder goes, and gives up with the holder named', async () => {
    const child = await sleeper();
    children.push(child);
    const owner = { pid: child.pid!, start: processStart(child.pid!), host: hostname() };
    await BoardLock.acquire('r1', 'k', { dir, runId: 'holder', owner });
    const t0 = Date.now();
    try {
      await BoardLock.acquire('r1', 'k', { dir, runId: 'waiter', waitS: 0.4, pollMs: 50 });
      expect.fail('taken');
    } catch (e) {
      expect(Date.now() - t0).to.be.at.least(350);
      expect((e as Error).message).to.match(/locked by run holder .*; waited 0.4 s/);
    }
    const waiting = BoardLock.acquire('r1', 'k', { dir, runId: 'waiter', waitS: 5, pollMs: 50 });
    setTimeout(() => child.kill('SIGKILL'), 200);
    expect((await waiting).owner.runId).to.equal('waiter');
  });

  it('locks several boards in a fixed order and releases what it took when one is held', async () => {
    const child = await sleeper();
    children.push(child);
    await BoardLock.acquire('b', 'key-b', { dir, runId: 'other', owner: { pid: child.pid!, start: processStart(child.pid!), host: hostname() } });
    try {
      await lockBoards([{ id: 'c', key: 'key-c' }, { id: 'a', key: 'key-a' }, { id: 'b', key: 'key-b' }], { dir, runId: 'mine' });
      expect.fail('taken');
    } catch (e) {
      expect((e as Error).message).to.match(/board 'b' is locked by run other/);
    }
    expect(readdirSync(dir)).to.deep.equal([lockName('key-b')]);
  });

  it('releases a lock when its process exits normally, and a killed process leaves one that is stale', async () => {
    const script = `
      const { BoardLock } = await import(${JSON.stringify(new URL('../../../harness/lab/lock.ts', import.meta.url).href)});
      await BoardLock.acquire('r1', 'k', { dir: ${JSON.stringify(dir)}, runId: 'child' });
      console.log('locked');
      if (process.argv[1] === 'hang') setInterval(() => {}, 1000);`;
    const run = (mode: string) => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const normal = run('exit');
    await exited(normal);
    expect(readdirSync(dir)).to.deep.equal([]);
    const hung = run('hang');
    children.push(hung);
    await new Promise<void>((r) => hung.stdout!.once('data', () => r()));
    await BoardLock.acquire('r1', 'k', { dir, runId: 'me' }).then(
      () => expect.fail('taken while the holder lives'),
      (e: Error) => expect(e.message).to.match(/locked by run child/),
    );
    hung.kill('SIGKILL');
    await exited(hung);
    expect((await BoardLock.acquire('r1', 'k', { dir, runId: 'me' })).owner.runId).to.equal('me');
  });
});
