// UDPSocket on a mesh interface, as an Mbed OS application sees it: open + bind, sendto
// with an optional hop limit, a receive callback, multicast membership, close, and the
// results as nsapi codes, mapped the way Mbed's Nanostack adaptation maps them
// (mbed-os connectivity/nanostack/source/Nanostack.cpp):
// - socket_bind() failing (port in use) → NSAPI_ERROR_PARAMETER;
// - sendto() → the bytes sent; socket_sendmsg -3 "no source address" → NSAPI_ERROR_NO_ADDRESS,
//   -4 "unknown interface" (no route) → NSAPI_ERROR_BUSY, -1 bad argument → NSAPI_ERROR_PARAMETER;
// - sendto()/close() on a socket that is not open → NSAPI_ERROR_NO_SOCKET (InternetSocket).
// A socket belongs to the application, not to the connection: disconnect() leaves it
// open, and sends fail with NO_ADDRESS / BUSY until the interface is up again.
import { DEFAULT_HOP_LIMIT, type DatagramService, type ReceivedDatagram, type SendRefusal } from '../net/datagram.ts';
import { ipv6Equal, type Ipv6Address } from '../wire/ipv6-address.ts';
import { Nsapi } from '../../protocol/mesh.ts';

export interface UdpOpenOptions {
  /** Hop limit of datagrams sent without one (IPV6_UNICAST_HOPS / MULTICAST_HOPS); peers are assumed to use it too. */
  hopLimit?: number;
}

export interface UdpSendOptions {
  hopLimit?: number;
}

/** What an application needs of a socket: the part of UDPSocket the examples use. */
export interface DatagramSocket {
  readonly port: number;
  /** sendto(): bytes handed to the stack, or a negative nsapi_error_t. `done` hears whether it left the radio. */
  sendTo(dst: Ipv6Address, port: number, payload: Uint8Array, opts?: UdpSendOptions, done?: (sent: boolean) => void): number;
  /** setsockopt(NSAPI_ADD_MEMBERSHIP). */
  joinGroup(group: Ipv6Address): number;
  leaveGroup(group: Ipv6Address): number;
  close(): number;
}

/** Something that opens sockets: a mesh interface of either kind. */
export interface UdpEndpoint {
  /** UDPSocket::open() then bind(port) (0: an ephemeral port): the socket, or the failing nsapi_error_t. */
  openUdp(port: number, onReceive: (d: ReceivedDatagram) => void, opts?: UdpOpenOptions): { result: number; socket?: DatagramSocket };
}

/** The nsapi_error_t a refused send returns (Nanostack.cpp's mapping). */
export const REFUSAL_RESULT: Record<SendRefusal, number> = {
  'no-address': Nsapi.NO_ADDRESS,
  'no-route': Nsapi.BUSY,
  'bad-argument': Nsapi.PARAMETER,
};

/** The sockets of one interface and the group memberships they hold (counted: two sockets may join one group). */
export class UdpSockets implements UdpEndpoint {
  private readonly memberships: Array<{ group: Ipv6Address; count: number }> = [];

  constructor(private readonly service: DatagramService) {}

  openUdp(port: number, onReceive: (d: ReceivedDatagram) => void, opts: UdpOpenOptions = {}): { result: number; socket?: MeshUdpSocket } {
    const hopLimit = opts.hopLimit ?? DEFAULT_HOP_LIMIT;
    if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(hopLimit) || hopLimit < 1 || hopLimit > 255) return { result: Nsapi.PARAMETER };
    const bound = this.service.bind(port, { originHopLimit: hopLimit, receive: (d) => onReceive(d) });
    if (bound === undefined) return { result: Nsapi.PARAMETER };
    return { result: Nsapi.OK, socket: new MeshUdpSocket(this, this.service, bound, hopLimit) };
  }

  /** @internal */
  join(group: Ipv6Address): void {
    const m = this.memberships.find((x) => ipv6Equal(x.group, group));
    if (m) m.count++;
    else {
      this.memberships.push({ group: group.slice(), count: 1 });
      this.service.joinGroup(group);
    }
  }

  /** @internal */
  leave(group: Ipv6Address): void {
    const i = this.memberships.findIndex((x) => ipv6Equal(x.group, group));
    const m = this.memberships[i];
    if (!m) return;
    if (--m.count > 0) return;
    this.memberships.splice(i, 1);
    this.service.leaveGroup(group);
  }
}

export class MeshUdpSocket implements DatagramSocket {
  private open = true;
  private readonly groups: Ipv6Address[] = [];

  constructor(
    private readonly sockets: UdpSockets,
    private readonly service: DatagramService,
    readonly port: number,
    private readonly hopLimit: number,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  sendTo(dst: Ipv6Address, port: number, payload: Uint8Array, opts: UdpSendOptions = {}, done?: (sent: boolean) => void): number {
    if (!this.open) return Nsapi.NO_SOCKET;
    const hopLimit = opts.hopLimit ?? this.hopLimit;
    const refusal = this.service.send({ srcPort: this.port, dst, dstPort: port, payload, hopLimit }, (sent) => done?.(sent));
    return refusal ? REFUSAL_RESULT[refusal] : payload.length;
  }

  joinGroup(group: Ipv6Address): number {
    if (!this.open) return Nsapi.NO_SOCKET;
    if (this.groups.some((g) => ipv6Equal(g, group))) return Nsapi.PARAMETER; // already a member on this socket
    this.groups.push(group.slice());
    this.sockets.join(group);
    return Nsapi.OK;
  }

  leaveGroup(group: Ipv6Address): number {
    if (!this.open) return Nsapi.NO_SOCKET;
    const i = this.groups.findIndex((g) => ipv6Equal(g, group));
    if (i < 0) return Nsapi.PARAMETER;
    this.groups.splice(i, 1);
    this.sockets.leave(group);
    return Nsapi.OK;
  }

  close(): number {
    if (!this.open) return Nsapi.NO_SOCKET;
    this.open = false;
    for (const g of this.groups.splice(0)) this.sockets.leave(g);
    this.service.unbind(this.port);
    return Nsapi.OK;
  }
}
