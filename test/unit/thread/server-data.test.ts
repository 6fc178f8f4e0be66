// A border router that is not the leader registers its prefix with the
// leader (SRV_DATA.ntf, CoAP a/sd), and every node gets a global address.
import { expect } from 'chai';
import { mle, partitionOf, S, threadBench } from './thread-bench.ts';

describe('Thread: server data registration (a/sd)', function () {
  it('a border router that joins as router gets its prefix into the leader network data', function () {
    const prefix = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0]);
    const tb = threadBench({ seed: 7, ids: ['leader', 'br', 'ed'], config: (id) => (id === 'br' ? { borderRouterPrefix: prefix } : id === 'ed' ? { deviceType: 'minimal-end-device' } : {}) });
    tb.node('leader').app.iface.connect();
    tb.runFor(10 * S);
    expect(mle(tb.node('leader').app).role).to.equal('leader');
    tb.node('br').app.iface.connect();
    tb.node('ed').app.iface.connect();
    const ok = tb.runUntil(() => tb.nodes.every((n) => n.app.iface.getConnectionStatus() === 'GLOBAL_UP'), 60 * S);
    expect(ok, tb.nodes.map((n) => `${n.id} ${n.app.iface.getConnectionStatus()}`).join(', ')).to.equal(true);
    expect(mle(tb.node('br').app).role, 'the border router is not the leader').to.not.equal('leader');
    expect(new Set(tb.nodes.map((n) => partitionOf(n.app))).size).to.equal(1);
    for (const n of tb.nodes) {
      const globals = mle(n.app).globalAddresses;
      expect(globals.length, `${n.id} global addresses`).to.equal(1);
      expect([...globals[0]!.subarray(0, 8)], `${n.id} address under the border router's prefix`).to.deep.equal([...prefix]);
    }
  });

  it('without a border router nobody goes GLOBAL_UP (the registration is what brings the prefix)', function () {
    const tb = threadBench({ seed: 7, ids: ['leader', 'r'] });
    tb.node('leader').app.iface.connect();
    tb.runFor(10 * S);
    tb.node('r').app.iface.connect();
    tb.runFor(60 * S);
    for (const n of tb.nodes) expect(n.app.iface.getConnectionStatus(), n.id).to.equal('LOCAL_UP');
  });
});
