// `meshbench run` on lab rigs of fake ot-cli-ftd host-process boards: the
// Thread suites through the OpenThread CLI driver, and the failure paths of a
// lab (a board that never boots, a port that vanishes mid-run, locks held by
// a live and by a dead run), each with a clear message; teardown always ends
// the host processes and releases the locks.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from '../../../harness/bench/bench.ts';
import { tearDownBench } from '../../../harness/bench/bench.ts';
import { bringUp } from '../../../harness/bench/bring-up.ts';
import { createRunLogger } from '../../../harness/log/logger.ts';
import { BoardNotAnsweringError, BoardUnhealthyError } from '../../../harness/lab/lab-driver.ts';
import { lockName } from '../../../harness/lab/lock.ts';
import { lockKey } from '../../../harness/lab/open.ts';
import { redactor } from '../../../harness/report/sanitize.ts';
import { loadRig, type LoadedRig } from '../../../harness/rig/load.ts';
import type { LabRig } from '../../../harness/rig/lab.ts';
import { parseStringPromise } from 'xml2js';
import { casesOf, DAPLINK_SERIAL, exited, FAKE_OT, FAKE_TOOLS, fakeOtRig, fakeUsbTree, lockHolder, meshbench, ROOT } from './support.ts';

/** Processes whose command line mentions `text` (the fakes carry the run directory in their environment, not their argv). */
function fakesOf(netDir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, 'latin1').includes(`FAKE_OT_NET_DIR=${netDir}`)) pids.push(Number(p));
    } catch {
      /* gone, or not ours */
    }
  }
  return pids;
}

describe('meshbench run on lab rigs of fake ot-cli-ftd boards', function () {
  this.timeout(240_000);
  let dir: string;
  const socats: ChildProcess[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-labrun-'))));
  afterEach(async () => {
    for (const c of socats.splice(0)) {
      c.kill('SIGTERM');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a board that never boots: exit 3 at bring-up, naming the board and what was tried; nothing left running or locked', async () => {
    const locks = join(dir, 'locks');
    const rig = join(dir, 'lab.yaml');
    writeFileSync(rig, fakeOtRig({ lockDir: locks, answerTimeoutS: 1, boards: [{ id: 'n1', node: 1 }, { id: 'n2', node: 2, env: { FAKE_OT_NO_BOOT: '1' } }] }));
    const out = join(dir, 'run');
    const r = await meshbench(['run', '--rig', rig, '--grep', 'JOIN-TH-001', '--out', out], {});
    expect(r.code, r.stdout + r.stderr).to.equal(3);
    const why = /board n2 on process:\S+ \S+ --time-speed=20 2 does not answer: n2: unhealthy for the rest of the run: no answer within 1000 ms; no answer after reset/;
    expect(r.stdout + r.stderr).to.match(why);
    const [bringUpCase] = await casesOf(join(out, 'junit.xml'));
    expect(bringUpCase!.verdict).to.equal('error');
    expect(bringUpCase!.message).to.match(why);
    expect(fakesOf(join(out, 'ot-net'))).to.deep.equal([]);
    expect(readdirSync(locks)).to.deep.equal([]);
  });

  it('locks: a board held by a live run is exit 3 at once, naming the holder; a dead run\'s lock is taken over; --wait-lock waits', async () => {
    const locks = join(dir, 'locks');
    const rig = join(dir, 'lab.yaml');
    // A fixed radio directory: the board is the same physical one for every run (no {runDir} in its key).
    writeFileSync(rig, fakeOtRig({ lockDir: locks, boards: [{ id: 'n1', node: 1, roles: ['leader'], env: { FAKE_OT_NET_DIR: join(dir, 'net') }, config: { 'border-router-prefix': '2001:db8:1::/64' } }] }));
    const loaded = loadRig(rig) as LoadedRig<LabRig>;
    const key = lockKey(loaded.rig.boards[0]!, { rigDir: dir, speed: 20 });

    // Held until this test ends it, whatever the machine's load.
    const live = await lockHolder('n1', key, { dir: locks, runId: 'nightly-7' });
    const held = await meshbench(['run', '--rig', rig, '--grep', 'JOIN-TH-001', '--out', join(dir, 'held')]);
    expect(held.code).to.equal(3);
    expect(held.stdout + held.stderr).to.match(new RegExp(`board 'n1' is locked by run nightly-7 \\(pid ${live.pid} on ${hostname()}, since \\S+, \\d+ s ago: [^)]*\\); pass --wait-lock SECONDS to wait for it`));
    // A run that waits gets the board once the holder has ended (here, while it waits).
    const waiting = meshbench(['run', '--rig', rig, '--grep', 'JOIN-TH-001', '--out', join(dir, 'waited'), '--wait-lock', '60']);
    await new Promise((r) => setTimeout(r, 1000));
    live.kill('SIGTERM');
    const waited = await waiting;
    expect(waited.code, waited.stdout + waited.stderr).to.equal(0);
    await exited(live);

    // A lock whose holder was killed (a killed CI job) is taken over without waiting; its file, with its record, is still there.
    const killed = await lockHolder('n1', key, { dir: locks, runId: 'killed-9' });
    killed.kill('SIGKILL');
    await exited(killed);
    expect(readFileSync(join(locks, lockName(key)), 'utf8')).to.include('killed-9');
    const took = await meshbench(['run', '--rig', rig, '--grep', 'JOIN-TH-001', '--out', join(dir, 'took')]);
    expect(took.code, took.stdout + took.stderr).to.equal(0);
    expect(readdirSync(locks), 'released after the run').to.deep.equal([]);
  });

  it('a board lost mid-run is a record of the run: junit.xml (run facts of every testsuite), results.json (run.unhealthy), report.html and the progress output', async () => {
    const rig = join(dir, 'lab.yaml');
    const dead = join(dir, 'n2.dead');
    writeFileSync(rig, fakeOtRig({ lockDir: join(dir, 'locks'), answerTimeoutS: 1, boards: [{ id: 'n1', node: 1 }, { id: 'n2', node: 2, env: { FAKE_OT_NO_BOOT_IF: dead } }] }));
    const out = join(dir, 'run');
    const r = await meshbench(['run', '--rig', rig, '--suite', 'fixtures/suites/unhealthy.spec.ts', '--out', out], { MESHBENCH_FIXTURE_DEAD: dead });
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const reason = 'unhealthy for the rest of the run: no answer within 1000 ms; no answer after reset';
    expect(r.stdout).to.include(`board n2 unhealthy: ${reason}`);

    const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as { testsuites: { testsuite: Array<{ properties: Array<{ property: Array<{ $: { name: string; value: string } }> }> }> } };
    expect(xml.testsuites.testsuite.length).to.be.above(0);
    for (const s of xml.testsuites.testsuite) {
      const recorded = s.properties[0]!.property.filter((p) => p.$.name === 'board.unhealthy').map((p) => p.$.value);
      expect(recorded, 'in every testsuite, with the run facts').to.deep.equal([`n2: ${reason}`]);
    }
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { run: { unhealthy: unknown; properties: Array<{ name: string }> } };
    expect(results.run.unhealthy).to.deep.equal([{ board: 'n2', reason }]);
    expect(results.run.properties.map((p) => p.name)).to.not.include('board.unhealthy');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).to.match(/<h2 id="unhealthy-boards">Unhealthy boards<\/h2><ul><li><span class="v failed">n2<\/span> unhealthy for the rest of the run: no answer within 1000 ms; no answer after reset<\/li><\/ul>/);
    const cases = await casesOf(join(out, 'junit.xml'));
    expect(cases.map((c) => [c.name.split(' ')[0], c.verdict])).to.deep.equal([['FIX-040', 'error'], ['FIX-041', 'passed']]);
  });

  it('a USB board whose port vanishes mid-run is found again by its USB serial number at its new node (ttyACM0 → ttyACM1), not reopened by the old path', async () => {
    // The board: a fake ot-cli-ftd behind a real PTY (socat), at the node the fake sysfs names; no by-id links (no udev).
    const tree = fakeUsbTree(join(dir, 'usb'));
    rmSync(join(tree.dev, 'serial'), { recursive: true });
    const iface = realpathSync(join(tree.sys, 'class/tty/ttyACM0/device'));
    const attach = async (node: string): Promise<ChildProcess> => {
      const link = join(tree.dev, node);
      // A radio directory per attachment: the fake refuses to start while a node with its id lives on the same radio.
      const net = join(dir, `net-${node}`);
      mkdirSync(net);
      const child = spawn('socat', [`PTY,raw,echo=0,link=${link}`, `EXEC:${process.execPath} ${FAKE_OT} 1`], { env: { ...process.env, FAKE_OT_NET_DIR: net }, stdio: 'ignore' });
      socats.push(child);
      const until = Date.now() + 20_000;
      while (!existsSync(link)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`socat did not make ${link}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // A USB device stays when the host closes its port; a PTY's master sees its last slave close as the end:
      // one slave descriptor held here (never read) keeps the fake board there across the harness's close and reopen.
      const hold = openSync(link, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
      child.once('exit', () => closeSync(hold));
      return child;
    };
    const first = await attach('ttyACM0');
    const rig = join(dir, 'usb.yaml');
    writeFileSync(
      rig,
      [
        'name: usb-vanish',
        'kind: lab',
        'speed: 1',
        `networks: { thread: ${JSON.stringify(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
        `lockDir: ${JSON.stringify(join(dir, 'locks'))}`,
        'answerTimeoutS: 2',
        'boards:',
        '  - id: n1',
        '    stack: thread',
        '    roles: [leader]',
        '    firmware: openthread-cli',
        '    version: fake-1.4.0',
        `    port: { kind: usb-serial, serial: "${DAPLINK_SERIAL}" }`,
        '    power: { kind: uhubctl, hub: "1-1", port: 2 }',
        '',
      ].join('\n'),
    );
    const runDir = join(dir, 'run');
    mkdirSync(runDir);
    const log = createRunLogger(runDir, { quiet: true });
    const bench = await bringUp(loadRig(rig), { runDir, seed: 1, log, redact: redactor([]), lab: { discovery: { sysRoot: tree.sys, devRoot: tree.dev, list: null }, toolEnv: { PATH: `${FAKE_TOOLS}:${process.env.PATH}`, FAKE_UHUBCTL_STATE: join(dir, 'hub.json') } } });
    try {
      const n1 = bench.boards[0]!;
      expect((await n1.status()).status).to.equal('DISCONNECTED');
      // It re-enumerates: the old node goes, the same USB device comes back as ttyACM1.
      first.kill('SIGTERM');
      await exited(first);
      rmSync(join(tree.sys, 'class/tty/ttyACM0'), { recursive: true });
      mkdirSync(join(tree.sys, 'class/tty/ttyACM1'));
      symlinkSync(iface, join(tree.sys, 'class/tty/ttyACM1/device'));
      await attach('ttyACM1');
      expect(existsSync(join(tree.dev, 'ttyACM0')), 'the old node is gone').to.equal(false);

      const found = await n1.status().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(found).to.be.instanceOf(BoardNotAnsweringError);
      // A PTY carries no serial break, so the reset fails here (a DAPLink takes it) and the power cycle brings the board back; both open it where it is now.
      expect(found!.message, found!.message).to.match(/^n1: status: .*; it answers again after reset, then power-cycle \(its state is lost\)$/);
      expect((await n1.status()).status, 'n1 answers at its new node').to.equal('DISCONNECTED');
      await bench.serialLogs.get('n1')!.flush?.();
    } finally {
      await tearDownBench(bench);
    }
    const serial = readFileSync(join(runDir, 'serial', readdirSync(join(runDir, 'serial')).find((f) => f.includes('n1'))!), 'utf8');
    expect(serial).to.include(`opened ${join(tree.dev, 'ttyACM0')}`);
    expect(serial).to.include(`opened ${join(tree.dev, 'ttyACM1')}`);
    expect(readdirSync(join(dir, 'locks')), 'no lock left').to.deep.equal([]);
  });

  it('a port that vanishes mid-run: the board is reset and answers again, or is unhealthy for the rest of the run with the reason; the others go on', async () => {
    const runDir = join(dir, 'run');
    mkdirSync(runDir);
    const rig = join(dir, 'lab.yaml');
    const m2 = join(dir, 'n2.died');
    const m3 = join(dir, 'n3.died');
    const m4 = join(dir, 'n4.dead');
    writeFileSync(
      rig,
      fakeOtRig({
        lockDir: join(dir, 'locks'),
        answerTimeoutS: 1,
        boards: [
          { id: 'n1', node: 1 },
          // Its process exits once, 1.5 s in; started again, it runs on.
          { id: 'n2', node: 2, env: { FAKE_OT_EXIT_AFTER_MS: '1500', FAKE_OT_EXIT_ONCE: m2 } },
          // Its process exits 1.5 s in, and never answers again.
          { id: 'n3', node: 3, env: { FAKE_OT_EXIT_AFTER_MS: '1500', FAKE_OT_EXIT_ONCE: m3, FAKE_OT_NO_BOOT_IF: m3 } },
          // Fine until reset: it does not come back from it.
          { id: 'n4', node: 4, env: { FAKE_OT_NO_BOOT_IF: m4 } },
        ],
      }),
    );
    const log = createRunLogger(runDir, { quiet: true });
    const bench: Bench = await bringUp(loadRig(rig), { runDir, seed: 1, log, redact: redactor([]) });
    try {
      const [n1, n2, n3, n4] = bench.boards;
      await new Promise((r) => setTimeout(r, 1800));
      const recovered = await n2!.status().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(recovered).to.be.instanceOf(BoardNotAnsweringError);
      expect(recovered!.message).to.match(/^n2: status: state: the board's port went away \(process ended \(exit code 1(, its last line: "[^"]*")?\)\); it answers again after reset \(its state is lost\)$/);
      expect((await n2!.status()).status, 'n2 answers after the reset').to.equal('DISCONNECTED');

      const lost = await n3!.status().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(lost).to.be.instanceOf(BoardNotAnsweringError);
      expect(lost!.message).to.match(/^n3: status: state: the board's port went away \(process ended \(exit code 1(, its last line: "[^"]*")?\)\); n3: unhealthy for the rest of the run: its port is closed( \(process ended \(exit code 1(, its last line: "[^"]*")?\)\))?; no answer after reset(: its port is closed \(process ended \(exit code 1(, its last line: "[^"]*")?\)\))?$/);
      const t0 = Date.now();
      const again = await n3!.connect().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(again, 'later calls fail at once with the reason').to.be.instanceOf(BoardUnhealthyError);
      expect(again!.message).to.match(/^n3: unhealthy for the rest of the run: /);
      expect(Date.now() - t0).to.be.below(100);
      await n3!.reset().then(
        () => expect.fail('an unhealthy board was reset'),
        (e: Error) => expect(e).to.be.instanceOf(BoardUnhealthyError),
      );
      writeFileSync(m4, 'dead\n');
      await n4!.reset().then(
        () => expect.fail('n4 came back'),
        (e: Error) => {
          expect(e).to.be.instanceOf(BoardUnhealthyError);
          expect(e.message).to.equal('n4: unhealthy for the rest of the run: no answer within 1000 ms; no answer after reset');
        },
      );
      // The run goes on with the others.
      expect(await n1!.init('thread')).to.equal(0);
      expect((await n1!.connect()).value).to.equal(0);
    } finally {
      await tearDownBench(bench);
    }
    expect(fakesOf(join(runDir, 'ot-net')), 'no host process left').to.deep.equal([]);
    expect(readdirSync(join(dir, 'locks')), 'no lock left').to.deep.equal([]);
    expect(existsSync(m2) && existsSync(m3)).to.equal(true);
  });
});
