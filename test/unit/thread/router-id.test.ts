// The router ID our leader gives a REED that asks for none in particular: one of the free IDs at
// random, as OpenThread's leader draws it (router_table.cpp RouterTable::Allocate), not the lowest.
// The lowest made the first router ID 0, RLOC16 0x0000, a short address every ot-cli-ftd-vt node
// acknowledges (docs/openthread.md): on a mixed rig that router's frames met colliding ACKs.
import { expect } from 'chai';
import { isRouterRloc16, routerIdOf } from '../../../stack/thread/rloc.ts';
import { mle, S, threadBench } from './thread-bench.ts';

describe('Thread leader: router ID allocation', () => {
  it('a REED that asks for no ID gets a free one drawn at random, not the lowest', function () {
    this.timeout(60_000);
    const given: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const tb = threadBench({ seed, ids: ['leader', 'reed'] });
      tb.node('leader').app.iface.connect();
      tb.runFor(20 * S);
      expect(mle(tb.node('leader').app).role, `seed ${seed}`).to.equal('leader');
      tb.node('reed').app.iface.connect();
      tb.runFor(30 * S);
      const r = mle(tb.node('reed').app);
      expect(r.role, `seed ${seed}`).to.equal('router');
      expect(isRouterRloc16(r.rloc16!)).to.equal(true);
      const leaderId = routerIdOf(mle(tb.node('leader').app).rloc16!);
      expect(routerIdOf(r.rloc16!)).to.not.equal(leaderId);
      given.push(routerIdOf(r.rloc16!));
    }
    // The lowest free ID would be 0 on every seed whose leader is not 0 (and 1 on those whose leader is).
    expect(new Set(given).size, `IDs given: ${given.join(', ')}`).to.be.at.least(3);
  });
});
