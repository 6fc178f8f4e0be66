import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { boards } from '../../../harness/cli/commands/boards.ts';
import { checkAgentCommand } from '../../../harness/cli/commands/check-agent.ts';
import { doctorCommand } from '../../../harness/cli/commands/doctor.ts';
import { flashCommand } from '../../../harness/cli/commands/flash.ts';
import type { Io } from '../../../harness/cli/commands/shared.ts';
import { lockKey } from '../../../harness/lab/open.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';
import { loadLabRig } from '../../../harness/lab/rig-file.ts';
import { discover, matchBoards } from '../../../harness/lab/discovery.ts';
import { DAPLINK_SERIAL, fakeUsbTree, lockHolder } from './support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const FAKES = join(ROOT, 'fixtures/fake-tools');
const FAKE_OT = join(ROOT, 'fixtures/fake-ot-cli/ot-cli-ftd.js');

function capture(): Io & { text: () => string } {
  const lines: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => lines.push(l), text: () => lines.join('\n') };
}

describe('lab commands: boards, doctor, flash, check-agent', function () {
  this.timeout(30_000);
  let dir: string;
  let rig: string;
  let env: Record<string, string>;
  const discovery = () => ({ sysRoot: join(dir, 'sys'), devRoot: join(dir, 'dev'), list: null });
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mb-cmd-'));
    mkdirSync(join(dir, 'sys/class/tty'), { recursive: true });
    mkdirSync(join(dir, 'net'));
    writeFileSync(join(dir, 'thread.json'), JSON.stringify({ target_overrides: { '*': {} } }));
    env = { PATH: `${FAKES}:${process.env.PATH}`, FAKE_BOARD_STATE_DIR: dir };
    rig = join(dir, 'lab.yaml');
    writeFileSync(
      rig,
      `name: t
kind: lab
networks: { thread: thread.json }
lockDir: ${join(dir, 'locks')}
boards:
  - id: n1
    stack: thread
    roles: [leader]
    firmware: openthread-cli
    version: fake-1.4.0
    port: { kind: process, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(FAKE_OT)}, "1"], env: { FAKE_OT_NET_DIR: ${JSON.stringify(join(dir, 'net'))} } }
    flasher: { kind: command, argv: [flash-cmd, --image, "{image}", --serial, n1] }
  - id: usb1
    stack: thread
    roles: [router]
    firmware: meshbench-agent
    port: { kind: usb-serial, serial: "0240000034544e45001e0010" }
    flasher: { kind: pyocd, target: k64f }
    power: { kind: uhubctl, hub: "1-1", port: 2 }
`,
    );
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('boards: the process board answers, the USB board is missing (exit 3)', async () => {
    const io = capture();
    expect(await boards({ rig, ...discovery() }, io)).to.equal(3);
    expect(io.text()).to.match(/\(no USB serial devices\)/);
    expect(io.text()).to.match(/n1: host process answers openthread-cli OPENTHREAD\/fake-1\.4\.0/);
    expect(io.text()).to.match(/usb1: missing \(USB serial 0240000034544e45001e0010 is not attached\)/);
  });

  it('doctor: one line per problem, each saying what to fix', async () => {
    const io = capture();
    expect(await doctorCommand(rig, { ...discovery(), env: { PATH: `${join(dir, 'empty')}:/usr/bin:/bin` } }, io)).to.equal(3);
    const text = io.text();
    expect(text).to.match(/PROBLEM  n1: 'flash-cmd' \(flasher\.argv\) is not on PATH; install it or fix the rig file/);
    expect(text).to.match(/PROBLEM  usb1: 'pyocd' \(flasher\.kind pyocd\) is not on PATH; install it \(pip install pyocd\)/);
    expect(text).to.match(/PROBLEM  usb1: 'uhubctl' \(power\.kind uhubctl\) is not on PATH/);
    expect(text).to.match(/PROBLEM  usb1: missing .*; run `meshbench boards`/);
    expect(text).to.match(/ok       n1: answers \(openthread-cli OPENTHREAD\/fake-1\.4\.0/);
    expect(text).to.match(/4 problem\(s\) to fix/);
  });

  it('doctor: uhubctl must list the rig\'s hub and port (asked with -l, status only), not only be on PATH', async () => {
    // A uhubctl of our own in a directory of its own on PATH: a real process, asked as the real one would be.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    copyFileSync(join(FAKES, 'uhubctl'), join(bin, 'uhubctl'));
    chmodSync(join(bin, 'uhubctl'), 0o755);
    const toolEnv = (extra: Record<string, string>) => ({ PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, FAKE_TOOLS_LOG: join(dir, 'tools.log'), ...extra });
    const doctorWith = async (extra: Record<string, string>) => {
      const io = capture();
      await doctorCommand(rig, { ...discovery(), noProbe: true, env: toolEnv(extra) }, io);
      return io.text();
    };

    const reached = await doctorWith({ FAKE_UHUBCTL_HUBS: '1-1' });
    expect(reached).to.match(/^ok {7}usb1: uhubctl reaches hub 1-1 port 2 \(0103 power enable connect \[0d28:0204 ARM DAPLink CMSIS-DAP\]\)$/m);
    expect(reached).to.not.match(/PROBLEM {2}usb1: power/);
    // Asked for the hub's status only: nothing switched.
    expect(readFileSync(join(dir, 'tools.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[])).to.deep.equal([['uhubctl', '-l', '1-1']]);

    const noHub = await doctorWith({ FAKE_UHUBCTL_HUBS: '2-1' });
    expect(noHub).to.match(/^PROBLEM {2}usb1: power \(uhubctl, hub 1-1 port 2\): 'uhubctl -l 1-1' finds no hub it can switch there \(exit code 1: No compatible devices detected at location 1-1! \/ Run with -h to get usage info\.\); check the hub location and port with `uhubctl`/m);

    const fewPorts = await doctorWith({ FAKE_UHUBCTL_HUBS: '1-1', FAKE_UHUBCTL_PORTS: '1' });
    expect(fewPorts).to.match(/^PROBLEM {2}usb1: power \(uhubctl, hub 1-1 port 2\): hub 1-1 \(2109:2817 VIA Labs, Inc\. USB2\.0 Hub, USB 2\.10, 1 ports, ppps\) has no port 2 \(uhubctl lists ports 1\)/m);
  });

  it('doctor: says where locks live, and a lock directory that cannot be made is a problem', async () => {
    const good = capture();
    await doctorCommand(rig, { ...discovery(), noProbe: true }, good);
    expect(good.text()).to.match(new RegExp(`ok {7}locks: ${join(dir, 'locks')}$`, 'm'));
    writeFileSync(join(dir, 'file'), '');
    writeFileSync(rig, readFileSync(rig, 'utf8').replace(`lockDir: ${join(dir, 'locks')}`, `lockDir: ${join(dir, 'file', 'locks')}`));
    const bad = capture();
    expect(await doctorCommand(rig, { ...discovery(), noProbe: true }, bad)).to.equal(3);
    expect(bad.text()).to.match(/PROBLEM  locks: \S+\/file\/locks \(lockDir\) cannot be created or written; create it \(sudo install -d -m 1777 \S+\) or fix lockDir in the rig file/);
  });

  it('doctor: a bad rig file is a problem naming the field', async () => {
    writeFileSync(rig, 'name: t\nkind: lab\nboards: []\n');
    const io = capture();
    expect(await doctorCommand(rig, discovery(), io)).to.equal(3);
    expect(io.text()).to.match(/PROBLEM  rig file .*: boards \(line 3\): /);
  });

  it('flash: flashes through the command template, checks the boot version; a failing flasher is exit 3 with its message', async () => {
    const image = join(dir, 'ot.bin');
    writeFileSync(image, 'image');
    const ok = capture();
    expect(await flashCommand({ rig, image, board: 'n1', env, ...discovery() }, ok)).to.equal(0);
    expect(ok.text()).to.equal('n1: flashed with flash-cmd\nn1: boots openthread-cli OPENTHREAD/fake-1.4.0; SIMULATION; Mar  1 2026 00:00:00');
    const bad = capture();
    const t0 = Date.now();
    expect(await flashCommand({ rig, image, board: 'n1', env: { ...env, FAKE_FLASH_FAIL: 'no J-Link found' }, ...discovery() }, bad)).to.equal(3);
    expect(Date.now() - t0).to.be.below(5000);
    expect(bad.text()).to.match(/^meshbench flash: n1: flash command failed \(flash-cmd --image .* exit code 2\)\nERROR: no J-Link found$/);
  });

  it('flash: a board held by a live run fails fast naming it; a board missing from USB is exit 3', async () => {
    const image = join(dir, 'ot.bin');
    writeFileSync(image, 'image');
    const n1 = loadLabRig(rig).rig.boards[0]!;
    const holder = await lockHolder('n1', lockKey(n1, { rigDir: dir }), { dir: join(dir, 'locks'), runId: 'nightly-42' });
    children.push(holder);
    const io = capture();
    expect(await flashCommand({ rig, image, board: 'n1', env, ...discovery() }, io)).to.equal(3);
    expect(io.text()).to.match(/board 'n1' is locked by run nightly-42 \(pid \d+ on .*\); pass --wait-lock SECONDS/);
    const io2 = capture();
    expect(await flashCommand({ rig, image, board: 'usb1', env, ...discovery() }, io2)).to.equal(3);
    expect(io2.text()).to.match(/usb1: missing \(USB serial 0240000034544e45001e0010 is not attached\)/);
  });

  it('flash: one board named by its USB serial in one rig and by its by-id link or tty in another takes one lock', async () => {
    const image = join(dir, 'fw.bin');
    writeFileSync(image, 'image');
    const tree = fakeUsbTree(join(dir, 'usb'));
    const fake = { sysRoot: tree.sys, devRoot: tree.dev, list: null };
    const byId = `/dev/serial/by-id/${readdirSync(join(tree.dev, 'serial/by-id'))[0]!}`;
    const rigNaming = (file: string, port: string) => {
      writeFileSync(
        join(dir, file),
        `name: ${file}\nkind: lab\nnetworks: { nd: nd.json }\nlockDir: ${join(dir, 'locks')}\nboards:\n  - id: k64f\n    stack: nd\n    roles: [router]\n    firmware: meshbench-agent\n    port: ${port}\n    flasher: { kind: pyocd, target: k64f, probe: "${DAPLINK_SERIAL}" }\n`,
      );
      return join(dir, file);
    };
    writeFileSync(join(dir, 'nd.json'), JSON.stringify({ target_overrides: { '*': {} } }));
    const desk = loadLabRig(rigNaming('desk.yaml', `{ kind: usb-serial, serial: "${DAPLINK_SERIAL}" }`));
    const [m] = matchBoards(desk.rig.boards, (await discover(fake)).devices).boards;
    children.push(await lockHolder('k64f', lockKey(m!.board, { rigDir: dir }, m), { dir: join(dir, 'locks'), runId: 'desk-run' }));
    for (const [file, port] of [['ci-by-id.yaml', `{ kind: by-id, path: "${byId}" }`], ['ci-tty.yaml', '{ kind: tty, path: /dev/ttyACM0 }']] as const) {
      const io = capture();
      expect(await flashCommand({ rig: rigNaming(file, port), image, env, ...fake }, io), io.text()).to.equal(3);
      expect(io.text(), file).to.match(/^meshbench flash: board 'k64f' is locked by run desk-run \(pid \d+ on /);
    }
  });

  it('check-agent: exit 1 on a broken agent', async () => {
    const io = capture();
    expect(await checkAgentCommand(new PtyProcessTransport({ command: [process.execPath, join(FAKES, 'broken-agent')] }), { answerMs: 300, bootMs: 300, upMs: 300 }, io)).to.equal(1);
    expect(io.text()).to.match(/\d+ passed, \d+ failed, \d+ skipped/);
  });
});
