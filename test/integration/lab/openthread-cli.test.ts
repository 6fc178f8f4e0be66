import { expect } from 'chai';
import { THREAD as THREAD_NETWORK } from '../rcp/support.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent, MeshEventRecord } from '../../../harness/board/driver.ts';
import type { OtCliError } from '../../../harness/board/drivers/openthread-cli.ts';
import { OpenThreadCliDriver, OtCli, OtCliGoneError } from '../../../harness/board/drivers/openthread-cli.ts';
import { defaultLockDir, PortOffset } from '../../../harness/lab/lock.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';
import { realOtCliFtd } from './support.ts';

// The driver against real OpenThread (ot-cli-ftd, its simulation build, from
// MESHBENCH_OT_CLI_FTD); the fake only where real firmware cannot be made to
// misbehave on demand: log lines on the CLI's UART, a process that dies.
const FAKE = join(import.meta.dirname, '../../../fixtures/fake-ot-cli/ot-cli-ftd.js');
const SPEED = 20;
const ot = realOtCliFtd();

// mbed-mesh-api keys as the network config hands them to a driver (mbed-mesh-api.md §4 defaults).
const THREAD = { ...THREAD_NETWORK, 'router-selection-jitter': '1' };

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('OpenThread CLI driver on a PTY: real ot-cli-ftd, and the fake for failures on demand', function () {
  this.timeout(60_000);
  let net: string;
  let offset: PortOffset | undefined;
  const open: OpenThreadCliDriver[] = [];

  /** A board: real ot-cli-ftd (its own radio on a port offset of this test's), or the fake when `fake`. */
  async function node(id: number, env: Record<string, string> = {}, fake = false): Promise<{ driver: OpenThreadCliDriver; transport: PtyProcessTransport; events: MeshEventRecord[] }> {
    // Under the lock directory `meshbench run` takes its {portOffset} under: a run on another offset, never this one.
    offset ??= PortOffset.allocate(`driver-test-${process.pid}`, defaultLockDir());
    const transport = fake
      ? new PtyProcessTransport({ command: [process.execPath, FAKE, `--time-speed=${SPEED}`, String(id)], env: { FAKE_OT_NET_DIR: net, ...env } })
      : new PtyProcessTransport({ command: [(ot as { path: string }).path, `--time-speed=${SPEED}`, String(id)], cwd: net, env: { PORT_OFFSET: String(offset.offset), ...env } });
    await transport.open();
    const driver = new OpenThreadCliDriver(new OtCli(transport), { pollMs: 30 });
    const events: MeshEventRecord[] = [];
    driver.onMeshEvent((e) => events.push(e));
    open.push(driver);
    return { driver, transport, events };
  }

  /** Skips a test that needs real OpenThread where there is none (CI fails instead: openthread.test.ts). */
  function needReal(ctx: Mocha.Context): void {
    if (!('missing' in ot)) return;
    if (ot.required) throw new Error(ot.missing);
    ctx.skip();
  }

  beforeEach(() => (net = mkdtempSync(join(tmpdir(), 'mb-ot-'))));
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
    rmSync(net, { recursive: true, force: true });
  });
  after(() => offset?.release());

  it('identifies the board with `version` and `eui64`; the simulation platform says its air has no airtime', async function () {
    needReal(this);
    const { driver } = await node(1);
    const id = await driver.identify();
    expect(id.firmware).to.equal('openthread-cli');
    expect(id.version).to.match(/^OPENTHREAD\/\S+; SIMULATION; /);
    expect(id.eui64).to.match(/^[0-9a-f]{16}$/);
    expect(id.stacks).to.deep.equal(['thread']);
    expect(id.air).to.equal('no-airtime');
  });

  it('keeps OpenThread log lines out of a command\'s output, also between its echo and its Done (a build logging to the UART)', async () => {
    const { driver } = await node(1, { FAKE_OT_LOG_LINES: '1' }, true);
    const logs: string[] = [];
    driver.cli.onLog((l) => logs.push(l));
    expect(await driver.cli.command('state')).to.deep.equal(['disabled']);
    expect(await driver.cli.command('ifconfig up')).to.deep.equal([]);
    expect(logs.filter((l) => l.startsWith('[N] Mle'))).to.have.length(2);
    // The whole driver works on such a board: it forms a network and reads its addresses.
    expect((await driver.meshInit('thread', THREAD)).value).to.equal(0);
    const addrs = await driver.ipAddresses();
    expect(addrs.length).to.be.above(0);
    expect(addrs.every((a) => a.includes(':') && !a.includes('['))).to.equal(true);
    expect((await driver.identify()).version).to.match(/^OPENTHREAD\//);
  });

  it('reports `Error N: Name` as errors naming the command (§4: 35 InvalidCommand, 13 InvalidState, 7 InvalidArgs)', async function () {
    needReal(this);
    const { driver } = await node(1);
    const cli = driver.cli;
    await cli.command('foo').then(
      () => expect.fail('no error'),
      (e: OtCliError) => expect([e.otError, e.otName, e.message]).to.deep.equal([35, 'InvalidCommand', 'foo: Error 35: InvalidCommand']),
    );
    await cli.command('thread start').then(
      () => expect.fail('no error'),
      (e: OtCliError) => expect(e.otError).to.equal(13),
    );
    expect(await cli.command('ifconfig')).to.deep.equal(['down']);
    // A malformed key: init answers NSAPI_ERROR_PARAMETER, as MeshInterface::initialize would.
    expect((await driver.meshInit('thread', { ...THREAD, 'thread-master-key': '0011' })).value).to.equal(-3003);
    expect((await driver.meshInit('nd', {})).value).to.equal(-3002);
  });

  it('forms a network: CONNECTING, then LOCAL_UP as leader (one attach cycle, §3.1), a second node joins as child then router', async function () {
    needReal(this);
    const a = await node(1);
    expect((await a.driver.meshInit('thread', THREAD)).value).to.equal(0);
    expect((await a.driver.connect()).value).to.equal(0);
    expect((await a.driver.status()).status).to.equal('CONNECTING');
    await until('leader', () => a.events.find((e) => e.status === 'LOCAL_UP'));
    const sa = await a.driver.status();
    expect(sa.status).to.equal('LOCAL_UP');
    expect(sa.details).to.include({ role: 'leader', channel: '22', panid: '0x0700' });
    // The name's space went to the CLI escaped (`dataset networkname Thread\ Network`).
    expect(await a.driver.cli.command('networkname')).to.deep.equal(['Thread Network']);
    expect(a.events.map((e) => `${e.event}→${e.status}`)).to.deep.equal(['MESH_BOOTSTRAP_STARTED→CONNECTING', 'MESH_CONNECTED_LOCAL→LOCAL_UP']);
    // The leader took one attach cycle, at least 6.5 s of Thread time (6.5/SPEED s here), after connect.
    const took = a.events[1]!.t - a.events[0]!.t;
    expect(took).to.be.at.least((6.5e6 / SPEED) * 0.9);
    const addrs = await a.driver.ipAddresses();
    // ot-cli-ftd prints addresses with every group (src/cli: OutputIp6Address), zeros included.
    expect(addrs.some((x) => x.startsWith('fd00:db8:0:0:') && x.endsWith(':ff:fe00:fc00')), 'the leader ALOC in the mesh-local prefix').to.equal(true);
    expect(addrs.some((x) => x.startsWith('fe80:'))).to.equal(true);

    const b = await node(2);
    await b.driver.meshInit('thread', THREAD);
    await b.driver.connect();
    await until('child', () => b.events.find((e) => e.status === 'LOCAL_UP'));
    await until('router', async () => ((await b.driver.status()).details.role === 'router' ? true : undefined));
  });

  /** A leader and `more` nodes attached to it. */
  async function network(more: number): Promise<Array<Awaited<ReturnType<typeof node>>>> {
    const a = await node(1);
    await a.driver.meshInit('thread', THREAD);
    await a.driver.connect();
    await until('leader', () => a.events.find((e) => e.status === 'LOCAL_UP'));
    const out = [a];
    for (let i = 0; i < more; i++) {
      const n = await node(2 + i);
      await n.driver.meshInit('thread', THREAD);
      await n.driver.connect();
      await until(`node ${2 + i} attached`, () => n.events.find((e) => e.status === 'LOCAL_UP'));
      out.push(n);
    }
    return out;
  }

  function appEvents(d: OpenThreadCliDriver): AppEvent[] {
    const list: AppEvent[] = [];
    d.onAppEvent((e) => list.push(e));
    return list;
  }

  it('carries UDP through the board API (`udp open/bind/send`); receives arrive as async lines between commands; ping', async function () {
    needReal(this);
    const [a, b] = await network(1);
    const got = appEvents(a!.driver);
    const lines: string[] = [];
    a!.driver.cli.onAsync((l) => lines.push(l));
    const rx = (await a!.driver.udpOpen(5683, true)).value;
    expect(rx.result).to.equal(0);
    const tx = (await b!.driver.udpOpen(0, false)).value;
    const target = (await a!.driver.cli.command('ipaddr mleid'))[0]!;
    const source = (await b!.driver.cli.command('ipaddr mleid'))[0]!;
    expect((await b!.driver.udpSend(tx.socket!, target, 5683, { data: Buffer.from('hello world') })).value).to.equal(11);
    const e = await until('udp event', () => got.find((x) => x.kind === 'udp'));
    // Hops without a resolver of peers: the echo reply's hop limit alone (64: one link) would need one; unknown here.
    expect(e).to.deep.include({ kind: 'udp', socket: rx.socket, src: source, length: 11, hops: -1, head: Buffer.from('hello world').toString('hex') });
    // What the CLI printed (src/cli/cli_udp.cpp): "<n> bytes from <ip> <port> <text>"; the space went escaped and arrived.
    expect(lines.find((l) => l.includes('bytes from'))).to.match(new RegExp(`^11 bytes from ${source} \\d+ hello world$`));
    // Binary bytes go as hex, and the receiver prints up to the first NUL.
    expect((await b!.driver.udpSend(tx.socket!, target, 5683, { data: new Uint8Array([0x41, 0x42, 0x00, 0x43]) })).value).to.equal(4);
    await until('second datagram', () => (got.filter((x) => x.kind === 'udp').length === 2 ? true : undefined));
    expect(lines.filter((l) => l.includes('bytes from'))[1]).to.match(/^4 bytes from \S+ \d+ AB$/);
    expect(await a!.driver.cli.command('state')).to.deep.equal(['leader']); // still in step after async lines
    // What the CLI cannot do, said as Mbed would.
    expect((await b!.driver.udpSend(tx.socket!, target, 5683, { length: 10 }, 3)).value, 'hop limit').to.equal(-3002);
    expect((await b!.driver.udpSend(99, target, 5683, { length: 10 })).value, 'no such socket').to.equal(-3005);
    const stats = await a!.driver.udpStats(rx.socket!);
    expect(stats).to.include({ rxPackets: 2, rxBytes: 15, maxHops: -1, latP50Us: -1 });
    expect(await b!.driver.pingCounts(target, { count: 2 })).to.deep.equal({ sent: 2, received: 2 });
    expect(await b!.driver.pingCounts('fd00:db8::dead', { count: 1 })).to.deep.equal({ sent: 1, received: 0 });
  });

  it('bursts generated datagrams paced driver-side; counters and latency come from the stamped payloads', async function () {
    needReal(this);
    const [a, b] = await network(1);
    const bEvents = appEvents(b!.driver);
    const rx = (await a!.driver.udpOpen(5001, false)).value.socket!;
    const tx = (await b!.driver.udpOpen(0, false)).value.socket!;
    const target = (await a!.driver.cli.command('ipaddr mleid'))[0]!;
    const t0 = Date.now();
    expect((await b!.driver.udpBurst(tx, target, 5001, 48, 20, 10_000)).value).to.equal(0);
    expect((await b!.driver.udpBurst(tx, target, 5001, 48, 20)).value, 'a second burst while one runs').to.equal(-3020);
    const done = await until('udp.burst', () => bEvents.find((e) => e.kind === 'udp.burst'));
    expect(done).to.include({ socket: tx, sent: 20, failed: 0 });
    // Paced: 19 intervals of 10 ms at least.
    expect(Date.now() - t0).to.be.at.least(190);
    const stats = await until('20 received', async () => {
      const s = await a!.driver.udpStats(rx);
      return s.rxPackets === 20 ? s : undefined;
    });
    expect(stats.rxBytes).to.equal(20 * 48);
    expect(stats.rxLastT - stats.rxFirstT).to.be.at.least(150_000);
    // Latency: host time from `udp send` to the receive line, through two PTYs and the simulated radio.
    expect(stats.latP50Us).to.be.at.least(1);
    expect(stats.latP99Us).to.be.at.least(stats.latP50Us);
    expect((await b!.driver.udpStats(tx)).txPackets).to.equal(20);
    // A payload too long to carry its stamp on one CLI line goes as `udp send -s`: counted, not timed.
    expect((await b!.driver.udpSend(tx, target, 5001, { length: 400 })).value).to.equal(400);
    const after = await until('the long one', async () => {
      const s = await a!.driver.udpStats(rx);
      return s.rxPackets === 21 ? s : undefined;
    });
    expect(after.rxBytes).to.equal(20 * 48 + 400);
  });

  it('plays mesh-minimal light control: a press multicasts t:lights to ff15::810a:64d1 port 1234; every LED follows', async function () {
    needReal(this);
    const [a, b, c] = await network(2);
    const lines: string[] = [];
    a!.driver.cli.onAsync((l) => lines.push(l));
    const aLight = appEvents(a!.driver);
    const cLight = appEvents(c!.driver);
    const bAddrs = await b!.driver.cli.command('ipaddr');
    expect(await a!.driver.cli.command('ipmaddr')).to.include('ff15:0:0:0:0:0:810a:64d1');
    const press = (await b!.driver.lightPress()).value;
    expect(press).to.deep.equal({ result: 20, state: true });
    await until('a heard it', () => aLight.find((e) => e.kind === 'light'));
    await until('c heard it', () => cLight.find((e) => e.kind === 'light'));
    const heard = aLight.find((e) => e.kind === 'light');
    expect(heard).to.deep.include({ led: true, hops: -1 });
    expect(bAddrs, 'sent from one of b\'s addresses').to.include(heard?.kind === 'light' ? heard.from : '');
    // The 20 bytes "t:lights;g:001;s:1;" + NUL, printed up to the NUL (mbed-mesh-api.md §5).
    expect(lines.find((l) => l.includes('bytes from'))).to.match(/^20 bytes from \S+ 1234 t:lights;g:001;s:1;$/);
    expect(await a!.driver.lightGet()).to.deep.equal({ led: true, received: 1, sent: 0 });
    // The presser's LED follows its own message, as the example's does.
    expect(await b!.driver.lightGet()).to.deep.equal({ led: true, received: 1, sent: 1 });
    // c heard "on", so its press turns every light off.
    expect((await c!.driver.lightPress()).value).to.deep.equal({ result: 20, state: false });
    await until('a off', async () => ((await a!.driver.lightGet()).led === false ? true : undefined));
    await until('b off', async () => ((await b!.driver.lightGet()).led === false ? true : undefined));
    // The CLI has one socket: a board-API socket on another port takes it from the example until closed.
    const s = (await a!.driver.udpOpen(5683, true)).value;
    expect(s.result).to.equal(0);
    expect((await a!.driver.udpOpen(5684, true)).value.result, 'a second bound port').to.equal(-3005);
    expect((await a!.driver.udpOpen(1234, true)).value.result, "the example's port").to.equal(-3003);
    expect((await a!.driver.lightPress()).value.result, 'no socket for the example meanwhile').to.equal(-3005);
    expect((await a!.driver.udpClose(s.socket!)).value).to.equal(0);
    expect((await a!.driver.lightPress()).value).to.deep.equal({ result: 20, state: true });
  });

  it('disconnects (thread stop) and resets silently, resynchronising with `version` (§3.2)', async function () {
    needReal(this);
    const a = await node(1);
    const boots: unknown[] = [];
    a.driver.onBoot((i) => boots.push(i));
    await a.driver.meshInit('thread', THREAD);
    await a.driver.connect();
    await until('leader', () => a.events.find((e) => e.status === 'LOCAL_UP'));
    expect((await a.driver.disconnect()).value).to.equal(0);
    expect(a.events.at(-1)).to.include({ event: 'MESH_DISCONNECTED', status: 'DISCONNECTED' });
    expect(await a.driver.ipAddresses()).to.have.length(1); // link-local only
    await a.driver.connect();
    await until('leader again', () => a.events.filter((e) => e.status === 'LOCAL_UP').length === 2 || undefined);
    await a.driver.softReset();
    expect(boots).to.have.length(1);
    expect((await a.driver.status()).status).to.equal('DISCONNECTED');
    expect(await a.driver.cli.command('ifconfig')).to.deep.equal(['down']);
    // The dataset survives a reset: connect again without init.
    await a.driver.connect();
    await until('leader after reset', () => a.events.filter((e) => e.status === 'LOCAL_UP').length === 3 || undefined);
  });

  it('fails commands at once, saying why, when the process dies mid-run (a vanished port)', async () => {
    const a = await node(1, { FAKE_OT_EXIT_AFTER_MS: '1500' }, true);
    await a.driver.identify();
    await new Promise((r) => setTimeout(r, 1700));
    await a.driver.cli.command('state').then(
      () => expect.fail('answered'),
      (e: Error) => {
        expect(e).to.be.instanceOf(OtCliGoneError);
        expect(e.message).to.match(/state: the board's port went away \(process ended \(exit code 1(, its last line: "[^"]*")?\)\)/);
      },
    );
  });
});
