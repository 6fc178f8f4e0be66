import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardLock, defaultLockDir, LockHeldError, lockBoards, lockName, processStart, readOwner } from '../../../harness/lab/lock.ts';
import { discover, matchBoards } from '../../../harness/lab/discovery.ts';
import { lockKey } from '../../../harness/lab/open.ts';
import { parseLabRig } from '../../../harness/lab/rig-file.ts';
import { DAPLINK_SERIAL, exited, fakeUsbTree, lockHolder, ROOT } from '../../integration/lab/support.ts';

describe('board locks', function () {
  this.timeout(30_000);
  let dir: string;
  const children: ChildProcess[] = [];
  const held: BoardLock[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-lock-'))));
  afterEach(async () => {
    for (const l of held.splice(0)) l.release();
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const hold = async (board: string, key: string, runId: string, forMs?: number) => {
    const c = await lockHolder(board, key, { dir, runId, forMs });
    children.push(c);
    return c;
  };

  it('is exclusive: a second run fails fast and says which run holds the board (run id, pid, command)', async () => {
    const child = await hold('r1', 'usb-serial:0240a', 'run-A');
    const t0 = Date.now();
    try {
      await BoardLock.acquire('r1', 'usb-serial:0240a', { dir, runId: 'run-B' });
      expect.fail('second lock taken');
    } catch (e) {
      expect(e).to.be.instanceOf(LockHeldError);
      expect((e as Error).message, (e as Error).message).to.match(new RegExp(`^board 'r1' is locked by run run-A \\(pid ${child.pid} on ${hostname()}, since \\d{4}-\\S+, \\d+ s ago: \\S+.*\\); pass --wait-lock SECONDS to wait for it$`));
      expect((e as LockHeldError).owner).to.include({ pid: child.pid, runId: 'run-A', board: 'r1', start: processStart(child.pid!) });
    }
    expect(Date.now() - t0).to.be.below(1000);
  });

  it('is exclusive within one process too', async () => {
    const first = await BoardLock.acquire('r1', 'k', { dir, runId: 'mine' });
    held.push(first);
    await BoardLock.acquire('r1', 'k', { dir, runId: 'again' }).then(
      () => expect.fail('taken twice'),
      (e: Error) => expect(e.message).to.match(/locked by run mine/),
    );
  });

  it('takes over at once the lock of a SIGKILLed holder (a killed CI job frees its boards)', async () => {
    const child = await hold('r1', 'k', 'killed');
    child.kill('SIGKILL');
    await exited(child);
    // The killed holder's file is still there, with its record in it.
    expect(readOwner(join(dir, lockName('k')))?.runId).to.equal('killed');
    const t0 = Date.now();
    const lock = await BoardLock.acquire('r1', 'k', { dir, runId: 'next' });
    expect(Date.now() - t0).to.be.below(500);
    expect(lock.owner.runId).to.equal('next');
    expect(readOwner(join(dir, lockName('k')))?.runId).to.equal('next');
    lock.release();
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('a record of a holder that no longer locks the file (a reused pid, a crash) does not hold the board', async () => {
    const live = await hold('other', 'other-key', 'alive');
    const lie = { pid: live.pid!, start: processStart(live.pid!), host: hostname(), runId: 'old', since: new Date().toISOString(), board: 'r1' };
    writeFileSync(join(dir, lockName('k')), JSON.stringify(lie));
    const lock = await BoardLock.acquire('r1', 'k', { dir, runId: 'new' });
    held.push(lock);
    expect(lock.owner.runId).to.equal('new');
  });

  it('waits with --wait-lock until the holder goes, and gives up with the holder named', async () => {
    const child = await hold('r1', 'k', 'holder');
    const t0 = Date.now();
    try {
      await BoardLock.acquire('r1', 'k', { dir, runId: 'waiter', waitS: 0.4, pollMs: 50 });
      expect.fail('taken');
    } catch (e) {
      expect(Date.now() - t0).to.be.at.least(350);
      expect((e as Error).message).to.match(/locked by run holder .*; waited 0.4 s$/);
    }
    const waiting = BoardLock.acquire('r1', 'k', { dir, runId: 'waiter', waitS: 10, pollMs: 50 });
    setTimeout(() => child.kill('SIGKILL'), 200);
    const lock = await waiting;
    held.push(lock);
    expect(lock.owner.runId).to.equal('waiter');
  });

  it('locks several boards in a fixed order and releases what it took when one is held', async () => {
    await hold('b', 'key-b', 'other');
    try {
      await lockBoards([{ id: 'c', key: 'key-c' }, { id: 'a', key: 'key-a' }, { id: 'b', key: 'key-b' }], { dir, runId: 'mine' });
      expect.fail('taken');
    } catch (e) {
      expect((e as Error).message).to.match(/board 'b' is locked by run other/);
    }
    expect(readdirSync(dir)).to.deep.equal([lockName('key-b')]);
  });

  it('refuses a rig that names one physical board twice, taking nothing', async () => {
    await lockBoards([{ id: 'a', key: 'usb-serial:0240' }, { id: 'b', key: 'usb-serial:0240' }], { dir, runId: 'mine' }).then(
      () => expect.fail('taken'),
      (e: Error & { code?: string }) => {
        expect(e.message).to.equal("boards 'a' and 'b' are the same physical board (usb-serial:0240); a rig names each board once");
        expect(e.code).to.equal('ERR_BOARD_LOCKED');
      },
    );
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('releases a lock when its holder exits normally', async () => {
    const child = await hold('r1', 'k', 'child', 100);
    await exited(child);
    expect(readdirSync(dir)).to.deep.equal([]);
    held.push(await BoardLock.acquire('r1', 'k', { dir, runId: 'me' }));
  });

  it('keys a USB board on the device discovery found: rigs naming it by serial, by-id link and tty collide', async () => {
    const { sys, dev } = fakeUsbTree(dir);
    const byId = readdirSync(join(dev, 'serial/by-id'))[0]!;
    const rigOf = (port: object) =>
      parseLabRig(join(dir, 'r.yaml'), { name: 'r', kind: 'lab', networks: { nd: join(ROOT, 'fixtures/networks/nd-default.json') }, boards: [{ id: 'k64f', stack: 'nd', roles: ['router'], firmware: 'meshbench-agent', port }] });
    const rigs = [rigOf({ kind: 'usb-serial', serial: DAPLINK_SERIAL.toUpperCase() }), rigOf({ kind: 'by-id', path: `/dev/serial/by-id/${byId}` }), rigOf({ kind: 'tty', path: '/dev/ttyACM0' })];
    const { devices } = await discover({ sysRoot: sys, devRoot: dev, list: null });
    const keys = rigs.map((r) => {
      const [m] = matchBoards(r.rig.boards, devices).boards;
      expect(m!.state).to.equal('present');
      return lockKey(r.rig.boards[0]!, { rigDir: dir }, m);
    });
    expect(new Set(keys).size, keys.join(', ')).to.equal(1);
    expect(keys[0]).to.equal(`usb-serial:${DAPLINK_SERIAL}`);
    // Without the match passed, the device discovery last matched to that board is used.
    expect(lockKey(rigs[1]!.rig.boards[0]!, { rigDir: dir })).to.equal(keys[0]);
    // And so a run on the by-id rig is refused while one on the serial-number rig holds the board.
    const locks = join(dir, 'locks');
    children.push(await lockHolder('k64f', keys[0]!, { dir: locks, runId: 'desk' }));
    await BoardLock.acquire('k64f', keys[2]!, { dir: locks, runId: 'ci' }).then(
      () => expect.fail('the same board locked twice'),
      (e: Error) => expect(e.message).to.match(/board 'k64f' is locked by run desk/),
    );
  });

  it('a USB board without a serial number is keyed on its device node, a by-id link resolved', () => {
    const devDir = join(dir, 'devnodes');
    mkdirSync(join(devDir, 'by-id'), { recursive: true });
    writeFileSync(join(devDir, 'ttyUSB0'), '');
    const r = parseLabRig(join(dir, 'r.yaml'), {
      name: 'r',
      kind: 'lab',
      networks: { nd: join(ROOT, 'fixtures/networks/nd-default.json') },
      boards: [{ id: 'a', stack: 'nd', roles: ['router'], firmware: 'meshbench-agent', port: { kind: 'tty', path: '/dev/ttyUSB0' } }],
    });
    const [m] = matchBoards(r.rig.boards, [{ path: '/dev/ttyUSB0' }]).boards;
    expect(lockKey(r.rig.boards[0]!, { rigDir: dir }, m)).to.equal('dev:/dev/ttyUSB0');
  });

  it('defaults to a system-wide directory anyone can lock in, else one under the temp directory', () => {
    const sys = join(dir, 'run-lock', 'meshbench');
    expect(defaultLockDir(sys)).to.equal(sys);
    expect(statSync(sys).mode & 0o1777).to.equal(0o1777);
    // A place that cannot be a directory (below a file): the fallback.
    writeFileSync(join(dir, 'file'), '');
    expect(defaultLockDir(join(dir, 'file', 'meshbench'))).to.equal(join(tmpdir(), 'meshbench-locks'));
  });

  it('writes a lock file others can open to lock (mode 0666), with the holder record in it', async () => {
    const lock = await BoardLock.acquire('r1', 'k', { dir, runId: 'me' });
    held.push(lock);
    const path = join(dir, lockName('k'));
    expect(statSync(path).mode & 0o777).to.equal(0o666);
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.include({ pid: process.pid, runId: 'me', board: 'r1', host: hostname() });
  });
});
