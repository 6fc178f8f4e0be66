// Thread attach on the simulated medium (thread.md §1; openthread-cli.md §3.1, §6):
// partitions form, nodes attach and upgrade, keys and channels keep networks apart.
import { expect } from 'chai';
import { hex } from '../../../stack/wire/bytes.ts';
import { MS } from '../../../stack/runtime.ts';
import { allInOnePartition, mle, partitionOf, S, threadBench } from './thread-bench.ts';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

describe('Thread attach (thread.md §1)', () => {
  it('§1 forming a partition: a lone router-eligible node leads after one first attach cycle of 6 Parent Requests', () => {
    const tb = threadBench({ seed: 11, ids: ['a'] });
    const a = tb.node('a').app;
    a.iface.connect();
    expect(a.iface.getConnectionStatus()).to.equal('CONNECTING');
    // 2 × 750 ms + 4 × 1250 ms = 6.5 s, after a start delay of at most 751 ms.
    tb.runFor(6400 * MS);
    expect(mle(a).role).to.equal('detached');
    tb.runFor(1000 * MS);
    expect(mle(a).role).to.equal('leader');
    expect(mle(a).counters.parentRequests).to.equal(6);
    expect(mle(a).partition?.weighting).to.equal(64);
    expect(a.iface.getConnectionStatus()).to.equal('LOCAL_UP');
    expect(a.events.map((e) => e.event)).to.deep.equal(['MESH_BOOTSTRAP_STARTED', 'MESH_CONNECTED_LOCAL']);
    const d = a.iface.details();
    expect(d.role).to.equal('leader');
    expect(d.rloc16).to.match(/^[0-9a-f]{2}00$/);
    expect(Number(d.partition_id)).to.equal(partitionOf(a));
    expect(a.iface.ipAddresses()).to.include(d.mleid);
  });

  it('2 nodes: the second attaches as a child within the routers-only window, then upgrades to router', () => {
    const tb = threadBench({ seed: 2, ids: ['a', 'b'] });
    const [a, b] = [tb.node('a').app, tb.node('b').app];
    a.iface.connect();
    tb.runUntil(() => mle(a).role === 'leader', 10 * S);
    const start = tb.scheduler.now();
    b.iface.connect();
    expect(tb.runUntil(() => mle(b).role === 'child', 3 * S)).to.equal(true);
    // First Parent Request ≤ 751 ms, the leader answers within 500 ms, the window is 750 ms.
    expect(tb.scheduler.now() - start).to.be.below(2 * S);
    expect(b.iface.getConnectionStatus()).to.equal('LOCAL_UP');
    expect(mle(b).rloc16! & 0xfc00).to.equal(mle(a).rloc16);
    expect(mle(b).rloc16! & 0x1ff).to.equal(1); // the first free child ID
    expect(a.iface.details().children).to.equal('1');
    expect(tb.runUntil(() => mle(b).role === 'router', 5 * S)).to.equal(true);
    expect(mle(b).rloc16! & 0x1ff).to.equal(0);
    expect(mle(a).counters.routerIdsAssigned).to.equal(1);
    tb.runFor(5 * S);
    expect(mle(a).routerIdSet).to.deep.equal(mle(b).routerIdSet);
    expect(mle(a).neighbourList().filter((n) => n.kind === 'router')).to.have.length(1);
    expect(mle(b).neighbourList().filter((n) => n.kind === 'router')).to.have.length(1);
    expect(b.events.map((e) => e.event)).to.deep.equal(['MESH_BOOTSTRAP_STARTED', 'MESH_CONNECTED_LOCAL']);
  });

  for (const n of [5, 16]) {
    it(`${n} nodes started together form one partition, every node attached`, function () {
      this.timeout(60_000);
      const tb = threadBench({ seed: 100 + n, ids: ids(n) });
      for (const node of tb.nodes) node.app.iface.connect();
      expect(tb.runUntil(() => allInOnePartition(tb), 60 * S)).to.equal(true);
      tb.runFor(20 * S);
      expect(allInOnePartition(tb)).to.equal(true);
      const roles = tb.nodes.map((x) => mle(x.app).role);
      expect(roles.filter((r) => r === 'leader')).to.have.length(1);
      const routers = mle(tb.nodes[0]!.app).routerIdSet.length;
      expect(routers).to.be.at.most(16);
      expect(routers).to.be.at.least(Math.min(n, 16) - 1);
      for (const x of tb.nodes) expect(x.app.iface.getConnectionStatus()).to.equal('LOCAL_UP');
    });
  }

  it('a minimal end device attaches as a child and never asks for a router ID', () => {
    const tb = threadBench({ seed: 5, ids: ['a', 'b'], config: (id) => (id === 'b' ? { deviceType: 'minimal-end-device' } : {}) });
    tb.node('a').app.iface.connect();
    tb.runFor(8 * S);
    tb.node('b').app.iface.connect();
    tb.runFor(20 * S);
    expect(mle(tb.node('b').app).role).to.equal('child');
    expect(mle(tb.node('b').app).counters.addressSolicits).to.equal(0);
  });

  it('§4 ROUTER_SELECTION_JITTER default 120 s: a REED upgrades at a random time within it', function () {
    this.timeout(30_000);
    const tb = threadBench({ seed: 7, ids: ['a', 'b'], config: () => ({ routerSelectionJitterS: 120 }) });
    const [a, b] = [tb.node('a').app, tb.node('b').app];
    a.iface.connect();
    tb.runFor(8 * S);
    b.iface.connect();
    tb.runUntil(() => mle(b).role === 'child', 3 * S);
    const attachedAt = tb.scheduler.now();
    expect(tb.runUntil(() => mle(b).role === 'router', 125 * S)).to.equal(true);
    const waited = tb.scheduler.now() - attachedAt;
    expect(waited).to.be.below(121 * S);
    expect(mle(b).counters.addressSolicits).to.equal(1);
  });
});

describe('Thread keys and channels keep networks apart (issue item 3)', () => {
  const WRONG = hex('00112233445566778899aabbccddeeff');

  it('a router-eligible node with the wrong key forms its own singleton partition and is never a neighbour', () => {
    const tb = threadBench({ seed: 21, ids: ['a', 'b', 'x'], config: (id) => (id === 'x' ? { networkKey: WRONG } : {}) });
    const [a, b, x] = [tb.node('a').app, tb.node('b').app, tb.node('x').app];
    a.iface.connect();
    tb.runFor(8 * S);
    b.iface.connect();
    x.iface.connect();
    tb.runFor(30 * S);
    expect(allInOnePartition(tb, ['a', 'b'])).to.equal(true);
    expect(mle(x).role).to.equal('leader');
    expect(partitionOf(x)).to.not.equal(partitionOf(a));
    expect(mle(x).routerIdSet).to.have.length(1);
    expect(x.iface.details().neighbours).to.equal('0');
    // x's extended address on the air (its random Thread one, not the testbed's EUI-64); a and b do know each other by theirs.
    const extOf = (n: typeof a) => Buffer.from(n.stack.mac.getExtAddress()).toString('hex');
    expect(mle(a).neighbourList().map((e) => e.ext)).to.include(extOf(b));
    for (const n of [a, b]) expect(mle(n).neighbourList().map((e) => e.ext)).to.not.include(extOf(x));
    // Both sides heard each other and could not authenticate a single MLE message.
    expect(mle(x).counters.mleSecurityErrors).to.be.above(0);
    expect(mle(a).counters.mleSecurityErrors).to.be.above(0);
    // A suite tells this apart from a good attach: other partition, own leader, no neighbours.
    expect(x.iface.details().leader_router_id).to.equal(String(mle(x).rloc16! >> 10));
  });

  it('an end device with the wrong key stays detached and reports MESH_BOOTSTRAP_FAILED while it retries', () => {
    const tb = threadBench({ seed: 22, ids: ['a', 'x'], config: (id) => (id === 'x' ? { networkKey: WRONG, deviceType: 'minimal-end-device' } : {}) });
    const [a, x] = [tb.node('a').app, tb.node('x').app];
    a.iface.connect();
    tb.runFor(8 * S);
    x.iface.connect();
    tb.runFor(30 * S);
    expect(mle(x).role).to.equal('detached');
    expect(x.iface.getConnectionStatus()).to.equal('CONNECTING');
    const failed = x.events.filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED');
    expect(failed.length).to.be.at.least(2);
    expect(failed.every((e) => !e.callback)).to.equal(true); // CONNECTING → CONNECTING: no app callback
    expect(mle(x).counters.attachAttempts).to.be.at.least(3);
    expect(x.iface.details().rloc16).to.equal(undefined);
    expect(a.iface.details().children).to.equal('0');
  });

  it('a detached end device starts a new attach cycle 5 s after each failed one however long it has failed (the tasklet restarts a failed bootstrap after 5 s)', function () {
    this.timeout(60_000);
    const tb = threadBench({ seed: 23, ids: ['a', 'x'], config: (id) => (id === 'x' ? { networkKey: WRONG, deviceType: 'minimal-end-device' } : {}) });
    const x = tb.node('x').app;
    tb.node('a').app.iface.connect();
    tb.runFor(8 * S);
    x.iface.connect();
    tb.runFor(600 * S); // OpenThread's own backoff alone would have reached minutes by now
    const t = x.events.filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED').map((e) => e.at);
    const late = t.slice(-10);
    expect(late.length).to.equal(10);
    for (let i = 1; i < late.length; i++) expect(late[i]! - late[i - 1]!, `gap ${i}`).to.be.below(15 * S);
    expect(tb.scheduler.now() - late.at(-1)!).to.be.below(15 * S);
  });

  it('a detached end device retries with next attach cycles: 6 Parent Requests in its first cycle, 2 in each later one (mle.hpp kFirstAttachCycle*, kNextAttachCycle*)', () => {
    const tb = threadBench({ seed: 24, ids: ['x'], config: () => ({ deviceType: 'minimal-end-device' }) });
    const x = tb.node('x').app;
    x.iface.connect();
    const failures = (): number[] => x.events.filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED').map((e) => e.at);
    expect(tb.runUntil(() => failures().length === 1, 10 * S)).to.equal(true);
    // 2 × 750 ms + 4 × 1250 ms after a start delay of 1–751 ms.
    expect(failures()[0]!).to.be.within(6501 * MS, 7251 * MS);
    expect(mle(x).counters.parentRequests).to.equal(6);
    expect(tb.runUntil(() => failures().length === 3, 30 * S)).to.equal(true);
    expect(mle(x).counters.parentRequests).to.equal(6 + 2 + 2);
    // Each later cycle: 750 ms + 1250 ms, after the backoff (251 ms, then 502 ms) and ≤ 2 × 50 ms of jitter.
    const [f1, f2, f3] = failures() as [number, number, number];
    expect(f2 - f1).to.be.within(2251 * MS, 2351 * MS);
    expect(f3 - f2).to.be.within(2502 * MS, 2602 * MS);
  });

  it('a node on another channel never hears the network: a router forms its own partition, an end device stays detached', () => {
    const tb = threadBench({
      seed: 23,
      ids: ['a', 'r', 'e'],
      channel: (id) => (id === 'a' ? 22 : 15),
      config: (id) => (id === 'a' ? {} : { channel: 15, ...(id === 'e' ? { deviceType: 'minimal-end-device' as const } : {}) }),
    });
    const [a, e] = [tb.node('a').app, tb.node('e').app];
    a.iface.connect();
    tb.runFor(8 * S);
    e.iface.connect();
    tb.runFor(10 * S);
    expect(mle(e).role).to.equal('detached');
    expect(e.events.some((x) => x.event === 'MESH_BOOTSTRAP_FAILED')).to.equal(true);
    // The router-eligible node on channel 15 leads its own partition; the end device then joins it there.
    const r = tb.node('r').app;
    r.iface.connect();
    tb.runFor(20 * S);
    expect(mle(r).role).to.equal('leader');
    expect(partitionOf(r)).to.not.equal(partitionOf(a));
    expect(mle(a).counters.mleSecurityErrors).to.equal(0); // nothing from channel 15 reached it
    // The end device, still retrying, finds the partition on its own channel.
    expect(tb.runUntil(() => mle(e).role === 'child', 30 * S)).to.equal(true);
    expect(partitionOf(e)).to.equal(partitionOf(r));
  });
});

describe('Thread better-partition search (thread.md §1 "Merging")', () => {
  it('a router that becomes leader while it searches for a better partition ends the search, and later merges into the better partition it hears', function () {
    this.timeout(60_000);
    // OpenThread ends any attach when it takes the router or leader role (mle_router.cpp
    // SetStateRouterOrLeader: SetAttachState(kAttachStateIdle), mAttachTimer.Stop()).
    const tb = threadBench({ seed: 31, ids: ['a', 'b'] });
    const [a, b] = [tb.node('a').app, tb.node('b').app];
    a.iface.connect();
    tb.runUntil(() => mle(a).role === 'leader', 10 * S);
    b.iface.connect();
    expect(tb.runUntil(() => mle(b).role === 'router', 15 * S)).to.equal(true);
    // b goes looking for a better partition, and its leader-age timeout (no new ID sequence for
    // NETWORK_ID_TIMEOUT) fires before the search ends: b starts a partition of its own.
    mle(b).attacher.startAttach('better', false);
    mle(b).leader.becomeLeader();
    expect(mle(b).role).to.equal('leader');
    expect(mle(b).attacher.attaching).to.equal(false);
    // a's partition still counts two routers, b's one: b hears a's advertisements, searches
    // again and merges.
    const searches = mle(b).counters.betterPartitionAttachAttempts;
    expect(tb.runUntil(() => allInOnePartition(tb), 60 * S)).to.equal(true);
    expect(mle(b).counters.betterPartitionAttachAttempts).to.be.above(searches);
  });
});
