// The lab path of docs/rcp.md as a lab user takes it, with ot-rcp behind a PTY (socat)
// standing in for a dongle: udev's /dev/serial/by-id link to it in a /dev tree of the
// test's own (MESHBENCH_DEV_ROOT, which discovery and the board both read), `meshbench
// board --probe --radio usb:SERIAL`, and `meshbench doctor` on a rig with such a board,
// one whose dongle is not plugged in, and a sniffer RCP; then a lab run with a sniffer.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { openByteLink } from '../../../host/rcp/byte-link.ts';
import type { RcpProbeResult } from '../../../protocol/rcp-probe.ts';
import { toolOrSkip, tsharkOrSkip } from '../../support/tools.ts';
import { casesOf, meshbench } from '../lab/support.ts';
import { MESHBENCH, otBinary, portOffset, ROOT, until } from './support.ts';

/** ot-nrf528xx's USB build names its dongle so (manufacturer, product, 12 hex digits of serial number). */
const byIdName = (serial: string) => `usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_${serial}-if00`;

async function probe(radio: string, env: Record<string, string>): Promise<{ exitCode: number; answer: RcpProbeResult }> {
  const r = await execa(process.execPath, [MESHBENCH, 'board', '--probe', '--radio', radio], { env, reject: false, timeout: 30_000 });
  return { exitCode: r.exitCode ?? -1, answer: JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as RcpProbeResult };
}

describe('the lab path: an RCP found by its USB serial number, probed, and checked by doctor', function () {
  // A guard against a hang, not a bound: five probes, each a node process that starts and sets
  // up an RCP, took more than 90 s once on a 2-core host at load 13.
  this.timeout(240_000);
  let rcp: string;
  let dir: string;
  let dev: string;
  let socat: ChildProcess | undefined;

  before(function () {
    rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
  });
  beforeEach(async function () {
    const bin = await toolOrSkip(this, 'socat', 'socat');
    dir = mkdtempSync(join(tmpdir(), 'mb-rcp-lab-'));
    dev = join(dir, 'dev');
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    // socat runs ot-rcp itself (EXEC splits its words; no shell) on the PTY it links as the dongle's tty.
    socat = spawn(bin, [`PTY,raw,echo=0,link=${join(dev, 'ttyACM0')}`, `EXEC:${rcp} 12`], { cwd: dir, env: { ...process.env, PORT_OFFSET: String(portOffset()) }, stdio: 'ignore' });
    await until('the PTY', () => (existsSync(join(dev, 'ttyACM0')) ? true : undefined), 10_000);
    symlinkSync('../../ttyACM0', join(dev, 'serial', 'by-id', byIdName('E1A2B3C4D5E6')));
  });
  afterEach(() => {
    socat?.kill();
    socat = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('`board --probe --radio usb:SERIAL` finds the dongle by its by-id link, in either case, and says what it is; one not plugged in exits 3', async () => {
    const env = { MESHBENCH_DEV_ROOT: dev };
    for (const serial of ['E1A2B3C4D5E6', 'e1a2b3c4d5e6']) {
      const { exitCode, answer } = await probe(`usb:${serial}`, env);
      expect(answer, JSON.stringify(answer)).to.include({ ok: true, protocol: '4.3', rcpApiVersion: 11, rcpMinHostApiVersion: 4, eui64: '18b430000000000c', channel: 11 });
      expect(answer.link).to.match(/^serial \/dev\/pts\/\d+ at 115200 baud$/);
      expect(answer.ncpVersion).to.match(/^OPENTHREAD\/\S+; SIMULATION; /);
      expect(exitCode).to.equal(0);
    }
    const missing = await probe('usb:C0FFEE012345', env);
    expect(missing.exitCode).to.equal(3);
    expect(missing.answer).to.deep.include({ ok: false, link: 'usb:C0FFEE012345', problemKind: 'unreachable' });
    expect(missing.answer.problem).to.equal(`no USB serial device with serial number C0FFEE012345 under ${join(dev, 'serial', 'by-id')}`);
    // A device path is looked up in the same /dev tree.
    const byPath = await probe(`/dev/serial/by-id/${byIdName('E1A2B3C4D5E6')}`, env);
    expect([byPath.exitCode, byPath.answer.ok, byPath.answer.eui64]).to.deep.equal([0, true, '18b430000000000c']);
    // A port another process has open (and locked, as serialport locks the ports it opens): in use, said so.
    const held = await openByteLink({ kind: 'serial', path: join(dev, 'ttyACM0'), baudRate: 115200 });
    try {
      const busy = await probe('usb:E1A2B3C4D5E6', env);
      expect(busy.exitCode).to.equal(3);
      expect(busy.answer.problem).to.match(/^\/dev\/pts\/\d+ is in use by another process \(a board or sniffer of a run\?\): .*Cannot lock port$/);
    } finally {
      await held.close();
    }
  });

  it('doctor: the board on the dongle (its RCP, then its answer), a dongle not plugged in, and the sniffer RCP', async () => {
    const { doctor } = await import('../../../harness/lab/doctor.ts');
    const q = JSON.stringify;
    const board = (id: string, radio: string) =>
      [
        `  - id: ${id}`,
        '    stack: thread',
        '    roles: [router]',
        '    firmware: meshbench-agent',
        `    port: { kind: process, command: ${q([process.execPath, MESHBENCH, 'board', '--id', '{board}', '--radio', radio])}, env: { MESHBENCH_DEV_ROOT: ${q(dev)} } }`,
      ].join('\n');
    const rig = join(dir, 'rig.yaml');
    writeFileSync(
      rig,
      [
        'name: rcp-lab-path',
        'kind: lab',
        `networks: { thread: ${q(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
        `lockDir: ${q(join(dir, 'locks'))}`,
        'answerTimeoutS: 20',
        'boards:',
        board('ours', 'usb:E1A2B3C4D5E6'),
        board('unplugged', 'usb:F1E2D3C4B5A6'),
        // The sniffer on the run's simulated air, as docs/rcp.md shows it.
        `sniffer: { radio: ${q([`spawn:${rcp}`, '13'])}, channel: 22, env: { PORT_OFFSET: "{portOffset}" } }`,
        '',
      ].join('\n'),
    );
    const r = await doctor(rig, { devRoot: dev, sysRoot: join(dir, 'sys'), list: null, answerMs: 30_000 });
    const all = [...r.ok, ...r.problems, ...r.warnings].join('\n');
    expect(r.ok.find((l) => l.startsWith('ours: RCP ')), all).to.match(/^ours: RCP OPENTHREAD\/\S+; SIMULATION; .* \(Spinel 4\.3, RCP API 11; ack-timeout, .*; channel 11; EUI-64 18b430000000000c\)$/);
    expect(r.ok.find((l) => l.startsWith('ours: answers ')), all).to.match(/^ours: answers \(meshbench-rcp 0\.1\.0 on OPENTHREAD\//);
    expect(r.problems, all).to.deep.equal([
      `unplugged: its RCP (usb:F1E2D3C4B5A6) cannot be reached: no USB serial device with serial number F1E2D3C4B5A6 under ${join(dev, 'serial', 'by-id')}; plug it in, or fix the --radio words in the rig file (\`meshbench boards\` lists what is attached)`,
    ]);
    expect(r.ok.find((l) => l.startsWith('sniffer: ')), all).to.match(/^sniffer: RCP OPENTHREAD\/\S+; SIMULATION; .*; EUI-64 18b430000000000d\); captures channel 22$/);
  });
});

describe('`meshbench board` on a radio that is not there or is no RCP, and a sniffer whose launcher goes', function () {
  this.timeout(30_000);
  it('a command that cannot start: exit 3 with the reason, as a probe and as a board', async () => {
    const p = await probe('spawn:/nonexistent/ot-rcp', {});
    expect(p.exitCode).to.equal(3);
    expect(p.answer).to.deep.include({ ok: false, link: 'process /nonexistent/ot-rcp', problemKind: 'unreachable' });
    expect(p.answer.problem).to.match(/^the link to the RCP ended: cannot start \/nonexistent\/ot-rcp: spawn \/nonexistent\/ot-rcp ENOENT/);
    const b = await execa(process.execPath, [MESHBENCH, 'board', '--radio', 'spawn:/nonexistent/ot-rcp'], { input: '', reject: false, timeout: 20_000 });
    expect(b.exitCode, b.stderr).to.equal(3);
    expect(b.stderr).to.match(/^meshbench board: the link to the RCP ended: cannot start \/nonexistent\/ot-rcp: spawn \/nonexistent\/ot-rcp ENOENT$/m);
  });

  it('a sniffer ends when its stdin does (its launcher went away), exit 0, as a board does', async function () {
    const rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    const dir = mkdtempSync(join(tmpdir(), 'mb-rcp-sniffend-'));
    const child = spawn(process.execPath, [MESHBENCH, 'board', '--sniff', '22', '--radio', `spawn:${rcp}`, '14'], { cwd: dir, env: { ...process.env, PORT_OFFSET: String(portOffset()) }, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (code, signal) => r([code, signal])));
      let out = Buffer.alloc(0);
      child.stdout.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
      await until('the pcap header', () => (out.length >= 24 ? true : undefined), 20_000);
      expect(out.readUInt32LE(20)).to.equal(283);
      child.stdin.end();
      // A backstop only: it ends at once; one that never noticed would be killed here, and fail.
      const backstop = setTimeout(() => child.kill('SIGKILL'), 15_000);
      expect(await exited).to.deep.equal([0, null]);
      clearTimeout(backstop);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process that answers no Spinel (cat echoes our frames): not an RCP, exit 3', async () => {
    const p = await probe('spawn:cat', {});
    expect(p.exitCode).to.equal(3);
    expect(p.answer).to.deep.include({ ok: false, link: 'process cat', problemKind: 'not-an-rcp' });
  });
});

describe('a lab run of our board with a sniffer RCP', function () {
  this.timeout(180_000);
  it('every case gets its capture.pcap (TAP RSSI, LQI, channel; MLE opened with the network key), the board\'s serial log the Spinel exchange, and the key is nowhere in clear', async function () {
    const rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    const tshark = await tsharkOrSkip(this);
    const dir = mkdtempSync(join(tmpdir(), 'mb-rcp-labrun-'));
    try {
      const q = JSON.stringify;
      const where = 'cwd: "{runDir}", env: { PORT_OFFSET: "{portOffset}" }';
      const rig = join(dir, 'rig.yaml');
      writeFileSync(
        rig,
        [
          'name: rcp-sniffed',
          'kind: lab',
          'speed: 10',
          'answerTimeoutS: 15',
          `networks: { thread: ${q(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
          `lockDir: ${q(join(dir, 'locks'))}`,
          'boards:',
          '  - id: ours1',
          '    stack: thread',
          '    roles: [leader, router]',
          '    firmware: meshbench-agent',
          `    port: { kind: process, command: ${q([process.execPath, MESHBENCH, 'board', '--id', '{board}', '--time-speed', '{speed}', '--radio', `spawn:${rcp}`, '3'])}, ${where} }`,
          '    config: { border-router-prefix: "{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00}" }',
          // As docs/rcp.md shows a simulated sniffer on the run's air.
          `sniffer: { radio: ${q([`spawn:${rcp}`, '--time-speed={speed}', '9'])}, channel: 22, ${where} }`,
          '',
        ].join('\n'),
      );
      const out = join(dir, 'run');
      const r = await meshbench(['run', '--rig', rig, '--grep', 'JOIN-TH-00[15]', '--out', out, '--retries', '0', '--quiet']);
      const cases = await casesOf(join(out, 'junit.xml'));
      expect(cases.map((c) => `${c.name.split(' ')[0]} ${c.verdict}`), `${r.stdout}${r.stderr}`).to.deep.equal(['JOIN-TH-001 passed', 'JOIN-TH-005 passed']);
      // thread-default.json's network key, as tshark takes it to open MLE and data.
      const key = '10112233445566778899aabbccddeeff';
      const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
      for (const id of ['JOIN-TH-001', 'JOIN-TH-005']) {
        const pcap = join(out, 'cases', id, 'capture.pcap');
        expect(junit).to.include(`[[ATTACHMENT|cases/${id}/capture.pcap]]`);
        expect(readFileSync(pcap).readUInt32LE(20), 'LINKTYPE').to.equal(283);
        const t = await execa(tshark, ['-r', pcap, '-o', `uat:ieee802154_keys:"${key}","1","Thread hash"`, '-T', 'fields', '-e', 'wpan-tap.rss', '-e', 'wpan-tap.lqi', '-e', 'wpan-tap.ch_num', '-e', 'mle.cmd', '-e', '_ws.malformed'], { reject: false });
        expect(t.exitCode, t.stderr).to.equal(0);
        const rows = t.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
        expect(rows.length, id).to.be.greaterThan(0);
        // ot-rcp's simulated radio reports −20 dBm and LQI 0 for every frame it hears.
        for (const [rss, lqi, ch, , malformed] of rows) expect([rss, lqi, ch, malformed ?? ''], id).to.deep.equal(['-20', '0', '22', '']);
        // Our leader's MLE (encrypted: its command is read only with the key), Parent Requests (9) as it starts, Advertisements (4) once it leads.
        expect(rows.filter((row) => row[3] === '9' || row[3] === '4').length, `${id}: ${JSON.stringify(rows)}`).to.be.greaterThan(0);
      }
      // The board's serial log: its Spinel exchange, and what the harness sent it with the key redacted.
      const logs = readdirSync(join(out, 'serial')).map((f) => readFileSync(join(out, 'serial', f), 'utf8'));
      const serial = logs.join('\n');
      expect(serial).to.match(/spinel > tid=\d+ PROP_VALUE_SET MAC_PROMISCUOUS_MODE 00/);
      // A lone leader hears nobody: its frames go down to the RCP and come back done.
      expect(serial).to.match(/spinel > tid=\d+ PROP_VALUE_SET STREAM_RAW /);
      expect(serial).to.match(/spinel < tid=\d+ PROP_VALUE_IS LAST_STATUS OK /);
      expect(serial).to.include('thread-master-key=<redacted>');
      for (const f of [join(out, 'junit.xml'), join(out, 'results.json'), join(out, 'run.log')]) expect(readFileSync(f, 'utf8').toLowerCase(), f).to.not.include(key);
      expect(serial.toLowerCase()).to.not.include(key);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
