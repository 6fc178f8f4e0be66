// The lab commands through the real binary (bin/meshbench.js), against the
// fakes: a fake sysfs tree with one DAPLink, fake flash/power tools on PATH,
// and fake ot-cli-ftd boards started on pseudo-terminals.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../harness/cli/main.ts';
import { lockKey } from '../../../harness/lab/open.ts';
import { loadLabRig } from '../../../harness/lab/rig-file.ts';
import { launchSim } from '../../../harness/sim/launcher.ts';
import { DAPLINK_SERIAL, FAKE_OT, FAKE_TOOLS, fakeUsbTree, lockHolder, meshbench } from './support.ts';

describe('lab commands through the binary: boards, doctor, flash, check-agent', function () {
  this.timeout(60_000);
  let dir: string;
  let rig: string;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mb-labcli-'));
    const tree = fakeUsbTree(dir);
    env = { PATH: `${FAKE_TOOLS}:${process.env.PATH}`, MESHBENCH_SYSFS_ROOT: tree.sys, MESHBENCH_DEV_ROOT: tree.dev, FAKE_BOARD_STATE_DIR: dir };
    writeFileSync(join(dir, 'thread.json'), JSON.stringify({ target_overrides: { '*': {} } }));
    rig = join(dir, 'lab.yaml');
    writeFileSync(
      rig,
      `name: bench-7
kind: lab
networks: { thread: thread.json }
lockDir: ${join(dir, 'locks')}
answerTimeoutS: 1
boards:
  - id: n1
    stack: thread
    roles: [leader]
    firmware: openthread-cli
    version: fake-1.4.0
    port: { kind: process, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(FAKE_OT)}, "1"], env: { FAKE_OT_NET_DIR: ${JSON.stringify(join(dir, 'net'))} } }
    flasher: { kind: command, argv: [flash-cmd, --image, "{image}", --serial, "{board}"] }
  - id: k64f
    stack: thread
    roles: [router]
    firmware: meshbench-agent
    port: { kind: usb-serial, serial: "${DAPLINK_SERIAL}" }
    flasher: { kind: pyocd, target: k64f }
    power: { kind: uhubctl, hub: "1-1", port: 2 }
`,
    );
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help of each lab command says what it does, its options and its exit codes', async () => {
    // In process (the binary's start-up is the slow part; each command runs through it below).
    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(a.join(' '));
    try {
      for (const [cmd, option] of [
        ['boards', '--no-identify'],
        ['doctor', '--no-probe'],
        ['flash', '--wait-lock SECONDS'],
        ['check-agent', '--no-reset'],
        ['run', '--wait-lock <seconds>'],
      ] as const) {
        printed.length = 0;
        expect(await main([cmd, '--help']), cmd).to.equal(0);
        const text = printed.join('\n');
        expect(text, cmd).to.match(new RegExp(`^usage: meshbench ${cmd} `));
        expect(text, cmd).to.include(option);
        if (cmd !== 'run') expect(text, cmd).to.match(/exit codes: 0 /);
      }
    } finally {
      console.log = log;
    }
    const top = await meshbench(['--help']);
    for (const cmd of ['run', 'boards', 'flash', 'doctor', 'check-agent']) expect(top.stdout).to.match(new RegExp(`^  ${cmd} +\\S`, 'm'));
  });

  it('boards: lists the attached DAPLink and matches the rig; the host-process board answers; a board not attached is exit 3', async () => {
    const r = await meshbench(['boards', '--rig', rig], env);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^/dev/ttyACM0 +0d28:0204 +${DAPLINK_SERIAL} +ARM +/dev/serial/by-id/usb-ARM_DAPLink_CMSIS-DAP_${DAPLINK_SERIAL}-if01$`, 'm'));
    expect(r.stdout).to.match(/^ {2}n1: host process answers openthread-cli OPENTHREAD\/fake-1\.4\.0/m);
    // The fake tree's device node does not exist, so the port cannot be opened: said, not hidden.
    expect(r.stdout).to.match(/^ {2}k64f: present at \/dev\/serial\/by-id\/usb-ARM_DAPLink_CMSIS-DAP_\S+ cannot be opened: /m);
    const gone = await meshbench(['boards', '--rig', rig, '--no-identify'], { ...env, MESHBENCH_SYSFS_ROOT: join(dir, 'empty-sys') });
    expect(gone.code).to.equal(3);
    expect(gone.stdout).to.include('(no USB serial devices)');
    expect(gone.stdout).to.include(`k64f: missing (USB serial ${DAPLINK_SERIAL} is not attached)`);
  });

  it('doctor: one PROBLEM line per missing tool, saying what to install (exit 3); all good with the tools on PATH (exit 0)', async () => {
    const bare = await meshbench(['doctor', '--rig', rig, '--no-probe'], { ...env, PATH: '/usr/bin:/bin' });
    expect(bare.code).to.equal(3);
    expect(bare.stdout).to.match(/^PROBLEM {2}n1: 'flash-cmd' \(flasher\.argv\) is not on PATH; install it or fix the rig file$/m);
    expect(bare.stdout).to.match(/^PROBLEM {2}k64f: 'pyocd' \(flasher\.kind pyocd\) is not on PATH; install it \(pip install pyocd\)$/m);
    expect(bare.stdout).to.match(/^PROBLEM {2}k64f: 'uhubctl' \(power\.kind uhubctl\) is not on PATH; install it \(apt-get install uhubctl\)$/m);
    // The process board's own command is absolute: found wherever PATH points.
    expect(bare.stdout).to.match(/^\d+ problem\(s\) to fix$/m);
    const processOnly = rig.replace('.yaml', '-n1.yaml');
    writeFileSync(processOnly, readFileSync(rig, 'utf8').replace(/ {2}- id: k64f[\s\S]*$/, ''));
    const good = await meshbench(['doctor', '--rig', processOnly], env);
    expect(good.code, good.stdout + good.stderr).to.equal(0);
    expect(good.stdout).to.match(/^ok {7}n1: answers \(openthread-cli OPENTHREAD\/fake-1\.4\.0/m);
    expect(good.stdout.trim().split('\n').at(-1)).to.equal('all good');
  });

  it('flash: through the command template, then the boot is checked (exit 0); a flasher exiting non-zero and a board that never boots are exit 3, saying so', async () => {
    const image = join(dir, 'ot-cli-ftd.hex');
    writeFileSync(image, ':00000001FF\n');
    const ok = await meshbench(['flash', '--rig', rig, '--board', 'n1', image], env);
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.equal('n1: flashed with flash-cmd\nn1: boots openthread-cli OPENTHREAD/fake-1.4.0; SIMULATION; Mar  1 2026 00:00:00\n');
    expect(readFileSync(join(dir, 'n1.image'), 'utf8'), 'the fake target got the image').to.equal(':00000001FF\n');

    const failing = await meshbench(['flash', '--rig', rig, '--board', 'n1', image], { ...env, FAKE_FLASH_FAIL: 'J-Link: no emulator found' });
    expect(failing.code).to.equal(3);
    expect(failing.stderr).to.match(/^meshbench flash: n1: flash command failed \(flash-cmd --image \S+ --serial n1: exit code 2\)\nERROR: J-Link: no emulator found\n$/);

    const mute = await meshbench(['flash', '--rig', rig, '--board', 'n1', image], { ...env, FAKE_OT_NO_BOOT: '1' });
    expect(mute.code).to.equal(3);
    expect(mute.stderr).to.match(/meshbench flash: n1: flashed with flash-cmd, but the board did not answer within 2000 ms \(no answer to `version`\) on process:/);
  });

  it('flash: a board another live run holds is exit 3 at once, naming the holder; --wait-lock waits for it', async () => {
    const image = join(dir, 'ot.bin');
    writeFileSync(image, 'image');
    const n1 = loadLabRig(rig).rig.boards[0]!;
    const holder = await lockHolder('n1', lockKey(n1, { rigDir: dir }), { dir: join(dir, 'locks'), runId: 'nightly-42' });
    children.push(holder);
    const held = await meshbench(['flash', '--rig', rig, '--board', 'n1', image], env);
    expect(held.code).to.equal(3);
    expect(held.stderr).to.match(new RegExp(`meshbench flash: board 'n1' is locked by run nightly-42 \\(pid ${holder.pid} on ${hostname()}, since \\S+, \\d+ s ago: [^)]*\\); pass --wait-lock SECONDS to wait for it`));
    // A run that waits gets the board once the holder has ended (ended here while it waits, whatever the machine's load).
    const waiting = meshbench(['flash', '--rig', rig, '--board', 'n1', '--wait-lock', '60', image], env);
    await new Promise((r) => setTimeout(r, 1000));
    holder.kill('SIGTERM');
    const waited = await waiting;
    expect(waited.code, waited.stderr).to.equal(0);
    expect(waited.stdout).to.match(/^n1: flashed with flash-cmd$/m);
  });

  it("check-agent: the simulated bench's agent passes every requirement (exit 0); a port that cannot be opened is exit 3", async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'mb-labcli-sim-'));
    const sim = await launchSim({
      runDir,
      seed: 3,
      speed: 20,
      boards: [{ id: 'b1', txPowerDbm: 0 }],
      topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 250 },
      radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 },
    });
    try {
      const r = await meshbench(['check-agent', sim.serialPath('b1')]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^PASS +identify/m);
      expect(r.stdout).to.match(/\d+ passed, 0 failed, \d+ skipped/);
    } finally {
      await sim.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
    const none = await meshbench(['check-agent', join(dir, 'no-such-port')]);
    expect(none.code).to.equal(3);
    expect(none.stderr).to.match(/^meshbench check-agent: cannot open \S+no-such-port: /);
  });
});
