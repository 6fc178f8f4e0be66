// Datagrams that overlap go out whole, one after the other, as OpenThread's MeshForwarder
// sends them: every fragment of one before the first of the next. A host that fell behind
// a paced stream (an RCP board on a busy machine) hands its stack several 1232-byte
// datagrams at once; their fragments interleaved, more datagrams were open at the receiver
// than its 8 reassembly buffers (Nanostack's), each was evicted before it completed, and
// none arrived.
import { expect } from 'chai';
import { mle, S, threadBench } from './thread-bench.ts';

describe('Thread: overlapping fragmented datagrams', function () {
  it('12 datagrams of 1232 bytes handed over at once all arrive, in order (interleaved, none did)', function () {
    const tb = threadBench({ seed: 5, ids: ['a', 'b'] });
    tb.node('a').app.iface.connect();
    tb.runUntil(() => mle(tb.node('a').app).role === 'leader', 10 * S);
    tb.node('b').app.iface.connect();
    expect(tb.runUntil(() => tb.nodes.every((n) => ['LOCAL_UP', 'GLOBAL_UP'].includes(n.app.iface.getConnectionStatus())), 30 * S)).to.equal(true);
    tb.runFor(5 * S);
    const [a, b] = [tb.node('a').app, tb.node('b').app];
    const got: number[] = [];
    b.iface.thread!.onUdp(5001, (m) => got.push(m.payload[0]!));
    const results: boolean[] = [];
    const dst = mle(b).mlEid;
    for (let i = 0; i < 12; i++) {
      const payload = new Uint8Array(1232).fill(i);
      a.iface.thread!.sendUdp(dst, 5000, 5001, payload, (ok) => results.push(ok));
    }
    tb.runFor(10 * S);
    expect(results).to.deep.equal(Array(12).fill(true));
    expect(got, 'every datagram arrived, in order').to.deep.equal([...Array(12).keys()]);
  });
});
