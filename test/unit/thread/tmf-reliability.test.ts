// Confirmable TMF messages on a lossy mesh, many nodes on one bench clock: a link
// is cut (120 dB more loss, so the MAC's own retries fail too) while a message is
// on the air, and healed before its first CoAP retransmission. Without
// retransmission each case below loses its message; with it the exchange
// completes with one request, handled once (RFC 7252 §4.2, §4.5). Address Query
// backs off as OpenThread's address resolver does, and an EID claimed by two
// nodes draws an Address Error Notification (a/ae).
import { expect } from 'chai';
import { ADDRESS_QUERY_INITIAL_RETRY_DELAY, ADDRESS_QUERY_TIMEOUT } from '../../../stack/thread/address-resolver.ts';
import type { ThreadMle } from '../../../stack/thread/mle-engine.ts';
import { ACK_TIMEOUT } from '../../../stack/thread/tmf-agent.ts';
import { ipv6, ipv6Equal } from '../../../stack/wire/ipv6-address.ts';
import type { Testbed } from '../../../sim/testbed.ts';
import { mle, S, threadBench, type ThreadBenchNode } from './thread-bench.ts';

const CUT_DB = 120;
const PREFIX = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0]);

function cut(tb: Testbed<ThreadBenchNode>, a: string, b: string, forUs: number): void {
  tb.medium.setExtraAttenuation(a, b, CUT_DB);
  tb.runFor(forUs);
  tb.medium.setExtraAttenuation(a, b, 0);
}

function pairBench(seed: number) {
  const tb = threadBench({ seed, ids: ['l', 'r'], topology: { kind: 'matrix', lossDb: { l: { r: 60 } }, defaultLossDb: 200 } });
  tb.node('l').app.iface.connect();
  expect(tb.runUntil(() => mle(tb.node('l').app).role === 'leader', 30 * S)).to.equal(true);
  tb.node('r').app.iface.connect();
  expect(tb.runUntil(() => mle(tb.node('r').app).role === 'child', 30 * S), 'r attaches as a child').to.equal(true);
  return { tb, l: mle(tb.node('l').app), r: mle(tb.node('r').app) };
}

/** a (leader, border router) – b – c – d (a minimal end device, child of c), routes converged. */
function chainBench(seed: number) {
  const ids = ['a', 'b', 'c', 'd'];
  const tb = threadBench({
    seed,
    ids,
    topology: { kind: 'matrix', lossDb: { a: { b: 60 }, b: { c: 60 }, c: { d: 60 } }, defaultLossDb: 200 },
    config: (id) => ({ ...(id === 'a' ? { borderRouterPrefix: PREFIX } : {}), ...(id === 'd' ? { deviceType: 'minimal-end-device' as const } : {}) }),
  });
  for (const id of ids) {
    tb.node(id).app.iface.connect();
    tb.runUntil(() => mle(tb.node(id).app).isAttached(), 30 * S);
  }
  expect(tb.runUntil(() => ids.every((id) => tb.node(id).app.iface.getConnectionStatus() === 'GLOBAL_UP'), 120 * S), 'all up').to.equal(true);
  const routers = (): ThreadMle[] => ids.map((id) => mle(tb.node(id).app)).filter((m) => m.role === 'router' || m.role === 'leader');
  const converged = tb.runUntil(() => routers().every((m) => m.routerIdSet.every((id) => id === m.rloc16! >> 10 || m.routeCost(id) !== undefined)), 120 * S);
  expect(converged, 'routes converged').to.equal(true);
  const [a, b, c, d] = ids.map((id) => mle(tb.node(id).app)) as [ThreadMle, ThreadMle, ThreadMle, ThreadMle];
  expect(d.role).to.equal('child');
  return { tb, a, b, c, d };
}

describe('Thread: confirmable TMF messages survive loss (retransmission, duplicate detection)', function () {
  this.timeout(60_000);

  it('Address Solicit (a/as) lost on the air: retransmitted, the REED becomes a router on its one request', () => {
    const { tb, l, r } = pairBench(41);
    // The REED solicits within the 1 s router selection jitter of attaching; the cut swallows it.
    cut(tb, 'l', 'r', 1.2 * S);
    expect(r.counters.addressSolicits, 'sent during the cut').to.equal(1);
    expect(r.role).to.equal('child');
    expect(l.counters.routerIdsAssigned, 'never reached the leader').to.equal(0);
    expect(tb.runUntil(() => r.role === 'router', 2 * ACK_TIMEOUT), 'router once a retransmission gets through').to.equal(true);
    expect(r.counters.addressSolicits, 'the same request, retransmitted').to.equal(1);
    expect(r.tmf.counters.retransmissions).to.be.at.least(1);
    expect(l.counters.routerIdsAssigned).to.equal(1);
    expect(l.routerIdSet).to.include(r.rloc16! >> 10);
  });

  it('Address Solicit answered but its ACK lost: the retransmission is answered from the remembered ACK, not handled twice', () => {
    const { tb, l, r } = pairBench(42);
    expect(tb.runUntil(() => l.counters.routerIdsAssigned === 1, 5 * S), 'the leader assigns an ID').to.equal(true);
    const idSequence = l.route64().idSequence;
    // The ACK is still in the leader's MAC queue (carrier sense): the cut takes it.
    cut(tb, 'l', 'r', 1.5 * S);
    expect(r.role, 'no answer yet').to.equal('child');
    expect(tb.runUntil(() => r.role === 'router', 2 * ACK_TIMEOUT)).to.equal(true);
    expect(l.tmf.counters.duplicatesAnswered, 'the duplicate answered again').to.be.at.least(1);
    expect(l.counters.routerIdsAssigned, 'handled once').to.equal(1);
    expect(l.routerIdSet).to.have.length(2);
    // No second allocation: the leader's ID sequence moved by the leader's own periodic bump at most.
    expect((l.route64().idSequence - idSequence) & 0xff).to.be.at.most(1);
    expect(r.counters.addressSolicits).to.equal(1);
  });

  it('Address Notification (a/an) lost: retransmitted; the querier takes it even after its query timed out, and later sends need no new query', () => {
    const { tb, a, c, d } = chainBench(43);
    const got: string[] = [];
    tb.node('d').app.iface.openUdp(7100, (m) => got.push(new TextDecoder().decode(m.payload)));
    const client = tb.node('a').app.iface.openUdp(0, () => undefined).socket!;
    const done: boolean[] = [];
    client.sendTo(d.mlEid, 7100, new TextEncoder().encode('one'), {}, (ok) => done.push(ok));
    expect(tb.runUntil(() => c.resolver.counters.notificationsSent === 1, ADDRESS_QUERY_TIMEOUT), 'c answers for its child').to.equal(true);
    cut(tb, 'b', 'c', 1 * S);
    expect(tb.runUntil(() => c.tmf.counters.retransmissions >= 1 && a.resolver.stateOf(d.mlEid) === 'cached', 3 * ACK_TIMEOUT), 'learnt from a retransmission').to.equal(true);
    expect(a.resolver.counters.addressQueries).to.equal(1);
    tb.runFor(ADDRESS_QUERY_TIMEOUT);
    expect(done, 'the first datagram settled').to.have.length(1);
    client.sendTo(d.mlEid, 7100, new TextEncoder().encode('two'), {}, (ok) => done.push(ok));
    tb.runFor(2 * S);
    expect(done[1]).to.equal(true);
    expect(got).to.include('two');
    expect(a.resolver.counters.addressQueries, 'from the cache').to.equal(1);
  });

  it('Server Data (a/sd) lost: retransmitted until the leader publishes the border router prefix', () => {
    // Here the border router is an end device, not the leader: it registers its prefix with a/sd (its only TMF request).
    const tb = threadBench({
      seed: 44,
      ids: ['l', 'br'],
      topology: { kind: 'matrix', lossDb: { l: { br: 60 } }, defaultLossDb: 200 },
      config: (id) => (id === 'br' ? { borderRouterPrefix: PREFIX, deviceType: 'minimal-end-device' as const } : {}),
    });
    tb.node('l').app.iface.connect();
    expect(tb.runUntil(() => mle(tb.node('l').app).role === 'leader', 30 * S)).to.equal(true);
    tb.node('br').app.iface.connect();
    const br = mle(tb.node('br').app);
    const l = mle(tb.node('l').app);
    expect(tb.runUntil(() => br.isAttached(), 30 * S)).to.equal(true);
    // The registration goes out at the next once-a-second check; the cut takes it.
    const sent = br.tmf.counters.requestsSent;
    expect(tb.runUntil(() => br.tmf.counters.requestsSent > sent, 3 * S)).to.equal(true);
    cut(tb, 'l', 'br', 1 * S);
    expect(l.globalAddresses, 'not registered yet').to.deep.equal([]);
    expect(tb.runUntil(() => l.globalAddresses.length === 1, 2 * ACK_TIMEOUT), 'registered by the retransmission').to.equal(true);
    expect(br.tmf.counters.retransmissions).to.be.at.least(1);
  });
});

describe('Thread: Address Query backoff and Address Error (OpenThread address_resolver.cpp)', function () {
  this.timeout(60_000);

  it('an unanswered query blocks sends to its EID for 15 s, then queries again, and the next failure waits 30 s', () => {
    const { tb, a } = chainBench(45);
    const client = tb.node('a').app.iface.openUdp(0, () => undefined).socket!;
    const nobody = ipv6('fd00:db8::dead:beef:dead:beef');
    const done: Array<[boolean, number]> = [];
    const send = (): void => void client.sendTo(nobody, 7100, new Uint8Array([1]), {}, (ok) => done.push([ok, tb.scheduler.now()]));
    const t0 = tb.scheduler.now();
    send();
    tb.runFor(ADDRESS_QUERY_TIMEOUT + 1);
    expect(done.map((d) => d[0])).to.deep.equal([false]);
    expect(done[0]![1] - t0, 'failed at the query timeout').to.equal(ADDRESS_QUERY_TIMEOUT);
    expect(a.resolver.stateOf(nobody)).to.equal('retry');
    send();
    expect(done).to.have.length(2);
    expect(done[1]![1], 'dropped at once').to.equal(tb.scheduler.now());
    expect(a.resolver.counters.addressQueries).to.equal(1);
    expect(a.resolver.counters.droppedInRetry).to.equal(1);
    tb.scheduler.runUntil(t0 + ADDRESS_QUERY_TIMEOUT + ADDRESS_QUERY_INITIAL_RETRY_DELAY - 1);
    send();
    expect(a.resolver.counters.addressQueries, 'still in its retry delay').to.equal(1);
    tb.scheduler.runUntil(t0 + ADDRESS_QUERY_TIMEOUT + ADDRESS_QUERY_INITIAL_RETRY_DELAY);
    send();
    expect(a.resolver.counters.addressQueries, 'queried again once the delay is over').to.equal(2);
    const t1 = tb.scheduler.now();
    tb.runFor(ADDRESS_QUERY_TIMEOUT);
    tb.scheduler.runUntil(t1 + ADDRESS_QUERY_TIMEOUT + 2 * ADDRESS_QUERY_INITIAL_RETRY_DELAY - 1);
    send();
    expect(a.resolver.counters.addressQueries, 'the delay doubled to 30 s').to.equal(2);
    tb.scheduler.runUntil(t1 + ADDRESS_QUERY_TIMEOUT + 2 * ADDRESS_QUERY_INITIAL_RETRY_DELAY);
    send();
    expect(a.resolver.counters.addressQueries).to.equal(3);
  });

  it('an address two nodes claim: the querier sends an Address Error and exactly one of them keeps it', () => {
    const { tb, a, b, d } = chainBench(46);
    const global = d.globalAddresses[0]!;
    // b claims the end device's SLAAC address as its own: two owners with different ML-EIDs.
    b.addAddress(global);
    const client = tb.node('a').app.iface.openUdp(0, () => undefined).socket!;
    client.sendTo(global, 7100, new Uint8Array([1]), {}, () => undefined);
    tb.runFor(10 * S);
    expect(b.resolver.counters.notificationsSent + tb.node('c').app.iface.thread!.mle!.resolverCounters.notificationsSent, 'both owners answered').to.equal(2);
    expect(a.resolver.counters.addressErrorsSent, 'the second answer named another ML-IID').to.be.at.least(1);
    const bKeeps = b.isOurAddress(global);
    const dKeeps = d.globalAddresses.some((g) => ipv6Equal(g, global));
    expect(bKeeps !== dKeeps, `one owner left (b ${bKeeps}, d ${dKeeps})`).to.equal(true);
  });
});
