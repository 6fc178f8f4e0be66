// Our stack on OpenThread's radio co-processor, on one simulated air with real
// ot-cli-ftd nodes (same PORT_OFFSET): our Thread node attaches to an OpenThread
// leader and an OpenThread node attaches to ours; UDP and light toggles cross both ways. The boards are what a lab rig would run:
// `meshbench board --radio spawn:ot-rcp N` and ot-cli-ftd, each behind a PTY.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent, BoardDriver } from '../../../harness/board/driver.ts';
import { keepLines, removeUnlessFailed } from '../../support/kept-dir.ts';
import { completeOtDataset, otBinary, otBoard, ourBoard, portOffset, THREAD, until } from './support.ts';

const SPEED = 10;

/** RFC 5952 text of an IPv6 address (OpenThread prints `fd00:db8:0:0:…`, we print `fd00:db8::…`). */
const canon = (a: string) => new URL(`http://[${a}]/`).hostname.slice(1, -1);

function appEvents(d: BoardDriver): AppEvent[] {
  const list: AppEvent[] = [];
  d.onAppEvent((e) => list.push(e));
  return list;
}

type Light = Extract<AppEvent, { kind: 'light' }>;
interface Side {
  driver: BoardDriver;
  app: AppEvent[];
  /** Its addresses, RFC 5952 text. */
  addrs: string[];
}

/** The first lights message `b` heard from `a` after its `from`-th app event. */
const lightFrom = (b: Side, a: Side, from: number) => () => b.app.slice(from).find((e): e is Light => e.kind === 'light' && a.addrs.includes(canon(e.from)));

/**
 * The light-control example both ways (mbed-mesh-api.md §5, ff15::810a:64d1 port 1234):
 * `a` presses (on) and `b`'s LED follows; then `b` presses, which toggles what its LED
 * shows (off), and `a`'s LED follows. Each message comes from the other board, one radio
 * hop (where the receiver can tell: the OpenThread CLI prints no hop limit, so its driver
 * reports −1 unless it can infer the count).
 */
async function toggleBothWays(a: Side, b: Side): Promise<void> {
  const oneHop = (l: Light) => expect(l.hops, JSON.stringify(l)).to.be.oneOf(l.hops < 0 ? [-1] : [1]);
  const atB = b.app.length;
  expect((await a.driver.lightPress()).value).to.deep.equal({ result: 20, state: true });
  const on = await until('the toggle at the second board', lightFrom(b, a, atB));
  expect(on.led).to.equal(true);
  oneHop(on);
  expect((await b.driver.lightGet()).led).to.equal(true);
  const atA = a.app.length;
  expect((await b.driver.lightPress()).value).to.deep.equal({ result: 20, state: false });
  const off = await until('the toggle back at the first board', lightFrom(a, b, atA));
  expect(off.led).to.equal(false);
  oneHop(off);
  expect((await a.driver.lightGet()).led).to.equal(false);
}

describe('our stack on ot-rcp, on one air with ot-cli-ftd', function () {
  this.timeout(180_000);
  let rcp: string;
  let ftd: string;
  let dir: string;
  const open: BoardDriver[] = [];
  /** Each board's printed lines by name, written into a failed test's kept directory. */
  const serials = new Map<string, string[]>();

  before(function () {
    rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    ftd = otBinary(this, 'MESHBENCH_OT_CLI_FTD', 'ot-cli-ftd');
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-rcp-'))));
  afterEach(async function () {
    for (const d of open.splice(0)) await d.close().catch(() => undefined);
    for (const [name, lines] of serials) keepLines(dir, `${name}.serial.log`, lines);
    serials.clear();
    removeUnlessFailed(this, dir);
  });

  it('attaches our node to an OpenThread leader; UDP and light toggles both ways', async () => {
    const offset = portOffset();
    const leader = await otBoard(ftd, 1, { speed: SPEED, cwd: dir, offset });
    open.push(leader.driver);
    serials.set('leader', leader.serial);
    expect((await leader.driver.meshInit('thread', THREAD)).value).to.equal(0);
    await completeOtDataset(leader);
    await leader.driver.connect();
    await until('OpenThread leader', () => leader.events.find((e) => e.status === 'LOCAL_UP'));

    const ours = await ourBoard(rcp, 2, { speed: SPEED, cwd: dir, offset, id: 'ours' });
    open.push(ours.driver);
    serials.set('ours', ours.serial);
    const id = await ours.driver.identify();
    expect(id.eui64).to.equal('18b4300000000002'); // the RCP's factory EUI-64 (HWADDR), OpenThread's simulation numbering
    // What it is: our stack on an RCP whose version it names, on an air with no airtime (the RCP's SIMULATION platform).
    expect([id.firmware, id.air]).to.deep.equal(['meshbench-rcp', 'no-airtime']);
    expect(id.version).to.match(/^0\.1\.0 on OPENTHREAD\/\S+; SIMULATION; /);
    expect((await ours.driver.meshInit('thread', THREAD)).value).to.equal(0);
    expect((await ours.driver.connect()).value).to.equal(0);
    await until('our node attached', () => ours.events.find((e) => e.status === 'LOCAL_UP'));
    const st = await ours.driver.status();
    expect(st.details.role, JSON.stringify(st.details)).to.be.oneOf(['child', 'router']);
    // On the air it is a random extended address, as OpenThread's nodes are (unicast, locally
    // administered), not the RCP's EUI-64: the leader's neighbour table names that one, and it is
    // what our host set as the RCP's MAC_15_4_LADDR.
    const ext = st.details.ext_address ?? '';
    expect(ext).to.match(/^[0-9a-f]{16}$/);
    expect(ext).to.not.equal(id.eui64);
    expect(Number.parseInt(ext.slice(0, 2), 16) & 0x03).to.equal(0x02);
    const neighbours = (await leader.driver.cli.command('neighbor table')).join('\n');
    expect(neighbours).to.include(ext);
    expect(neighbours).to.not.include(id.eui64!);
    const laddr = new RegExp(`^spinel > tid=\\d+ PROP_VALUE_SET MAC_15_4_LADDR ${ext}$`);
    expect(ours.serial.some((l) => laddr.test(l))).to.equal(true);
    // It joined the leader's partition, not one of its own.
    const leaderRloc = (await leader.driver.cli.command('rloc16'))[0]!;
    expect(Number.parseInt(st.details.leader_router_id ?? '-1', 10)).to.equal(Number.parseInt(leaderRloc, 16) >> 10);
    // The Spinel exchange is in the board's serial log: its setup and the frames it sent and received.
    expect(ours.serial.some((l) => /^spinel > tid=\d+ PROP_VALUE_SET PHY_CHAN 16$/.test(l))).to.equal(true);
    expect(ours.serial.some((l) => /^spinel < tid=0 PROP_VALUE_IS STREAM_RAW /.test(l))).to.equal(true);

    const leaderMleid = canon((await leader.driver.cli.command('ipaddr mleid'))[0]!);
    const oursMleid = canon(st.details.mleid!);
    const oursApp = appEvents(ours.driver);
    const leaderApp = appEvents(leader.driver);

    // UDP, OpenThread → ours.
    const rxOurs = (await ours.driver.udpOpen(5683, true)).value.socket!;
    const txLeader = (await leader.driver.udpOpen(0, false)).value.socket!;
    expect((await leader.driver.udpSend(txLeader, oursMleid, 5683, { data: Buffer.from('hello ours') })).value).to.equal(10);
    const got = await until('datagram at ours', () => oursApp.find((e) => e.kind === 'udp'));
    expect({ ...got, src: canon((got as { src: string }).src) }).to.deep.include({ kind: 'udp', socket: rxOurs, src: leaderMleid, length: 10, head: Buffer.from('hello ours').toString('hex') });
    await leader.driver.udpClose(txLeader);

    // UDP, ours → OpenThread.
    const rxLeader = (await leader.driver.udpOpen(5684, true)).value.socket!;
    const txOurs = (await ours.driver.udpOpen(0, false)).value.socket!;
    expect((await ours.driver.udpSend(txOurs, leaderMleid, 5684, { data: Buffer.from('hello openthread') })).value).to.equal(16);
    const back = await until('datagram at the leader', () => leaderApp.find((e) => e.kind === 'udp'));
    expect({ ...back, src: canon((back as { src: string }).src) }).to.deep.include({ kind: 'udp', socket: rxLeader, src: oursMleid, length: 16 });
    await leader.driver.udpClose(rxLeader);
    await ours.driver.udpClose(txOurs);

    // Light toggles: OpenThread's leader → ours, then ours → the leader.
    const addrsOf = async (d: BoardDriver) => (await d.ipAddresses()).map(canon);
    await toggleBothWays({ driver: leader.driver, app: leaderApp, addrs: await addrsOf(leader.driver) }, { driver: ours.driver, app: oursApp, addrs: await addrsOf(ours.driver) });
  });

  it('attaches an OpenThread node to our leader; UDP and light toggles both ways', async () => {
    const offset = portOffset();
    const ours = await ourBoard(rcp, 1, { speed: SPEED, cwd: dir, offset, id: 'ours' });
    open.push(ours.driver);
    serials.set('ours', ours.serial);
    expect((await ours.driver.meshInit('thread', THREAD)).value).to.equal(0);
    await ours.driver.connect();
    await until('our leader', () => ours.events.find((e) => e.status === 'LOCAL_UP'));
    const st = await ours.driver.status();
    expect(st.details.role).to.equal('leader');

    const ot = await otBoard(ftd, 3, { speed: SPEED, cwd: dir, offset });
    open.push(ot.driver);
    serials.set('ot', ot.serial);
    await ot.driver.meshInit('thread', THREAD);
    await completeOtDataset(ot);
    await ot.driver.connect();
    await until('OpenThread node attached', () => ot.events.find((e) => e.status === 'LOCAL_UP'));
    // It joined our partition: our router ID is its leader's. As a child its parent is ours;
    // it may already have taken a router ID (its router selection jitter is random, 0–120 s).
    // (Asked in this order: a child's parent, else a router since, which it stays.)
    const parent = (await ot.driver.cli.command('parent')).join('\n');
    // OpenThread prints the parent's RLOC16 as plain hex ("Rloc: 800"), ours has 4 digits ("0800"):
    // compared as numbers (as text, a leader that drew router ID 0-3 never matched).
    const parentRloc = /^Rloc: ([0-9a-f]+)$/im.exec(parent)?.[1];
    if (parentRloc === undefined || Number.parseInt(parentRloc, 16) !== Number.parseInt(st.details.rloc16!, 16)) expect((await ot.driver.cli.command('state'))[0], parent).to.equal('router');
    const leaderData = (await ot.driver.cli.command('leaderdata')).join('\n');
    expect(leaderData).to.match(new RegExp(`^Leader Router ID: ${Number.parseInt(st.details.rloc16!, 16) >> 10}$`, 'm'));

    const otMleid = canon((await ot.driver.cli.command('ipaddr mleid'))[0]!);
    const oursMleid = canon(st.details.mleid!);
    const oursApp = appEvents(ours.driver);
    const otApp = appEvents(ot.driver);
    const rxOt = (await ot.driver.udpOpen(5684, true)).value.socket!;
    const txOurs = (await ours.driver.udpOpen(0, false)).value.socket!;
    expect((await ours.driver.udpSend(txOurs, otMleid, 5684, { data: Buffer.from('to the child') })).value).to.equal(12);
    const atOt = (await until('datagram at the OpenThread node', () => otApp.find((e) => e.kind === 'udp'))) as { socket: number; src: string; length: number };
    expect([atOt.socket, canon(atOt.src), atOt.length]).to.deep.equal([rxOt, oursMleid, 12]);
    await ot.driver.udpClose(rxOt);
    const rxOurs = (await ours.driver.udpOpen(5683, true)).value.socket!;
    const txOt = (await ot.driver.udpOpen(0, false)).value.socket!;
    expect((await ot.driver.udpSend(txOt, oursMleid, 5683, { data: Buffer.from('to the parent') })).value).to.equal(13);
    const atOurs = (await until('datagram at ours', () => oursApp.find((e) => e.kind === 'udp'))) as { socket: number; src: string; length: number };
    expect([atOurs.socket, canon(atOurs.src), atOurs.length]).to.deep.equal([rxOurs, otMleid, 13]);
    await ot.driver.udpClose(txOt);
    await ours.driver.udpClose(rxOurs);
    await ours.driver.udpClose(txOurs);

    // Light toggles: ours (the leader) → the OpenThread child, then the child → ours.
    const addrsOf = async (d: BoardDriver) => (await d.ipAddresses()).map(canon);
    await toggleBothWays({ driver: ours.driver, app: oursApp, addrs: await addrsOf(ours.driver) }, { driver: ot.driver, app: otApp, addrs: await addrsOf(ot.driver) });
  });
});
