// A refused registration because the address is already registered by another EUI-64
// (RFC 6775 §6.5: the router checks the ARO's EUI-64 against its table; §4.1 status 1,
// duplicate address). The node must not keep the address (RFC 6775 §5.5: an address is
// usable once registered), reports MESH_BOOTSTRAP_FAILED and stays CONNECTING, and tries
// again 5 s later (Nanostack's ARM_NWK_DUPLICATE_ADDRESS_DETECTED is a bootstrap
// failure; reference mbed-mesh-api.md §3). Its address comes from its EUI-64, so another
// address would not help (RFC 4862 §5.4.5): it joins once the other registration is gone.
import { expect } from 'chai';
import { SECOND } from '../../../stack/runtime.ts';
import { ipv6, type Ipv6Address } from '../../../stack/wire/ipv6-address.ts';
import { ndBed } from './bed.ts';

describe('6LoWPAN-ND duplicate address (ARO status 1)', function () {
  it('the address registered by another EUI-64: MESH_BOOTSTRAP_FAILED, the address dropped, retries every 5 s, joins once the other registration expires', function () {
    const b = ndBed(
      51,
      [
        { id: 'br', x: 0, y: 0, role: 'border-router' },
        { id: 'sq', x: 0, y: 0 },
        { id: 'r1', x: 0, y: 0 },
      ],
      {},
      [
        ['br', 'sq'],
        ['br', 'r1'],
      ],
    );
    b.nd('br').connect();
    b.connectAll(['sq', 'r1']);
    expect(b.runUntilUp(['sq', 'r1'], 30)).to.equal(true);
    const r1GlobalText = b.nd('r1').ipAddresses().find((a) => !a.startsWith('fe80'))!;
    const r1Global: Ipv6Address = ipv6(r1GlobalText);
    expect(b.nd('r1').disconnect()).to.equal(0); // deregisters (ARO lifetime 0)
    b.bed.runFor(2 * SECOND);
    expect(b.nd('br').details().children).to.equal('1');

    // sq registers r1's address as its own, for one minute (ARO lifetime in 60 s units, RFC 6775 §4.1).
    const sq = b.nd('sq');
    const sqGlobal = ipv6(sq.ipAddresses().find((a) => !a.startsWith('fe80'))!);
    const sqEui = b.node('sq').env.eui64;
    sq.net.sendIcmp(
      {
        kind: 'ns',
        target: r1Global,
        options: [
          { kind: 'aro', status: 0, registrationLifetime: 1, eui64: sqEui },
          { kind: 'sllao', link: { mode: 'ext', ext: sqEui } },
        ],
      },
      b.nd('br').net.linkLocal,
      { src: sqGlobal, link: { mode: 'ext', ext: b.node('br').env.eui64 } },
    );
    b.bed.runFor(1 * SECOND);
    expect(b.nd('br').details().children).to.equal('2');
    const squattedAt = b.bed.scheduler.now();

    const r1 = b.nd('r1');
    const addressesAtFailure: string[][] = [];
    r1.onEvent((e) => {
      if (e.event === 'MESH_BOOTSTRAP_FAILED') addressesAtFailure.push(r1.ipAddresses());
    });
    const from = r1.history.length;
    expect(r1.connect()).to.equal(0);
    b.bed.runFor(20 * SECOND);
    const failed = r1.history.slice(from).filter((e) => e.event === 'MESH_BOOTSTRAP_FAILED');
    expect(failed.length).to.be.at.least(2);
    expect(failed.every((e) => e.status === 'CONNECTING' && !e.callback)).to.equal(true);
    expect(r1.details().last_failure).to.equal('registration refused (duplicate address)');
    expect(r1.getConnectionStatus()).to.equal('CONNECTING');
    // The refused address is not kept.
    expect(addressesAtFailure.every((a) => a.every((x) => x.startsWith('fe80')))).to.equal(true);
    const restart = r1.history.find((e) => e.event === 'MESH_BOOTSTRAP_STARTED' && e.at > failed[0]!.at)!;
    expect(restart.at - failed[0]!.at).to.be.closeTo(5 * SECOND, 1000);

    // The other registration lapses after its minute; a later attempt registers the address.
    expect(b.bed.runUntil(() => r1.getConnectionStatus() === 'GLOBAL_UP', 120 * SECOND)).to.equal(true);
    expect(b.bed.scheduler.now() - squattedAt).to.be.at.least(60 * SECOND);
    expect(r1.ipAddresses(), 'the same EUI-64-based address').to.include(r1GlobalText);
  });
});
