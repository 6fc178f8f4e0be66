// The pieces a lab bench is built of: rig files of both kinds through one
// loader, process boards' placeholders and lock keys, board configs of a lab
// rig, the bench clock of a rig faster than real time, the serial tap and
// its redaction of OpenThread keys, discovery roots from the environment.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardConfigs } from '../../../harness/bench/bench.ts';
import { WallClock } from '../../../harness/bench/clock.ts';
import { FakeTransport } from '../../../harness/board/transport.ts';
import { discoveryFromEnv, matchBoards } from '../../../harness/lab/discovery.ts';
import { lockName } from '../../../harness/lab/lock.ts';
import { lockKey, openBoard, processSpecOf } from '../../../harness/lab/open.ts';
import { loadLabRig } from '../../../harness/lab/rig-file.ts';
import { redactOtSecrets, TappedTransport } from '../../../harness/lab/serial-tap.ts';
import { SerialLog } from '../../../harness/log/logger.ts';
import { redactor } from '../../../harness/report/sanitize.ts';
import { isLabRig, isSimRig, loadRig, RigFileError } from '../../../harness/rig/load.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('lab bench parts', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-labparts-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const processRig = (extra = '', board = '') =>
    write(
      'lab.yaml',
      `name: p
kind: lab
networks: { thread: t.json }
${extra}
boards:
  - id: n1
    stack: thread
    roles: [end-device, router]
    firmware: openthread-cli
    port: { kind: process, command: [ot-cli-ftd, "--time-speed={speed}", "{board}"], cwd: sim, env: { NET: "{runDir}/radio", HERE: "{rigDir}" } }
    config: { router-selection-jitter: 5 }
${board}`,
    );

  it('one loader for both kinds of rig: the sim default and the lab examples load, each narrowed to its kind', () => {
    const sim = loadRig(join(ROOT, 'rigs/sim-default.yaml'));
    expect(isSimRig(sim) && !isLabRig(sim)).to.equal(true);
    const lab = loadRig(join(ROOT, 'fixtures/rigs/lab-fake-ot.yaml'));
    expect(isLabRig(lab)).to.equal(true);
    expect(lab.rig.kind === 'lab' && lab.rig.speed).to.equal(20);
    // A lab command on a sim rig says what it needs.
    expect(() => loadLabRig(join(ROOT, 'rigs/sim-default.yaml'))).to.throw(RigFileError, /kind: this command needs a lab rig \(kind: lab\); this one is 'sim'/);
    // Lab warnings come back with the loaded rig (not thrown).
    writeFileSync(join(dir, 'tty.yaml'), `name: t\nkind: lab\nnetworks: { nd: n.json }\nboards:\n  - { id: b, stack: nd, roles: [router], firmware: meshbench-agent, port: { kind: tty, path: /dev/ttyACM0 } }\n`);
    expect(loadRig(join(dir, 'tty.yaml')).warnings.join()).to.match(/bare device node/);
  });

  it('a lab rig faster than real time must be all host processes; placeholders are checked', () => {
    const usb = `  - { id: u1, stack: thread, roles: [router], firmware: openthread-cli, port: { kind: usb-serial, serial: "683812345" } }`;
    expect(() => loadRig(processRig('speed: 10', usb))).to.throw(RigFileError, /speed: 10 needs every board to be a host process \(boards\[1\] 'u1' is a usb-serial port/);
    expect(() => loadRig(processRig('speed: 10'))).to.not.throw();
    const bad = write('bad.yaml', readFileSync(processRig(), 'utf8').replace('{board}"]', '{node}"]'));
    expect(() => loadRig(bad)).to.throw(RigFileError, /boards\[0\]\.port\.command\[2\] \(line \d+\): unknown placeholder; known: \{runDir\} \{rigDir\} \{board\} \{speed\}/);
  });

  it('fills a process board’s placeholders; its cwd is taken from the rig’s directory', () => {
    const loaded = loadLabRig(processRig('speed: 20'));
    const b = loaded.rig.boards[0]!;
    expect(processSpecOf(b, { rigDir: loaded.dir, runDir: '/runs/7', speed: 20 })).to.deep.equal({
      command: ['ot-cli-ftd', '--time-speed=20', 'n1'],
      cwd: join(dir, 'sim'),
      env: { NET: '/runs/7/radio', HERE: dir },
    });
  });

  it('locks a process board by its resolved command, directory and environment: runs with their own {runDir} do not share it', () => {
    const loaded = loadLabRig(processRig());
    const b = loaded.rig.boards[0]!;
    const a = lockKey(b, { rigDir: loaded.dir, runDir: '/runs/a' });
    expect(a).to.equal(`process:${join(dir, 'sim')}:ot-cli-ftd --time-speed=1 n1:HERE=${dir} NET=/runs/a/radio`);
    expect(lockKey(b, { rigDir: loaded.dir, runDir: '/runs/b' })).to.not.equal(a);
    // Lock file names: short keys as they are; long ones keep a head and a hash of the whole key.
    expect(lockName('usb-serial:0240000012345678')).to.equal('usb-serial_0240000012345678.lock');
    const long = (id: number) => `process:/home/ci/lab:${'/very/long/path/'.repeat(8)}ot-cli-ftd --time-speed=1 ${id}`;
    expect(lockName(long(1))).to.not.equal(lockName(long(2)));
    expect(lockName(long(1))).to.have.length.below(110);
    expect(lockName(long(1))).to.equal(lockName(long(1)));
  });

  it('gives a lab board its one stack: the network keys, its first role’s keys, then its own', () => {
    write('t.json', JSON.stringify({ target_overrides: { '*': { 'mbed-mesh-api.thread-config-channel': 22, 'mbed-mesh-api.thread-master-key': '{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}' } } }));
    const configs = boardConfigs(loadRig(processRig()));
    expect(configs.get('n1')).to.deep.equal({
      thread: {
        roles: ['end-device', 'router'],
        config: {
          'thread-config-channel': '22',
          'thread-master-key': '00112233445566778899aabbccddeeff',
          'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE',
          'router-selection-jitter': '5',
        },
      },
    });
  });

  it('the bench clock of a rig at speed N runs N times the wall clock', async () => {
    const clock = new WallClock(20);
    const t0 = await clock.now();
    const w0 = performance.now();
    await clock.sleepUntil(t0 + 2e6); // 2 bench seconds
    const wallMs = performance.now() - w0;
    expect(wallMs).to.be.within(90, 400);
    expect((await clock.now()) - t0).to.be.within(2e6, 2e6 + 400 * 20 * 1000);
    expect(clock.speed).to.equal(20);
  });

  it('cancelSleeps ends every sleep under way with its reason; a later sleep is not touched', async () => {
    const clock = new WallClock(1);
    const hour = clock.sleepUntil((await clock.now()) + 3600e6);
    const other = clock.sleepUntil((await clock.now()) + 3600e6, { signal: new AbortController().signal });
    await clock.cancelSleeps(new Error('the case timed out'));
    for (const p of [hour, other]) expect(await p.then(() => 'woke', (e: Error) => e.message)).to.equal('the case timed out');
    const t = await clock.now();
    expect(await clock.sleepUntil(t + 1000)).to.be.at.least(t + 1000);
  });

  it('the serial tap logs both directions; OpenThread key lines are redacted by their shape', async () => {
    const log = new SerialLog(join(dir, 'serial'), 'n1', (t) => redactOtSecrets(redactor(['10112233445566778899aabbccddeeff'])(t)));
    const inner = new FakeTransport();
    const t = new TappedTransport(inner, log);
    await t.open();
    await t.write('dataset networkkey deadbeef00112233445566778899aabb\r\n');
    inner.emitData('Network Key: 10112233445566778899AABBCCDDEEFF\r\nPSKc: 00112233445566778899aabbccddeeff\r\nChannel: 22\r\n');
    await t.close();
    log.flush(); // buffered: a case or the bench's teardown flushes it
    const text = readFileSync(log.path, 'utf8');
    expect(text).to.match(/-- opened fake:\/\/board\n.* -> dataset networkkey <redacted>\n.* <- Network Key: <redacted>\n.* <- PSKc: <redacted>\n.* <- Channel: 22\n.* -- port closed \(closed\)\n$/);
  });

  it('a process board whose command is not there is said so before anything starts', async () => {
    const loaded = loadLabRig(processRig());
    const [m] = matchBoards(loaded.rig.boards, []).boards;
    await openBoard(m!, { rigDir: loaded.dir }).then(
      () => expect.fail('opened'),
      (e: Error) => expect(e.message).to.equal("n1: 'ot-cli-ftd' (port.command) is not on PATH; install it or fix the rig file"),
    );
  });

  it('discovery roots from the environment replace SerialPort.list()', () => {
    expect(discoveryFromEnv({})).to.deep.equal({});
    expect(discoveryFromEnv({ MESHBENCH_SYSFS_ROOT: '/x/sys', MESHBENCH_DEV_ROOT: '/x/dev' })).to.deep.equal({ sysRoot: '/x/sys', devRoot: '/x/dev', list: null });
  });
});
