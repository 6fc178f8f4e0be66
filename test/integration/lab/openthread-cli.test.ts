import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MeshEventRecord } from '../../../harness/board/driver.ts';
import type { OtCliError} from '../../../harness/board/drivers/openthread-cli.ts';
import { OpenThreadCliDriver, OtCli, OtCliGoneError } from '../../../harness/board/drivers/openthread-cli.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';

const FAKE = join(import.meta.dirname, '../../../fixtures/fake-ot-cli/ot-cli-ftd.js');
const SPEED = 20;

// mbed-mesh-api keys as the network config hands them to a driver (mbed-mesh-api.md §4 defaults).
const THREAD = {
  'thread-master-key': '00112233445566778899aabbccddeeff',
  'thread-config-panid': '0x0700',
  'thread-config-channel': '22',
  'thread-config-extended-panid': 'f1b5a1b2c4d5a1bd',
  'thread-config-network-name': 'Thread-Network',
  'thread-config-ml-prefix': 'fd000db800000000',
  'router-selection-jitter': '1',
};

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('OpenThread CLI driver against the fake ot-cli-ftd on a PTY', function () {
  this.timeout(30_000);
  let net: string;
  const open: OpenThreadCliDriver[] = [];

  async function node(id: number, env: Record<string, string> = {}): Promise<{ driver: OpenThreadCliDriver; transport: PtyProcessTransport; events: MeshEventRecord[] }> {
    const transport = new PtyProcessTransport({ command: [process.execPath, FAKE, `--time-speed=${SPEED}`, String(id)], env: { FAKE_OT_NET_DIR: net, ...env } });
    await transport.open();
    const driver = new OpenThreadCliDriver(new OtCli(transport), { pollMs: 30 });
    const events: MeshEventRecord[] = [];
    driver.onMeshEvent((e) => events.push(e));
    open.push(driver);
    return { driver, transport, events };
  }

  beforeEach(() => (net = mkdtempSync(join(tmpdir(), 'mb-ot-'))));
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
    rmSync(net, { recursive: true, force: true });
  });

  it('identifies the board with `version` and `eui64`', async () => {
    const { driver } = await node(1);
    const id = await driver.identify();
    expect(id.firmware).to.equal('openthread-cli');
    expect(id.version).to.match(/^OPENTHREAD\//);
    expect(id.eui64).to.match(/^[0-9a-f]{16}$/);
    expect(id.stacks).to.deep.equal(['thread']);
  });

  it('reports `Error N: Name` as errors naming the command (§4: 35 InvalidCommand, 13 InvalidState, 7 InvalidArgs)', async () => {
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

  it('forms a network: CONNECTING, then LOCAL_UP as leader (one attach cycle, §3.1), a second node joins as child then router', async () => {
    const a = await node(1);
    expect((await a.driver.meshInit('thread', THREAD)).value).to.equal(0);
    expect((await a.driver.connect()).value).to.equal(0);
    expect((await a.driver.status()).status).to.equal('CONNECTING');
    await until('leader', () => a.events.find((e) => e.status === 'LOCAL_UP'));
    const sa = await a.driver.status();
    expect(sa.status).to.equal('LOCAL_UP');
    expect(sa.details).to.include({ role: 'leader', channel: '22', panid: '0x0700' });
    expect(a.events.map((e) => `${e.event}→${e.status}`)).to.deep.equal(['MESH_BOOTSTRAP_STARTED→CONNECTING', 'MESH_CONNECTED_LOCAL→LOCAL_UP']);
    // The leader took 6.5 s of Thread time (≈ 6.5/SPEED s here) after connect.
    const took = a.events[1]!.t - a.events[0]!.t;
    expect(took).to.be.within((6.5e6 / SPEED) * 0.9, (6.5e6 / SPEED) * 4);
    const addrs = await a.driver.ipAddresses();
    expect(addrs.some((x) => x.startsWith('fd00:db8::') && x.endsWith(':ff:fe00:fc00'))).to.equal(true);
    expect(addrs.some((x) => x.startsWith('fe80::'))).to.equal(true);

    const b = await node(2);
    await b.driver.meshInit('thread', THREAD);
    await b.driver.connect();
    await until('child', () => b.events.find((e) => e.status === 'LOCAL_UP'));
    await until('router', async () => ((await b.driver.status()).details.role === 'router' ? true : undefined));
  });

  it('carries UDP and ping between two nodes; receives arrive as async lines between commands', async () => {
    const a = await node(1);
    await a.driver.meshInit('thread', THREAD);
    await a.driver.connect();
    await until('leader', () => a.events.find((e) => e.status === 'LOCAL_UP'));
    const b = await node(2);
    await b.driver.meshInit('thread', THREAD);
    await b.driver.connect();
    await until('child', () => b.events.find((e) => e.status === 'LOCAL_UP'));
    const got: string[] = [];
    a.driver.onCliUdp((d) => got.push(`${d.port} ${d.text}`));
    await a.driver.cliUdpOpen(5683);
    await b.driver.cliUdpOpen(49153);
    const target = (await a.driver.cli.command('ipaddr mleid'))[0]!;
    await b.driver.cliUdpSend(target, 5683, 'hello');
    await until('udp', () => (got.length ? got : undefined));
    expect(got).to.deep.equal(['49153 hello']);
    expect(await a.driver.cli.command('state')).to.deep.equal(['leader']); // the CLI still in step after an async line
    expect(await b.driver.ping(target, { count: 2 })).to.deep.equal({ sent: 2, received: 2 });
    expect(await b.driver.ping('fd00:db8::dead', { count: 1 })).to.deep.equal({ sent: 1, received: 0 });
  });

  it('disconnects (thread stop) and resets silently, resynchronising with `version` (§3.2)', async () => {
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
    const a = await node(1, { FAKE_OT_EXIT_AFTER_MS: '1500' });
    await a.driver.identify();
    await new Promise((r) => setTimeout(r, 1700));
    await a.driver.cli.command('state').then(
      () => expect.fail('answered'),
      (e: Error) => {
        expect(e).to.be.instanceOf(OtCliGoneError);
        expect(e.message).to.match(/state: the board's port went away \(process ended \(exit code 1\)\)/);
      },
    );
  });
});
