// The network layer's helpers: IID ↔ link address (RFC 4944 §6), source-route steps
// (RFC 6554 §4.2), and the ND pieces that are pure logic: OF0 ranks (RFC 6552 §4.1),
// Trickle (RFC 6206 §4.2), the registration table (RFC 6775 §6.5).
import { expect } from 'chai';
import { advanceSourceRoute, walkHeaders, withHopByHopOptions, withSourceRoute } from '../../../stack/net/ext-headers.ts';
import { linkAddressFromIid } from '../../../stack/net/net-interface.ts';
import { of0Rank, of0RankIncrease } from '../../../stack/nd/of0.ts';
import { RegistrationTable } from '../../../stack/nd/registrations.ts';
import { Trickle } from '../../../stack/net/trickle.ts';
import { SeededRng, type Timer, type Timers } from '../../../stack/runtime.ts';
import { hex } from '../../../stack/wire/bytes.ts';
import { formatIpv6Address, ipv6 } from '../../../stack/wire/ipv6-address.ts';
import { NextHeader, RPL_OPTION_TYPE_6553, type Ipv6Packet } from '../../../stack/wire/ipv6.ts';
import { AroStatus } from '../../../stack/wire/ndp.ts';

function packet(dst: string): Ipv6Packet {
  return { trafficClass: 0, flowLabel: 0, nextHeader: NextHeader.udp, hopLimit: 64, src: ipv6('fd00:db8::1'), dst: ipv6(dst), payload: hex('f0b1f0b2000c0000' + '70696e67') };
}

/** A bare discrete-event clock. */
function clock(): Timers & { run(until: number): void } {
  let now = 0;
  const q: Array<{ at: number; fn: () => void; dead: boolean }> = [];
  return {
    now: () => now,
    at(at, fn): Timer {
      const e = { at: Math.max(at, now), fn, dead: false };
      q.push(e);
      return { cancel: () => void (e.dead = true) };
    },
    run(until) {
      for (;;) {
        q.sort((a, b) => a.at - b.at);
        const e = q[0];
        if (!e || e.at > until) break;
        q.shift();
        now = e.at;
        if (!e.dead) e.fn();
      }
      now = until;
    },
  };
}

describe('stack/net and stack/nd building blocks', function () {
  it('RFC 4944 §6: the IID of fe80::212:4b00:1:203 is the EUI-64 00:12:4b:00:00:01:02:03 (reference §5 worked example)', function () {
    const l = linkAddressFromIid(ipv6('fe80::212:4b00:1:203'));
    expect(l).to.deep.equal({ mode: 'ext', ext: hex('00124b0000010203') });
    expect(linkAddressFromIid(ipv6('fe80::ff:fe00:face'))).to.deep.equal({ mode: 'short', short: 0xface });
  });

  it('RFC 6554 §4.2: each hop swaps the destination with the next address until Segments Left is 0', function () {
    const hops = ['fd00:db8::a', 'fd00:db8::b'];
    const start = withSourceRoute(packet('fd00:db8::c'), hops.map(ipv6));
    expect(start.ok).to.equal(true);
    let p = start.ok ? start.value : packet('::');
    expect(formatIpv6Address(p.dst)).to.equal('fd00:db8::a');
    const visited = [formatIpv6Address(p.dst)];
    for (;;) {
      const c = walkHeaders(p);
      if (!c.ok || !c.value.routing || c.value.routing.segmentsLeft === 0) break;
      const n = advanceSourceRoute(p, () => false);
      expect(n.ok).to.equal(true);
      if (!n.ok) break;
      p = n.value;
      visited.push(formatIpv6Address(p.dst));
    }
    expect(visited).to.deep.equal(['fd00:db8::a', 'fd00:db8::b', 'fd00:db8::c']);
    // The upper layer is untouched behind the routing header.
    const c = walkHeaders(p);
    expect(c.ok && c.value.upperType).to.equal(NextHeader.udp);
  });

  it('RFC 6553: the RPL option is added once and replaced, never duplicated', function () {
    const opt = (rank: number) => ({ kind: 'rpl' as const, type: RPL_OPTION_TYPE_6553, down: false, rankError: false, forwardingError: false, instanceId: 1, senderRank: rank });
    const a = withHopByHopOptions(packet('fd00:db8::1'), [opt(512)]);
    const b = a.ok ? withHopByHopOptions(a.value, [opt(128)]) : a;
    const c = b.ok ? walkHeaders(b.value) : b;
    expect(c.ok && c.value.hopByHop?.filter((o) => o.kind === 'rpl')).to.deep.equal([opt(128)]);
  });

  it('RFC 6552 §4.1: OF0 with defaults adds 3 × MinHopRankIncrease per hop (root 256 → hop 1 1024)', function () {
    expect(of0RankIncrease({ minHopRankIncrease: 256 })).to.equal(768);
    expect(of0Rank(256, { minHopRankIncrease: 256 })).to.equal(1024);
    expect(of0Rank(0xffff, { minHopRankIncrease: 256 })).to.equal(0xffff);
  });

  it('RFC 6206 §4.2: transmissions fall in [I/2, I), I doubles to Imax, k suppresses, reset returns to Imin', function () {
    const t = clock();
    const sent: number[] = [];
    const tr = new Trickle(t, new SeededRng(1), { imin: 1000, doublings: 3, k: 1 }, () => sent.push(t.now()));
    tr.reset(); // from Imin
    t.run(999);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.be.within(500, 1000);
    t.run(1000 + 2000 + 4000 + 8000 + 8000);
    expect(tr.currentInterval).to.equal(8000);
    const before = tr.sent;
    tr.hearConsistent(); // k = 1: this interval's transmission is suppressed
    t.run(t.now() + 8000 - 1);
    expect(tr.sent + tr.suppressed).to.be.greaterThan(before);
    tr.reset();
    expect(tr.currentInterval).to.equal(1000);
  });

  it('RFC 6775 §6.5: a registration of an address another EUI-64 holds is a duplicate; a full table says so', function () {
    const t = new RegistrationTable(1);
    const a = ipv6('fd00:db8::1');
    expect(t.register(a, hex('0011223344556677'), 60, 0)).to.equal(AroStatus.success);
    expect(t.register(a, hex('0011223344556677'), 60, 1)).to.equal(AroStatus.success); // refresh
    expect(t.register(a, hex('8899aabbccddeeff'), 60, 2)).to.equal(AroStatus.duplicate);
    expect(t.register(ipv6('fd00:db8::2'), hex('8899aabbccddeeff'), 60, 3)).to.equal(AroStatus.cacheFull);
    expect(t.register(a, hex('0011223344556677'), 0, 4)).to.equal(AroStatus.success); // lifetime 0 deregisters
    expect(t.has(a, 5)).to.equal(false);
  });
});
