// The RCP radio against the real ot-rcp: what it reads at bring-up, the source
// match table edits it answers, and a reset under us (Spinel CMD_RESET from
// outside our radio's code, as a crash or watchdog would) noticed and the radio
// set up again with our channel and addresses; and the same RCP on a serial port.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openByteLink, type ByteLink } from '../../../host/rcp/byte-link.ts';
import { RcpRadio } from '../../../host/rcp/rcp-radio.ts';
import { SpinelLink } from '../../../host/rcp/spinel-link.ts';
import { WallTimers } from '../../../host/wall-timers.ts';
import { Cap, Cmd, Prop } from '../../../host/wire/spinel.ts';
import { toolOrSkip } from '../../support/tools.ts';
import { otBinary, portOffset, until } from './support.ts';

describe('RCP radio on the real ot-rcp', function () {
  this.timeout(30_000);
  let rcp: string;
  let dir: string;
  let link: ByteLink | undefined;
  let timers: WallTimers | undefined;
  let socat: ChildProcess | undefined;

  before(function () {
    rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-rcp-radio-'))));
  afterEach(async () => {
    timers?.stop();
    await link?.close();
    socat?.kill();
    socat = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** `onLog` sees every log line as it is written, while the radio's code that wrote it runs. */
  async function radio(node: number, onLog: (line: string) => void = () => {}) {
    link = await openByteLink({ kind: 'spawn', command: [rcp, String(node)] }, { cwd: dir, env: { PORT_OFFSET: String(portOffset()) } });
    const log: string[] = [];
    const spinel = new SpinelLink(link, (l) => {
      log.push(l);
      onLog(l);
    });
    timers = new WallTimers(1);
    const r = new RcpRadio(spinel, timers, (l) => log.push(l));
    return { r, spinel, log };
  }

  it('reads version, capabilities, radio caps and EUI-64; sets up the MAC; edits the source match tables', async () => {
    const { r, spinel, log } = await radio(4);
    r.setChannel(15);
    const info = await r.open();
    expect(info.ncpVersion).to.match(/^OPENTHREAD\//);
    expect(info.protocol.major).to.equal(4);
    expect(info.caps).to.include.members([Cap.CONFIG_RADIO, Cap.MAC_RAW]);
    expect(info.radioCaps & 0b1101).to.equal(0b1101); // ack-timeout, tx-retries, CSMA backoff
    // ot-rcp of OpenThread 5df29f74: RCP API 11, and it serves hosts of RCP API 4 and later.
    expect([info.rcpApiVersion, info.rcpMinHostApiVersion]).to.deep.equal([11, 4]);
    expect(Buffer.from(info.eui64).toString('hex')).to.equal('18b4300000000004');
    expect(await r.readChannel()).to.equal(15);
    expect((await spinel.get(Prop.MAC_PROMISCUOUS_MODE)).value[0]).to.equal(0);
    expect((await r.addSrcMatchShort(0x0401)).command).to.equal(Cmd.PROP_VALUE_INSERTED);
    expect((await r.removeSrcMatchShort(0x0401)).command).to.equal(Cmd.PROP_VALUE_REMOVED);
    expect((await r.addSrcMatchExt(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))).command).to.equal(Cmd.PROP_VALUE_INSERTED);
    expect((await r.removeSrcMatchExt(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))).command).to.equal(Cmd.PROP_VALUE_REMOVED);
    // An unknown property is refused with its LAST_STATUS, named.
    await spinel.get(0x1fff).then(
      () => expect.fail('answered'),
      (e: Error) => expect(e.message).to.match(/PROP_NOT_FOUND/),
    );
    expect(log).to.include('spinel > tid=9 PROP_VALUE_SET PHY_CHAN 0f');
  });

  it('reads the RCP on a serial port: ot-rcp behind a PTY (socat), opened by its path as a dongle at /dev/ttyACM0 is', async function () {
    const bin = await toolOrSkip(this, 'socat', 'socat');
    const path = join(dir, 'ttyACM0');
    // socat runs ot-rcp itself (EXEC splits its words; no shell) on the PTY it links at `path`.
    socat = spawn(bin, [`PTY,raw,echo=0,link=${path}`, `EXEC:${rcp} 9`], { cwd: dir, env: { ...process.env, PORT_OFFSET: String(portOffset()) }, stdio: 'ignore' });
    await until('the PTY', () => (existsSync(path) ? true : undefined), 10_000);
    link = await openByteLink({ kind: 'serial', path, baudRate: 115200 });
    expect(link.description).to.equal(`serial ${path} at 115200 baud`);
    const log: string[] = [];
    timers = new WallTimers(1);
    const r = new RcpRadio(new SpinelLink(link, (l) => log.push(l)), timers, (l) => log.push(l));
    const info = await r.open();
    expect(info.ncpVersion, log.join('\n')).to.match(/^OPENTHREAD\/\S+; SIMULATION; /);
    expect(Buffer.from(info.eui64).toString('hex')).to.equal('18b4300000000009');
    expect(await r.readChannel()).to.equal(11);
  });

  it('notices the RCP resetting under it and sets it up again (channel, PAN ID, short address)', async () => {
    const { r, spinel, log } = await radio(5);
    await r.open();
    r.subMac.setAddressFilter({ panId: 0x0700, shortAddress: 0x0401, extAddress: Uint8Array.from([0x18, 0xb4, 0x30, 0, 0, 0, 0, 5]) });
    r.setChannel(22);
    expect(await r.readChannel()).to.equal(22);
    spinel.reset(); // as if the RCP had reset on its own: our radio code did not ask for it
    await until('set up again', () => (log.includes('rcp: set up again after its reset') ? true : undefined), 10_000);
    expect(r.resets).to.equal(1);
    expect(log.some((l) => /the RCP reset \(RESET_/.test(l))).to.equal(true);
    expect(await r.readChannel()).to.equal(22);
    expect(Buffer.from((await spinel.get(Prop.MAC_15_4_PANID)).value).toString('hex')).to.equal('0007');
    expect(Buffer.from((await spinel.get(Prop.MAC_15_4_SADDR)).value).toString('hex')).to.equal('0104');
  });

  it('the RCP resetting again while it is being set up after a reset: set up once more, from the start', async () => {
    let resets = 0;
    let again = false;
    const { r, spinel, log } = await radio(10, (line) => {
      // The set-up after the first reset has just turned the PHY on and sent the channel: the RCP resets again.
      if (resets === 1 && !again && /^spinel > tid=\d+ PROP_VALUE_SET PHY_CHAN /.test(line)) {
        again = true;
        spinel.reset();
      }
    });
    await r.open();
    r.subMac.setAddressFilter({ panId: 0x0700, shortAddress: 0x0401, extAddress: Uint8Array.from([0x18, 0xb4, 0x30, 0, 0, 0, 0, 10]) });
    r.setChannel(22);
    expect(await r.readChannel()).to.equal(22);
    resets = 1;
    spinel.reset();
    await until('set up again', () => (log.includes('rcp: set up again after its reset') ? true : undefined), 10_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    expect(again).to.equal(true);
    expect(log.filter((l) => /rcp ! the RCP reset \(RESET_/.test(l)), log.join('\n')).to.have.length(2);
    // What the second reset undid is done again: the PHY on, our channel, PAN ID and address.
    expect((await spinel.get(Prop.PHY_ENABLED)).value[0], log.join('\n')).to.equal(1);
    expect((await spinel.get(Prop.MAC_RAW_STREAM_ENABLED)).value[0]).to.equal(1);
    expect(await r.readChannel()).to.equal(22);
    expect(Buffer.from((await spinel.get(Prop.MAC_15_4_PANID)).value).toString('hex')).to.equal('0007');
    expect(Buffer.from((await spinel.get(Prop.MAC_15_4_SADDR)).value).toString('hex')).to.equal('0104');
  });

  it('an RCP that resets and then answers no more is reported lost (a board on it ends as a dead board)', async () => {
    link = await openByteLink({ kind: 'spawn', command: [rcp, '11'] }, { cwd: dir, env: { PORT_OFFSET: String(portOffset()) } });
    const { stdout } = await execa('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]);
    const pid = Number(/^\s*(\d+)\s+ot-rcp$/m.exec(stdout)?.[1]);
    expect(pid, stdout).to.be.greaterThan(0);
    const log: string[] = [];
    let lost: string | undefined;
    const spinel = new SpinelLink(link, (l) => log.push(l), 500);
    timers = new WallTimers(1);
    const r = new RcpRadio(spinel, timers, (l) => {
      log.push(l);
      // The RCP reset (as a crash would) and hangs before it answers the set-up: stopped, it answers nothing.
      if (/^rcp ! the RCP reset/.test(l)) process.kill(pid, 'SIGSTOP');
    }, { onLost: (why) => (lost = why) });
    try {
      await r.open();
      spinel.reset();
      await until('lost', () => lost, 10_000);
      expect(lost).to.equal('the RCP reset and could not be set up again: PROP_VALUE_SET PHY_ENABLED: no answer within 500 ms');
      expect(log).to.include('rcp ! setting up after the reset failed: PROP_VALUE_SET PHY_ENABLED: no answer within 500 ms');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('an address the stack sets while the RCP is being set up again after a reset is the one the RCP ends with', async () => {
    const ext = Uint8Array.from([0x18, 0xb4, 0x30, 0, 0, 0, 0, 7]);
    let afterReset = false;
    let changed = false;
    const { r, spinel, log } = await radio(7, (line) => {
      // The set-up after the reset has just sent the PAN ID it had: the stack takes another now
      // (a child that attached to another partition, a scan's PAN ID).
      if (afterReset && !changed && /^spinel > tid=\d+ PROP_VALUE_SET MAC_15_4_PANID /.test(line)) {
        changed = true;
        r.subMac.setAddressFilter({ panId: 0x0800, shortAddress: 0x0c01, extAddress: ext });
      }
    });
    await r.open();
    r.subMac.setAddressFilter({ panId: 0x0700, shortAddress: 0x0401, extAddress: ext });
    afterReset = true;
    spinel.reset();
    await until('set up again', () => (log.includes('rcp: set up again after its reset') ? true : undefined), 10_000);
    expect(changed).to.equal(true);
    expect(Buffer.from((await spinel.get(Prop.MAC_15_4_PANID)).value).toString('hex')).to.equal('0008');
    expect(Buffer.from((await spinel.get(Prop.MAC_15_4_SADDR)).value).toString('hex')).to.equal('010c');
  });
});

describe('doctor asks a rig\'s RCP boards for version, capabilities and channel', function () {
  this.timeout(60_000);
  it('names the ot-rcp of a `meshbench board` process board, and a radio that is no RCP as a problem', async function () {
    const rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    const dir = mkdtempSync(join(tmpdir(), 'mb-rcp-doctor-'));
    try {
      const { doctor } = await import('../../../harness/lab/doctor.ts');
      const { MESHBENCH, ROOT } = await import('./support.ts');
      const q = JSON.stringify;
      const rig = join(dir, 'rig.yaml');
      const board = (id: string, radio: string[]) =>
        [`  - id: ${id}`, '    stack: thread', '    roles: [router]', '    firmware: meshbench-agent', `    port: { kind: process, command: ${q([process.execPath, MESHBENCH, 'board', '--id', id, '--radio', ...radio])}, env: { PORT_OFFSET: "${portOffset()}" } }`].join('\n');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        rig,
        ['name: rcp-doctor', 'kind: lab', `networks: { thread: ${q(join(ROOT, 'fixtures/networks/thread-default.json'))} }`, `lockDir: ${q(join(dir, 'locks'))}`, 'answerTimeoutS: 20', 'boards:', board('ours', [`spawn:${rcp}`, '6']), board('not-an-rcp', ['spawn:cat']), ''].join('\n'),
      );
      const r = await doctor(rig, { answerMs: 30_000 });
      const line = r.ok.find((l) => l.startsWith('ours: RCP '));
      expect(line, [...r.ok, ...r.problems].join('\n')).to.match(/^ours: RCP OPENTHREAD\/\S+; SIMULATION; .* \(Spinel 4\.\d+, RCP API \d+; ack-timeout, energy-scan, transmit-retries, csma-backoff.*; channel 11; EUI-64 18b4300000000006\)$/);
      // It says what it is: our stack on that RCP, not the simulated bench's firmware.
      expect(r.ok.find((l) => l.startsWith('ours: answers ')), r.ok.join('\n')).to.match(/^ours: answers \(meshbench-rcp 0\.1\.0 on OPENTHREAD\/\S+; SIMULATION; /);
      expect(r.problems.find((p) => p.startsWith('not-an-rcp: its RCP (spawn:cat) does not answer as an RCP'))).to.be.a('string');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
