// What the Thread engine needs from the network layer, and Thread's link on the
// shared IPv6 layer (stack/net/ip6.ts: header checks, the MPL check, delivery to UDP
// and ICMPv6) and the shared 6LoWPAN adaptation (stack/net/lowpan-adaptation.ts: IPHC,
// fragmentation, reassembly, mesh header): MLE routing supplies the next hop and, when that is not
// the final destination, the mesh header; context 0 is the mesh-local prefix; MAC
// frames are secured at level 5 with key ID mode 1 (thread.md §3). MLE travels
// without MAC security (it has its own); anything else unsecured is dropped.
//
// Multicast wider than link-local floods the partition by MPL (RFC 7731) as
// OpenThread's ip6.cpp does it: a realm-local group gets an MPL option in a
// hop-by-hop header; a wider group (the light's ff15::810a:64d1) travels inside
// an IPv6-in-IPv6 tunnel to ff03::fc whose outer header carries the option and
// counts the hops down. Routers forward each new message, timed as OpenThread does
// (stack/net/mpl.ts); the IPv6 layer drops copies seen before and opens the tunnel.
import type { Mac, TxPolicy } from '../mac/mac.ts';
import { BROADCAST_SHORT, type MacDataIndication } from '../mac/api.ts';
import type { Rng, Timers } from '../runtime.ts';
import { LowpanAdaptation, macPayloadRoom, relayMeshFrame } from '../net/lowpan-adaptation.ts';
import { DEFAULT_HOP_LIMIT } from '../net/datagram.ts';
import { icmpPacket, Ip6, MPL_TUNNEL_HOP_LIMIT, radioHops, udpPacket, type MulticastGroups, type UdpDatagram } from '../net/ip6.ts';
import { ALL_MPL_FORWARDERS, MPL_ROUTER_TRANSMISSIONS, MplBufferedMessages, MplSeedSet, OPENTHREAD_MPL_TIMING } from '../net/mpl.ts';
import { toHex } from '../wire/bytes.ts';
import { macFrameLayout, parseMacFrame, type AuxSecurityHeader } from '../wire/ieee802154.ts';
import { decompressHeaders, type LowpanContext } from '../wire/iphc.ts';
import { ipv6, ipv6Equal, isMulticast, multicastScope, Scope, type Ipv6Address, type LinkAddress } from '../wire/ipv6-address.ts';
import { Icmpv6Type, type Icmpv6Message } from '../wire/icmpv6.ts';
import { emitIpv6, NextHeader, type Ipv6Packet } from '../wire/ipv6.ts';
import { parseLowpanFrame, type MeshHeader } from '../wire/sixlowpan.ts';
import { MLE_UDP_PORT } from '../wire/mle.ts';
import type { KeyManager } from './keys.ts';
import { secureMacPayload, THREAD_MAC_SECURITY_LEVEL, unsecureMacPayload } from '../mac/frame-security.ts';
import type { ReplayGuard } from '../mac/replay.ts';

/** How a datagram reached us over its last hop. */
export interface LinkInfo {
  /** Last-hop link source. */
  src: LinkAddress;
  rssiDbm: number;
  /** RSSI over the receiver's noise floor, dB (what the Link Margin TLV carries). */
  linkMarginDb: number;
  lqi: number;
  /** MAC-secured on the last hop. */
  secured: boolean;
}

/** A UDP datagram to send: addresses, ports, payload and the hop limit. */
export type UdpSend = UdpDatagram;

export interface UdpReceive extends UdpSend {
  link: LinkInfo;
  /** Radio hops of the last IP-level leg: the mesh header's (RFC 4944 §5.2), the MPL tunnel's, or 1. */
  legHops: number;
  /** The hop limit arrived as sent (inside an MPL tunnel only the outer header counts down). */
  hopLimitKept: boolean;
}

/**
 * Radio hops a datagram travelled: its last leg, plus one per IP-level forwarder before it
 * (each decremented the hop limit; counted against `originHopLimit`, see `hopsTravelled`).
 */
export function threadHops(m: UdpReceive, originHopLimit: number): number {
  return radioHops({ ...m, loopback: false }, originHopLimit);
}

/** An ICMPv6 Echo Reply for us, as the link saw it (hops counted as for UdpReceive). */
export interface EchoReplyReceive {
  src: Ipv6Address;
  identifier: number;
  sequence: number;
  data: Uint8Array;
  hopLimit: number;
  legHops: number;
}


/** The network service the Thread engine sends MLE and TMF through. */
export interface ThreadNetwork {
  sendUdp(d: UdpSend, done?: (delivered: boolean) => void): void;
  onUdp(port: number, handler: (m: UdpReceive) => void): void;
}

const IPV6_HEADER_LENGTH = 40;
/** ICMPv6 Destination Unreachable code 0, no route to destination (RFC 4443 §3.1). */
const ICMP_NO_ROUTE = 0;

/** What the adapter asks the engine (routing and addressing are the engine's). */
export interface ThreadLinkHooks {
  keys(): KeyManager;
  replay(): ReplayGuard;
  meshLocalPrefix(): Uint8Array;
  /** The contexts the network data gives (Context sub-TLVs, IDs 1-15), besides context 0. */
  networkContexts?(): readonly LowpanContext[];
  /** Our RLOC16, undefined while detached. */
  rloc16(): number | undefined;
  isOurAddress(a: Ipv6Address): boolean;
  /** RLOC16 of the node owning a mesh-local address (RLOC IID or a known ML-EID). */
  resolve(a: Ipv6Address): number | undefined;
  /** Next hop (an RLOC16 we have a link to) towards `rloc16`, undefined without a route. */
  nextHop(rloc16: number): number | undefined;
  /** Whether we forward datagrams not for us (routers and the leader). */
  forwarding(): boolean;
  /** The address we seed MPL messages from (our mesh-local RLOC), undefined while detached. */
  mplSeed(): Ipv6Address | undefined;
  /** The extended address of a neighbour by its RLOC16 (MAC security's nonce needs it for a short source). */
  extOfRloc16?(rloc16: number): Uint8Array | undefined;
  /** Asks the mesh who owns an address `resolve` does not know (Address Query); undefined: nobody answered. */
  queryAddress?(a: Ipv6Address, answered: (rloc16: number | undefined) => void): void;
  /** A router said it has no route to the RLOC16 we sent `eid`'s datagram to: the cached mapping is stale. */
  unreachable?(eid: Ipv6Address): void;
}

export interface ThreadLinkCounters {
  txFrames: number;
  txSecured: number;
  rxFrames: number;
  rxSecured: number;
  /** Secured frames whose MIC did not verify, or with an unknown key index. */
  rxSecurityErrors: number;
  /** Secured frames dropped by the replay guard (counter below the next expected one). */
  rxReplayDropped: number;
  /** Unsecured frames that carried anything but MLE. */
  rxInsecureDropped: number;
  rxMalformed: number;
  forwarded: number;
  noRoute: number;
  /** MPL messages we transmitted for other seeds (first copies and retransmissions). */
  mplForwarded: number;
  /** MPL copies dropped because their (seed, sequence) had been seen. */
  mplDuplicates: number;
}

/** How a datagram reached the IPv6 layer over Thread's link: the last hop, and the mesh header it came behind. */
interface ThreadArrival {
  link: LinkInfo;
  mesh: MeshHeader | undefined;
}

/** Receiver noise floor for link margin; the sim's default sensitivity (medium.ts). */
export const NOISE_FLOOR_DBM = -100;
/**
 * Hops Left of a mesh header we originate; a receiver counts the hops from it, so every node
 * must start from the same value: OpenThread's kMeshHeaderHopsLeft, kMaxRouteCost (16) + 3
 * (src/core/thread/message_framer.hpp). With 15, a datagram from an OpenThread node two hops
 * away counted −2 hops here.
 */
const MESH_HOPS = 19;
/**
 * What MAC security adds to a Thread data frame: the auxiliary security header of key ID
 * mode 1 (security control 1, frame counter 4, key index 1) and the 4-byte MIC of level 5
 * (IEEE 802.15.4-2006 §7.6.2; thread.md §3).
 */
const THREAD_MAC_SECURITY_OVERHEAD = 6 + 4;
/**
 * OpenThread's MAC defaults (src/core/config/mac.h): 15 retries of a direct frame
 * (OPENTHREAD_CONFIG_MAC_DEFAULT_MAX_FRAME_RETRIES_DIRECT), a random delay before a
 * retransmission after a missing ACK with BE 0..5 (..._RETX_DELAY_MIN/MAX_BACKOFF_EXPONENT),
 * and 8 ms of collision avoidance after a frame a relay will forward
 * (..._COLLISION_AVOIDANCE_DELAY_INTERVAL).
 */
const OPENTHREAD_TX_POLICY: TxPolicy = { maxFrameRetries: 15, noAckRetxDelay: { minBE: 0, maxBE: 5 }, collisionAvoidanceDelayUs: 8_000 };
export { MPL_TUNNEL_HOP_LIMIT };
/** Groups every Thread interface listens to (RFC 4291 §2.7.1; ff03::fc, RFC 7731 §4.1). */
const IMPLICIT_GROUPS = ['ff02::1', 'ff02::2', 'ff03::1', 'ff03::2', 'ff03::fc'].map(ipv6);

/** The RLOC16 behind an IID of the form 0000:00ff:fe00:XXXX (thread.md §5), else undefined. */
export function rloc16FromIid(a: Ipv6Address): number | undefined {
  if (a[8] !== 0 || a[9] !== 0 || a[10] !== 0 || a[11] !== 0xff || a[12] !== 0xfe || a[13] !== 0) return undefined;
  return ((a[14] ?? 0) << 8) | (a[15] ?? 0);
}

/** One datagram's frames for the MAC (`relayed`: the MAC destination forwards them on). */
interface TxJob {
  payloads: Uint8Array[];
  dst: LinkAddress;
  secure: boolean;
  relayed: boolean;
  done?: (ok: boolean) => void;
}

export class ThreadLink implements ThreadNetwork {
  readonly counters: ThreadLinkCounters = {
    txFrames: 0,
    txSecured: 0,
    rxFrames: 0,
    rxSecured: 0,
    rxSecurityErrors: 0,
    rxReplayDropped: 0,
    rxInsecureDropped: 0,
    rxMalformed: 0,
    forwarded: 0,
    noRoute: 0,
    mplForwarded: 0,
    mplDuplicates: 0,
  };
  /** Our MAC frame counter, advanced by every secured frame we send. */
  private macFrameCounter = 0;
  private echoReplyHandler: ((r: EchoReplyReceive) => void) | undefined;
  private readonly adaptation: LowpanAdaptation<LinkInfo>;
  private readonly ip6: Ip6<ThreadArrival>;
  private readonly seedSet = new MplSeedSet();
  private readonly buffered: MplBufferedMessages;
  /**
   * Datagrams wait here while one is on its way to the MAC, and go one whole datagram at a
   * time, every fragment of one before the first of the next, as OpenThread's MeshForwarder
   * sends (HandleSentFrame keeps mSendMessage until its last fragment has been sent; the
   * next message is taken from the send queue after). Handed to the MAC as they came,
   * datagrams that overlap (a paced stream from a host that fell behind) had their
   * fragments interleaved, and more than a receiver's reassembly buffers (Nanostack's 8)
   * at once were each evicted before they completed: none arrived. MLE goes ahead of the
   * waiting data, as OpenThread queues it at a higher priority (Message::kPriorityNet).
   */
  private readonly txWaiting: TxJob[] = [];
  private txBusy = false;

  constructor(
    private readonly mac: Mac,
    timers: Timers,
    private readonly rng: Rng,
    private readonly hooks: ThreadLinkHooks,
  ) {
    this.adaptation = new LowpanAdaptation<LinkInfo>({
      timers,
      contexts: () => this.contexts(),
      firstTag: 0,
      meshArrived: (mesh, frame, info) => this.meshArrived(mesh, frame, info),
      onDatagram: (d, arrival) => this.receiveDatagram(d, arrival.frame, arrival.mesh),
    });
    this.buffered = new MplBufferedMessages(timers, rng, OPENTHREAD_MPL_TIMING);
    this.ip6 = new Ip6<ThreadArrival>(IMPLICIT_GROUPS, { seeds: this.seedSet, buffered: this.buffered, firstSequence: () => this.rng.int(256) }, {
      isOwn: (a) => this.hooks.isOurAddress(a),
      forwarding: () => this.hooks.forwarding(),
      forwardMpl: (p, datagram, sequence) => {
        const copy = datagram.slice();
        copy[7] = p.hopLimit - 1; // an MPL forwarder forwards at the IP layer (ip6_mpl.cpp: hopLimit--)
        this.bufferMpl(copy, p.src, sequence, MPL_ROUTER_TRANSMISSIONS, true);
      },
      notForUs: (p, datagram, a) => this.forwardDatagram(p, datagram, a),
      admit: (what, a) => {
        // MLE travels without MAC security (it has its own); anything else unsecured is dropped.
        if (a.link.secured) return true;
        if ('icmp' in what) return false;
        if ('udp' in what && what.udp.srcPort === MLE_UDP_PORT && what.udp.dstPort === MLE_UDP_PORT) return true;
        this.counters.rxInsecureDropped++;
        return false;
      },
      icmp: (m, a) => {
        if (m.kind === 'unknown' && m.type === Icmpv6Type.destinationUnreachable && m.code === ICMP_NO_ROUTE && m.body.length >= 4 + IPV6_HEADER_LENGTH) {
          // OpenThread AddressResolver::HandleIcmpReceive: the invoking datagram's destination is evicted.
          this.hooks.unreachable?.(m.body.slice(4 + 24, 4 + 40));
          return true;
        }
        if (m.kind !== 'echoReply') return false;
        const p = a.packet;
        this.echoReplyHandler?.({ src: p.src, identifier: m.identifier, sequence: m.sequence, data: m.data, hopLimit: p.hopLimit, legHops: a.legHops });
        return true;
      },
      sendEchoReply: (reply, src, dst) => this.sendIcmp(reply, src, dst, DEFAULT_HOP_LIMIT),
      count: (e) => {
        if (e === 'malformed') this.counters.rxMalformed++;
        else if (e === 'mplDuplicate') this.counters.mplDuplicates++;
      },
    });
    mac.setTxPolicy(OPENTHREAD_TX_POLICY);
    mac.onDataIndication((ind) => this.receiveFrame(ind));
  }

  /** Our MAC frame counter (the Link Frame Counter TLV carries it). */
  get frameCounter(): number {
    return this.macFrameCounter;
  }

  /** Echo Replies addressed to us go here (the ping application). */
  onEchoReply(handler: ((r: EchoReplyReceive) => void) | undefined): void {
    this.echoReplyHandler = handler;
  }

  /** An ICMPv6 Echo Request (RFC 4443 §4.1) from `src`; the reply comes to `onEchoReply`. */
  sendEchoRequest(src: Ipv6Address, dst: Ipv6Address, identifier: number, sequence: number, data: Uint8Array, hopLimit: number): void {
    this.sendIcmp({ kind: 'echoRequest', identifier, sequence, data }, src, dst, hopLimit);
  }

  private sendIcmp(m: Icmpv6Message, src: Ipv6Address, dst: Ipv6Address, hopLimit: number): void {
    this.sendDatagram(emitIpv6(icmpPacket(m, src, dst, hopLimit)), dst, true);
  }

  onUdp(port: number, handler: (m: UdpReceive) => void): void {
    this.ip6.onUdp(port, (a) =>
      handler({ src: a.src, dst: a.dst, srcPort: a.srcPort, dstPort: a.dstPort, hopLimit: a.hopLimit, payload: a.payload, link: a.meta.link, legHops: a.legHops, hopLimitKept: a.hopLimitKept }),
    );
  }

  offUdp(port: number): void {
    this.ip6.offUdp(port);
  }

  /** The multicast groups we listen to (the implicit ones cannot be left). */
  get groups(): MulticastGroups {
    return this.ip6.groups;
  }

  /** Forgets buffered MPL messages and seen seeds (on disconnect). */
  reset(): void {
    this.buffered.clear();
    this.seedSet.clear();
  }

  sendUdp(d: UdpSend, done?: (delivered: boolean) => void): void {
    const packet = udpPacket(d);
    if ((multicastScope(d.dst) ?? 0) >= Scope.realmLocal) return this.sendMpl(packet, done);
    // Thread secures everything at the MAC but MLE (thread.md §3).
    const secure = !(d.srcPort === MLE_UDP_PORT && d.dstPort === MLE_UDP_PORT);
    this.sendDatagram(emitIpv6(packet), d.dst, secure, done);
  }

  /**
   * We seed an MPL Data Message: tag it (tunnelled when wider than realm-local), send it, and buffer it if we forward.
   * As OpenThread (ip6.cpp AddTunneledMplOption, ip6_mpl.cpp InitOption): a tunnel leaves from our
   * mesh-local RLOC with the seed elided (S = 0); a realm-local datagram from another source names
   * our RLOC16 as its seed (S = 1). OpenThread drops an S = 0 message whose source is not an RLOC.
   */
  private sendMpl(p: Ipv6Packet, done?: (delivered: boolean) => void): void {
    const realm = multicastScope(p.dst) === Scope.realmLocal;
    const rloc = this.hooks.mplSeed();
    const rloc16 = this.hooks.rloc16();
    if (!rloc || rloc16 === undefined) {
      done?.(false);
      return;
    }
    const outer: Ipv6Packet = realm
      ? p
      : { trafficClass: 0, flowLabel: 0, nextHeader: NextHeader.ipv6, hopLimit: MPL_TUNNEL_HOP_LIMIT, src: rloc, dst: ALL_MPL_FORWARDERS, payload: emitIpv6(p) };
    const seed = outer.src;
    // Drawn at the first message, so that a node without multicast uses no randomness for it.
    const seeded = this.ip6.seedMpl(outer, ipv6Equal(seed, rloc) ? undefined : rloc16);
    if (!seeded) {
      done?.(false);
      return;
    }
    const { packet: tagged, sequence } = seeded;
    const bytes = emitIpv6(tagged);
    this.sendDatagram(bytes, tagged.dst, true, done);
    // Our own first copy counts as one of the buffered message's transmissions (ip6_mpl.cpp AddBufferedMessage).
    if (this.hooks.forwarding()) this.bufferMpl(bytes, seed, sequence, MPL_ROUTER_TRANSMISSIONS - 1, false);
  }

  /** Transmits an MPL message `count` more times while we are a forwarder. */
  private bufferMpl(datagram: Uint8Array, seed: Ipv6Address, sequence: number, count: number, forwarded: boolean): void {
    const dst = datagram.slice(24, 40);
    this.buffered.buffer(seed, sequence, count, () => {
      if (!this.hooks.forwarding()) return;
      if (forwarded) this.counters.mplForwarded++;
      this.sendDatagram(datagram, dst, true);
    });
  }

  private contexts(): LowpanContext[] {
    const fromData = (this.hooks.networkContexts?.() ?? []).filter((c) => c.id !== 0);
    return [{ id: 0, prefix: this.hooks.meshLocalPrefix(), length: 64 }, ...fromData];
  }

  /** Where a datagram to `dst` goes: the MAC destination and, for more than one hop, a mesh header. */
  private route(dst: Ipv6Address, secure: boolean): { mac: LinkAddress; mesh?: MeshHeader } | undefined {
    if (isMulticast(dst)) {
      // An end device sends a secured multicast (not MLE) as a unicast to its parent, acked and
      // retried, and the parent floods it; as OpenThread (mesh_forwarder.cpp UpdateIp6Route).
      const own = this.hooks.rloc16();
      const parent = secure && !this.hooks.forwarding() && own !== undefined ? this.hooks.nextHop(own) : undefined;
      return { mac: { mode: 'short', short: parent ?? BROADCAST_SHORT } };
    }
    if (dst[0] === 0xfe && (dst[1]! & 0xc0) === 0x80) {
      const short = rloc16FromIid(dst);
      if (short !== undefined) return { mac: { mode: 'short', short } };
      const ext = dst.slice(8, 16);
      ext[0] = ext[0]! ^ 0x02;
      return { mac: { mode: 'ext', ext } };
    }
    const target = this.hooks.resolve(dst);
    const own = this.hooks.rloc16();
    if (target === undefined || own === undefined) return undefined;
    const hop = this.hooks.nextHop(target);
    if (hop === undefined) return undefined;
    // A child hands everything to its parent without a mesh header: the parent forwards it at
    // the IP level and counts the hop limit down, as OpenThread's parents do (measured: a ping
    // between a leader and a child behind a router arrives with hop limit 63 both ways).
    if (hop === target || !this.hooks.forwarding()) return { mac: { mode: 'short', short: hop } };
    return {
      mac: { mode: 'short', short: hop },
      mesh: { hopsLeft: MESH_HOPS, originator: { mode: 'short', short: own }, final: { mode: 'short', short: target } },
    };
  }

  private sendDatagram(datagram: Uint8Array, dst: Ipv6Address, secure: boolean, done?: (ok: boolean) => void, queried = false): void {
    const r = this.route(dst, secure);
    if (!r && !queried && this.hooks.queryAddress && !isMulticast(dst) && rloc16FromIid(dst) === undefined && this.hooks.rloc16() !== undefined && this.hooks.resolve(dst) === undefined) {
      // Held until the owner answers the Address Query (or it times out).
      this.hooks.queryAddress(dst, (rloc16) => {
        if (rloc16 === undefined) {
          this.counters.noRoute++;
          done?.(false);
        } else this.sendDatagram(datagram, dst, secure, done, true);
      });
      return;
    }
    if (!r) {
      this.counters.noRoute++;
      done?.(false);
      return;
    }
    const macSrc = this.macSource(r.mac, secure);
    const frames = this.adaptation.frames(datagram, {
      macSrc: macSrc.mode === 'short' ? macSrc : { mode: 'ext', ext: this.mac.getExtAddress() },
      macDst: r.mac,
      ...(r.mesh ? { mesh: r.mesh } : {}),
      maxPayload: macPayloadRoom(r.mac, macSrc.mode, secure ? THREAD_MAC_SECURITY_OVERHEAD : 0),
    });
    if (!frames.ok) {
      done?.(false);
      return;
    }
    this.queueFrames({ payloads: frames.value, dst: r.mac, secure, relayed: r.mesh !== undefined, ...(done ? { done } : {}) });
  }

  private queueFrames(job: TxJob): void {
    if (job.secure) this.txWaiting.push(job);
    else {
      const firstData = this.txWaiting.findIndex((j) => j.secure);
      this.txWaiting.splice(firstData < 0 ? this.txWaiting.length : firstData, 0, job);
    }
    this.pumpTx();
  }

  private pumpTx(): void {
    if (this.txBusy) return;
    const job = this.txWaiting.shift();
    if (!job) return;
    this.txBusy = true;
    this.sendFrames(
      job.payloads,
      job.dst,
      job.secure,
      (ok) => {
        this.txBusy = false;
        job.done?.(ok);
        this.pumpTx();
      },
      job.relayed,
    );
  }

  /**
   * Secured unicast to a neighbour's RLOC16 goes out from our RLOC16 once we have one,
   * as OpenThread sends data frames (6 bytes less header). Broadcasts keep the extended
   * source, so any receiver (and a capture tool) builds the nonce without a neighbour
   * entry; MLE, secured by MLE itself, keeps it too.
   */
  private macSource(dst: LinkAddress, secure: boolean): { mode: 'short'; short: number } | { mode: 'ext' } {
    const own = this.hooks.rloc16();
    const unicast = dst.mode === 'short' && dst.short !== BROADCAST_SHORT;
    return secure && unicast && own !== undefined && this.hooks.extOfRloc16 ? { mode: 'short', short: own } : { mode: 'ext' };
  }

  /** `relayed`: the MAC destination forwards these frames on (a mesh header names another final destination). */
  private sendFrames(payloads: Uint8Array[], dst: LinkAddress, secure: boolean, done?: (ok: boolean) => void, relayed = false): void {
    const [first, ...rest] = payloads;
    if (!first) {
      done?.(true);
      return;
    }
    const keys = this.hooks.keys();
    const fc = this.macFrameCounter;
    if (secure) this.macFrameCounter = (this.macFrameCounter + 1) >>> 0;
    const header: AuxSecurityHeader = { level: THREAD_MAC_SECURITY_LEVEL, keyId: { mode: 1, index: keys.keyIndex }, frameCounter: fc };
    const macKey = keys.current.macKey;
    const extAddress = this.mac.getExtAddress();
    this.counters.txFrames++;
    if (secure) this.counters.txSecured++;
    this.mac.dataRequest(
      {
        dstPan: this.mac.getPanId(),
        dst,
        srcMode: this.macSource(dst, secure).mode,
        payload: first,
        ackRequest: true,
        peerForwards: relayed,
        ...(secure
          ? { security: { header, secure: (h: Uint8Array, p: Uint8Array) => secureMacPayload(h, p, { key: macKey, extAddress, frameCounter: fc, securityLevel: THREAD_MAC_SECURITY_LEVEL }) } }
          : {}),
      },
      (status) => {
        const broadcast = dst.mode === 'short' && dst.short === BROADCAST_SHORT;
        if (status !== 'success' && !broadcast) return done?.(false);
        this.sendFrames(rest, dst, secure, done, relayed);
      },
    );
  }

  private receiveFrame(ind: MacDataIndication): void {
    this.counters.rxFrames++;
    let payload = ind.payload;
    let secured = false;
    if (ind.security) {
      const opened = this.openSecured(ind);
      if (opened === undefined) return;
      payload = opened;
      secured = true;
      this.counters.rxSecured++;
    }
    const margin = ind.rssiDbm - NOISE_FLOOR_DBM;
    const info: LinkInfo = { src: ind.src.mode === 'none' ? { mode: 'short', short: BROADCAST_SHORT } : ind.src, rssiDbm: ind.rssiDbm, linkMarginDb: margin, lqi: ind.lqi, secured };
    const dst: LinkAddress = ind.dst.mode === 'none' ? { mode: 'short', short: BROADCAST_SHORT } : ind.dst;
    const verdict = this.adaptation.receive(payload, info.src, dst, info);
    if (verdict === 'malformed' || verdict === 'undecodable') this.counters.rxMalformed++;
  }

  /** A mesh header addressed to us is delivered here; one for another RLOC16 is relayed on, anything else dropped. */
  private meshArrived(mesh: MeshHeader, frame: Uint8Array, info: LinkInfo): boolean {
    const own = this.hooks.rloc16();
    if (mesh.final.mode !== 'short' || own === undefined) return false;
    if (mesh.final.short === own) return true;
    this.forwardMesh(mesh, frame, info.secured);
    return false;
  }

  /** Verifies and decrypts a secured frame, then applies the replay guard; undefined = dropped. */
  private openSecured(ind: MacDataIndication): Uint8Array | undefined {
    const sec = ind.security;
    // A short source names a neighbour; its extended address makes the nonce (IEEE 802.15.4-2006 §7.6.3.2).
    const srcExt = ind.src.mode === 'ext' ? ind.src.ext : ind.src.mode === 'short' ? this.hooks.extOfRloc16?.(ind.src.short) : undefined;
    if (!sec || !ind.psdu || sec.keyId.mode !== 1 || !srcExt) {
      this.counters.rxSecurityErrors++;
      return undefined;
    }
    const keys = this.hooks.keys().macKeyForIndex(sec.keyId.index);
    const frame = parseMacFrame(ind.psdu);
    if (!keys || !frame.ok) {
      this.counters.rxSecurityErrors++;
      return undefined;
    }
    const layout = macFrameLayout(frame.value);
    const opened = unsecureMacPayload(ind.psdu.subarray(0, layout.privateStart), ind.psdu.subarray(layout.privateStart, layout.fcsOffset), {
      key: keys.macKey,
      extAddress: srcExt,
      frameCounter: sec.frameCounter,
      securityLevel: sec.level as 5,
    });
    if (!opened.ok) {
      this.counters.rxSecurityErrors++;
      return undefined;
    }
    const verdict = this.hooks.replay().admit(toHex(srcExt), 'link', keys.keySequence, sec.frameCounter);
    if (!verdict.accept) {
      this.counters.rxReplayDropped++;
      return undefined;
    }
    return opened.value;
  }

  private forwardMesh(mesh: MeshHeader, payload: Uint8Array, secured: boolean): void {
    if (!this.hooks.forwarding() || !secured || mesh.hopsLeft <= 1 || mesh.final.mode !== 'short') return;
    const hop = this.hooks.nextHop(mesh.final.short);
    if (hop === undefined) {
      this.counters.noRoute++;
      this.sendNoRoute(mesh, payload);
      return;
    }
    this.counters.forwarded++;
    this.queueFrames({ payloads: [relayMeshFrame(mesh, payload)], dst: { mode: 'short', short: hop }, secure: true, relayed: hop !== mesh.final.short });
  }

  /**
   * A mesh frame we cannot forward (its final RLOC16 is no child of ours and no router we
   * have a route to: a child that became a router has a new one) is answered as OpenThread
   * does (mesh_forwarder_ftd.cpp CheckReachability): ICMPv6 Destination Unreachable, no route
   * to destination (RFC 4443 §3.1, code 0), to its source, carrying the invoking IPv6 header
   * (Icmp::SendError), so the source forgets the stale EID-to-RLOC16 mapping and asks again.
   * Only from the first frame of a datagram (it holds the header), never about an ICMPv6 error.
   */
  private sendNoRoute(mesh: MeshHeader, payload: Uint8Array): void {
    const own = this.hooks.mplSeed();
    const f = parseLowpanFrame(payload);
    if (!own || !f.ok || f.value.frag?.kind === 'fragN') return;
    const h = decompressHeaders(f.value.rest, { src: mesh.originator, dst: mesh.final, contexts: this.contexts(), ...(f.value.frag ? { datagramSize: f.value.frag.datagramSize } : {}) });
    if (!h.ok || h.value.headers.length < IPV6_HEADER_LENGTH) return;
    const header = h.value.headers.subarray(0, IPV6_HEADER_LENGTH);
    const src = header.slice(8, 24);
    const upperType = h.value.headers[IPV6_HEADER_LENGTH];
    if (isMulticast(src) || (header[6] === NextHeader.icmpv6 && upperType !== undefined && upperType < Icmpv6Type.echoRequest)) return;
    const body = new Uint8Array(4 + IPV6_HEADER_LENGTH);
    body.set(header, 4);
    this.sendIcmp({ kind: 'unknown', type: Icmpv6Type.destinationUnreachable, code: ICMP_NO_ROUTE, body }, own, src, DEFAULT_HOP_LIMIT);
  }

  private receiveDatagram(datagram: Uint8Array, info: LinkInfo, mesh: MeshHeader | undefined): void {
    // Forwarders decremented Hops Left from what the originator put in (RFC 4944 §5.2).
    this.ip6.receive(datagram, { meta: { link: info, mesh }, legHops: mesh ? MESH_HOPS - mesh.hopsLeft + 1 : 1, hopLimitKept: false, loopback: false });
  }

  /** A one-hop datagram for someone else (a child's traffic through its parent): routed on at the IP level. */
  private forwardDatagram(p: Ipv6Packet, datagram: Uint8Array, a: ThreadArrival): void {
    if (!a.link.secured || !this.hooks.forwarding() || a.mesh || p.hopLimit <= 1) return;
    this.counters.forwarded++;
    const fwd = datagram.slice();
    fwd[7] = p.hopLimit - 1;
    this.sendDatagram(fwd, p.dst, true);
  }
}
