// The types of 6LoWPAN-ND's network interface (net-interface.ts) that the protocol and the
// sockets above it use: how a packet arrived, the routing protocol's hooks, the counters,
// why a datagram was dropped, and the options of a send.
import type { MacTxStatus } from '../mac/api.ts';
import type { Icmpv6Message } from '../wire/icmpv6.ts';
import type { Ipv6Address, LinkAddress } from '../wire/ipv6-address.ts';
import type { Ipv6Packet } from '../wire/ipv6.ts';
import type { ReceivedDatagram } from './datagram.ts';
import type { MplDomainParameters } from './mpl-forwarder.ts';

export interface PacketMeta {
  /** Link-layer neighbour the packet came from (absent for our own loopback). */
  linkSrc?: LinkAddress;
  lqi?: number;
  rssiDbm?: number;
}

export interface IcmpContext extends PacketMeta {
  src: Ipv6Address;
  dst: Ipv6Address;
  hopLimit: number;
  packet: Ipv6Packet;
}

/** Returns true when it handled the message. */
export type IcmpHandler = (msg: Icmpv6Message, ctx: IcmpContext) => boolean | void;

/** What the protocol (ND/RPL or Thread) decides for the network layer. */
export interface NetHooks {
  /** Link-layer next hop for a unicast destination that is not link-local; undefined: no route (drop). */
  nextHop(dst: Ipv6Address): LinkAddress | undefined;
  /** Rewrites a packet we originate to a non-link-local destination (e.g. RPL option, source route). */
  outgoing?(p: Ipv6Packet): Ipv6Packet | undefined;
  /** Rewrites or vetoes (undefined) a unicast packet we forward; called after the hop limit check. */
  forward?(p: Ipv6Packet, meta: PacketMeta): Ipv6Packet | undefined;
  /** Whether this node forwards unicast and floods realm-or-wider multicast (routers). */
  isRouter(): boolean;
  /** The MAC's verdict on a unicast frame to a neighbour (for parent-loss detection). */
  linkResult?(link: LinkAddress, status: MacTxStatus): void;
  /** The ff03::fc MPL domain's timing for this node's role (default RFC 7731's, `RFC7731_DOMAIN`). */
  mplParameters?(): MplDomainParameters;
}

export interface NetCounters {
  ipRx: number;
  ipTx: number;
  ipForwarded: number;
  ipDropped: number;
  noRoute: number;
  hopLimitExceeded: number;
  multicastForwarded: number;
  multicastDuplicates: number;
  udpRx: number;
  udpTx: number;
  udpNoPort: number;
  icmpRx: number;
  icmpTx: number;
  echoRequestsAnswered: number;
  fragmentsTx: number;
  fragmentsRx: number;
  txFailed: number;
  malformed: number;
}

/**
 * Why a unicast datagram was dropped here (for a loss breakdown): no next hop, the MAC
 * gave up on a frame (no ACK after its retries, or the channel stayed busy), the
 * routing hook refused to forward it, its hop limit ran out, a source route could not
 * be followed, it was not ours and we do not route, no socket was bound to its port, the
 * interface was down, or a unicast frame's compressed header could not be expanded (e.g. it
 * names a context this node forgot when it left the network to join again). For the last
 * two the bytes are the frame's 6LoWPAN payload, not decompressed.
 */
export type DropReason = 'interfaceDown' | 'noRoute' | 'retriesExhausted' | 'channelAccessFailure' | 'macTxFailed' | 'forwardRefused' | 'hopLimit' | 'sourceRoute' | 'notRouter' | 'noPort' | 'undecodable';

export type DropObserver = (reason: DropReason, datagram: Uint8Array) => void;

/** A received datagram; `hops` counts the radio hops it took (route-over: hop limit decrements, see `hopsTravelled`). */
export type UdpReceived = ReceivedDatagram;

export interface SendOptions {
  hopLimit?: number;
  /** Source address; default: the best of ours for the destination. */
  src?: Ipv6Address;
  /** Called once, later: whether the packet left the radio (its last fragment acknowledged, or a broadcast sent). */
  done?: (sent: boolean) => void;
}
