// The Thread node's MLE (OpenThread mle.cpp / mle_router.cpp as summarised in
// reference thread.md §1 and openthread-cli.md §6; constants in constants.ts): the
// state its parts share (role, RLOC16, leader data, neighbours, router table,
// network data), our addresses, the MLE messages in and out (secured, replay
// checked) and the once-a-second housekeeping. The work is done by its parts, each
// with one job, as OpenThread splits it:
//   attach.ts                 attach and keep-alive (the child's side)
//   router-role.ts            the parent side and a REED's upgrade to router
//   router-links.ts           links between routers, advertisements, routes, network data
//   leader.ts                 the leader: partition, router IDs, network data registry
//   network-data-notifier.ts  a border router's registration with the leader
//   router-table.ts, address-resolver.ts, tmf-agent.ts
//
// Everything runs on injected timers and randomness, through a ThreadNetwork
// (UDP over 6LoWPAN) for its messages.
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import { after, SECOND } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import { ipv6, ipv6Equal, prefixMatches, type Ipv6Address } from '../wire/ipv6-address.ts';
import { MLE_UDP_PORT, type LeaderData, type MleCommandName, type MleTlv, type Route64 } from '../wire/mle.ts';
import * as C from './constants.ts';
import type { Neighbour, NeighbourKind } from './neighbour.ts';
import { isRouterRloc16, rloc16OfRouter, routerIdOf, rlocIid } from './rloc.ts';
import { comparePartitions } from './partition.ts';
import { Attacher } from './attach.ts';
import { Leader } from './leader.ts';
import { RouterLinks } from './router-links.ts';
import { RouterRole } from './router-role.ts';
import { NetworkDataNotifier } from './network-data-notifier.ts';
import { RouterTable } from './router-table.ts';
import { KeyManager } from './keys.ts';
import type { ThreadNetwork, UdpReceive } from './link.ts';
import { rloc16FromIid } from './link.ts';
import { secureMle, unsecureMle } from './mle-security.ts';
import { lowpanContexts, slaacPrefixes, type NetworkDataTlv } from './network-data.ts';
import type { LowpanContext } from '../wire/iphc.ts';
import { ReplayGuard } from '../mac/replay.ts';
import { TMF_UDP_PORT } from './tmf.ts';
import { TmfAgent, type TmfExchange } from './tmf-agent.ts';
import type { CoapMessage } from './tmf.ts';
import { AddressResolver, type ChildClaim, type ResolverCounters } from './address-resolver.ts';
import type { ThreadCounters, ThreadEngineConfig, ThreadEngineObserver, ThreadEngineView, ThreadRole } from './engine-api.ts';

export type { ThreadCounters, ThreadDeviceType, ThreadEngineConfig, ThreadEngineObserver, ThreadEngineView, ThreadRole } from './engine-api.ts';

const HOP_LIMIT_MLE = 255;

export { comparePartitions, routerIdOf, rloc16OfRouter, isRouterRloc16 };

export class ThreadMle implements ThreadEngineView {
  readonly counters: ThreadCounters = {
    attachAttempts: 0,
    parentRequests: 0,
    partitionIdChanges: 0,
    betterPartitionAttachAttempts: 0,
    parentChanges: 0,
    mleRx: 0,
    mleTx: 0,
    mleSecurityErrors: 0,
    mleReplayDropped: 0,
    mleBadHopLimit: 0,
    addressSolicits: 0,
    routerIdsAssigned: 0,
  };
  readonly keys: KeyManager;
  readonly replay = new ReplayGuard<string>();
  readonly mlEid: Ipv6Address;
  private roleValue: ThreadRole = 'disabled';

  // The state MLE's parts share; read and written by them, not outside stack/thread.
  rloc: number | undefined;
  leaderData: LeaderData | undefined;
  /** The partition's router IDs and our routes to them. */
  readonly routerTable: RouterTable;
  readonly neighbours = new Map<string, Neighbour>();
  networkData: NetworkDataTlv[] = [];
  mleFrameCounter = 0;

  // MLE's parts, each with one job.
  /** Attach and keep-alive (the child's side). */
  readonly attacher: Attacher;
  /** The parent side and a REED's upgrade to router. */
  readonly router: RouterRole;
  /** Links between routers, advertisements, the router set and network data they carry. */
  readonly links: RouterLinks;
  /** The leader's job: partition, router IDs, network data registry. */
  readonly leader: Leader;
  /** A border router's registration of its prefix with the leader. */
  readonly notifier: NetworkDataNotifier;
  /** Thread Management Framework: CoAP with retransmission (a/as, a/sd, a/an, a/ae, a/aq). */
  readonly tmf: TmfAgent;
  /** EID → RLOC16: the address cache and its queries. */
  readonly resolver: AddressResolver;
  /** Our addresses an Address Error gave to another node. */
  private readonly refusedAddresses: Ipv6Address[] = [];
  /** Unicast addresses added beyond those Thread derives (addAddress). */
  private addedAddresses: Ipv6Address[] = [];
  private globals: Ipv6Address[] = [];
  /** Bumped on stop and on every role reset, so stale timers do nothing. */
  private epoch = 0;
  private timers: Timer[] = [];
  private housekeeping: Timer | undefined;

  constructor(
    readonly cfg: ThreadEngineConfig,
    readonly env: { timers: Timers; rng: Rng; extAddress: Uint8Array; linkFrameCounter: () => number },
    private readonly net: ThreadNetwork,
    readonly setShortAddress: (rloc16: number | undefined) => void,
    readonly observer: ThreadEngineObserver,
  ) {
    this.keys = new KeyManager(cfg.networkKey, cfg.keySequence);
    const iid = new Uint8Array(8);
    for (let i = 0; i < 8; i++) iid[i] = env.rng.int(256);
    this.mlEid = this.meshLocal(iid);
    this.routerTable = new RouterTable(() => this.neighbours.values());
    this.links = new RouterLinks(this);
    this.router = new RouterRole(this);
    this.tmf = new TmfAgent(net, env.timers, env.rng);
    this.resolver = new AddressResolver(
      {
        rlocAddress: () => (this.isAttached() ? this.rlocAddress : undefined),
        rloc16: () => (this.isAttached() ? this.rloc : undefined),
        mlIid: () => this.mlEid.subarray(8, 16),
        answersQueries: () => this.routerEligible(),
        ownsAddress: (a) => this.isAttached() && !ipv6Equal(a, this.linkLocal) && this.isOurAddress(a),
        // A router answers for its minimal children; a full-device child answers for itself (OpenThread HandleAddressQuery).
        childClaiming: (a) => this.childClaim(a),
        dropOwnAddress: (a) => this.refuseAddress(a),
        dropChildAddress: (rloc16, a) => {
          for (const n of this.neighbours.values()) if (n.kind === 'child' && n.rloc16 === rloc16) (n.refused ??= []).push(a.slice());
        },
      },
      this.tmf,
      env.timers,
    );
    this.attacher = new Attacher(this);
    this.leader = new Leader(this);
    this.notifier = new NetworkDataNotifier(this);
    net.onUdp(MLE_UDP_PORT, (m) => this.receiveMle(m));
    net.onUdp(TMF_UDP_PORT, (m) => {
      if (this.roleValue !== 'disabled') this.tmf.receive(m);
    });
  }

  // ---- public view ----

  get role(): ThreadRole {
    return this.roleValue;
  }
  get rloc16(): number | undefined {
    return this.rloc;
  }
  get partition(): LeaderData | undefined {
    return this.leaderData ? { ...this.leaderData } : undefined;
  }
  get linkLocal(): Ipv6Address {
    const iid = this.env.extAddress.slice();
    iid[0] = iid[0]! ^ 0x02;
    return this.withPrefix(ipv6('fe80::'), iid);
  }
  get rlocAddress(): Ipv6Address | undefined {
    return this.rloc === undefined ? undefined : this.meshLocal(rlocIid(this.rloc));
  }
  /**
   * A confirmable TMF request from our RLOC to the partition leader's (Address Solicit,
   * Server Data: Thread 1.1 §5.19, §5.15), retransmitted by the TMF agent until answered;
   * undefined while we have no RLOC16 or leader.
   */
  postToLeader(uri: string, payload: Uint8Array, answered: (ack: CoapMessage | undefined) => void): TmfExchange | undefined {
    const src = this.rlocAddress;
    if (!this.leaderData || src === undefined) return undefined;
    const dst = this.meshLocal(rlocIid(rloc16OfRouter(this.leaderData.leaderRouterId)));
    return this.tmf.post({ src, dst, uri, payload, confirmable: true, answered });
  }
  get globalAddresses(): Ipv6Address[] {
    return this.globals.slice();
  }
  get routerIdSet(): number[] {
    return this.routerTable.sorted();
  }
  get resolverCounters(): Readonly<ResolverCounters> {
    return this.resolver.counters;
  }
  get parentRloc16(): number | undefined {
    for (const n of this.neighbours.values()) if (n.kind === 'parent') return n.rloc16;
    return undefined;
  }
  neighbourList(): Array<{ ext: string; rloc16: number; kind: NeighbourKind; linkMarginDb: number }> {
    return [...this.neighbours.values()].map((n) => ({ ext: toHex(n.ext), rloc16: n.rloc16, kind: n.kind, linkMarginDb: n.linkMarginDb }));
  }
  isAttached(): boolean {
    return this.roleValue === 'child' || this.roleValue === 'router' || this.roleValue === 'leader';
  }
  routerEligible(): boolean {
    return this.cfg.deviceType === 'router';
  }

  /** Every unicast address of ours. */
  addresses(): Ipv6Address[] {
    const out = [this.linkLocal];
    if (this.isAttached()) {
      out.push(this.mlEid);
      const r = this.rlocAddress;
      if (r) out.push(r);
      if (this.roleValue === 'leader') out.push(this.meshLocal(rlocIid(0xfc00)));
      out.push(...this.globals, ...this.addedAddresses);
    }
    return out;
  }

  /**
   * Adds a unicast address of ours beyond those Thread derives, as OpenThread's
   * otIp6AddUnicastAddress does; a router or REED answers Address Queries for it.
   */
  addAddress(a: Ipv6Address): void {
    if (!this.addedAddresses.some((x) => ipv6Equal(x, a))) this.addedAddresses.push(a.slice());
  }

  isOurAddress(a: Ipv6Address): boolean {
    return this.addresses().some((x) => ipv6Equal(x, a));
  }

  // ---- start / stop ----

  start(): void {
    if (this.roleValue !== 'disabled') return;
    this.setRole('detached');
    this.attacher.startAttach('any', true);
    this.housekeeping = this.every(SECOND, () => this.tick());
  }

  stop(): void {
    this.epoch++;
    this.cancelAll();
    this.housekeeping?.cancel();
    this.housekeeping = undefined;
    this.neighbours.clear();
    this.resolver.clear();
    this.attacher.stop();
    this.rloc = undefined;
    this.setShortAddress(undefined);
    this.leaderData = undefined;
    this.routerTable.ids.clear();
    this.updateGlobals([]);
    this.setRole('disabled');
  }

  // ---- timers ----

  later(delay: Micros, fn: () => void): Timer {
    const epoch = this.epoch;
    const t = after(this.env.timers, Math.max(0, delay), () => {
      this.timers = this.timers.filter((x) => x !== t);
      if (epoch === this.epoch) fn();
    });
    this.timers.push(t);
    return t;
  }

  private every(period: Micros, fn: () => void): Timer {
    let current: Timer | undefined;
    const tick = (): void => {
      current = after(this.env.timers, period, () => {
        fn();
        tick();
      });
    };
    tick();
    return { cancel: () => current?.cancel() };
  }

  private cancelAll(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.attacher.cancel();
    this.router.cancel();
    this.notifier.cancel();
    this.tmf.abortAll();
    this.links.cancel();
  }

  jitter(max: Micros): Micros {
    return Math.floor(this.env.rng.next() * max);
  }

  randomBytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.env.rng.int(256);
    return b;
  }

  // ---- addresses ----

  private withPrefix(prefix: Uint8Array, iid: Uint8Array): Ipv6Address {
    const a = new Uint8Array(16);
    a.set(prefix.subarray(0, 8), 0);
    a.set(iid.subarray(0, 8), 8);
    return a;
  }

  meshLocal(iid: Uint8Array): Ipv6Address {
    return this.withPrefix(this.cfg.meshLocalPrefix, iid);
  }

  /**
   * RLOC16 of a unicast address on the mesh: RLOC/ALOC IIDs directly; our own
   * addresses; our children's (an SLAAC global shares its owner's ML-EID IID);
   * what an Address Notification taught us. Undefined: ask with queryAddress().
   */
  resolve(a: Ipv6Address): number | undefined {
    const onMeshLocal = prefixMatches(a, this.cfg.meshLocalPrefix, 64);
    if (onMeshLocal) {
      const short = rloc16FromIid(a);
      if (short !== undefined) {
        if (short === 0xfc00) return this.leaderData ? rloc16OfRouter(this.leaderData.leaderRouterId) : undefined;
        return short;
      }
    } else if (!this.onMeshPrefix(a)) return undefined;
    if (this.isOurAddress(a)) return this.rloc;
    const owner = this.childOwning(a);
    if (owner) return owner.rloc16;
    for (const n of this.neighbours.values()) if (n.mlEids.some((e) => ipv6Equal(e, a))) return n.rloc16;
    return this.resolver.lookup(a);
  }

  private contextsOf: { from: NetworkDataTlv[]; contexts: LowpanContext[] } | undefined;

  /** The 6LoWPAN contexts of the network data (besides context 0, the mesh-local prefix), read for every datagram. */
  lowpanContexts(): readonly LowpanContext[] {
    if (this.contextsOf?.from !== this.networkData) this.contextsOf = { from: this.networkData, contexts: lowpanContexts(this.networkData) };
    return this.contextsOf.contexts;
  }

  /** A neighbour's (router, parent or child) extended address by its RLOC16. */
  extOfNeighbour(rloc16: number): Uint8Array | undefined {
    for (const n of this.neighbours.values()) if (n.rloc16 === rloc16) return n.ext;
    return undefined;
  }

  /** Whether `a` is under a prefix the network data offers on-mesh. */
  private onMeshPrefix(a: Ipv6Address): boolean {
    return slaacPrefixes(this.networkData).some((p) => prefixMatches(a, p, 64));
  }

  private childOwning(a: Ipv6Address): Neighbour | undefined {
    for (const n of this.neighbours.values()) {
      if (n.kind !== 'child' || n.refused?.some((r) => ipv6Equal(r, a))) continue;
      if (n.mlEids.some((e) => ipv6Equal(e, a) || (this.onMeshPrefix(a) && bytesEqual(e.subarray(8, 16), a.subarray(8, 16))))) return n;
    }
    return undefined;
  }

  private childClaim(a: Ipv6Address): ChildClaim | undefined {
    if (!this.isRouterRole()) return undefined;
    const child = this.childOwning(a);
    const mlEid = child?.mlEids[0];
    if (!child || !mlEid || child.mode?.fullThreadDevice) return undefined;
    return { rloc16: child.rloc16, mlIid: mlEid.subarray(8, 16), lastHeard: child.lastHeard };
  }

  /** Address Error: another node keeps `a`; an SLAAC global of ours stays off from now on. */
  private refuseAddress(a: Ipv6Address): void {
    if (ipv6Equal(a, this.mlEid) || this.refusedAddresses.some((r) => ipv6Equal(r, a))) return;
    this.refusedAddresses.push(a.slice());
    this.addedAddresses = this.addedAddresses.filter((x) => !ipv6Equal(x, a));
    this.refreshGlobals();
  }

  /**
   * Address Query for an address `resolve` does not know (a/aq to the realm's routers,
   * with OpenThread's timeout and retry backoff: address-resolver.ts).
   */
  queryAddress(a: Ipv6Address, answered: (rloc16: number | undefined) => void): void {
    if (!this.isAttached()) return answered(undefined);
    this.resolver.query(a, answered);
  }

  // ---- roles ----

  setRole(role: ThreadRole): void {
    const previous = this.roleValue;
    if (previous === role) return;
    this.roleValue = role;
    this.observer.role(role, previous);
  }

  /** Drops every link and timer of the current attachment, keeping the node running. */
  resetAttachment(): void {
    this.epoch++;
    this.cancelAll();
    this.neighbours.clear();
    // RLOC16s belong to the partition we leave.
    this.resolver.clear();
    this.router.dropPendingChildren();
    this.rloc = undefined;
    this.setShortAddress(undefined);
    this.routerTable.ids.clear();
  }

  detach(): void {
    this.resetAttachment();
    this.leaderData = undefined;
    this.updateGlobals([]);
    this.setRole('detached');
    this.attacher.startAttach('any', false);
  }

  refreshGlobals(): void {
    const iid = this.mlEid.subarray(8, 16);
    const slaac = slaacPrefixes(this.networkData).map((p) => this.withPrefix(p, iid));
    this.updateGlobals(slaac.filter((a) => !this.refusedAddresses.some((r) => ipv6Equal(r, a))));
  }

  private updateGlobals(next: Ipv6Address[]): void {
    const same = next.length === this.globals.length && next.every((a, i) => ipv6Equal(a, this.globals[i]!));
    if (same) return;
    this.globals = next;
    this.observer.globalAddresses(next.slice());
  }

  /** A router or the leader. */
  isRouterRole(): boolean {
    return this.roleValue === 'router' || this.roleValue === 'leader';
  }

  /** A router-eligible end device (REED): a child that may become a router. */
  isReed(): boolean {
    return this.roleValue === 'child' && this.routerEligible();
  }

  // ---- routes ----

  route64(): Route64 {
    return this.routerTable.route64(this.ownRouterId());
  }

  /** Our router ID while we are a router or the leader. */
  private ownRouterId(): number | undefined {
    return this.rloc !== undefined && this.isRouterRole() ? routerIdOf(this.rloc) : undefined;
  }

  /** Path cost to router `id` through our router neighbours, undefined when unreachable. */
  routeCost(id: number): number | undefined {
    return this.routerTable.bestRoute(id, this.ownRouterId())?.cost;
  }

  /** Next hop (RLOC16 of a neighbour) towards `rloc16`. */
  nextHop(rloc16: number): number | undefined {
    if (!this.isAttached() || this.rloc === undefined) return undefined;
    if (this.roleValue === 'child') return this.parentRloc16;
    const myId = routerIdOf(this.rloc);
    const targetId = routerIdOf(rloc16);
    if (targetId === myId) {
      if (rloc16 === this.rloc) return undefined;
      for (const n of this.neighbours.values()) if (n.kind === 'child' && n.rloc16 === rloc16) return rloc16;
      return undefined;
    }
    return this.routerTable.bestRoute(targetId, this.ownRouterId())?.via.rloc16;
  }

  /**
   * The next hop towards `rloc16` as nextHop() gives it (the lookup mesh forwarding makes) and
   * the path cost to it as OpenThread counts it (router_table.cpp GetNextHopAndPathCost): 0 to
   * ourselves; a child of ours, its link's cost; a router, the best route's; a child elsewhere,
   * its parent's route plus a link of quality 3. An end device knows its parent's link only:
   * the cost past its parent's router ID is undefined. Undefined: no route.
   */
  nextHopAndCost(rloc16: number): { next: number; cost: number | undefined } | undefined {
    if (!this.isAttached() || this.rloc === undefined) return undefined;
    if (rloc16 === this.rloc) return { next: rloc16, cost: 0 };
    const next = this.nextHop(rloc16);
    if (next === undefined) return undefined;
    const margin = (short: number) => [...this.neighbours.values()].find((n) => n.rloc16 === short)?.linkMarginDb;
    const linkCostTo = (short: number) => {
      const m = margin(short);
      return m === undefined ? undefined : C.linkCost(C.linkQualityFromMargin(m));
    };
    const toChildOfRouter = isRouterRloc16(rloc16) ? 0 : C.linkCost(3);
    if (this.roleValue === 'child') {
      const link = linkCostTo(next);
      return { next, cost: link !== undefined && routerIdOf(rloc16) === routerIdOf(next) ? link + toChildOfRouter : undefined };
    }
    if (next === rloc16 && !isRouterRloc16(rloc16)) return { next, cost: linkCostTo(rloc16) };
    const cost = this.routeCost(routerIdOf(rloc16));
    return { next, cost: cost === undefined ? undefined : cost + toChildOfRouter };
  }

  // ---- housekeeping (once a second) ----

  private tick(): void {
    const now = this.env.timers.now();
    this.notifier.maintainServerData(now);
    for (const [k, n] of this.neighbours) {
      if (n.kind === 'router' && now - n.lastHeard > C.MAX_NEIGHBOR_AGE) {
        this.neighbours.delete(k);
        this.replay.remove(k);
      }
      if (n.kind === 'child' && now - n.lastHeard > (n.timeoutS ?? this.cfg.childTimeoutS) * SECOND) {
        this.neighbours.delete(k);
        this.replay.remove(k);
      }
    }
    this.router.expireParentResponses(now);
    if (this.roleValue === 'leader') this.leader.ageRouterIds(now);
    // Leader age (mle_router.cpp HandleStateUpdateTimer): no new ID sequence for NETWORK_ID_TIMEOUT
    // means the leader is gone, whatever stale routes to it the routers still tell each other.
    if (this.roleValue === 'router' && this.leaderData && now - this.routerTable.updatedAt >= C.NETWORK_ID_TIMEOUT) this.leader.becomeLeader();
  }

  // ---- MLE send / receive ----

  linkLocalOf(ext: Uint8Array): Ipv6Address {
    const iid = ext.slice();
    iid[0] = iid[0]! ^ 0x02;
    return this.withPrefix(ipv6('fe80::'), iid);
  }

  sendMle(dst: Ipv6Address, command: MleCommandName, tlvs: MleTlv[]): void {
    const fc = this.mleFrameCounter;
    this.mleFrameCounter = (this.mleFrameCounter + 1) >>> 0;
    const src = this.linkLocal;
    const payload = secureMle({ command, tlvs }, { source: src, destination: dst, keySequence: this.keys.keySequence, frameCounter: fc, mleKey: this.keys.current.mleKey });
    this.counters.mleTx++;
    this.net.sendUdp({ src, dst, srcPort: MLE_UDP_PORT, dstPort: MLE_UDP_PORT, hopLimit: HOP_LIMIT_MLE, payload });
  }

  private receiveMle(rx: UdpReceive): void {
    if (this.roleValue === 'disabled') return;
    if (rx.hopLimit !== HOP_LIMIT_MLE) {
      this.counters.mleBadHopLimit++;
      return;
    }
    const current = this.keys.keySequence;
    const opened = unsecureMle(rx.payload, rx.src, rx.dst, (seq) => (Math.abs(seq - current) <= 1 ? this.keys.keysFor(seq).mleKey : undefined));
    if (!opened.ok) {
      this.counters.mleSecurityErrors++;
      return;
    }
    const u = opened.value;
    if (!u.secured) return; // only Discovery may be plain; not handled here
    const ext = u.senderExtAddress;
    if (bytesEqual(ext, this.env.extAddress)) return;
    const verdict = this.replay.admit(toHex(ext), 'mle', u.keySequence, u.frameCounter);
    if (!verdict.accept) {
      this.counters.mleReplayDropped++;
      return;
    }
    this.counters.mleRx++;
    const m = u.message;
    const n = this.neighbours.get(toHex(ext));
    if (n && n.kind !== 'child') n.lastHeard = this.env.timers.now();
    switch (m.command) {
      case 'parentRequest':
        return this.router.handleParentRequest(m, rx, ext);
      case 'parentResponse':
        return this.attacher.handleParentResponse(m, rx, ext, u.keySequence, u.frameCounter);
      case 'childIdRequest':
        return this.router.handleChildIdRequest(m, rx, ext, u.keySequence, u.frameCounter);
      case 'childIdResponse':
        return this.attacher.handleChildIdResponse(m, ext, u.keySequence, u.frameCounter);
      case 'childUpdateRequest':
        return this.router.handleChildUpdateRequest(m, rx, ext);
      case 'childUpdateResponse':
        return this.attacher.handleChildUpdateResponse(m, ext);
      case 'linkRequest':
        return this.links.handleLinkRequest(m, rx, ext);
      case 'linkAccept':
        return this.links.handleLinkAccept(m, rx, ext, u.keySequence, u.frameCounter, false);
      case 'linkAcceptAndRequest':
        return this.links.handleLinkAccept(m, rx, ext, u.keySequence, u.frameCounter, true);
      case 'advertisement':
        return this.links.handleAdvertisement(m, rx, ext);
      case 'dataRequest':
        return this.links.handleDataRequest(rx);
      case 'dataResponse':
        return this.links.handleDataResponse(m);
      default:
        return;
    }
  }
}
