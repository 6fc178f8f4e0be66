// Host-process boards on OpenThread's simulation are kept apart between runs:
// their radio is a UDP port from the node id and PORT_OFFSET, so two runs of
// one rig need different offsets. `{portOffset}` gives each run its own; the
// fake ot-cli-ftd dies at start, as the real one does, when a live node has
// its node id and offset.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from '../../../harness/bench/bench.ts';
import { tearDownBench } from '../../../harness/bench/bench.ts';
import { bringUp } from '../../../harness/bench/bring-up.ts';
import { PortOffset } from '../../../harness/lab/lock.ts';
import { processSpecOf, releasePortOffset } from '../../../harness/lab/open.ts';
import { createRunLogger } from '../../../harness/log/logger.ts';
import { redactor } from '../../../harness/report/sanitize.ts';
import { loadRig, type LoadedRig } from '../../../harness/rig/load.ts';
import type { LabRig } from '../../../harness/rig/lab.ts';
import { exited, FAKE_OT, fakeOtRig } from './support.ts';

describe('{portOffset}: parallel runs of OpenThread simulation boards do not collide', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-portoff-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the fake ot-cli-ftd refuses a second process with the node id and offset of a live one', async () => {
    const start = (offset: string) => {
      const c = spawn(process.execPath, [FAKE_OT, '1'], { env: { ...process.env, FAKE_OT_NET_DIR: dir, PORT_OFFSET: offset }, stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return { c, err: () => err };
    };
    const first = start('3');
    await new Promise<void>((r) => first.c.stdout.once('data', () => r()));
    const second = start('3');
    const code = await new Promise<number | null>((r) => second.c.once('exit', (n) => r(n)));
    expect(code).to.equal(1);
    expect(second.err()).to.equal('bind(TxFd): Address already in use\n');
    // Another offset is another radio: it runs.
    const other = start('4');
    await new Promise<void>((r) => other.c.stdout.once('data', () => r()));
    expect(other.c.exitCode).to.equal(null);
    for (const p of [first.c, other.c]) {
      p.kill('SIGKILL');
      await exited(p);
    }
    // A killed node's port is free again.
    const again = start('3');
    await new Promise<void>((r) => again.c.stdout.once('data', () => r()));
    again.c.kill('SIGKILL');
    await exited(again.c);
  });

  it('allocates one offset per run, the lowest free, under a lock', () => {
    const locks = join(dir, 'locks');
    const a = PortOffset.allocate('run-a', locks);
    const b = PortOffset.allocate('run-b', locks);
    expect([a.offset, b.offset]).to.deep.equal([1, 2]);
    a.release();
    const c = PortOffset.allocate('run-c', locks);
    expect(c.offset).to.equal(1);
    b.release();
    c.release();
    expect(readdirSync(locks)).to.deep.equal([]);
    // Every board of a run gets its run's offset.
    const rig = join(dir, 'lab.yaml');
    writeFileSync(rig, fakeOtRig({ lockDir: locks, boards: [{ id: 'n1', node: 1, env: { PORT_OFFSET: '{portOffset}' } }, { id: 'n2', node: 2, env: { PORT_OFFSET: '{portOffset}' } }] }));
    const loaded = loadRig(rig) as LoadedRig<LabRig>;
    const ctx = { rigDir: dir, runDir: join(dir, 'r1'), lockDir: locks };
    const offsets = loaded.rig.boards.map((b) => processSpecOf(b, ctx).env?.PORT_OFFSET);
    expect(offsets).to.deep.equal(['1', '1']);
    expect(processSpecOf(loaded.rig.boards[0]!, { ...ctx, runDir: join(dir, 'r2') }).env?.PORT_OFFSET).to.equal('2');
    releasePortOffset(ctx.runDir);
    releasePortOffset(join(dir, 'r2'));
  });

  it('two runs of one rig at once, same node ids on one host radio: each gets its own offset and both come up', async () => {
    // One radio for every run, as the real simulation's UDP ports are the host's.
    const radio = join(dir, 'radio');
    const rig = join(dir, 'lab.yaml');
    const env = { FAKE_OT_NET_DIR: radio, PORT_OFFSET: '{portOffset}' };
    writeFileSync(rig, fakeOtRig({ lockDir: join(dir, 'locks'), boards: [{ id: 'n1', node: 1, env }, { id: 'n2', node: 2, env }] }));
    const up = (name: string): Promise<Bench> => {
      const runDir = join(dir, name);
      mkdirSync(runDir);
      return bringUp(loadRig(rig), { runDir, seed: 1, log: createRunLogger(runDir, { quiet: true }), redact: redactor([]) });
    };
    const benches = await Promise.allSettled([up('run-a'), up('run-b')]);
    try {
      for (const b of benches) expect(b.status, b.status === 'rejected' ? String((b.reason as Error).message) : '').to.equal('fulfilled');
      const dirs = readdirSync(radio).filter((f) => f.startsWith('port-offset-'));
      expect(dirs, 'one radio per run').to.have.length(2);
      for (const d of dirs) expect(readdirSync(join(radio, d)).filter((f) => f.endsWith('.pid')).sort()).to.deep.equal(['1.pid', '2.pid']);
      for (const b of benches) if (b.status === 'fulfilled') for (const board of b.value.boards) expect((await board.status()).status).to.equal('DISCONNECTED');
    } finally {
      for (const b of benches) if (b.status === 'fulfilled') await tearDownBench(b.value);
      releasePortOffset(join(dir, 'run-a'));
      releasePortOffset(join(dir, 'run-b'));
    }
    expect(existsSync(join(dir, 'locks')) ? readdirSync(join(dir, 'locks')) : []).to.deep.equal([]);
  });
});
