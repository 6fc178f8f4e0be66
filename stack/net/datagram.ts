// What an application's UDP socket needs from a network stack, whichever stack it is
// (6LoWPAN-ND's route-over NetInterface or Thread's mesh-under link): bind a port, send
// a datagram and hear when it has left the radio, join multicast groups, and receive
// datagrams together with the number of radio hops they travelled.
import type { Ipv6Address } from '../wire/ipv6-address.ts';

/** Default hop limit of packets we originate (RFC 4861 §6.3.2 CurHopLimit default 64). */
export const DEFAULT_HOP_LIMIT = 64;

/** A UDP datagram as a stack delivers it to a bound port. */
export interface ReceivedDatagram {
  src: Ipv6Address;
  srcPort: number;
  dst: Ipv6Address;
  dstPort: number;
  payload: Uint8Array;
  /** Hop limit of the (innermost) IPv6 header as it arrived. */
  hopLimit: number;
  /** Radio hops the datagram travelled; 0 for our own multicast looped back. */
  hops: number;
}

/** Why a stack refused a datagram before it reached the radio. */
export type SendRefusal =
  /** No usable source address for the destination (interface down or not yet up). */
  | 'no-address'
  /** No route or interface for a destination wider than realm-local scope. */
  | 'no-route'
  /** A port or length out of range. */
  | 'bad-argument';

export interface DatagramSend {
  srcPort: number;
  dst: Ipv6Address;
  dstPort: number;
  payload: Uint8Array;
  hopLimit: number;
}

/** A port's receive hook and what it assumes of its peers. */
export interface DatagramBinding {
  /**
   * The hop limit this socket's peers send with (its own, for an application that runs
   * the same code on every board). Route-over hops are counted from the hop limit the
   * datagram lost on the way, which needs the one it started with (see `hopsTravelled`).
   */
  originHopLimit: number;
  receive(d: ReceivedDatagram): void;
}

/** An ICMPv6 Echo Reply that reached us (RFC 4443 §4.2), for the ping application. */
export interface EchoReplyReceived {
  src: Ipv6Address;
  identifier: number;
  sequence: number;
  data: Uint8Array;
  /** Hop limit of the reply as it arrived. */
  hopLimit: number;
  /** Radio hops the reply travelled, counted as for datagrams (the replier sends with DEFAULT_HOP_LIMIT). */
  hops: number;
}

/** The UDP service of one stack, as sockets use it. */
export interface DatagramService {
  /** Binds `port` (0: an ephemeral one); the port bound, or undefined when it is taken or reserved. */
  bind(port: number, binding: DatagramBinding): number | undefined;
  unbind(port: number): void;
  /**
   * Hands a datagram to the stack: undefined when accepted, else why not. `done` is called
   * once, later, with whether it left the radio (the first transmission, for multicast).
   */
  send(d: DatagramSend, done: (sent: boolean) => void): SendRefusal | undefined;
  joinGroup(group: Ipv6Address): void;
  leaveGroup(group: Ipv6Address): void;
  /** Sends an ICMPv6 Echo Request (RFC 4443 §4.1): undefined when accepted, else why not. */
  echoRequest(dst: Ipv6Address, identifier: number, sequence: number, data: Uint8Array, hopLimit: number): SendRefusal | undefined;
  /** Where Echo Replies addressed to us go (the one ping application of a board). */
  onEchoReply(handler: (r: EchoReplyReceived) => void): void;
}

/** Hop limits a stack originates packets with; a received one is counted down from the nearest at or above it. */
const WELL_KNOWN_ORIGINS = [DEFAULT_HOP_LIMIT, 255];

/**
 * Radio hops of a route-over path, from the hop limit a datagram arrived with: one hop
 * for the last link plus one per forwarder, each of which decremented the hop limit
 * (RFC 8200 §3). The starting value is not on the wire, so it is taken to be the
 * receiving socket's `originHopLimit` if the datagram can have started there, else
 * the nearest well-known origin (64, 255) at or above what arrived.
 */
export function hopsTravelled(arrivedHopLimit: number, originHopLimit: number): number {
  const origins = [originHopLimit, ...WELL_KNOWN_ORIGINS].filter((o) => o >= arrivedHopLimit).sort((a, b) => a - b);
  const origin = origins[0] ?? arrivedHopLimit;
  return origin - arrivedHopLimit + 1;
}
