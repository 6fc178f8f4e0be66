// The route-over network layer (NetInterface) as a DatagramService for sockets. The order
// of the refusals is Nanostack's socket_buffer_sendmsg (socket_api.c): a destination wider
// than realm-local scope needs a route first ("unknown interface", -4), then every
// datagram needs a source address ("No address", -3).
import type { Ipv6Address } from '../wire/ipv6-address.ts';
import { isMulticast, multicastScope, Scope } from '../wire/ipv6-address.ts';
import type { DatagramBinding, DatagramSend, DatagramService, SendRefusal } from './datagram.ts';
import type { NetInterface, UdpSocket } from './net-interface.ts';

/** Largest UDP payload in one IPv6 datagram of the minimum MTU: 1280 − 40 − 8 (RFC 8200 §5). */
export const MAX_UDP_PAYLOAD = 1232;

/** Scope of a destination as socket_interface_determine weighs it: multicast scope, or link-local / wider. */
export function destinationScope(dst: Ipv6Address): number {
  if (isMulticast(dst)) return multicastScope(dst) ?? Scope.global;
  return dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80 ? Scope.linkLocal : Scope.global;
}

export class NetDatagrams implements DatagramService {
  private readonly bound = new Map<number, UdpSocket>();

  constructor(private readonly net: NetInterface) {}

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
    return r === -3003 ? 'bad-argument' : undefined;
  }

  joinGroup(group: Ipv6Address): void {
    this.net.joinGroup(group);
  }

  leaveGroup(group: Ipv6Address): void {
    this.net.leaveGroup(group);
  }
}
