// Our stack on OpenThread's radio co-processor, on one simulated air with real
// ot-cli-ftd nodes (same PORT_OFFSET): our Thread node attaches to an OpenThread
// leader and an OpenThread node attaches to ours; UDP crosses both ways. The boards are what a lab rig would run:
// `meshbench board --radio spawn:ot-rcp N` and ot-cli-ftd, each behind a PTY.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent, BoardDriver } from '../../../harness/board/driver.ts';
import { completeOtDataset, otBinary, otBoard, ourBoard, portOffset, THREAD, until } from './support.ts';

const SPEED = 10;

/** RFC 5952 text of an IPv6 address (OpenThread prints `fd00:db8:0:0:…`, we print `fd00:db8::…`). */
const canon = (a: string) => new URL(`http://[${a}]/`).hostname.slice(1, -1);

function appEvents(d: BoardDriver): AppEvent[] {
  const list: AppEvent[] = [];
  d.onAppEvent((e) => list.push(e));
  return list;
}

describe('our stack on ot-rcp, on one air with ot-cli-ftd', function () {
  this.timeout(180_000);
  let rcp: string;
  let ftd: string;
  let dir: string;
  const open: BoardDriver[] = [];

  before(function () {
    rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    ftd = otBinary(this, 'MESHBENCH_OT_CLI_FTD', 'ot-cli-ftd');
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-rcp-'))));
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches our node to an OpenThread leader; UDP both ways', async () => {
    const offset = portOffset();
    const leader = await otBoard(ftd, 1, { speed: SPEED, cwd: dir, offset });
    open.push(leader.driver);
    expect((await leader.driver.meshInit('thread', THREAD)).value).to.equal(0);
    await completeOtDataset(leader);
    await leader.driver.connect();
    await until('OpenThread leader', () => leader.events.find((e) => e.status === 'LOCAL_UP'));

    const ours = await ourBoard(rcp, 2, { speed: SPEED, cwd: dir, offset, id: 'ours' });
    open.push(ours.driver);
    const id = await ours.driver.identify();
    expect(id.eui64).to.equal('18b4300000000002'); // the RCP's factory EUI-64 (HWADDR), OpenThread's simulation numbering
    expect((await ours.driver.meshInit('thread', THREAD)).value).to.equal(0);
    expect((await ours.driver.connect()).value).to.equal(0);
    await until('our node attached', () => ours.events.find((e) => e.status === 'LOCAL_UP'));
    const st = await ours.driver.status();
    expect(st.details.role, JSON.stringify(st.details)).to.be.oneOf(['child', 'router']);
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

  });

  it('attaches an OpenThread node to our leader; UDP both ways', async () => {
    const offset = portOffset();
    const ours = await ourBoard(rcp, 1, { speed: SPEED, cwd: dir, offset, id: 'ours' });
    open.push(ours.driver);
    expect((await ours.driver.meshInit('thread', THREAD)).value).to.equal(0);
    await ours.driver.connect();
    await until('our leader', () => ours.events.find((e) => e.status === 'LOCAL_UP'));
    const st = await ours.driver.status();
    expect(st.details.role).to.equal('leader');

    const ot = await otBoard(ftd, 3, { speed: SPEED, cwd: dir, offset });
    open.push(ot.driver);
    await ot.driver.meshInit('thread', THREAD);
    await completeOtDataset(ot);
    await ot.driver.connect();
    await until('OpenThread node attached', () => ot.events.find((e) => e.status === 'LOCAL_UP'));
    // Its parent is ours: our RLOC16 is the router part of its own.
    const parent = (await ot.driver.cli.command('parent')).join('\n');
    expect(parent).to.match(new RegExp(`Rloc: ${st.details.rloc16}`, 'i'));
    const otState = (await ot.driver.cli.command('state'))[0];
    expect(otState).to.be.oneOf(['child', 'router']);

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
  });
});
