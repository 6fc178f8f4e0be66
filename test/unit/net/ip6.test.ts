// The IPv6 layer both stacks share (stack/net/ip6.ts): what it delivers, forwards, drops
// and answers, on datagrams built from their parts. The MPL rules are RFC 7731's (§9.3: a
// (seed, sequence) seen before is dropped; §9.1 / OpenThread ip6.cpp: a wider group rides
// in a tunnel to ff03::fc), echo is RFC 4443 §4.2's.
import { expect } from 'chai';
import { findMplSequence, mplOption, walkHeaders, withHopByHopOptions } from '../../../stack/net/ext-headers.ts';
import { icmpPacket, Ip6, radioHops, udpPacket, type Ip6Arrival, type Ip6Event, type Ip6Hooks, type UdpArrival } from '../../../stack/net/ip6.ts';
import { ALL_MPL_FORWARDERS, MplBufferedMessages, MplSeedSet, OPENTHREAD_MPL_TIMING } from '../../../stack/net/mpl.ts';
import { SeededRng, type Timer, type Timers } from '../../../stack/runtime.ts';
import type { Icmpv6Message } from '../../../stack/wire/icmpv6.ts';
import { ipv6, ipv6Equal, type Ipv6Address } from '../../../stack/wire/ipv6-address.ts';
import { emitIpv6, NextHeader, type Ipv6Packet } from '../../../stack/wire/ipv6.ts';

const OURS = ipv6('fd00::1');
const PEER = ipv6('fd00::2');
const REALM_GROUP = ipv6('ff03::1');
const LIGHT_GROUP = ipv6('ff15::810a:64d1');

/** A clock that never fires on its own (MPL retransmissions are the stacks' business here). */
const stillClock: Timers = { now: () => 0, at: (): Timer => ({ cancel: () => {} }) };

interface Meta {
  secured: boolean;
}

function bed(opts: { forwarding?: boolean; admit?: Ip6Hooks<Meta>['admit']; icmp?: Ip6Hooks<Meta>['icmp'] } = {}) {
  const events: Ip6Event[] = [];
  const udp: Array<UdpArrival<Meta>> = [];
  const mplForwarded: Array<{ p: Ipv6Packet; sequence: number }> = [];
  const notForUs: Ipv6Packet[] = [];
  const noPort: Ipv6Packet[] = [];
  const echoReplies: Array<{ reply: Icmpv6Message; src: Ipv6Address; dst: Ipv6Address }> = [];
  const ip6 = new Ip6<Meta>(
    [ipv6('ff02::1'), ALL_MPL_FORWARDERS],
    { seeds: new MplSeedSet(), buffered: new MplBufferedMessages(stillClock, new SeededRng(1), OPENTHREAD_MPL_TIMING), firstSequence: () => 254 },
    {
      isOwn: (a) => ipv6Equal(a, OURS),
      forwarding: () => opts.forwarding ?? false,
      forwardMpl: (p, _datagram, sequence) => mplForwarded.push({ p, sequence }),
      notForUs: (p) => notForUs.push(p),
      ...(opts.admit ? { admit: opts.admit } : {}),
      ...(opts.icmp ? { icmp: opts.icmp } : {}),
      sendEchoReply: (reply, src, dst) => echoReplies.push({ reply, src, dst }),
      noPort: (p) => noPort.push(p),
      count: (e) => events.push(e),
    },
  );
  ip6.onUdp(5683, (d) => udp.push(d));
  return { ip6, events, udp, mplForwarded, notForUs, noPort, echoReplies };
}

function arrival(over: Partial<Ip6Arrival<Meta>> = {}): Ip6Arrival<Meta> {
  return { meta: { secured: true }, legHops: 1, hopLimitKept: false, loopback: false, ...over };
}

function udpTo(dst: Ipv6Address, dstPort = 5683, hopLimit = 64): Ipv6Packet {
  return udpPacket({ src: PEER, dst, srcPort: 49152, dstPort, hopLimit, payload: Uint8Array.of(1, 2, 3) });
}

function withMpl(p: Ipv6Packet, sequence: number): Uint8Array {
  const tagged = withHopByHopOptions(p, [mplOption(sequence)]);
  if (!tagged.ok) throw new Error(tagged.error.message);
  return emitIpv6(tagged.value);
}

describe('the shared IPv6 layer (ip6.ts)', () => {
  it('delivers UDP to our address on a bound port, hands unicast for others back to the stack, and counts an unbound port', () => {
    const b = bed();
    b.ip6.receive(emitIpv6(udpTo(OURS)), arrival({ legHops: 3 }));
    expect(b.udp).to.have.length(1);
    expect(b.udp[0]).to.include({ srcPort: 49152, dstPort: 5683, hopLimit: 64, legHops: 3 });
    expect(Array.from(b.udp[0]!.payload)).to.deep.equal([1, 2, 3]);
    b.ip6.receive(emitIpv6(udpTo(ipv6('fd00::9'))), arrival());
    expect(b.notForUs).to.have.length(1);
    b.ip6.receive(emitIpv6(udpTo(OURS, 7777)), arrival());
    expect(b.noPort).to.have.length(1);
    expect(b.events.filter((e) => e === 'udpNoPort')).to.have.length(1);
    expect(b.udp).to.have.length(1);
    b.ip6.offUdp(5683);
    b.ip6.receive(emitIpv6(udpTo(OURS)), arrival());
    expect(b.udp).to.have.length(1);
    expect(b.noPort).to.have.length(2);
  });

  it('counts bytes that are not an IPv6 datagram as malformed and delivers nothing', () => {
    const b = bed();
    const bytes = emitIpv6(udpTo(OURS));
    bytes[0] = 0x40; // version 4
    b.ip6.receive(bytes, arrival());
    expect(b.events).to.deep.equal(['malformed']);
    expect(b.udp).to.have.length(0);
  });

  it('drops a second copy of an MPL message (same seed and sequence) and forwards only the first, with hop limit left', () => {
    const b = bed({ forwarding: true });
    b.ip6.groups.join(REALM_GROUP);
    const first = withMpl(udpTo(REALM_GROUP), 7);
    b.ip6.receive(first, arrival());
    b.ip6.receive(first, arrival());
    expect(b.udp).to.have.length(1);
    expect(b.mplForwarded.map((f) => f.sequence)).to.deep.equal([7]);
    expect(b.events.filter((e) => e === 'mplDuplicate')).to.have.length(1);
    // Hop limit 1: delivered, not forwarded (RFC 7731 §9.3 via RFC 8200's hop limit).
    b.ip6.receive(withMpl(udpTo(REALM_GROUP, 5683, 1), 8), arrival());
    expect(b.udp).to.have.length(2);
    expect(b.mplForwarded).to.have.length(1);
  });

  it('does not forward MPL messages when the stack does not, and leaves groups it is not in undelivered', () => {
    const b = bed({ forwarding: false });
    b.ip6.receive(withMpl(udpTo(REALM_GROUP), 1), arrival());
    expect(b.mplForwarded).to.have.length(0);
    expect(b.udp).to.have.length(0);
  });

  it('opens an MPL tunnel to ff03::fc and delivers the inner datagram with the hops the outer header counted', () => {
    const b = bed({ forwarding: true });
    b.ip6.groups.join(LIGHT_GROUP);
    const inner = udpTo(LIGHT_GROUP);
    const outer: Ipv6Packet = { trafficClass: 0, flowLabel: 0, nextHeader: NextHeader.ipv6, hopLimit: 62, src: PEER, dst: ALL_MPL_FORWARDERS, payload: emitIpv6(inner) };
    b.ip6.receive(withMpl(outer, 3), arrival());
    expect(b.udp).to.have.length(1);
    const d = b.udp[0]!;
    expect(ipv6Equal(d.dst, LIGHT_GROUP)).to.equal(true);
    // Sent with 64, arrived with 62: three radio hops; the inner hop limit is as sent.
    expect(d).to.include({ legHops: 3, hopLimitKept: true, hopLimit: 64 });
    expect(radioHops(d, 64)).to.equal(3);
    expect(b.mplForwarded).to.have.length(1);
    // Not in the inner group: nothing delivered.
    b.ip6.groups.leave(LIGHT_GROUP);
    b.ip6.receive(withMpl(outer, 4), arrival());
    expect(b.udp).to.have.length(1);
  });

  it('asks the stack whether the link may carry a datagram in: refused MPL, ICMPv6 and UDP go nowhere', () => {
    const b = bed({ forwarding: true, admit: (what, meta) => meta.secured || ('udp' in what && what.udp.dstPort === 19788) });
    b.ip6.groups.join(REALM_GROUP);
    const open = { meta: { secured: false } };
    b.ip6.receive(withMpl(udpTo(REALM_GROUP), 1), arrival(open));
    b.ip6.receive(emitIpv6(udpTo(OURS)), arrival(open));
    b.ip6.receive(emitIpv6(icmpPacket({ kind: 'echoRequest', identifier: 1, sequence: 1, data: new Uint8Array(0) }, PEER, OURS, 64)), arrival(open));
    expect(b.udp).to.have.length(0);
    expect(b.mplForwarded).to.have.length(0);
    expect(b.echoReplies).to.have.length(0);
    b.ip6.onUdp(19788, (d) => b.udp.push(d));
    b.ip6.receive(emitIpv6(udpTo(OURS, 19788)), arrival(open));
    expect(b.udp.map((d) => d.dstPort)).to.deep.equal([19788]);
  });

  it('answers an Echo Request to our unicast address from it, not one to a group, and lets the stack take ICMPv6 first', () => {
    const taken: string[] = [];
    const b = bed({ icmp: (m) => (m.kind === 'echoReply' ? (taken.push(m.kind), true) : false) });
    const request = { kind: 'echoRequest', identifier: 9, sequence: 2, data: Uint8Array.of(0xaa) } as const;
    b.ip6.receive(emitIpv6(icmpPacket(request, PEER, OURS, 64)), arrival());
    expect(b.echoReplies).to.have.length(1);
    const r = b.echoReplies[0]!;
    expect(r.reply).to.deep.include({ kind: 'echoReply', identifier: 9, sequence: 2 });
    expect(ipv6Equal(r.src, OURS) && ipv6Equal(r.dst, PEER)).to.equal(true);
    b.ip6.receive(emitIpv6(icmpPacket(request, PEER, ipv6('ff02::1'), 64)), arrival());
    expect(b.echoReplies).to.have.length(1);
    b.ip6.receive(emitIpv6(icmpPacket({ ...request, kind: 'echoReply' }, PEER, OURS, 64)), arrival());
    expect(taken).to.deep.equal(['echoReply']);
    expect(b.echoReplies).to.have.length(1);
  });

  it('keeps our own looped-back multicast out of MPL: it is delivered, not recorded, not forwarded', () => {
    const b = bed({ forwarding: true });
    b.ip6.groups.join(REALM_GROUP);
    const bytes = withMpl(udpTo(REALM_GROUP), 5);
    b.ip6.receive(bytes, arrival({ loopback: true }));
    expect(b.udp).to.have.length(1);
    expect(radioHops(b.udp[0]!, 64)).to.equal(0);
    expect(b.mplForwarded).to.have.length(0);
    // The same message from the air is still new.
    b.ip6.receive(bytes, arrival());
    expect(b.udp).to.have.length(2);
    expect(b.mplForwarded).to.have.length(1);
  });

  it('seeds our MPL messages with consecutive sequences (wrapping at 256), and takes our own copies coming back as duplicates', () => {
    const b = bed({ forwarding: true });
    b.ip6.groups.join(REALM_GROUP);
    const first = b.ip6.seedMpl(udpTo(REALM_GROUP));
    const second = b.ip6.seedMpl(udpTo(REALM_GROUP), 0x0400);
    expect([first?.sequence, second?.sequence]).to.deep.equal([255, 0]);
    const chain = walkHeaders(second!.packet);
    expect(chain.ok && findMplSequence(chain.value.hopByHop)).to.equal(0);
    // RFC 7731 §6.1: S = 1 and a 16-bit seed id after the sequence.
    expect(chain.ok && chain.value.hopByHop?.[0]).to.deep.include({ type: 0x6d, data: Uint8Array.of(0x40, 0, 0x04, 0x00) });
    b.ip6.receive(emitIpv6(first!.packet), arrival());
    expect(b.events).to.include('mplDuplicate');
    expect(b.udp).to.have.length(0);
    expect(b.mplForwarded).to.have.length(0);
  });

  it('keeps the groups every interface is in: they cannot be left, joined ones can', () => {
    const b = bed();
    b.ip6.groups.leave(ipv6('ff02::1'));
    expect(b.ip6.groups.isMember(ipv6('ff02::1'))).to.equal(true);
    b.ip6.groups.join(REALM_GROUP);
    expect(b.ip6.groups.isMember(REALM_GROUP)).to.equal(true);
    b.ip6.groups.leave(REALM_GROUP);
    expect(b.ip6.groups.isMember(REALM_GROUP)).to.equal(false);
  });
});
