// The route-over network interface of a 6LoWPAN-ND node: addresses and the context table,
// UDP sockets, forwarding, and realm-wide multicast flooded by MPL (mpl-forwarder.ts). What arrives
// goes through the IPv6 layer both stacks share (ip6.ts: header checks, the MPL check,
// delivery to UDP and ICMPv6); frames go through the shared 6LoWPAN adaptation
// (lowpan-adaptation.ts: IPHC, fragmentation, reassembly). Routing is the protocol's
// (RPL): it supplies the link-layer next hop and may rewrite packets it originates or
// forwards (RPL option, source route).
import type { MacDataIndication } from '../mac/api.ts';
import { BROADCAST_SHORT } from '../mac/api.ts';
import type { Mac } from '../mac/mac.ts';
import type { Rng, Timers } from '../runtime.ts';
import type { Icmpv6Message } from '../wire/icmpv6.ts';
import type { LowpanContext } from '../wire/iphc.ts';
import {
  ALL_NODES,
  formatIpv6Address,
  ipv6,
  ipv6Equal,
  isLinkLocal,
  isMulticast,
  isUnspecified,
  linkLocalFromLinkAddress,
  multicastScope,
  Scope,
  type Ipv6Address,
  type LinkAddress,
} from '../wire/ipv6-address.ts';
import { emitIpv6, parseIpv6, type Ipv6Packet } from '../wire/ipv6.ts';
import { DEFAULT_HOP_LIMIT } from './datagram.ts';
import { icmpPacket, Ip6, radioHops, udpPacket, type Ip6Event } from './ip6.ts';
import { LowpanAdaptation, macPayloadRoom } from './lowpan-adaptation.ts';
import { MplSeedSet } from './mpl.ts';
import { ALL_MPL_FORWARDERS_LINK_LOCAL, MplForwarder, RFC7731_DOMAIN } from './mpl-forwarder.ts';
import { Nsapi } from '../../protocol/mesh.ts';
import { advanceSourceRoute, findMplSequence, walkHeaders } from './ext-headers.ts';
import type { DropObserver, DropReason, IcmpContext, IcmpHandler, NetCounters, NetHooks, PacketMeta, SendOptions, UdpReceived } from './net-api.ts';

export { DEFAULT_HOP_LIMIT };
export type { DropObserver, DropReason, IcmpContext, IcmpHandler, NetCounters, NetHooks, PacketMeta, SendOptions, UdpReceived } from './net-api.ts';

/** Seeds remembered for multicast duplicate suppression, and sequences per seed (RFC 7731 §5.3 keeps a Seed Set). */
const MPL_SEED_SET = { seeds: 64, sequencesPerSeed: 32 };

export class UdpSocket {
  constructor(
    private readonly net: NetInterface,
    readonly port: number,
    private readonly handler: (d: UdpReceived) => void,
    /** The hop limit this socket's peers send with, for counting hops (`hopsTravelled`). */
    readonly originHopLimit: number = DEFAULT_HOP_LIMIT,
  ) {}
  /** Returns 0, or a negative nsapi_error_t (NO_CONNECTION: no route or address; PARAMETER: bad argument). */
  sendTo(dst: Ipv6Address, dstPort: number, payload: Uint8Array, opts: SendOptions = {}): number {
    return this.net.sendUdp(this.port, dst, dstPort, payload, opts);
  }
  close(): void {
    this.net.closeUdp(this);
  }
  /** @internal */
  deliver(d: UdpReceived): void {
    this.handler(d);
  }
}

export interface NetOptions {
  mac: Mac;
  timers: Timers;
  rng: Rng;
  eui64: Uint8Array;
}

export class NetInterface {
  readonly counters: NetCounters = {
    ipRx: 0,
    ipTx: 0,
    ipForwarded: 0,
    ipDropped: 0,
    noRoute: 0,
    hopLimitExceeded: 0,
    multicastForwarded: 0,
    multicastDuplicates: 0,
    udpRx: 0,
    udpTx: 0,
    udpNoPort: 0,
    icmpRx: 0,
    icmpTx: 0,
    echoRequestsAnswered: 0,
    fragmentsTx: 0,
    fragmentsRx: 0,
    txFailed: 0,
    malformed: 0,
  };
  readonly linkLocal: Ipv6Address;
  hooks: NetHooks = { nextHop: () => undefined, isRouter: () => false };
  /** Off until the protocol brings the interface up; down drops everything. */
  up = false;

  private readonly mac: Mac;
  private readonly timers: Timers;
  private readonly addrs: Ipv6Address[] = [];
  private contexts: LowpanContext[] = [];
  private readonly sockets = new Map<number, UdpSocket>();
  private readonly icmpHandlers: IcmpHandler[] = [];
  private readonly adaptation: LowpanAdaptation<PacketMeta>;
  private readonly ip6: Ip6<PacketMeta>;
  private readonly mplSeen = new MplSeedSet(MPL_SEED_SET);
  private readonly mpl: MplForwarder;
  private nextEphemeral = 49152;
  /** Frames are handed to the MAC one datagram at a time, fragments in order. */
  private readonly txQueue: Array<{ frames: Uint8Array[]; link: LinkAddress | 'broadcast'; datagram: Uint8Array; done?: (sent: boolean) => void }> = [];
  private readonly dropObservers: DropObserver[] = [];
  private txBusy = false;

  constructor(opts: NetOptions) {
    this.mac = opts.mac;
    this.timers = opts.timers;
    this.linkLocal = linkLocalFromLinkAddress({ mode: 'ext', ext: opts.eui64 });
    this.addrs.push(this.linkLocal);
    this.mpl = new MplForwarder({
      timers: this.timers,
      rng: opts.rng,
      transmit: (p) => this.up && this.transmit(p),
      sendControl: (seeds, src) => this.up && this.sendIcmp({ kind: 'mplControl', seeds }, ALL_MPL_FORWARDERS_LINK_LOCAL, { hopLimit: 255, ...(src ? { src } : {}) }),
      isOwn: (a) => this.isOwn(a),
      parameters: () => this.hooks.mplParameters?.() ?? RFC7731_DOMAIN,
    });
    // MPL control messages come to the link-local form of ff03::fc with hop limit 255 (RFC 7731 §5.5; mpl.c mpl_control_handler).
    this.onIcmp((m, ctx) => {
      if (m.kind !== 'mplControl') return false;
      if (ctx.linkSrc && ctx.hopLimit === 255 && ipv6Equal(ctx.dst, ALL_MPL_FORWARDERS_LINK_LOCAL)) this.mpl.controlMessage(m.seeds, ctx.src);
      return true;
    });
    // The first datagram goes out with the tag after a random one.
    const firstTag = opts.rng.int(0x10000) + 1;
    const firstMplSequence = opts.rng.int(256);
    this.adaptation = new LowpanAdaptation<PacketMeta>({
      timers: this.timers,
      contexts: () => this.contexts,
      firstTag,
      onDatagram: (d, arrival) => this.receiveDatagram(d, arrival.frame),
    });
    this.ip6 = new Ip6<PacketMeta>([ALL_NODES], { seeds: this.mplSeen, firstSequence: () => firstMplSequence }, {
      isOwn: (a) => this.isOwn(a),
      forwarding: () => this.hooks.isRouter(),
      // Nanostack's MPL (mplDuplicate) has buffered a new message to send on at Trickle times already.
      forwardMpl: () => undefined,
      notForUs: (p, datagram, meta) => this.notForUs(p, datagram, meta),
      sourceRouted: (p, datagram, meta) => this.sourceRouted(p, datagram, meta),
      icmp: (m, a) => {
        const ctx: IcmpContext = { ...a.meta, src: a.packet.src, dst: a.packet.dst, hopLimit: a.packet.hopLimit, packet: a.packet };
        return this.icmpHandlers.some((h) => h(m, ctx) === true);
      },
      sendEchoReply: (reply, src, dst) => this.sendIcmp(reply, dst, { src, hopLimit: DEFAULT_HOP_LIMIT }),
      noPort: (p) => {
        if (!isMulticast(p.dst)) this.dropped('noPort', p);
      },
      count: (e) => this.counters[ND_COUNTERS[e]]++,
    });
    this.mac.onDataIndication((ind) => this.onMacData(ind));
  }

  /** Hears every unicast datagram dropped here, with why; returns the unsubscribe. */
  onDrop(observer: DropObserver): () => void {
    this.dropObservers.push(observer);
    return () => {
      const i = this.dropObservers.indexOf(observer);
      if (i >= 0) this.dropObservers.splice(i, 1);
    };
  }

  private dropped(reason: DropReason, datagram: Uint8Array | Ipv6Packet): void {
    if (this.dropObservers.length === 0) return;
    const bytes = datagram instanceof Uint8Array ? datagram : emitIpv6(datagram);
    for (const o of this.dropObservers) o(reason, bytes);
  }

  // ---- addresses, groups, contexts ----

  addresses(): Ipv6Address[] {
    return this.addrs.slice();
  }
  addAddress(a: Ipv6Address): void {
    if (!this.isOwn(a)) this.addrs.push(a.slice());
  }
  removeAddress(a: Ipv6Address): void {
    const i = this.addrs.findIndex((x) => ipv6Equal(x, a));
    if (i > 0) this.addrs.splice(i, 1); // the link-local address stays
  }
  /** Every address but the link-local one. */
  clearAddresses(): void {
    this.addrs.splice(1);
  }
  isOwn(a: Ipv6Address): boolean {
    return this.addrs.some((x) => ipv6Equal(x, a));
  }
  globalAddress(): Ipv6Address | undefined {
    return this.addrs.find((a) => !isLinkLocal(a));
  }
  joinGroup(g: Ipv6Address): void {
    this.ip6.groups.join(g);
  }
  leaveGroup(g: Ipv6Address): void {
    this.ip6.groups.leave(g);
  }
  isMember(g: Ipv6Address): boolean {
    return this.ip6.groups.isMember(g);
  }
  setContexts(contexts: LowpanContext[]): void {
    this.contexts = contexts.map((c) => ({ ...c, prefix: c.prefix.slice() }));
  }
  getContexts(): readonly LowpanContext[] {
    return this.contexts;
  }

  // ---- ICMPv6 ----

  onIcmp(handler: IcmpHandler): void {
    this.icmpHandlers.push(handler);
  }

  /** Sends an ICMPv6 message; returns false when it could not be sent (no route, interface down). */
  sendIcmp(msg: Icmpv6Message, dst: Ipv6Address, opts: SendOptions & { link?: LinkAddress } = {}): boolean {
    const src = opts.src ?? this.sourceFor(dst);
    if (!src) return false;
    this.counters.icmpTx++;
    return this.sendPacket(icmpPacket(msg, src, dst, opts.hopLimit ?? 255), opts.link);
  }

  // ---- UDP ----

  /** Binds a UDP port (0 = an ephemeral one); undefined if it is taken. */
  bindUdp(port: number, handler: (d: UdpReceived) => void, originHopLimit = DEFAULT_HOP_LIMIT): UdpSocket | undefined {
    if (port === 0) {
      while (this.sockets.has(this.nextEphemeral)) this.nextEphemeral = this.nextEphemeral >= 65535 ? 49152 : this.nextEphemeral + 1;
      port = this.nextEphemeral;
    }
    if (port < 1 || port > 65535 || this.sockets.has(port)) return undefined;
    const s = new UdpSocket(this, port, handler, originHopLimit);
    this.sockets.set(port, s);
    this.ip6.onUdp(port, (a) => s.deliver({ src: a.src, srcPort: a.srcPort, dst: a.dst, dstPort: a.dstPort, payload: a.payload, hopLimit: a.hopLimit, hops: radioHops(a, s.originHopLimit) }));
    return s;
  }
  closeUdp(s: UdpSocket): void {
    if (this.sockets.get(s.port) !== s) return;
    this.sockets.delete(s.port);
    this.ip6.offUdp(s.port);
  }
  sendUdp(srcPort: number, dst: Ipv6Address, dstPort: number, payload: Uint8Array, opts: SendOptions): number {
    if (dstPort < 1 || dstPort > 65535 || payload.length > 1232) return Nsapi.PARAMETER;
    const src = opts.src ?? this.sourceFor(dst);
    if (!src || !this.up) return Nsapi.NO_CONNECTION;
    const hopLimit = opts.hopLimit ?? DEFAULT_HOP_LIMIT;
    this.counters.udpTx++;
    return this.sendPacket(udpPacket({ src, dst, srcPort, dstPort, payload, hopLimit }), undefined, opts.done) ? Nsapi.OK : Nsapi.NO_CONNECTION;
  }

  /** Whether a unicast packet to `dst` has somewhere to go now (our own address, or a next hop). */
  hasRoute(dst: Ipv6Address): boolean {
    if (!this.up) return false;
    if (isMulticast(dst) || isLinkLocal(dst) || this.isOwn(dst)) return true;
    return this.hooks.nextHop(dst) !== undefined;
  }

  /** An ICMPv6 echo request (RFC 4443 §4.1); the reply arrives through `onIcmp`. */
  ping(dst: Ipv6Address, identifier: number, sequence: number, data: Uint8Array = new Uint8Array(0)): boolean {
    return this.sendIcmp({ kind: 'echoRequest', identifier, sequence, data }, dst, { hopLimit: DEFAULT_HOP_LIMIT });
  }

  /** Source address selection, reduced to what a 6LoWPAN node needs (RFC 6724 rule 2: matching scope). */
  sourceFor(dst: Ipv6Address): Ipv6Address | undefined {
    const scope = isMulticast(dst) ? multicastScope(dst)! : isLinkLocal(dst) ? Scope.linkLocal : Scope.global;
    if (scope <= Scope.linkLocal) return this.linkLocal;
    return this.globalAddress() ?? (isMulticast(dst) ? this.linkLocal : undefined);
  }

  // ---- sending ----

  /**
   * Sends a packet we originate; `link` forces the next hop (e.g. a unicast RA to a neighbour).
   * `done`, when given, is called once, later, with whether the packet left the radio.
   */
  sendPacket(p: Ipv6Packet, link?: LinkAddress, done?: (sent: boolean) => void): boolean {
    const sent = this.originate(p, link, done);
    if (!sent && done) this.timers.at(this.timers.now(), () => done(false));
    return sent;
  }

  private originate(p: Ipv6Packet, link: LinkAddress | undefined, done: ((sent: boolean) => void) | undefined): boolean {
    if (!this.up) return false;
    let pkt: Ipv6Packet | undefined = p;
    if (isMulticast(p.dst)) {
      const scope = multicastScope(p.dst)!;
      if (scope >= Scope.realmLocal) {
        // Realm-or-wider multicast floods the mesh, each copy tagged for duplicate detection (MPL seed = source).
        const seeded = this.ip6.seedMpl(p);
        if (!seeded) return false;
        pkt = seeded.packet;
        // Nanostack's seed sends it at once too, and buffers it for its Trickle (mpl.c mpl_exthdr_provider).
        this.mpl.message(pkt, seeded.sequence, { seeding: true, forward: true });
      }
      if (this.isMember(p.dst)) this.loopback(pkt);
    } else if (this.isOwn(p.dst)) {
      this.loopback(p);
      if (done) this.timers.at(this.timers.now(), () => done(true));
      return true;
    } else if (!link && !isLinkLocal(p.dst) && this.hooks.outgoing) {
      pkt = this.hooks.outgoing(p);
      if (!pkt) return false;
    }
    this.counters.ipTx++;
    return this.transmit(pkt, link, done);
  }

  private loopback(p: Ipv6Packet): void {
    const bytes = emitIpv6(p);
    this.timers.at(this.timers.now(), () => this.receiveDatagram(bytes, {}));
  }

  /** Resolves the next hop and hands the frames to the MAC; `done` hears how the last frame fared. */
  private transmit(p: Ipv6Packet, forced?: LinkAddress, done?: (sent: boolean) => void): boolean {
    let link: LinkAddress | 'broadcast' | undefined = forced;
    if (!link) {
      if (isMulticast(p.dst)) link = 'broadcast';
      else if (isLinkLocal(p.dst)) link = linkAddressFromIid(p.dst);
      else link = this.hooks.nextHop(p.dst);
    }
    if (!link) {
      this.counters.noRoute++;
      this.dropped('noRoute', p);
      return false;
    }
    const datagram = emitIpv6(p);
    const linkDst: LinkAddress = link === 'broadcast' ? { mode: 'short', short: BROADCAST_SHORT } : link;
    // The MAC's own frame security (a 6LoWPAN-ND PSK) adds its aux header and MIC to every frame.
    const frames = this.adaptation.frames(datagram, {
      macSrc: { mode: 'ext', ext: this.mac.getExtAddress() },
      macDst: linkDst,
      maxPayload: macPayloadRoom(linkDst, 'ext', this.mac.securityOverhead),
    });
    if (!frames.ok) {
      this.counters.malformed++;
      return false;
    }
    if (frames.value.length > 1) this.counters.fragmentsTx += frames.value.length;
    this.txQueue.push({ frames: frames.value, link, datagram, ...(done ? { done } : {}) });
    this.pumpTx();
    return true;
  }

  private pumpTx(): void {
    if (this.txBusy) return;
    const job = this.txQueue.shift();
    if (!job) return;
    this.txBusy = true;
    const dst = job.link === 'broadcast' ? ({ mode: 'short', short: BROADCAST_SHORT } as const) : job.link;
    const sendFrame = (i: number): void => {
      const payload = job.frames[i];
      if (!payload) {
        this.txBusy = false;
        job.done?.(true);
        this.pumpTx();
        return;
      }
      this.mac.dataRequest({ dstPan: this.mac.getPanId(), dst, srcMode: 'ext', payload, ackRequest: true }, (status) => {
        if (job.link !== 'broadcast') this.hooks.linkResult?.(job.link, status);
        if (status !== 'success') {
          this.counters.txFailed++;
          if (job.link !== 'broadcast') {
            this.dropped(status === 'no_ack' ? 'retriesExhausted' : status === 'channel_access_failure' ? 'channelAccessFailure' : 'macTxFailed', job.datagram);
          }
          this.txBusy = false;
          job.done?.(false);
          this.pumpTx();
          return;
        }
        sendFrame(i + 1);
      });
    };
    sendFrame(0);
  }

  /** Drops queued frames (on disconnect); their senders hear they were not sent. */
  flush(): void {
    const dropped = this.txQueue.splice(0);
    for (const job of dropped) {
      if (job.link !== 'broadcast') this.dropped('interfaceDown', job.datagram);
      if (job.done) this.timers.at(this.timers.now(), () => job.done!(false));
    }
  }

  // ---- receiving ----

  private onMacData(ind: MacDataIndication): void {
    if (!this.up && ind.dst.mode !== 'none' && !(ind.dst.mode === 'short' && ind.dst.short === BROADCAST_SHORT)) this.dropped('interfaceDown', ind.payload);
    if (!this.up || ind.src.mode === 'none' || ind.dst.mode === 'none') return;
    const src: LinkAddress = ind.src;
    const dst: LinkAddress = ind.dst;
    const meta: PacketMeta = { linkSrc: src, lqi: ind.lqi, rssiDbm: ind.rssiDbm };
    const verdict = this.adaptation.receive(ind.payload, src, dst, meta);
    if (verdict === 'malformed' || verdict === 'undecodable') this.counters.malformed++;
    else if (verdict === 'fragment') this.counters.fragmentsRx++;
    if (verdict === 'undecodable' && !(dst.mode === 'short' && dst.short === BROADCAST_SHORT)) this.dropped('undecodable', ind.payload);
  }

  /** An IPv6 datagram from the link (or from ourselves: no link source). */
  receiveDatagram(bytes: Uint8Array, meta: PacketMeta): void {
    if (!this.up) {
      this.dropped('interfaceDown', bytes);
      return;
    }
    if (meta.linkSrc && this.mplDuplicate(bytes)) return;
    this.ip6.receive(bytes, { meta, legHops: 1, hopLimitKept: false, loopback: !meta.linkSrc });
  }

  /**
   * Nanostack's MPL check, ahead of the IPv6 layer's: a copy of a message seen before is
   * dropped here (and counts against its Trickle's k); a new one is buffered to be sent on
   * at Trickle times when we forward it, then goes up. What does not parse, the layer counts.
   */
  private mplDuplicate(bytes: Uint8Array): boolean {
    const parsed = parseIpv6(bytes);
    if (!parsed.ok || !isMulticast(parsed.value.dst)) return false;
    const p = parsed.value;
    const chain = walkHeaders(p);
    const seq = chain.ok ? findMplSequence(chain.value.hopByHop) : undefined;
    if (seq === undefined) return false;
    // Sent on only at Trickle times: forwarding at once makes neighbours that heard the same copy send together.
    const forward = this.hooks.isRouter() && p.hopLimit > 1 && (multicastScope(p.dst) ?? 0) >= Scope.realmLocal;
    const verdict = this.mpl.message({ ...p, hopLimit: p.hopLimit - 1 }, seq, { seeding: false, forward });
    if (verdict === 'duplicate') this.counters.multicastDuplicates++;
    if (verdict === 'buffered') this.counters.multicastForwarded++;
    return verdict === 'duplicate';
  }

  /** Unicast for another node: routers forward it, others drop it. */
  private notForUs(p: Ipv6Packet, bytes: Uint8Array, meta: PacketMeta): void {
    if (!this.hooks.isRouter() || isLinkLocal(p.dst) || isUnspecified(p.src)) {
      this.counters.ipDropped++;
      this.dropped('notRouter', bytes);
      return;
    }
    this.forwardPacket(p, meta, false);
  }

  /** For us with a source route to follow (RFC 6554 §4.2): on to its next address. */
  private sourceRouted(p: Ipv6Packet, bytes: Uint8Array, meta: PacketMeta): void {
    const next = advanceSourceRoute(p, (a) => this.isOwn(a));
    if (!next.ok) {
      this.counters.ipDropped++;
      this.dropped('sourceRoute', bytes);
      return;
    }
    this.forwardPacket(next.value, meta, true);
  }

  private forwardPacket(p: Ipv6Packet, meta: PacketMeta, sourceRouted: boolean): void {
    if (p.hopLimit <= 1) {
      this.counters.hopLimitExceeded++;
      this.dropped('hopLimit', p);
      return;
    }
    let out: Ipv6Packet | undefined = { ...p, hopLimit: p.hopLimit - 1 };
    if (this.hooks.forward && !sourceRouted) out = this.hooks.forward(out, meta);
    if (!out) {
      this.counters.ipDropped++;
      this.dropped('forwardRefused', p);
      return;
    }
    // A source-routed hop goes to a neighbour named by its address.
    const link = sourceRouted || isLinkLocal(out.dst) ? linkAddressFromIid(out.dst) : undefined;
    this.counters.ipForwarded++;
    if (!this.transmit(out, link)) this.counters.ipDropped++;
  }
}

/** Which of our counters each IPv6-layer event goes to. */
const ND_COUNTERS: Record<Ip6Event, keyof NetCounters> = {
  received: 'ipRx',
  malformed: 'malformed',
  mplDuplicate: 'multicastDuplicates',
  udpReceived: 'udpRx',
  udpNoPort: 'udpNoPort',
  icmpReceived: 'icmpRx',
  echoAnswered: 'echoRequestsAnswered',
  unknownUpper: 'ipDropped',
};

/**
 * The link-layer address behind an interface identifier (RFC 4944 §6, RFC 6282 §3.2.2):
 * 0000:00ff:fe00:XXXX is a short address, anything else an EUI-64 with the U/L bit flipped.
 */
export function linkAddressFromIid(addr: Ipv6Address): LinkAddress {
  const iid = addr.subarray(8, 16);
  if (iid[0] === 0 && iid[1] === 0 && iid[2] === 0 && iid[3] === 0xff && iid[4] === 0xfe && iid[5] === 0) {
    return { mode: 'short', short: (iid[6]! << 8) | iid[7]! };
  }
  const ext = iid.slice();
  ext[0] = ext[0]! ^ 0x02;
  return { mode: 'ext', ext };
}

export { ipv6, formatIpv6Address };
