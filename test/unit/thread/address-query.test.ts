// Address Query (a/aq) and Notification (a/an): a datagram to an ML-EID or an
// SLAAC global address the sender cannot map to an RLOC16 waits for the owner
// (or its parent) to answer, then goes out; the answer is cached; nobody
// answering fails the send after ADDRESS_QUERY_TIMEOUT (3 s).
import { expect } from 'chai';
import { formatIpv6Address, ipv6 } from '../../../stack/wire/ipv6-address.ts';
import { mle, S, threadBench } from './thread-bench.ts';

const IDS = ['a', 'b', 'c', 'd'];

function chainBench(seed: number) {
  const lossDb: Record<string, Record<string, number>> = { a: { b: 60 }, b: { c: 60 }, c: { d: 60 } };
  const prefix = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0]);
  const tb = threadBench({
    seed,
    ids: IDS,
    topology: { kind: 'matrix', lossDb, defaultLossDb: 200 },
    config: (id) => ({ ...(id === 'a' ? { borderRouterPrefix: prefix } : {}), ...(id === 'd' ? { deviceType: 'minimal-end-device' as const } : {}) }),
  });
  for (const id of IDS) {
    tb.node(id).app.iface.connect();
    tb.runUntil(() => ['leader', 'router', 'child'].includes(mle(tb.node(id).app).role), 30 * S);
  }
  const ok = tb.runUntil(() => IDS.every((id) => tb.node(id).app.iface.getConnectionStatus() === 'GLOBAL_UP'), 120 * S);
  if (!ok) throw new Error(IDS.map((id) => `${id} ${tb.node(id).app.iface.getConnectionStatus()}`).join(', '));
  // Routes converged: every router reaches every other (a datagram before that may find no route).
  const routers = () => IDS.map((id) => mle(tb.node(id).app)).filter((m) => m.role === 'router' || m.role === 'leader');
  const converged = tb.runUntil(() => routers().every((m) => m.routerIdSet.every((id) => id === m.rloc16! >> 10 || m.routeCost(id) !== undefined)), 120 * S);
  if (!converged) throw new Error('routes did not converge');
  return tb;
}

describe('Thread: Address Query (a/aq, a/an)', function () {
  this.timeout(60_000);

  it('reaches an ML-EID and a global address three hops away (a child answers through its parent), then uses the cache', () => {
    const tb = chainBench(31);
    expect(mle(tb.node('d').app).role, 'the far end is a child').to.equal('child');
    const got: string[] = [];
    const server = tb.node('d').app.iface.openUdp(7100, (d) => got.push(`${new TextDecoder().decode(d.payload)}/${d.hops}`));
    expect(server.result).to.equal(0);
    const client = tb.node('a').app.iface.openUdp(0, () => undefined).socket!;
    const d = mle(tb.node('d').app);
    const done: boolean[] = [];
    for (const [name, to] of [
      ['ml-eid', d.mlEid],
      ['global', d.globalAddresses[0]!],
    ] as const) {
      expect(client.sendTo(to, 7100, new TextEncoder().encode(name), {}, (ok) => done.push(ok)), `sendto ${formatIpv6Address(to)}`).to.equal(name.length);
      tb.runFor(5 * S);
    }
    expect(done).to.deep.equal([true, true]);
    expect(got).to.deep.equal(['ml-eid/3', 'global/3']);
    const queries = mle(tb.node('a').app).resolver.counters.addressQueries;
    expect(queries, 'one query per address').to.equal(2);
    client.sendTo(d.mlEid, 7100, new TextEncoder().encode('again'), {}, (ok) => done.push(ok));
    tb.runFor(2 * S);
    expect(got[2]).to.equal('again/3');
    expect(mle(tb.node('a').app).resolver.counters.addressQueries, 'answered from the cache').to.equal(queries);
  });

  it('a router with no route to the cached RLOC16 answers ICMPv6 no-route, and the sender forgets the mapping and asks again', () => {
    const tb = chainBench(33);
    const got: string[] = [];
    tb.node('d').app.iface.openUdp(7100, (d) => got.push(new TextDecoder().decode(d.payload)));
    const client = tb.node('a').app.iface.openUdp(0, () => undefined).socket!;
    const [a, c, d] = [mle(tb.node('a').app), mle(tb.node('c').app), mle(tb.node('d').app)];
    expect(d.role, 'the far end is a child').to.equal('child');
    client.sendTo(d.mlEid, 7100, new TextEncoder().encode('first'), {}, () => undefined);
    tb.runFor(5 * S);
    expect(got).to.deep.equal(['first']);
    expect(a.resolver.stateOf(d.mlEid)).to.equal('cached');
    // The child's RLOC16 goes stale, as when a child becomes a router: its parent no longer has it.
    for (const [k, n] of c.neighbours) if (n.kind === 'child' && n.rloc16 === d.rloc16) c.neighbours.delete(k);
    const noRoute = tb.node('c').app.iface.thread!.linkCounters!.noRoute;
    const queries = a.resolver.counters.addressQueries;
    client.sendTo(d.mlEid, 7100, new TextEncoder().encode('second'), {}, () => undefined);
    tb.runFor(1 * S);
    expect(got, 'the parent had nowhere to send it').to.deep.equal(['first']);
    expect(tb.node('c').app.iface.thread!.linkCounters!.noRoute).to.equal(noRoute + 1);
    expect(a.resolver.stateOf(d.mlEid), 'forgotten on the ICMPv6 error').to.not.equal('cached');
    client.sendTo(d.mlEid, 7100, new TextEncoder().encode('third'), {}, () => undefined);
    expect(a.resolver.counters.addressQueries, 'the next send asks again').to.equal(queries + 1);
  });

  it('fails the send when nobody owns the address (3 s query timeout)', () => {
    const tb = chainBench(32);
    const client = tb.node('a').app.iface.openUdp(0, () => undefined).socket!;
    const done: boolean[] = [];
    const nobody = ipv6('fd00:db8::dead:beef:dead:beef');
    client.sendTo(nobody, 7100, new Uint8Array([1]), {}, (ok) => done.push(ok));
    tb.runFor(2 * S);
    expect(done, 'still waiting for an answer').to.deep.equal([]);
    tb.runFor(2 * S);
    expect(done).to.deep.equal([false]);
  });
});
