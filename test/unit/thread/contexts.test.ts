// 6LoWPAN contexts from Thread network data: the leader gives every border router's
// prefix a context ID (OpenThread Leader::AddBorderRouter, AllocateContext), and nodes
// compress and decompress addresses under it (RFC 6282 §3.1.1), as OpenThread does.
import { expect } from 'chai';
import type { TransmissionRecord } from '../../../sim/medium/medium.ts';
import { lowpanContexts, withContexts, type NetworkDataTlv } from '../../../stack/thread/network-data.ts';
import { parseMacFrame } from '../../../stack/wire/ieee802154.ts';
import { mle, S, threadBench } from './thread-bench.ts';

const P1 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0);
const P2 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0);
const offered = (prefix: Uint8Array, rloc16: number): NetworkDataTlv => ({
  type: 'prefix',
  stable: true,
  domainId: 0,
  prefixLength: 64,
  prefix,
  subTlvs: [{ type: 'borderRouter', stable: true, entries: [{ rloc16, flags: 0 }] }],
});

describe('Thread: 6LoWPAN contexts in network data', function () {
  it('the leader gives each offered prefix the lowest free context ID from 1, keeps it, and clears compress when its border routers are gone', () => {
    const first = withContexts([offered(P1, 0x0400)]);
    expect(lowpanContexts(first).map((c) => [c.id, c.length, c.compress])).to.deep.equal([[1, 64, true]]);
    const second = withContexts([...first, offered(P2, 0x0800)]);
    expect(lowpanContexts(second).map((c) => [c.id, [...c.prefix.subarray(0, 8)], c.compress])).to.deep.equal([
      [1, [...P1], true],
      [2, [...P2], true],
    ]);
    const gone = second.map((t) => (t.type === 'prefix' && t.prefix[5] === 1 ? { ...t, subTlvs: t.subTlvs.filter((st) => st.type !== 'borderRouter') } : t));
    expect(lowpanContexts(withContexts(gone)).map((c) => [c.id, c.compress])).to.deep.equal([
      [1, false],
      [2, true],
    ]);
  });

  it('a datagram to a SLAAC address goes with context 1: 80 bytes of payload take one frame, not two, and arrive', function () {
    const tb = threadBench({ seed: 3, ids: ['a', 'b'], config: (id) => (id === 'a' ? { borderRouterPrefix: P1 } : {}) });
    tb.node('a').app.iface.connect();
    tb.runUntil(() => mle(tb.node('a').app).role === 'leader', 10 * S);
    tb.node('b').app.iface.connect();
    expect(tb.runUntil(() => tb.nodes.every((n) => n.app.iface.getConnectionStatus() === 'GLOBAL_UP'), 30 * S)).to.equal(true);
    tb.runFor(5 * S);
    const [a, b] = [tb.node('a').app, tb.node('b').app];
    expect(mle(b).lowpanContexts().map((c) => c.id), 'b learnt the context from the network data').to.deep.equal([1]);
    const got: string[] = [];
    b.iface.thread!.onUdp(4002, (m) => got.push(`${m.payload.length}`));
    const fromA: TransmissionRecord[] = [];
    tb.medium.observe((r) => {
      const f = parseMacFrame(r.psdu);
      if (r.sender === 'a' && f.ok && f.value.type === 'data' && f.value.security !== undefined) fromA.push(r);
    });
    const results: boolean[] = [];
    // A global destination goes from our global address: both under context 1 (one CID byte).
    a.iface.thread!.sendUdp(mle(b).globalAddresses[0]!, 0xf0b1, 4002, new Uint8Array(80), (ok) => results.push(ok));
    tb.runFor(1 * S);
    expect(results).to.deep.equal([true]);
    expect(got).to.deep.equal(['80']);
    // The datagram's frame: MAC header 11 + security 10, IPHC 2 + CID 1 + two 8-byte IIDs, NHC UDP 1 + ports 3
    // (0xF0B1 in one byte) + checksum 2, then the 80 bytes: 126, one frame. Inline (no context), the two addresses take 32 bytes: two fragments.
    expect(fromA.map((r) => r.psdu.length).filter((n) => n > 100), 'the datagram in one frame').to.deep.equal([126]);
  });
});
