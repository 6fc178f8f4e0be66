// 6lowpan-nd-device-type NET_6LOWPAN_HOST (reference mbed-mesh-api.md §4): a host is a
// RPL leaf (RFC 6550 §8.5: it joins a DODAG but sends no DIOs) and a 6LoWPAN-ND host
// (RFC 6775 §5: it registers with a router, it is not one). It joins; nobody joins
// through it.
import { expect } from 'chai';
import { SECOND } from '../../../stack/runtime.ts';
import { formatIpv6Address } from '../../../stack/wire/ipv6-address.ts';
import { ndBed } from './bed.ts';

describe('6LoWPAN-ND host (NET_6LOWPAN_HOST)', function () {
  it('joins as a leaf: registers with its router, GLOBAL_UP, a source route at the root', function () {
    const b = ndBed(41, [
      { id: 'br', x: 0, y: 0, role: 'border-router' },
      { id: 'r1', x: 50, y: 0 },
      { id: 'h', x: 100, y: 0, role: 'host' },
    ]);
    b.nd('br').connect();
    b.connectAll(['r1', 'h']);
    expect(b.runUntilUp(['r1', 'h'], 60)).to.equal(true);
    const h = b.nd('h');
    expect(h.details()).to.include({ role: 'host', phase: 'joined' });
    expect(formatIpv6Address(h.tasklet6lowpan!.parentAddress()!)).to.equal(formatIpv6Address(b.nd('r1').net.linkLocal));
    expect(b.nd('r1').details().children, 'the host registered with r1 by ARO').to.equal('1');
    const hostGlobal = h.ipAddresses().find((a) => !a.startsWith('fe80'))!;
    expect(b.nd('br').tasklet6lowpan!.routeTable().map(([target]) => target)).to.include(hostGlobal);
    expect(h.history[h.history.length - 1]).to.deep.include({ event: 'MESH_CONNECTED', status: 'GLOBAL_UP' });
  });

  it('does not route: a node in range of the host alone stays CONNECTING, and the root learns no route through the host', function () {
    // An attenuator matrix: br – h – x, and x hears only h.
    const b = ndBed(
      42,
      [
        { id: 'br', x: 0, y: 0, role: 'border-router' },
        { id: 'h', x: 0, y: 0, role: 'host' },
        { id: 'x', x: 0, y: 0 },
      ],
      {},
      [
        ['br', 'h'],
        ['h', 'x'],
      ],
    );
    b.nd('br').connect();
    b.nd('h').connect();
    expect(b.runUntilUp(['h'], 30)).to.equal(true);
    b.nd('x').connect();
    b.bed.runFor(60 * SECOND);
    expect(b.nd('x').getConnectionStatus()).to.equal('CONNECTING');
    expect(b.nd('x').details().last_failure, 'a host sends no beacons').to.equal('no beacons');
    expect(b.node('h').mac.counters.txBeacons).to.equal(0);
    expect(b.nd('h').details().children).to.equal('0');
    expect(b.nd('br').tasklet6lowpan!.routeTable()).to.have.length(1); // the host's own
    // Control: the same place with a router instead of the host, and x joins through it.
    const c = ndBed(
      42,
      [
        { id: 'br', x: 0, y: 0, role: 'border-router' },
        { id: 'h', x: 0, y: 0 },
        { id: 'x', x: 0, y: 0 },
      ],
      {},
      [
        ['br', 'h'],
        ['h', 'x'],
      ],
    );
    c.nd('br').connect();
    c.nd('h').connect();
    expect(c.runUntilUp(['h'], 30)).to.equal(true);
    c.nd('x').connect();
    expect(c.runUntilUp(['x'], 60)).to.equal(true);
  });
});
