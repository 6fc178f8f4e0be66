// Thread's UDP service for application sockets. Sockets outlive the Thread engine and its
// link (Mbed lets an application open them before connect()), so the bindings and groups
// live here and are handed to each link the tasklet builds. MLE and TMF keep their ports.
import { DEFAULT_HOP_LIMIT, hopsTravelled, type DatagramBinding, type DatagramSend, type DatagramService, type EchoReplyReceived, type SendRefusal } from '../net/datagram.ts';
import { destinationScope, MAX_UDP_PAYLOAD } from '../net/net-datagrams.ts';
import type { Timers } from '../runtime.ts';
import { threadHops, type ThreadLink, type UdpReceive } from '../thread/link.ts';
import type { ThreadEngineView } from '../thread/mle-engine.ts';
import { TMF_UDP_PORT } from '../thread/tmf.ts';
import { ipv6Equal, isMulticast, prefixMatches, Scope, type Ipv6Address } from '../wire/ipv6-address.ts';
import { MLE_UDP_PORT } from '../wire/mle.ts';

/** Ports the Thread stack binds itself (thread.md §2 MLE 19788; TMF 61631). */
const RESERVED_PORTS = new Set([MLE_UDP_PORT, TMF_UDP_PORT]);
/** The dynamic port range (RFC 6335 §6). */
const EPHEMERAL_FIRST = 49152;

export class ThreadDatagrams implements DatagramService {
  private readonly bindings = new Map<number, DatagramBinding>();
  private readonly groups: Ipv6Address[] = [];
  private link: ThreadLink | undefined;
  private engine: ThreadEngineView | undefined;
  private nextEphemeral = EPHEMERAL_FIRST;
  private echoReply: ((r: EchoReplyReceived) => void) | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly meshLocalPrefix: () => Uint8Array,
  ) {}

  /** The tasklet built a link and engine: carry the bindings and groups over. */
  attach(link: ThreadLink, engine: ThreadEngineView): void {
    this.link = link;
    this.engine = engine;
    for (const [port, b] of this.bindings) this.listen(port, b);
    for (const g of this.groups) link.groups.join(g);
    link.onEchoReply((r) =>
      this.echoReply?.({ src: r.src, identifier: r.identifier, sequence: r.sequence, data: r.data, hopLimit: r.hopLimit, hops: r.legHops - 1 + hopsTravelled(r.hopLimit, DEFAULT_HOP_LIMIT) }),
    );
  }

  echoRequest(dst: Ipv6Address, identifier: number, sequence: number, data: Uint8Array, hopLimit: number): SendRefusal | undefined {
    if (data.length > MAX_UDP_PAYLOAD + 4 || hopLimit < 1 || hopLimit > 255) return 'bad-argument';
    const engine = this.engine;
    const link = this.link;
    if (!engine || !link || !engine.isAttached()) return destinationScope(dst) > Scope.realmLocal ? 'no-route' : 'no-address';
    link.sendEchoRequest(this.sourceFor(dst, engine), dst, identifier, sequence, data, hopLimit);
    return undefined;
  }

  onEchoReply(handler: (r: EchoReplyReceived) => void): void {
    this.echoReply = handler;
  }

  bind(port: number, binding: DatagramBinding): number | undefined {
    if (port === 0) {
      while (this.bindings.has(this.nextEphemeral) || RESERVED_PORTS.has(this.nextEphemeral)) this.nextEphemeral = this.nextEphemeral >= 65535 ? EPHEMERAL_FIRST : this.nextEphemeral + 1;
      port = this.nextEphemeral;
    }
    if (port < 1 || port > 65535 || this.bindings.has(port) || RESERVED_PORTS.has(port)) return undefined;
    this.bindings.set(port, binding);
    this.listen(port, binding);
    return port;
  }

  unbind(port: number): void {
    if (!this.bindings.delete(port)) return;
    this.link?.offUdp(port);
  }

  send(d: DatagramSend, done: (sent: boolean) => void): SendRefusal | undefined {
    if (d.dstPort < 1 || d.dstPort > 65535 || d.payload.length > MAX_UDP_PAYLOAD || d.hopLimit < 0 || d.hopLimit > 255) return 'bad-argument';
    const engine = this.engine;
    const link = this.link;
    if (!engine || !link || !engine.isAttached()) return destinationScope(d.dst) > Scope.realmLocal ? 'no-route' : 'no-address';
    const src = this.sourceFor(d.dst, engine);
    link.sendUdp({ src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, hopLimit: d.hopLimit, payload: d.payload }, (sent) => done(sent));
    // Multicast loops back to our own member sockets (IPV6_MULTICAST_LOOP defaults on, RFC 3493 §5.2).
    const own = this.bindings.get(d.dstPort);
    if (own && isMulticast(d.dst) && link.groups.isMember(d.dst)) {
      const copy = { src, srcPort: d.srcPort, dst: d.dst, dstPort: d.dstPort, payload: d.payload.slice(), hopLimit: d.hopLimit, hops: 0 };
      this.timers.at(this.timers.now(), () => {
        if (this.bindings.get(d.dstPort) === own) own.receive(copy);
      });
    }
    return undefined;
  }

  joinGroup(group: Ipv6Address): void {
    if (this.groups.some((g) => ipv6Equal(g, group))) return;
    this.groups.push(group.slice());
    this.link?.groups.join(group);
  }

  leaveGroup(group: Ipv6Address): void {
    const i = this.groups.findIndex((g) => ipv6Equal(g, group));
    if (i < 0) return;
    this.groups.splice(i, 1);
    this.link?.groups.leave(group);
  }

  private listen(port: number, b: DatagramBinding): void {
    this.link?.onUdp(port, (m: UdpReceive) =>
      b.receive({ src: m.src, srcPort: m.srcPort, dst: m.dst, dstPort: m.dstPort, payload: m.payload, hopLimit: m.hopLimit, hops: threadHops(m, b.originHopLimit) }),
    );
  }

  /** Link-local for link-local destinations, a global address for a global one when we have it, else the ML-EID. */
  private sourceFor(dst: Ipv6Address, engine: ThreadEngineView): Ipv6Address {
    if (destinationScope(dst) <= Scope.linkLocal) return engine.linkLocal;
    const global = engine.globalAddresses[0];
    if (global && !isMulticast(dst) && !prefixMatches(dst, this.meshLocalPrefix(), 64)) return global;
    return engine.mlEid;
  }
}
