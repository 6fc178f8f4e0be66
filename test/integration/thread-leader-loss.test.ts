// Leader loss in a 3-router Thread partition (thread.md §1 "Leader loss", §4
// NETWORK_ID_TIMEOUT = 120 s): the leader loses power; the other routers notice when
// no leader update has reached them for NETWORK_ID_TIMEOUT and a new leader takes
// over; the old leader, powered on again with fresh firmware, attaches to the
// surviving partition instead of forming its own. Seeded and in process; power is
// the radio's power plus firmware that dies with it, as the simulated bench does it.
import { FirmwareTimers } from '../../firmware/firmware-timers.ts';
import { expect } from 'chai';
import { createTestbed } from '../../sim/testbed.ts';
import { THREAD_DEFAULTS, type ThreadInterface } from '../../stack/mesh/thread-interface.ts';
import { StackNode } from '../../stack/node.ts';
import { SECOND } from '../../stack/runtime.ts';
import { ADV_IMAX_MAX, ID_SEQUENCE_PERIOD, NETWORK_ID_TIMEOUT } from '../../stack/thread/constants.ts';
import type { ThreadEngineView } from '../../stack/thread/mle-engine.ts';

const IDS = ['l', 'r1', 'r2'];
const CONFIG = { ...THREAD_DEFAULTS, routerSelectionJitterS: 1 };


interface Board {
  node: StackNode;
  timers: FirmwareTimers;
}

function bench(seed: number) {
  const boards = new Map<string, Board>();
  const tb = createTestbed<undefined>({ seed, topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 60 }, nodes: IDS.map((id) => ({ id, channel: CONFIG.channel })) });
  const boot = (id: string): void => {
    const n = tb.node(id);
    const timers = new FirmwareTimers(tb.scheduler);
    const node = new StackNode({ radio: n.radio, timers, rng: n.rng.fork(), eui64: n.extAddress });
    node.initMesh({ kind: 'thread', thread: { ...CONFIG } });
    boards.set(id, { node, timers });
    (node.mesh as ThreadInterface).connect();
  };
  const iface = (id: string): ThreadInterface => boards.get(id)!.node.mesh as ThreadInterface;
  const mle = (id: string): ThreadEngineView => iface(id).thread!.mle!;
  return {
    tb,
    boot,
    mle,
    powerOff(id: string): void {
      boards.get(id)!.timers.alive = false;
      tb.node(id).radio.setPowered(false);
    },
    powerOn(id: string): void {
      tb.node(id).radio.setPowered(true);
      boot(id);
    },
  };
}

describe('Thread leader loss (thread.md §1, NETWORK_ID_TIMEOUT)', function () {
  this.timeout(60_000);

  it('the leader loses power: a new leader after NETWORK_ID_TIMEOUT; the old one, back on, joins the survivors', () => {
    const b = bench(401);
    const S = SECOND;
    b.boot('l');
    b.tb.runFor(8 * S);
    expect(b.mle('l').role).to.equal('leader');
    b.boot('r1');
    b.boot('r2');
    expect(b.tb.runUntil(() => ['r1', 'r2'].every((id) => b.mle(id).role === 'router'), 30 * S)).to.equal(true);
    b.tb.runFor(30 * S);
    const before = b.mle('l').partition!.partitionId;
    for (const id of ['r1', 'r2']) expect(b.mle(id).partition!.partitionId, id).to.equal(before);

    b.powerOff('l');
    const lostAt = b.tb.scheduler.now();
    const newLeader = (): string | undefined => ['r1', 'r2'].find((id) => b.mle(id).role === 'leader');
    expect(b.tb.runUntil(() => newLeader() !== undefined, NETWORK_ID_TIMEOUT + 60 * S), 'a survivor took over').to.equal(true);
    const tookOver = b.tb.scheduler.now() - lostAt;
    // Leader age counts from the last new ID sequence a router heard: bumped every ID_SEQUENCE_PERIOD,
    // advertised at least every ADV_IMAX_MAX; the routers check it once a second.
    expect(tookOver).to.be.at.least(NETWORK_ID_TIMEOUT - ID_SEQUENCE_PERIOD - ADV_IMAX_MAX);
    expect(tookOver).to.be.at.most(NETWORK_ID_TIMEOUT + 1 * S);
    // The survivors settle in one partition, a new one, with one leader.
    const oneSurvivingPartition = (): boolean => {
      const [p1, p2] = ['r1', 'r2'].map((id) => (b.mle(id).isAttached() ? b.mle(id).partition?.partitionId : undefined));
      return p1 !== undefined && p1 === p2 && ['r1', 'r2'].filter((id) => b.mle(id).role === 'leader').length === 1;
    };
    expect(b.tb.runUntil(oneSurvivingPartition, 60 * S), 'survivors in one partition').to.equal(true);
    const surviving = b.mle('r1').partition!.partitionId;
    expect(surviving).to.not.equal(before);
    const leaderId = newLeader()!;
    for (const id of ['r1', 'r2']) expect(b.mle(id).routerIdSet.length, `${id} router set`).to.be.at.most(2);

    b.powerOn('l');
    const back = b.tb.scheduler.now();
    const roles = new Set<string>();
    const rejoined = (): boolean => {
      roles.add(b.mle('l').role);
      return b.mle('l').isAttached() && b.mle('l').partition?.partitionId === surviving;
    };
    expect(b.tb.runUntil(rejoined, 30 * S), 'old leader re-attached').to.equal(true);
    expect(b.tb.scheduler.now() - back).to.be.below(10 * S); // one attach cycle
    expect(b.tb.runUntil(() => (roles.add(b.mle('l').role), b.mle('l').role === 'router'), 30 * S), 'old leader a router again').to.equal(true);
    expect([...roles], 'it never led a partition of its own').to.not.include('leader');
    b.tb.runFor(30 * S);
    // The survivors' leader still leads; everyone is in its partition.
    expect(b.mle(leaderId).role).to.equal('leader');
    for (const id of IDS) expect(b.mle(id).partition?.partitionId, id).to.equal(surviving);
    expect(IDS.filter((id) => b.mle(id).role === 'leader')).to.deep.equal([leaderId]);
  });
});
