// The IPv6 layer both stacks run above their link (6LoWPAN-ND's route-over NetInterface and
// Thread's mesh-under link), shaped like OpenThread's Ip6 (src/core/net/ip6.cpp
// HandleDatagram): a datagram from the link is parsed, its extension headers walked, a
// multicast one put through the MPL duplicate check (RFC 7731 §9.3) and handed back to the
// stack to forward, an MPL tunnel opened, and what is for us (our address, a group we are
// in) delivered to UDP or ICMPv6. What the stacks differ in they supply: which addresses
// are ours, whether they forward and how (routing, MPL timing), what a link may carry in
// (Thread drops anything unsecured but MLE), and where the counters go.
import { emitIcmpv6, parseIcmpv6, type Icmpv6Message } from '../wire/icmpv6.ts';
import { ipv6Equal, isMulticast, type Ipv6Address } from '../wire/ipv6-address.ts';
import { NextHeader, parseIpv6, type Ipv6Packet } from '../wire/ipv6.ts';
import { emitUdp, parseUdp } from '../wire/udp.ts';
import { DEFAULT_HOP_LIMIT, hopsTravelled } from './datagram.ts';
import { findMplSequence, mplOption, walkHeaders, withHopByHopOptions, type HeaderChain } from './ext-headers.ts';
import { ALL_MPL_FORWARDERS, type MplBufferedMessages, type MplSeedSet } from './mpl.ts';

/** Hop limit of an MPL tunnel's outer header (OpenThread ip6.cpp: kDefaultHopLimit = 64). */
export const MPL_TUNNEL_HOP_LIMIT = DEFAULT_HOP_LIMIT;

/** How a datagram reached the IPv6 layer: what the link knew of it and the radio hops of its last IP-level leg. */
export interface Ip6Arrival<M> {
  /** The link's record of the frame that brought it (addresses, signal, security). */
  meta: M;
  /** Radio hops of the last IP-level leg: a mesh header's, an MPL tunnel's, or 1. */
  legHops: number;
  /** The hop limit arrived as sent (inside an MPL tunnel only the outer header counts down). */
  hopLimitKept: boolean;
  /** Our own datagram looped back: it crossed no radio and takes no part in MPL. */
  loopback: boolean;
}

/** A UDP datagram: addresses, ports, payload and the hop limit it is sent with (or arrived with). */
export interface UdpDatagram {
  src: Ipv6Address;
  dst: Ipv6Address;
  srcPort: number;
  dstPort: number;
  hopLimit: number;
  payload: Uint8Array;
}

/** A UDP datagram for one of our ports. */
export interface UdpArrival<M> extends Ip6Arrival<M>, UdpDatagram {
  packet: Ipv6Packet;
}

/** An ICMPv6 message for us. */
export interface IcmpArrival<M> extends Ip6Arrival<M> {
  packet: Ipv6Packet;
}

/**
 * Radio hops a datagram travelled: its last leg, plus one per IP-level forwarder before it
 * (each decremented the hop limit; counted against `originHopLimit`, see `hopsTravelled`);
 * 0 for our own datagram looped back.
 */
export function radioHops(a: Pick<Ip6Arrival<unknown>, 'legHops' | 'hopLimitKept' | 'loopback'> & { hopLimit: number }, originHopLimit: number): number {
  if (a.loopback) return 0;
  return a.hopLimitKept ? a.legHops : a.legHops - 1 + hopsTravelled(a.hopLimit, originHopLimit);
}

/** What the IPv6 layer saw happen, for the stack's counters. */
export type Ip6Event =
  /** A datagram parsed. */
  | 'received'
  /** A datagram, its extension headers or its upper layer did not parse. */
  | 'malformed'
  /** An MPL copy whose (seed, sequence) had been seen. */
  | 'mplDuplicate'
  /** A UDP datagram for us (whether a port is bound or not). */
  | 'udpReceived'
  | 'udpNoPort'
  | 'icmpReceived'
  | 'echoAnswered'
  /** An upper layer we do not speak. */
  | 'unknownUpper';

/** An MPL domain's state (RFC 7731 §5.3 Seed Set and Buffered Message Set), timed by the stack. */
export interface MplDomain {
  seeds: MplSeedSet;
  /** Messages the stack retransmits on its own timing; a copy heard counts against them (absent: the stack keeps its own). */
  buffered?: MplBufferedMessages;
  /** The sequence our first MPL message follows (RFC 7731 leaves its start to the seed). */
  firstSequence(): number;
}

/** What the stack decides for its IPv6 layer. */
export interface Ip6Hooks<M> {
  /** Whether `a` is one of our unicast addresses. */
  isOwn(a: Ipv6Address): boolean;
  /** Whether we forward: MPL messages of other seeds (and, for the stack, unicast not for us). */
  forwarding(): boolean;
  /** A new MPL message of another seed, hop limit > 1, while we forward: the stack sends it on with its own timing. */
  forwardMpl(p: Ipv6Packet, datagram: Uint8Array, sequence: number, meta: M): void;
  /** A unicast datagram not for us (the stack routes it on or drops it). */
  notForUs(p: Ipv6Packet, datagram: Uint8Array, meta: M): void;
  /** A datagram for us with a routing header still to follow (segments left > 0); without the hook it is delivered. */
  sourceRouted?(p: Ipv6Packet, datagram: Uint8Array, meta: M): void;
  /** Whether the link may carry this in: an MPL message, ICMPv6, or UDP between these ports. Default: yes. */
  admit?(what: { mpl: true } | { icmp: true } | { udp: { srcPort: number; dstPort: number } }, meta: M): boolean;
  /** ICMPv6 for us before the layer answers it; true when the stack handled it. */
  icmp?(m: Icmpv6Message, a: IcmpArrival<M>): boolean;
  /** Sends our Echo Reply (RFC 4443 §4.2). */
  sendEchoReply(reply: Icmpv6Message & { kind: 'echoReply' }, src: Ipv6Address, dst: Ipv6Address): void;
  /** A UDP datagram to a port nobody bound. */
  noPort?(p: Ipv6Packet): void;
  count(e: Ip6Event): void;
}

/** Multicast group membership: groups every interface is in (which cannot be left) and the ones joined. */
export class MulticastGroups {
  private readonly groups: Ipv6Address[];

  constructor(private readonly implicit: readonly Ipv6Address[]) {
    this.groups = implicit.map((g) => g.slice());
  }

  join(g: Ipv6Address): void {
    if (!this.isMember(g)) this.groups.push(g.slice());
  }

  leave(g: Ipv6Address): void {
    const i = this.groups.findIndex((x) => ipv6Equal(x, g));
    if (i >= this.implicit.length) this.groups.splice(i, 1);
  }

  isMember(g: Ipv6Address): boolean {
    return this.groups.some((x) => ipv6Equal(x, g));
  }
}

export class Ip6<M> {
  readonly groups: MulticastGroups;
  private readonly ports = new Map<number, (d: UdpArrival<M>) => void>();
  /** Our last MPL sequence; drawn at the first message. */
  private mplSequence: number | undefined;

  constructor(
    implicitGroups: readonly Ipv6Address[],
    private readonly mpl: MplDomain,
    private readonly hooks: Ip6Hooks<M>,
  ) {
    this.groups = new MulticastGroups(implicitGroups);
  }

  onUdp(port: number, handler: (d: UdpArrival<M>) => void): void {
    this.ports.set(port, handler);
  }

  offUdp(port: number): void {
    this.ports.delete(port);
  }

  /**
   * Our next MPL Data Message (RFC 7731 §9.2): `p` with an MPL option carrying our next
   * sequence (and `seedId` when the option names the seed, S = 1, instead of the source),
   * recorded as seen so that copies coming back are duplicates; undefined when no option fits.
   */
  seedMpl(p: Ipv6Packet, seedId?: number): { packet: Ipv6Packet; sequence: number } | undefined {
    const sequence = (this.mplSequence = ((this.mplSequence ?? this.mpl.firstSequence()) + 1) & 0xff);
    const tagged = withHopByHopOptions(p, [mplOption(sequence, seedId)]);
    if (!tagged.ok) return undefined;
    this.mpl.seeds.seen(p.src, sequence);
    return { packet: tagged.value, sequence };
  }

  /** An IPv6 datagram from the link (or our own, looped back). */
  receive(datagram: Uint8Array, arrival: Ip6Arrival<M>): void {
    const parsed = parseIpv6(datagram);
    if (!parsed.ok) return this.hooks.count('malformed');
    const p = parsed.value;
    this.hooks.count('received');
    const chain = walkHeaders(p);
    if (!chain.ok) return this.hooks.count('malformed');
    if (isMulticast(p.dst)) return this.receiveMulticast(p, datagram, chain.value, arrival);
    if (!this.hooks.isOwn(p.dst)) return this.hooks.notForUs(p, datagram, arrival.meta);
    if (chain.value.routing && chain.value.routing.segmentsLeft > 0 && this.hooks.sourceRouted) return this.hooks.sourceRouted(p, datagram, arrival.meta);
    this.deliver(p, chain.value, arrival);
  }

  /** MPL duplicate check and forwarding, an MPL tunnel opened, then our groups. */
  private receiveMulticast(p: Ipv6Packet, datagram: Uint8Array, chain: HeaderChain, arrival: Ip6Arrival<M>): void {
    const sequence = arrival.loopback ? undefined : findMplSequence(chain.hopByHop);
    if (sequence !== undefined) {
      if (this.hooks.admit && !this.hooks.admit({ mpl: true }, arrival.meta)) return;
      if (this.mpl.seeds.seen(p.src, sequence)) {
        this.hooks.count('mplDuplicate');
        this.mpl.buffered?.heard(p.src, sequence);
        return;
      }
      if (this.hooks.forwarding() && p.hopLimit > 1) this.hooks.forwardMpl(p, datagram, sequence, arrival.meta);
      // A wider group travels in a tunnel to ff03::fc (RFC 7731 §9.1; OpenThread ip6.cpp): deliver what is inside.
      if (chain.upperType === NextHeader.ipv6 && ipv6Equal(p.dst, ALL_MPL_FORWARDERS) && this.groups.isMember(ALL_MPL_FORWARDERS)) {
        const inner = parseIpv6(p.payload.subarray(chain.upperOffset));
        if (!inner.ok) return this.hooks.count('malformed');
        if (!this.groups.isMember(inner.value.dst)) return;
        const innerChain = walkHeaders(inner.value);
        if (!innerChain.ok) return this.hooks.count('malformed');
        return this.deliver(inner.value, innerChain.value, { ...arrival, legHops: hopsTravelled(p.hopLimit, MPL_TUNNEL_HOP_LIMIT), hopLimitKept: true });
      }
    }
    if (this.groups.isMember(p.dst)) this.deliver(p, chain, arrival);
  }

  private deliver(p: Ipv6Packet, chain: HeaderChain, arrival: Ip6Arrival<M>): void {
    const upper = p.payload.subarray(chain.upperOffset);
    if (chain.upperType === NextHeader.udp) return this.deliverUdp(p, upper, arrival);
    if (chain.upperType === NextHeader.icmpv6) return this.deliverIcmp(p, upper, arrival);
    this.hooks.count('unknownUpper');
  }

  private deliverUdp(p: Ipv6Packet, upper: Uint8Array, arrival: Ip6Arrival<M>): void {
    const u = parseUdp(upper, p.src, p.dst);
    if (!u.ok) return this.hooks.count('malformed');
    const { srcPort, dstPort, payload } = u.value;
    if (this.hooks.admit && !this.hooks.admit({ udp: { srcPort, dstPort } }, arrival.meta)) return;
    this.hooks.count('udpReceived');
    const handler = this.ports.get(dstPort);
    if (!handler) {
      this.hooks.count('udpNoPort');
      this.hooks.noPort?.(p);
      return;
    }
    handler({ ...arrival, src: p.src, dst: p.dst, srcPort, dstPort, hopLimit: p.hopLimit, payload, packet: p });
  }

  /** ICMPv6: the stack's handlers first; an Echo Request to our unicast address is answered (RFC 4443 §4.2). */
  private deliverIcmp(p: Ipv6Packet, upper: Uint8Array, arrival: Ip6Arrival<M>): void {
    if (this.hooks.admit && !this.hooks.admit({ icmp: true }, arrival.meta)) return;
    const m = parseIcmpv6(upper, p.src, p.dst);
    if (!m.ok) return this.hooks.count('malformed');
    this.hooks.count('icmpReceived');
    if (this.hooks.icmp?.(m.value, { ...arrival, packet: p }) === true) return;
    if (m.value.kind === 'echoRequest' && !isMulticast(p.dst)) {
      this.hooks.count('echoAnswered');
      const { identifier, sequence, data } = m.value;
      this.hooks.sendEchoReply({ kind: 'echoReply', identifier, sequence, data }, p.dst, p.src);
    }
  }
}

/** A UDP datagram as an IPv6 packet (RFC 768; checksum over the RFC 8200 §8.1 pseudo-header). */
export function udpPacket(d: UdpDatagram): Ipv6Packet {
  const payload = emitUdp({ srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }, d.src, d.dst);
  return { trafficClass: 0, flowLabel: 0, nextHeader: NextHeader.udp, hopLimit: d.hopLimit, src: d.src, dst: d.dst, payload };
}

/** An ICMPv6 message as an IPv6 packet (RFC 4443). */
export function icmpPacket(m: Icmpv6Message, src: Ipv6Address, dst: Ipv6Address, hopLimit: number): Ipv6Packet {
  return { trafficClass: 0, flowLabel: 0, nextHeader: NextHeader.icmpv6, hopLimit, src, dst, payload: emitIcmpv6(m, src, dst) };
}
