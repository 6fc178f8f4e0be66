// 6LoWPAN-ND with RPL on the simulated medium: joins of lines and a grid, the failure
// paths of the bootstrap (RFC 6775 §5, RFC 6550 §8–9; Mbed event mapping reference
// mbed-mesh-api.md §3), all seeded.
import { expect } from 'chai';
import { BOOTSTRAP_RETRY_US } from '../../../stack/mesh/nd-interface.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { formatIpv6Address } from '../../../stack/wire/ipv6-address.ts';
import { grid, line, ndBed } from './bed.ts';

describe('6LoWPAN-ND bootstrap with RPL (stack/nd)', function () {
  for (const hops of [1, 2, 3]) {
    it(`RFC 6550 §9 non-storing: a ${hops}-hop line joins through routers and the root holds a source route to each node`, function () {
      const b = ndBed(hops, line(hops));
      b.nd('br').connect();
      const ids = Array.from({ length: hops }, (_, i) => `r${i + 1}`);
      b.connectAll(ids);
      expect(b.runUntilUp(ids, 60), 'all GLOBAL_UP within 60 s').to.equal(true);
      // Each node's parent is the previous one, with a larger OF0 rank (RFC 6552 §4.1).
      let prevRank = b.nd('br').tasklet6lowpan!.currentRank;
      let prevLl = formatIpv6Address(b.nd('br').net.linkLocal);
      for (const id of ids) {
        const t = b.nd(id).tasklet6lowpan!;
        expect(formatIpv6Address(t.parentAddress()!), `${id} parent`).to.equal(prevLl);
        expect(t.currentRank, `${id} rank`).to.be.greaterThan(prevRank);
        prevRank = t.currentRank;
        prevLl = formatIpv6Address(b.nd(id).net.linkLocal);
        expect(b.nd(id).ipAddresses().some((a) => a.startsWith('fd00:db8::')), `${id} global address`).to.equal(true);
        expect(b.nd(id).getRouterIpAddress()).to.equal(b.nd('br').ipAddresses()[1]);
      }
      expect(b.nd('br').tasklet6lowpan!.routeTable()).to.have.length(hops);
      // Mbed sequence: BOOTSTRAP_STARTED first, MESH_CONNECTED last, never DISCONNECTED.
      for (const id of ids) {
        const h = b.nd(id).history;
        expect(h[0]?.event).to.equal('MESH_BOOTSTRAP_STARTED');
        expect(h[h.length - 1]?.event).to.equal('MESH_CONNECTED');
        expect(h.some((e) => e.status === 'DISCONNECTED')).to.equal(false);
      }
    });
  }

  it('a 16-node grid joins (4 × 4, each node hears its 4 neighbours, border router in a corner: up to 6 hops)', function () {
    const { nodes, links } = grid(4);
    const b = ndBed(7, nodes, {}, links);
    b.nd('br').connect();
    const ids = nodes.slice(1).map((n) => n.id);
    b.connectAll(ids);
    expect(b.runUntilUp(ids, 120), `all up; still down: ${ids.filter((id) => b.nd(id).getConnectionStatus() !== 'GLOBAL_UP').join(',')}`).to.equal(true);
    expect(b.nd('br').tasklet6lowpan!.routeTable()).to.have.length(15);
  });

  it('6lowpan-nd-panid-filter: a filter that matches no PAN gives MESH_BOOTSTRAP_FAILED, CONNECTING, and a retry every 5 s', function () {
    const b = ndBed(3, [
      { id: 'br', x: 0, y: 0, role: 'border-router' },
      { id: 'r1', x: 40, y: 0, config: { panIdFilter: 0x1234 } },
    ]);
    b.nd('br').connect();
    b.nd('r1').connect();
    b.bed.runFor(16 * SECOND);
    const h = b.nd('r1').history;
    const failed = h.filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED');
    expect(failed.length).to.be.at.least(3);
    expect(failed.every((e) => e.status === 'CONNECTING')).to.equal(true);
    expect(failed[1]!.at - failed[0]!.at).to.be.closeTo(BOOTSTRAP_RETRY_US, 0.5 * SECOND);
    expect(h.some((e) => e.event === 'MESH_CONNECTED')).to.equal(false);
    expect(b.nd('r1').details().last_failure).to.equal('no beacons');
    // Connect again from the error state, no disconnect: accepted, bootstrap restarts at once.
    const before = h.length;
    expect(b.nd('r1').connect()).to.equal(0);
    expect(b.nd('r1').history[before]?.event).to.equal('MESH_BOOTSTRAP_STARTED');
  });

  it('no border router: routers alone never join and keep retrying', function () {
    const b = ndBed(4, [
      { id: 'r1', x: 0, y: 0 },
      { id: 'r2', x: 40, y: 0 },
    ]);
    b.connectAll();
    b.bed.runFor(12 * SECOND);
    for (const id of ['r1', 'r2']) {
      expect(b.nd(id).getConnectionStatus()).to.equal('CONNECTING');
      expect(b.nd(id).history.filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED').length).to.be.at.least(2);
    }
  });

  it('RFC 6775 §5.5.2: a refused registration (ARO status 2, cache full) is MESH_BOOTSTRAP_FAILED, not a join', function () {
    const b = ndBed(5, [
      { id: 'br', x: 0, y: 0, role: 'border-router', config: { tuning: { maxRegistrations: 0 } } },
      { id: 'r1', x: 40, y: 0 },
    ]);
    b.nd('br').connect();
    b.nd('r1').connect();
    b.bed.runFor(20 * SECOND);
    expect(b.nd('r1').getConnectionStatus()).to.equal('CONNECTING');
    expect(b.nd('r1').details().last_failure).to.equal('registration refused (neighbor cache full)');
    expect(b.nd('r1').tasklet6lowpan!.hasGlobalAddress()).to.equal(false);
  });

  it('disconnect tears down the registration and the route at the root (No-Path DAO, ARO lifetime 0)', function () {
    const b = ndBed(6, line(1));
    b.nd('br').connect();
    b.nd('r1').connect();
    expect(b.runUntilUp(['r1'], 30)).to.equal(true);
    expect(b.nd('br').tasklet6lowpan!.routeTable()).to.have.length(1);
    expect(b.nd('r1').disconnect()).to.equal(0);
    expect(b.nd('r1').getConnectionStatus()).to.equal('DISCONNECTED');
    b.bed.runFor(2 * SECOND);
    expect(b.nd('br').tasklet6lowpan!.routeTable()).to.have.length(0);
    expect(b.nd('br').details().children, 'the zero-lifetime ARO went out and removed the registration').to.equal('0');
    expect(b.nd('r1').ipAddresses()).to.deep.equal([]);
  });
});
