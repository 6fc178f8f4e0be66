// The route-over network layer (NetInterface) as a DatagramService for sockets. The order
// of the refusals is Nanostack's socket_buffer_sendmsg (socket_api.c): a destination wider
// than realm-local scope needs a route first ("unknown interface", -4), then every
// datagram needs a source address ("No address", -3).
import type { Ipv6Address } from '../wire/ipv6-address.ts';
import { isMulticast, multicastScope, Scope } from '../wire/ipv6-address.ts';
import { DEFAULT_HOP_LIMIT, hopsTravelled, type DatagramBinding, type DatagramSend, type DatagramService, type EchoReplyReceived, type SendRefusal } from './datagram.ts';
import type { NetInterface, UdpSocket } from './net-interface.ts';
import { Nsapi } from '../../protocol/mesh.ts';

/** Largest UDP payload in one IPv6 datagram of the minimum MTU: 1280 − 40 − 8 (RFC 8200 §5). */
export const MAX_UDP_PAYLOAD = 1232;

/** Scope of a destination as socket_interface_determine weighs it: multicast scope, or link-local / wider. */
export function destinationScope(dst: Ipv6Address): number {
  if (isMulticast(dst)) return multicastScope(dst) ?? Scope.global;
  return dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80 ? Scope.linkLocal : Scope.global;
}

export class NetDatagrams implements DatagramService {
  private readonly bound = new Map<number, UdpSocket>();
  private echoReply: ((r: EchoReplyReceived) => void) | undefined;

  constructor(private readonly net: NetInterface) {
    net.onIcmp((m, ctx) => {
      if (m.kind !== 'echoReply' || !this.echoReply) return false;
      const hops = ctx.linkSrc ? hopsTravelled(ctx.hopLimit, DEFAULT_HOP_LIMIT) : 0;
      this.echoReply({ src: ctx.src, identifier: m.identifier, sequence: m.sequence, data: m.data, hopLimit: ctx.hopLimit, hops });
      return true;
    });
  }

  bind(port: number, binding: DatagramBinding): number | undefined {
    const s = this.net.bindUdp(port, (d) => binding.receive(d), binding.originHopLimit);
    if (!s) return undefined;
    this.bound.set(s.port, s);
    return s.port;
  }

  unbind(port: number): void {
    this.bound.get(port)?.close();
    this.bound.delete(port);
  }

  send(d: DatagramSend, done: (sent: boolean) => void): SendRefusal | undefined {
    if (d.dstPort < 1 || d.dstPort > 65535 || d.payload.length > MAX_UDP_PAYLOAD || d.hopLimit < 0 || d.hopLimit > 255) return 'bad-argument';
    if (destinationScope(d.dst) > Scope.realmLocal && !this.net.hasRoute(d.dst)) return 'no-route';
    if (!this.net.up || !this.net.sourceFor(d.dst)) return 'no-address';
    const r = this.net.sendUdp(d.srcPort, d.dst, d.dstPort, d.payload, { hopLimit: d.hopLimit, done });
    // Past the checks above the stack owns the datagram: a later drop reaches `done` only.
    return r === Nsapi.PARAMETER ? 'bad-argument' : undefined;
  }

  joinGroup(group: Ipv6Address): void {
    this.net.joinGroup(group);
  }

  echoRequest(dst: Ipv6Address, identifier: number, sequence: number, data: Uint8Array, hopLimit: number): SendRefusal | undefined {
    if (data.length > MAX_UDP_PAYLOAD + 4 || hopLimit < 1 || hopLimit > 255) return 'bad-argument';
    if (destinationScope(dst) > Scope.realmLocal && !this.net.hasRoute(dst)) return 'no-route';
    if (!this.net.up || !this.net.sourceFor(dst)) return 'no-address';
    this.net.sendIcmp({ kind: 'echoRequest', identifier, sequence, data }, dst, { hopLimit });
    return undefined;
  }

  onEchoReply(handler: (r: EchoReplyReceived) => void): void {
    this.echoReply = handler;
  }

  leaveGroup(group: Ipv6Address): void {
    this.net.leaveGroup(group);
  }
}
