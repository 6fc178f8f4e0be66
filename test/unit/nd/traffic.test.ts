// Traffic over a joined 6LoWPAN-ND/RPL mesh: UDP routed hop by hop (RPL option upward,
// RFC 6553; source routing header downward, RFC 6554), the mesh-minimal light toggle
// (reference mbed-mesh-api.md §5), and parent loss with local repair (RFC 6550 §8.2.2.4).
import { expect } from 'chai';
import { DEFAULT_BOUNDS } from '../../../harness/rig/common.ts';
import { LIGHT_GROUP, lightMessage, parseLightMessage } from '../../../protocol/light-control.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { bytesEqual } from '../../../stack/wire/bytes.ts';
import { ipv6 } from '../../../stack/wire/ipv6-address.ts';
import { grid, line, ndBed, type NdBed } from './bed.ts';

const MARKER = new TextEncoder().encode('three hops, hop by hop');
/** The light's bound on 6LoWPAN-ND (docs/rig-file.md "Bounds": Nanostack's MPL control repair). */
const ND_LIGHT_WITHIN_S = DEFAULT_BOUNDS.ndLightWithinS;

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** First transmissions of data frames carrying `marker`, per node: [broadcast?, ...]. */
function watchFrames(b: NdBed, ids: string[], marker: Uint8Array): Map<string, boolean[]> {
  const seen = new Map<string, boolean[]>(ids.map((id) => [id, []]));
  for (const id of ids) {
    b.node(id).mac.onFrame((ev) => {
      if (ev.direction !== 'tx' || ev.attempt !== 1 || ev.frame?.type !== 'data' || !contains(ev.frame.payload, marker)) return;
      const dst = ev.frame.dst;
      seen.get(id)!.push(dst.mode === 'short' && dst.short === 0xffff);
    });
  }
  return seen;
}

function joinedLine(seed: number, hops: number): NdBed {
  const b = ndBed(seed, line(hops));
  b.nd('br').connect();
  const ids = Array.from({ length: hops }, (_, i) => `r${i + 1}`);
  b.connectAll(ids);
  if (!b.runUntilUp(ids, 60)) throw new Error('line did not join');
  return b;
}

describe('traffic on the 6LoWPAN-ND mesh (stack/net, stack/nd)', function () {
  it('RFC 6554: UDP from the border router to a node 3 hops down is source-routed, each hop sending it once, unicast', function () {
    const b = joinedLine(11, 3);
    const got: Uint8Array[] = [];
    b.nd('r3').udpOpen(5000, (d) => got.push(d.payload));
    const frames = watchFrames(b, ['br', 'r1', 'r2', 'r3'], MARKER);
    const sock = b.nd('br').udpOpen(0, () => {})!;
    const dst = ipv6(b.nd('r3').ipAddresses()[1]!);
    expect(sock.sendTo(dst, 5000, MARKER)).to.equal(0);
    b.bed.runFor(1 * SECOND);
    expect(got.map((p) => bytesEqual(p, MARKER))).to.deep.equal([true]);
    expect(frames.get('br')).to.deep.equal([false]);
    expect(frames.get('r1')).to.deep.equal([false]);
    expect(frames.get('r2')).to.deep.equal([false]);
    expect(frames.get('r3')).to.deep.equal([]);
    expect(b.nd('r1').net.counters.ipForwarded).to.be.greaterThan(0);
  });

  it('RFC 6553: UDP from a node 3 hops down to the border router climbs parent by parent, never flooded', function () {
    const b = joinedLine(12, 3);
    const got: Array<{ hopLimit: number }> = [];
    b.nd('br').udpOpen(5001, (d) => got.push({ hopLimit: d.hopLimit }));
    const frames = watchFrames(b, ['br', 'r1', 'r2', 'r3'], MARKER);
    const sock = b.nd('r3').udpOpen(0, () => {})!;
    expect(sock.sendTo(ipv6(b.nd('br').ipAddresses()[1]!), 5001, MARKER, { hopLimit: 10 })).to.equal(0);
    b.bed.runFor(1 * SECOND);
    expect(got).to.deep.equal([{ hopLimit: 8 }]); // two forwarding routers on the way
    expect(frames.get('r3')).to.deep.equal([false]);
    expect(frames.get('r2')).to.deep.equal([false]);
    expect(frames.get('r1')).to.deep.equal([false]);
    expect(frames.get('br')).to.deep.equal([]);
  });

  it('node to node on the way up: r3 → r1 is delivered at r1 without reaching the root', function () {
    const b = joinedLine(13, 3);
    const got: string[] = [];
    b.nd('r1').udpOpen(5002, (d) => got.push(new TextDecoder().decode(d.payload)));
    const frames = watchFrames(b, ['br', 'r1', 'r2', 'r3'], MARKER);
    const forwardedByRoot = b.nd('br').net.counters.ipForwarded;
    const sock = b.nd('r3').udpOpen(0, () => {})!;
    expect(sock.sendTo(ipv6(b.nd('r1').ipAddresses()[1]!), 5002, MARKER)).to.equal(0);
    b.bed.runFor(1 * SECOND);
    expect(got).to.deep.equal(['three hops, hop by hop']);
    // r3 and r2 each sent it once, unicast; r1 kept it, so the root never had it on its link to forward.
    expect(frames.get('r3')).to.deep.equal([false]);
    expect(frames.get('r2')).to.deep.equal([false]);
    expect(frames.get('r1'), 'r1 sends it on').to.deep.equal([]);
    expect(frames.get('br'), 'the root sends it on').to.deep.equal([]);
    expect(b.nd('br').net.counters.ipForwarded, 'datagrams the root forwarded').to.equal(forwardedByRoot);
  });

  it('RFC 4443 §4: an echo request to a node 3 hops away is answered', function () {
    const b = joinedLine(14, 3);
    const replies: number[] = [];
    b.nd('br').net.onIcmp((m) => {
      if (m.kind === 'echoReply') replies.push(m.sequence);
    });
    expect(b.nd('br').net.ping(ipv6(b.nd('r3').ipAddresses()[1]!), 7, 1)).to.equal(true);
    b.bed.runFor(1 * SECOND);
    expect(replies).to.deep.equal([1]);
  });

  it('mesh-minimal light control: a button press on the far end of a 3-hop line lights every LED', function () {
    const b = joinedLine(15, 3);
    const ids = ['br', 'r1', 'r2', 'r3'];
    for (const id of ids) b.nd(id).light();
    expect(b.nd('r3').light().pressButton()).to.equal(20); // sendto() answers the bytes sent
    // Nanostack's MPL: at Trickle times, or through control messages where k = 1 silenced a router.
    expect(b.bed.runUntil(() => ids.every((id) => b.nd(id).light().ledOn), ND_LIGHT_WITHIN_S * SECOND), 'every LED on').to.equal(true);
    // Each board got it once (the sender its own copy back); routers forwarded it once.
    for (const id of ids) expect(b.nd(id).light().received, `${id} received`).to.equal(1);
    expect(b.nd('r1').net.counters.multicastForwarded).to.equal(1);
    expect(b.nd('r3').net.counters.multicastForwarded).to.equal(0); // a copy heard again is a duplicate
    // Off again from the border router.
    b.bed.runFor(2 * SECOND);
    b.nd('br').light().pressButton();
    expect(b.bed.runUntil(() => ids.every((id) => !b.nd(id).light().ledOn), ND_LIGHT_WITHIN_S * SECOND), 'every LED off').to.equal(true);
  });

  for (const seed of [16, 17, 26]) {
    it(`mesh-minimal light control reaches all 16 boards of the grid (seed ${seed})`, function () {
      // Seeds where routers that forwarded on reception collided at a hidden board between them.
      const { nodes, links } = grid(4);
      const b = ndBed(seed, nodes, {}, links);
      b.nd('br').connect();
      const ids = nodes.map((n) => n.id);
      b.connectAll(ids.slice(1));
      expect(b.runUntilUp(ids.slice(1), 120)).to.equal(true);
      for (const id of ids) b.nd(id).light();
      b.nd('n15').light().pressButton();
      b.bed.runUntil(() => ids.every((id) => b.nd(id).light().ledOn), ND_LIGHT_WITHIN_S * SECOND);
      expect(ids.filter((id) => !b.nd(id).light().ledOn)).to.deep.equal([]);
    });
  }

  it("Nanostack's MPL (mpl.c): routers send the light on only at Trickle times, and it reaches all 16 boards of the grid", function () {
    const { nodes, links } = grid(4);
    const b = ndBed(16, nodes, {}, links);
    b.nd('br').connect();
    const ids = nodes.map((n) => n.id);
    b.connectAll(ids.slice(1));
    expect(b.runUntilUp(ids.slice(1), 120)).to.equal(true);
    for (const id of ids) b.nd(id).light();
    const heard = new Map<string, number>();
    const sent = new Map<string, number>();
    const marker = new TextEncoder().encode('t:lights;');
    for (const id of ids) {
      b.node(id).mac.onFrame((ev) => {
        if (ev.frame?.type !== 'data' || !contains(ev.frame.payload, marker)) return;
        const seen = ev.direction === 'rx' ? heard : sent;
        if (!seen.has(id)) seen.set(id, ev.timeUs);
      });
    }
    b.nd('n15').light().pressButton();
    // Within 3 intervals of 550 ms per hop, or, where k = 1 suppression silenced every router
    // next to a board, once MPL control messages (a Trickle of Imin 550 ms to Imax 5 min) ask for it.
    expect(b.bed.runUntil(() => ids.every((id) => b.nd(id).light().ledOn), ND_LIGHT_WITHIN_S * SECOND)).to.equal(true);
    // No router sent it within 5 ticks (250 ms, less up to one 50 ms tick of grid) of hearing it.
    const forwarders = [...sent.keys()].filter((id) => id !== 'n15');
    expect(forwarders.length).to.be.greaterThan(0);
    for (const id of forwarders) expect(sent.get(id)! - heard.get(id)!, `${id}: heard → sent (µs)`).to.be.at.least(200_000);
  });

  it('light message: 20 bytes, "t:lights;g:001;s:1;" and a NUL; only lights messages count', function () {
    const m = lightMessage(true);
    expect(m.length).to.equal(20);
    expect(new TextDecoder().decode(m.subarray(0, 19))).to.equal('t:lights;g:001;s:1;');
    expect(m[19]).to.equal(0);
    expect(parseLightMessage(lightMessage(false))).to.equal(false);
    expect(parseLightMessage(new TextEncoder().encode('t:other;s:1;'))).to.equal(undefined);
    expect(LIGHT_GROUP).to.equal('ff15::810a:64d1');
  });

  it('RFC 6550 §8.2.2.4: when its parent vanishes, a router with another parent candidate repairs locally and stays up', function () {
    // br — a, br — b, a — c, b — c: c has two parents of equal rank.
    const b = ndBed(
      21,
      [
        { id: 'br', x: 0, y: 0, role: 'border-router' },
        { id: 'a', x: 1, y: 0 },
        { id: 'b', x: 0, y: 1 },
        { id: 'c', x: 1, y: 1 },
      ],
      { refreshIntervalUs: 10 * SECOND },
      [
        ['br', 'a'],
        ['br', 'b'],
        ['a', 'c'],
        ['b', 'c'],
      ],
    );
    b.nd('br').connect();
    b.connectAll(['a', 'b']);
    expect(b.runUntilUp(['a', 'b'], 30)).to.equal(true);
    b.nd('c').connect();
    expect(b.runUntilUp(['c'], 30)).to.equal(true);
    b.bed.runFor(10 * SECOND); // let c hear both candidates' DIOs
    const parentLl = b.nd('c').details().parent!;
    const parentId = parentLl === b.nd('a').ipAddresses()[0] ? 'a' : 'b';
    const otherId = parentId === 'a' ? 'b' : 'a';
    b.bed.medium.setPartitioned(parentId, true);
    b.bed.runFor(30 * SECOND);
    expect(b.nd('c').getConnectionStatus()).to.equal('GLOBAL_UP');
    expect(b.nd('c').details().parent).to.equal(b.nd(otherId).ipAddresses()[0]);
    expect(b.nd('c').tasklet6lowpan!.repairs).to.equal(1);
    // Routed again: the border router reaches c through the other router.
    // UDP is best effort on a lossy medium: up to three tries.
    const got: number[] = [];
    b.nd('c').udpOpen(6000, (d) => got.push(d.payload.length));
    const sock = b.nd('br').udpOpen(0, () => {})!;
    for (let i = 0; i < 3 && got.length === 0; i++) {
      sock.sendTo(ipv6(b.nd('c').ipAddresses()[1]!), 6000, new Uint8Array(5));
      b.bed.runFor(1 * SECOND);
    }
    expect(got).to.deep.equal([5]);
  });

  it('parent loss with no other parent is reported: CONNECTING (callback), then a rejoin once the parent is back', function () {
    const b = ndBed(22, line(2), { refreshIntervalUs: 10 * SECOND });
    b.nd('br').connect();
    b.connectAll(['r1', 'r2']);
    expect(b.runUntilUp(['r1', 'r2'], 60)).to.equal(true);
    b.bed.medium.setPartitioned('r1', true);
    expect(b.bed.runUntil(() => b.nd('r2').getConnectionStatus() === 'CONNECTING', 30 * SECOND)).to.equal(true);
    const last = b.nd('r2').history[b.nd('r2').history.length - 1]!;
    expect(last.event).to.equal('MESH_BOOTSTRAP_FAILED');
    expect(last.callback).to.equal(true);
    b.bed.medium.setPartitioned('r1', false);
    expect(b.runUntilUp(['r2'], 90)).to.equal(true);
  });
});
