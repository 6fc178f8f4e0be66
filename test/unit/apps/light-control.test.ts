// The mesh-minimal light control (reference mbed-mesh-api.md §5) on both kinds of mesh,
// through the one socket API of MeshInterface: a 4-node line (3 radio hops), a press at
// one end lighting the other end, with the hops each board's stack counted on the way.
import { expect } from 'chai';
import type { LightChange } from '../../../stack/apps/light-control.ts';
import type { MeshInterface } from '../../../stack/mesh/mesh-interface.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { ipv6 } from '../../../stack/wire/ipv6-address.ts';
import { line, ndBed } from '../nd/bed.ts';
import { mle, S, threadBench } from '../thread/thread-bench.ts';

const IDS = ['a', 'b', 'c', 'd'];

/** A chain a–b–c–d: neighbours hear each other, nodes two apart do not. */
function chain(ids: string[]): { kind: 'matrix'; lossDb: Record<string, Record<string, number>>; defaultLossDb: number } {
  const lossDb: Record<string, Record<string, number>> = {};
  ids.forEach((id, i) => {
    const next = ids[i + 1];
    if (next) lossDb[id] = { [next]: 60 };
  });
  return { kind: 'matrix', lossDb, defaultLossDb: 200 };
}

interface Line {
  ids: string[];
  iface(id: string): MeshInterface;
  runFor(us: number): void;
  /** A routable unicast address of the node: ND's global one, Thread's RLOC (no Address Query needed to reach it). */
  unicast(id: string): string;
}

function ndLine(seed: number): Line {
  const b = ndBed(seed, line(3));
  b.nd('br').connect();
  b.connectAll(['r1', 'r2', 'r3']);
  if (!b.runUntilUp(['r1', 'r2', 'r3'], 60)) throw new Error('ND line did not join');
  return { ids: ['br', 'r1', 'r2', 'r3'], iface: (id) => b.nd(id), runFor: (us) => b.bed.runFor(us), unicast: (id) => b.nd(id).ipAddresses()[1]! };
}

function threadLine(seed: number): Line {
  const tb = threadBench({ seed, ids: IDS, topology: chain(IDS) });
  for (const id of IDS) {
    tb.node(id).app.iface.connect();
    tb.runUntil(() => ['leader', 'router'].includes(mle(tb.node(id).app).role), 30 * S);
  }
  tb.runFor(30 * S); // routes spread with the advertisements
  const rloc = (id: string): number => mle(tb.node(id).app).rloc16!;
  if (mle(tb.node('a').app).routeCost(rloc('d') >> 10) !== 3) throw new Error('Thread chain has no 3-hop route');
  const rlocAddress = (id: string): string => tb.node(id).app.iface.ipAddresses().find((a) => a.includes(':ff:fe00:'))!;
  return { ids: IDS, iface: (id) => tb.node(id).app.iface, runFor: (us) => tb.runFor(us), unicast: rlocAddress };
}

for (const [kind, build] of [
  ['6LoWPAN-ND', ndLine],
  ['Thread', threadLine],
] as const) {
  describe(`light control and UDP sockets on ${kind} (4-node line, 3 hops)`, function () {
    this.timeout(60_000);

    it('a press at one end lights every LED; each board reports the hops the message really took', () => {
      const net = build(kind === 'Thread' ? 201 : 202);
      const changes = new Map<string, LightChange[]>();
      for (const id of net.ids) {
        const list: LightChange[] = [];
        changes.set(id, list);
        net.iface(id).light().onChange((c) => list.push(c));
      }
      const [first, , , last] = net.ids as [string, string, string, string];
      expect(net.iface(last).light().pressButton()).to.equal(20); // sendto(): the 20 bytes sent
      net.runFor(2 * SECOND);
      for (const id of net.ids) expect(net.iface(id).light().ledOn, `${id} LED`).to.equal(true);
      // Once per board (duplicates suppressed), the press's own copy looped back with 0 hops.
      expect(net.ids.map((id) => changes.get(id)!.map((c) => c.hops))).to.deep.equal([[3], [2], [1], [0]]);
      for (const id of net.ids) expect(net.iface(id).light().received, `${id} received`).to.equal(1);
      // And back: off from the other end.
      expect(net.iface(first).light().pressButton()).to.equal(20);
      net.runFor(2 * SECOND);
      for (const id of net.ids) expect(net.iface(id).light().ledOn, `${id} LED off`).to.equal(false);
      expect(changes.get(last)!.map((c) => `${c.on}/${c.hops}`)).to.deep.equal(['true/0', 'false/3']);
    });

    it('unicast UDP end to end: bytes sent, datagram delivered with its hop count and what left the radio', () => {
      const net = build(kind === 'Thread' ? 203 : 204);
      const [first, , , last] = net.ids as [string, string, string, string];
      const got: Array<{ text: string; hops: number; hopLimit: number }> = [];
      const server = net.iface(first).openUdp(7000, (d) => got.push({ text: new TextDecoder().decode(d.payload), hops: d.hops, hopLimit: d.hopLimit }));
      expect(server.result).to.equal(0);
      const client = net.iface(last).openUdp(0, () => undefined);
      expect(client.socket!.port).to.be.within(49152, 65535);
      const done: boolean[] = [];
      const payload = new TextEncoder().encode('over three hops');
      expect(client.socket!.sendTo(ipv6(net.unicast(first)), 7000, payload, {}, (ok) => done.push(ok))).to.equal(payload.length);
      net.runFor(1 * SECOND);
      expect(done).to.deep.equal([true]);
      expect(got.map((g) => `${g.text}/${g.hops}`)).to.deep.equal(['over three hops/3']);
      // Route-over ND decrements the hop limit at each router; Thread's mesh header carries it unchanged.
      expect(got[0]!.hopLimit).to.equal(kind === 'Thread' ? 64 : 62);
    });

    it('nsapi results: port in use, no address before connect, closed socket', () => {
      const net = build(kind === 'Thread' ? 205 : 206);
      const iface = net.iface(net.ids[1]!);
      const s = iface.openUdp(7001, () => undefined);
      expect(s.result).to.equal(0);
      expect(iface.openUdp(7001, () => undefined).result).to.equal(-3003); // NSAPI_ERROR_PARAMETER: port in use
      expect(iface.disconnect()).to.equal(0);
      // The socket stays open; the interface has no address: link-local scope → NO_ADDRESS, wider without a route → BUSY.
      expect(s.socket!.sendTo(ipv6('ff02::1'), 7001, new Uint8Array(4))).to.equal(-3006);
      expect(s.socket!.sendTo(ipv6(net.unicast(net.ids[0]!)), 7001, new Uint8Array(4))).to.equal(-3020);
      expect(iface.light().pressButton()).to.equal(-3020); // ff15:: is wider than realm-local
      expect(s.socket!.close()).to.equal(0);
      expect(s.socket!.sendTo(ipv6('ff02::1'), 7001, new Uint8Array(4))).to.equal(-3005); // NSAPI_ERROR_NO_SOCKET
      expect(s.socket!.close()).to.equal(-3005);
      expect(iface.openUdp(7001, () => undefined).result).to.equal(0); // the port is free again
    });
  });
}
