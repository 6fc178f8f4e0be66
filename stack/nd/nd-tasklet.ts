// The 6LoWPAN-ND bootstrap with RPL, after Nanostack's nd_tasklet.c and its ND/RPL
// bootstrap: active scan and PAN choice; RS → RA with PIO, 6CO and ABRO (RFC 6775 §5.3–5.4);
// RPL DIS/DIO and a preferred parent by OF0 (RFC 6550 §8, RFC 6552); address registration
// with NS(ARO) → NA(ARO) at that parent (RFC 6775 §5.5); DAO with target and transit
// information to the root, DAO-ACK (RFC 6550 §9, non-storing). Then MESH_CONNECTED.
// Any failure reports MESH_BOOTSTRAP_FAILED and the bootstrap restarts after 5 s.
//
// Roles: the border router is the DODAG root and owns the prefix; a router forwards,
// sends DIOs and beacons and answers RS/NS; a host is a RPL leaf.
import type { PanDescriptor } from '../mac/api.ts';
import type { Mac } from '../mac/mac.ts';
import type { SecurityLevel } from '../mac/security.ts';
import type { MeshTasklet, TaskletEvents } from '../mesh/mesh-interface.ts';
import { linkAddressFromIid, type IcmpContext, type NetHooks, type NetInterface, type PacketMeta } from '../net/net-interface.ts';
import { walkHeaders, withHopByHopOptions, withSourceRoute } from '../net/ext-headers.ts';
import { after, SECOND, type Micros, type Rng, type Timer, type Timers } from '../runtime.ts';
import { bytesEqual } from '../wire/bytes.ts';
import type { Icmpv6Message } from '../wire/icmpv6.ts';
import {
  ALL_RPL_NODES,
  formatIpv6Address,
  iidFromLinkAddress,
  ipv6,
  ipv6Equal,
  prefixMatches,
  withPrefix,
  type Ipv6Address,
  type LinkAddress,
} from '../wire/ipv6-address.ts';
import { RPL_OPTION_TYPE_6553, type Ipv6Packet } from '../wire/ipv6.ts';
import { emitNdBeaconPayload, parseNdBeaconPayload, PROTOCOL_ID_6LOWPAN_ND } from '../wire/nd-beacon.ts';
import { AroStatus, type NdOption } from '../wire/ndp.ts';
import { Mop, type RplMessage, type RplOption } from '../wire/rpl.ts';
import { INFINITE_RANK, OCP_OF0, of0Rank, stepOfRankFromLqi } from './of0.ts';
import { NANOSTACK_TX_POLICY, ND_TUNING_DEFAULTS, type NdTuning } from './params.ts';
import { RegistrationTable } from './registrations.ts';
import { SourceRouteTable } from './source-routes.ts';
import { Trickle } from '../net/trickle.ts';

export type NdRole = 'border-router' | 'router' | 'host';

/**
 * 6lowpan-nd-security-mode PSK: MAC frame security on every data frame with the PSK as
 * the key, key ID mode 1 with index 6lowpan-nd-psk-key-id, at 6lowpan-nd-sec-level
 * (reference mbed-mesh-api.md §4; defaults key id 1, level 5 = ENC-MIC-32).
 */
export interface NdSecurity {
  mode: 'NONE' | 'PSK';
  /** Used only with PSK. */
  key: Uint8Array;
  keyId: number;
  level: SecurityLevel;
}

export const ND_SECURITY_DEFAULTS: Readonly<NdSecurity> = {
  mode: 'NONE',
  key: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i), // {0xa0, 0xa1, …, 0xaf}
  keyId: 1,
  level: 5,
};

/** What the tasklet needs to know of its configuration (a subset of the interface's NdConfig). */
export interface NdTaskletConfig {
  role: NdRole;
  channel: number;
  channelMask: number;
  panIdFilter: number;
  panId: number;
  networkId: string;
  prefix: string;
  tuning?: Partial<NdTuning>;
  /** Absent = NONE. */
  security?: NdSecurity;
}

/** nd_tasklet.c: the bootstrap restarts 5000 ms after a failure (reference mbed-mesh-api.md §3). */
export const BOOTSTRAP_RETRY_US = 5 * SECOND;
/** Hop limit of the root's DAO-ACKs; a node counts its distance to the root from what arrives. */
const DAO_ACK_HOP_LIMIT = 64;

/** Active scan listen exponent per channel (IEEE 802.15.4-2006 §7.5.2.1.2): n = 3 → 138 ms. */
export const SCAN_EXPONENT = 3;

/** 'start-failed': the interface did not come up (MESH_BOOTSTRAP_START_FAILED); the tasklet keeps it until disconnect. */
export type NdPhase = 'idle' | 'start-failed' | 'scanning' | 'soliciting' | 'discovering' | 'registering' | 'advertising' | 'joined' | 'waiting-retry';

interface Candidate {
  ll: Ipv6Address;
  link: LinkAddress;
  global: Ipv6Address | undefined;
  rank: number;
  lqi: number;
  heardAt: Micros;
}

interface Dodag {
  instanceId: number;
  version: number;
  dodagId: Ipv6Address;
  dtsn: number;
  imin: number;
  doublings: number;
  k: number;
  minHopRankIncrease: number;
  maxRankIncrease: number;
  defaultLifetime: number;
  lifetimeUnit: number;
}

export interface NdTaskletEnv {
  mac: Mac;
  net: NetInterface;
  timers: Timers;
  rng: Rng;
  eui64: Uint8Array;
}

export class NdTasklet implements MeshTasklet {
  phase: NdPhase = 'idle';
  /** Why the last bootstrap attempt failed (status output). */
  lastFailure = '';
  /** Local repairs done (a new parent without leaving the network). */
  repairs = 0;

  private generation = 0;
  private readonly pending = new Set<Timer>();
  private readonly mac: Mac;
  private readonly net: NetInterface;
  private readonly timers: Timers;
  private readonly rng: Rng;
  private readonly eui64: Uint8Array;

  private prefix: Ipv6Address | undefined;
  private borderRouter: Ipv6Address | undefined;
  private abroVersion = 0;
  private globalAddr: Ipv6Address | undefined;
  private registered = false;
  private coordinator: LinkAddress | undefined;

  private dodag: Dodag | undefined;
  private readonly candidates = new Map<string, Candidate>();
  private parentKey: string | undefined;
  private rank = INFINITE_RANK;
  private daoSequence: number;
  private pathSequence: number;
  private parentFailures = 0;
  private trickle: Trickle | undefined;
  private selectTimer: Timer | undefined;
  private retryTimer: Timer | undefined;
  private repairing = false;

  private registrations: RegistrationTable;
  /** Radio hops to the border router, measured on the last DAO-ACK (undefined until one arrives). */
  private hopsToRoot: number | undefined;
  private routes: SourceRouteTable | undefined;

  constructor(
    env: NdTaskletEnv,
    private readonly config: NdTaskletConfig,
    private readonly events: TaskletEvents,
  ) {
    this.mac = env.mac;
    this.net = env.net;
    this.timers = env.timers;
    this.rng = env.rng;
    this.eui64 = env.eui64;
    this.daoSequence = this.rng.int(256);
    this.pathSequence = this.rng.int(256);
    this.registrations = new RegistrationTable(this.tuning.maxRegistrations);
    this.mac.setTxPolicy(NANOSTACK_TX_POLICY);
    this.net.onIcmp((m, ctx) => this.onIcmp(m, ctx));
  }

  get tuning(): NdTuning {
    return { ...ND_TUNING_DEFAULTS, ...this.config.tuning };
  }

  get active(): boolean {
    return this.phase !== 'idle';
  }

  /** The hooks the network layer routes with. */
  readonly hooks: NetHooks = {
    isRouter: () => this.forwards(),
    nextHop: (dst) => this.nextHop(dst),
    outgoing: (p) => this.outgoing(p),
    forward: (p, meta) => this.forward(p, meta),
    linkResult: (link, status) => this.linkResult(link, status),
  };

  // ---- MeshTasklet ----

  connect(): number {
    this.generation++;
    if (!this.interfaceUp()) return 0;
    this.net.hooks = this.hooks;
    this.net.up = true;
    this.net.joinGroup(ALL_RPL_NODES);
    if (this.config.role === 'border-router') return this.startRoot();
    this.startBootstrap();
    return 0;
  }

  /**
   * nd_tasklet.c: arm_nwk_interface_up() failing is MESH_BOOTSTRAP_START_FAILED, and no
   * retry is armed (reference mbed-mesh-api.md §3); what ours checks is the channel list.
   * The tasklet keeps the interface until disconnect().
   */
  private interfaceUp(): boolean {
    if (this.channels().length > 0) return true;
    this.generation++;
    this.resetState();
    this.net.up = false;
    this.lastFailure = 'interface up failed (no channel of page 0 selected)';
    this.phase = 'start-failed';
    this.events.event('MESH_BOOTSTRAP_START_FAILED');
    return false;
  }

  /** Channels to scan: 6lowpan-nd-channel if > 0 (replacing the mask, nd_tasklet.c), else the mask's, of 11..26 (page 0). */
  private channels(): number[] {
    const ch = this.config.channel;
    if (ch > 0) return ch >= 11 && ch <= 26 ? [ch] : [];
    return channelsOf(this.config.channelMask);
  }

  /** The MAC key of 6lowpan-nd-security-mode PSK, or none; configuration changes apply from the next attempt. */
  private applySecurity(): void {
    const s = this.config.security;
    this.mac.setFrameSecurity(s?.mode === 'PSK' ? { key: s.key, keyIndex: s.keyId, level: s.level } : undefined);
  }

  disconnect(): void {
    // Tear down registrations and routes: a No-Path DAO and a zero-lifetime ARO (RFC 6550 §6.4.3, RFC 6775 §5.5.3).
    const parent = this.parent();
    if (this.phase === 'joined' && parent && this.globalAddr && this.dodag) {
      this.sendDao(0);
      this.sendAro(parent, 0);
    }
    this.generation++;
    this.resetState(true);
    this.net.up = false;
    this.phase = 'idle';
  }

  hasLinkLocalAddress(): boolean {
    return this.phase !== 'idle' && this.phase !== 'start-failed';
  }
  hasGlobalAddress(): boolean {
    return this.registered && this.globalAddr !== undefined;
  }
  addresses(): string[] {
    if (!this.hasLinkLocalAddress()) return [];
    const out = [formatIpv6Address(this.net.linkLocal)];
    if (this.hasGlobalAddress()) out.push(formatIpv6Address(this.globalAddr!));
    return out;
  }
  details(): Record<string, string> {
    const d: Record<string, string> = { role: this.config.role, phase: this.phase, channel: String(this.mac.getChannel()) };
    if (this.phase === 'joined' || this.phase === 'advertising') d.panid = '0x' + this.mac.getPanId().toString(16).padStart(4, '0');
    if (this.rank !== INFINITE_RANK) d.rank = String(this.rank);
    const p = this.parent();
    if (p) d.parent = formatIpv6Address(p.ll);
    if (this.borderRouter) d.border_router = formatIpv6Address(this.borderRouter);
    if (this.routes) d.routes = String(this.routes.size);
    // Neighbours: routers heard by DIO (a lost parent drops out); children: nodes registered with us (ARO).
    d.neighbours = String(this.candidates.size);
    d.children = String(this.registrations.size);
    const hops = this.isRoot() ? 0 : this.hopsToRoot;
    if (hops !== undefined && this.phase === 'joined') d.hops_to_br = String(hops);
    if (this.lastFailure) d.last_failure = this.lastFailure;
    const sec = this.mac.securityCounters;
    if (sec) {
      // PSK link security: what the MAC refused (the names Thread's status uses, plus unsecured frames).
      d.rx_sec_errors = String(sec.rxSecurityErrors);
      d.rx_replay_dropped = String(sec.rxReplayDropped);
      d.rx_insecure_dropped = String(sec.rxInsecureDropped);
    }
    return d;
  }

  /** LoWPANNDInterface::getRouterIpAddress(): the border router's address, once known. */
  borderRouterAddress(): Ipv6Address | undefined {
    return this.borderRouter;
  }
  /** The RPL rank (INFINITE_RANK when not in a DODAG). */
  get currentRank(): number {
    return this.rank;
  }
  /** The preferred parent's link-local address. */
  parentAddress(): Ipv6Address | undefined {
    return this.parent()?.ll;
  }
  /** Source routes the root holds (target → parent). */
  routeTable(): Array<[string, string]> {
    return this.routes?.dump(this.timers.now()) ?? [];
  }

  // ---- the border router: DODAG root and owner of the prefix ----

  private startRoot(): number {
    const ch = this.channels()[0];
    if (ch === undefined) return -1;
    const t = this.tuning;
    this.applySecurity();
    this.mac.setChannel(ch);
    this.mac.setPanId(this.config.panId);
    this.prefix = withPrefix(ipv6(this.config.prefix), 64, new Uint8Array(8));
    this.globalAddr = withPrefix(this.prefix, 64, iidFromLinkAddress({ mode: 'ext', ext: this.eui64 }));
    this.net.addAddress(this.globalAddr);
    this.net.setContexts([{ id: 0, prefix: this.prefix, length: 64, compress: true }]);
    this.borderRouter = this.globalAddr;
    this.abroVersion = 1;
    this.registered = true;
    this.routes = new SourceRouteTable(this.globalAddr);
    this.registrations = new RegistrationTable(t.maxRegistrations);
    this.dodag = {
      instanceId: t.rplInstanceId,
      version: 0,
      dodagId: this.globalAddr,
      dtsn: 0,
      imin: t.dioIntervalMin,
      doublings: t.dioIntervalDoublings,
      k: t.dioRedundancy,
      minHopRankIncrease: t.minHopRankIncrease,
      maxRankIncrease: t.maxRankIncrease,
      defaultLifetime: t.defaultLifetime,
      lifetimeUnit: t.lifetimeUnit,
    };
    this.rank = t.minHopRankIncrease; // ROOT_RANK (RFC 6550 §17)
    this.phase = 'joined';
    this.events.event('MESH_BOOTSTRAP_STARTED');
    this.startServing();
    this.events.event('MESH_CONNECTED');
    return 0;
  }

  // ---- bootstrap of routers and hosts ----

  private startBootstrap(): void {
    // A retry re-reads the configuration (mesh.config), so it can fail to start too.
    if (!this.interfaceUp()) return;
    const gen = this.generation;
    this.resetState();
    this.applySecurity();
    this.net.up = true;
    this.phase = 'scanning';
    this.events.event('MESH_BOOTSTRAP_STARTED');
    const channels = this.channels();
    this.mac.activeScan(channels, SCAN_EXPONENT, (pans) => {
      if (gen !== this.generation) return;
      const best = this.choosePan(pans);
      if (!best) return this.fail('no beacons');
      this.mac.setChannel(best.channel);
      this.mac.setPanId(best.panId);
      this.coordinator = best.coord.mode === 'ext' ? { mode: 'ext', ext: best.coord.ext } : best.coord.mode === 'short' ? { mode: 'short', short: best.coord.short } : undefined;
      if (!this.coordinator) return this.fail('beacon without a source address');
      this.phase = 'soliciting';
      this.sendRs(1);
    });
  }

  /** Beacons of routers carry the same payload as the border router's; the best link wins. */
  private choosePan(pans: PanDescriptor[]): PanDescriptor | undefined {
    let best: PanDescriptor | undefined;
    for (const pan of pans) {
      const p = parseNdBeaconPayload(pan.beaconPayload);
      if (!p.ok || p.value.protocolId !== PROTOCOL_ID_6LOWPAN_ND || !p.value.acceptJoin) continue;
      if (this.config.panIdFilter !== 0xffff && pan.panId !== this.config.panIdFilter) continue;
      if (p.value.networkId !== this.config.networkId) continue;
      if (!best || pan.lqi > best.lqi) best = pan;
    }
    return best;
  }

  private fail(reason: string): void {
    const gen = ++this.generation;
    this.lastFailure = reason;
    this.resetState();
    this.phase = 'waiting-retry';
    this.events.event('MESH_BOOTSTRAP_FAILED');
    this.retryTimer = after(this.timers, BOOTSTRAP_RETRY_US, () => {
      if (gen === this.generation) this.startBootstrap();
    });
  }

  /** Forgets everything learnt; timers of older generations die with their generation check. */
  /** `keepQueue`: frames already queued still go out (disconnect's farewell No-Path DAO and ARO). */
  private resetState(keepQueue = false): void {
    for (const t of this.pending) t.cancel();
    this.pending.clear();
    this.retryTimer?.cancel();
    this.selectTimer?.cancel();
    this.selectTimer = undefined;
    this.trickle?.stop();
    this.trickle = undefined;
    this.mac.setBeaconPayload(null);
    this.candidates.clear();
    this.parentKey = undefined;
    this.rank = INFINITE_RANK;
    this.dodag = undefined;
    this.registered = false;
    this.repairing = false;
    this.parentFailures = 0;
    this.registrations.clear();
    this.hopsToRoot = undefined;
    this.routes?.clear();
    this.routes = undefined;
    if (this.config.role !== 'border-router') {
      this.prefix = undefined;
      this.borderRouter = undefined;
      this.globalAddr = undefined;
    }
    this.net.clearAddresses();
    this.net.setContexts([]);
    if (!keepQueue) this.net.flush();
  }

  /** A timer owned by the current generation. */
  private schedule(delay: Micros, fn: () => void): Timer {
    const gen = this.generation;
    const t = after(this.timers, delay, () => {
      this.pending.delete(t);
      if (gen === this.generation) fn();
    });
    this.pending.add(t);
    return t;
  }

  // RS → RA (RFC 6775 §5.3): unicast to the router whose beacon we chose.
  private sendRs(attempt: number): void {
    if (this.phase !== 'soliciting') return;
    if (attempt > this.tuning.rsMax) return this.fail('no router advertisement');
    const to = this.coordinator!;
    this.net.sendIcmp({ kind: 'rs', options: [{ kind: 'sllao', link: this.ownLink() }] }, withPrefix(ipv6('fe80::'), 64, iidFromLinkAddress(to)), {
      link: to,
    });
    this.schedule(this.tuning.rsIntervalUs, () => this.sendRs(attempt + 1));
  }

  private onRa(m: Extract<Icmpv6Message, { kind: 'ra' }>): void {
    if (this.phase !== 'soliciting') return;
    const pio = m.options.find((o): o is Extract<NdOption, { kind: 'prefixInfo' }> => o.kind === 'prefixInfo' && o.autonomous && o.prefixLength === 64);
    const abro = m.options.find((o): o is Extract<NdOption, { kind: 'abro' }> => o.kind === 'abro');
    if (!pio || !abro) return; // RFC 6775 §5.4: a 6LoWPAN-ND RA carries ABRO
    const contexts = m.options
      .filter((o): o is Extract<NdOption, { kind: 'sixCo' }> => o.kind === 'sixCo' && o.validLifetime > 0)
      .map((o) => ({ id: o.cid, prefix: o.prefix, length: o.contextLength, compress: o.compression }));
    this.prefix = withPrefix(pio.prefix, 64, new Uint8Array(8));
    this.borderRouter = abro.borderRouter.slice();
    this.abroVersion = abro.version;
    this.net.setContexts(contexts);
    this.globalAddr = withPrefix(this.prefix, 64, iidFromLinkAddress({ mode: 'ext', ext: this.eui64 }));
    // Optimistic until registered: the NA comes back to it (RFC 6775 §5.5.1, no DAD by multicast).
    this.net.addAddress(this.globalAddr);
    this.phase = 'discovering';
    this.sendDis(1);
  }

  // RPL: DIS until a DIO is heard, then a parent (RFC 6550 §8.3, §18.2.1).
  private sendDis(attempt: number): void {
    if (this.phase !== 'discovering' || this.selectTimer) return;
    if (attempt > this.tuning.disMax) return this.fail('no DIO');
    this.net.sendIcmp({ kind: 'rpl', rpl: { kind: 'dis', flags: 0, options: [] } }, ALL_RPL_NODES);
    this.schedule(this.tuning.disIntervalUs, () => this.sendDis(attempt + 1));
  }

  private onDio(m: Extract<RplMessage, { kind: 'dio' }>, ctx: IcmpContext): void {
    if (!ctx.linkSrc || this.config.role === 'border-router') {
      if (this.trickle && this.dodag && m.version === this.dodag.version && ipv6Equal(m.dodagId, this.dodag.dodagId)) this.trickle.hearConsistent();
      return;
    }
    if (m.mop !== Mop.nonStoring) return;
    if (this.phase === 'idle' || this.phase === 'start-failed' || this.phase === 'scanning' || this.phase === 'soliciting' || this.phase === 'waiting-retry') return;
    const cfg = m.options.find((o): o is Extract<RplOption, { kind: 'dodagConfig' }> => o.kind === 'dodagConfig');
    if (!this.dodag) {
      if (!cfg || cfg.ocp !== OCP_OF0 || !m.grounded) return;
      if (this.borderRouter && !ipv6Equal(m.dodagId, this.borderRouter)) return; // the DODAG of our border router
      this.dodag = {
        instanceId: m.instanceId,
        version: m.version,
        dodagId: m.dodagId.slice(),
        dtsn: m.dtsn,
        imin: cfg.dioIntervalMin,
        doublings: cfg.dioIntervalDoublings,
        k: cfg.dioRedundancy,
        minHopRankIncrease: cfg.minHopRankIncrease,
        maxRankIncrease: cfg.maxRankIncrease,
        defaultLifetime: cfg.defaultLifetime,
        lifetimeUnit: cfg.lifetimeUnit,
      };
    }
    const dodag = this.dodag;
    if (m.instanceId !== dodag.instanceId || !ipv6Equal(m.dodagId, dodag.dodagId)) return;
    if (m.version !== dodag.version) {
      // A new version (global repair, RFC 6550 §8.2.2.1) is not something our root does; ignore older ones.
      return;
    }
    const key = formatIpv6Address(ctx.src);
    const pio = m.options.find((o): o is Extract<RplOption, { kind: 'prefixInfo' }> => o.kind === 'prefixInfo' && o.routerAddress);
    const wasParent = key === this.parentKey;
    const prev = this.candidates.get(key);
    this.candidates.set(key, {
      ll: ctx.src.slice(),
      link: ctx.linkSrc,
      global: pio?.prefix.slice() ?? prev?.global,
      rank: m.rank,
      lqi: ctx.lqi ?? prev?.lqi ?? 0,
      heardAt: this.timers.now(),
    });
    if (wasParent) {
      if (m.rank >= INFINITE_RANK) return this.parentLost('parent left the DODAG');
      const mine = this.rankThrough(this.candidates.get(key)!);
      if (mine !== this.rank && this.phase === 'joined') {
        this.rank = mine;
        this.trickle?.reset(); // our DIO changes: an inconsistency (RFC 6550 §8.3)
      }
    }
    if (this.trickle && m.rank < INFINITE_RANK) this.trickle.hearConsistent();
    if (this.phase === 'discovering' && !this.selectTimer && m.rank < INFINITE_RANK) {
      this.selectTimer = this.schedule(this.tuning.parentSelectDelayUs, () => {
        this.selectTimer = undefined;
        this.selectParent();
      });
    }
  }

  private rankThrough(c: Candidate): number {
    return of0Rank(c.rank, { minHopRankIncrease: this.dodag!.minHopRankIncrease, stepOfRank: stepOfRankFromLqi(c.lqi) });
  }

  /** The best candidate by OF0: smallest resulting rank, then best link (RFC 6552 §4.2.1). */
  private bestCandidate(maxRank: number): [string, Candidate] | undefined {
    let best: [string, Candidate] | undefined;
    let bestRank = INFINITE_RANK;
    for (const [k, c] of this.candidates) {
      if (c.rank >= maxRank) continue;
      const r = this.rankThrough(c);
      if (r >= INFINITE_RANK) continue;
      if (!best || r < bestRank || (r === bestRank && c.lqi > best[1].lqi)) {
        best = [k, c];
        bestRank = r;
      }
    }
    return best;
  }

  private selectParent(): void {
    const best = this.bestCandidate(INFINITE_RANK);
    if (!best) return this.fail('no usable parent');
    this.adoptParent(best[0]);
  }

  private adoptParent(key: string): void {
    const c = this.candidates.get(key)!;
    this.parentKey = key;
    this.parentFailures = 0;
    this.rank = this.rankThrough(c);
    this.phase = 'registering';
    this.registered = this.repairing ? this.registered : false;
    this.register(1);
  }

  private parent(): Candidate | undefined {
    return this.parentKey ? this.candidates.get(this.parentKey) : undefined;
  }

  // Address registration (RFC 6775 §5.5): NS with ARO and SLLAO to the parent, unicast.
  private register(attempt: number): void {
    const parent = this.parent();
    if (!parent) return;
    if (attempt > this.tuning.nsMax) {
      if (this.phase === 'joined') return this.parentLost('registration refresh unanswered');
      return this.repairing ? this.parentLost('parent did not answer') : this.fail('no registration answer');
    }
    this.sendAro(parent, this.tuning.registrationLifetimeMin);
    this.schedule(this.tuning.nsIntervalUs, () => {
      if (this.awaitingNa === attempt) this.register(attempt + 1);
    });
    this.awaitingNa = attempt;
  }
  private awaitingNa = 0;

  private sendAro(parent: Candidate, lifetimeMin: number): void {
    const ga = this.globalAddr!;
    this.net.sendIcmp(
      {
        kind: 'ns',
        target: ga,
        options: [
          { kind: 'aro', status: 0, registrationLifetime: lifetimeMin, eui64: this.eui64 },
          { kind: 'sllao', link: this.ownLink() },
        ],
      },
      parent.ll,
      { src: ga, link: parent.link },
    );
  }

  private onNa(m: Extract<Icmpv6Message, { kind: 'na' }>, ctx: IcmpContext): void {
    const parent = this.parent();
    if (!parent || !this.globalAddr || !ipv6Equal(m.target, this.globalAddr) || !ipv6Equal(ctx.src, parent.ll)) return;
    const aro = m.options.find((o): o is Extract<NdOption, { kind: 'aro' }> => o.kind === 'aro');
    if (!aro || !bytesEqual(aro.eui64, this.eui64) || this.awaitingNa === 0) return;
    this.awaitingNa = 0;
    if (aro.status !== AroStatus.success) {
      const why = aro.status === AroStatus.duplicate ? 'duplicate address' : aro.status === AroStatus.cacheFull ? 'neighbor cache full' : `status ${aro.status}`;
      return this.fail(`registration refused (${why})`);
    }
    this.parentFailures = 0;
    this.registered = true;
    if (this.phase === 'registering') {
      this.phase = 'advertising';
      this.daoSequence = (this.daoSequence + 1) & 0xff;
      this.pathSequence = (this.pathSequence + 1) & 0xff;
      this.daoAttempt(1);
    } else if (this.phase === 'joined') {
      // A refresh went through: refresh the downward route too.
      this.daoSequence = (this.daoSequence + 1) & 0xff;
      this.daoAttempt(1);
    }
  }

  // DAO → DAO-ACK (RFC 6550 §9.3, non-storing: to the root, transit names the parent).
  private awaitingDaoAck: number | undefined;
  private daoAttempt(attempt: number): void {
    if (attempt > this.tuning.daoMax) {
      this.awaitingDaoAck = undefined;
      return this.fail(this.phase === 'joined' ? 'border router unreachable' : 'no DAO-ACK');
    }
    this.awaitingDaoAck = this.daoSequence;
    this.sendDao(this.dodag!.defaultLifetime);
    const seq = this.daoSequence;
    this.schedule(this.tuning.daoAckTimeoutUs, () => {
      if (this.awaitingDaoAck === seq) this.daoAttempt(attempt + 1);
    });
  }

  private sendDao(pathLifetime: number): void {
    const d = this.dodag!;
    const parent = this.parent();
    if (!parent || !this.globalAddr) return;
    const parentGlobal = parent.global ?? withPrefix(this.prefix!, 64, parent.ll.subarray(8));
    this.net.sendIcmp(
      {
        kind: 'rpl',
        rpl: {
          kind: 'dao',
          instanceId: d.instanceId,
          ackRequested: pathLifetime > 0,
          flags: 0,
          daoSequence: this.daoSequence,
          options: [
            { kind: 'target', flags: 0, prefixLength: 128, prefix: this.globalAddr },
            { kind: 'transit', external: false, pathControl: 0, pathSequence: this.pathSequence, pathLifetime, parent: parentGlobal },
          ],
        },
      },
      d.dodagId,
      { src: this.globalAddr, hopLimit: 64 },
    );
  }

  private onDaoAck(m: Extract<RplMessage, { kind: 'daoAck' }>, ctx: IcmpContext): void {
    if (this.awaitingDaoAck === undefined || m.daoSequence !== this.awaitingDaoAck) return;
    this.awaitingDaoAck = undefined;
    // The root sends it with DAO_ACK_HOP_LIMIT; every router on the way down took one off.
    if (ctx.hopLimit <= DAO_ACK_HOP_LIMIT) this.hopsToRoot = DAO_ACK_HOP_LIMIT - ctx.hopLimit + 1;
    if (m.status >= 128) return this.fail(`DAO rejected (status ${m.status})`);
    if (this.phase === 'advertising') this.becomeJoined();
  }

  private becomeJoined(): void {
    this.phase = 'joined';
    const wasRepair = this.repairing;
    this.repairing = false;
    if (this.config.role === 'router') this.startServing();
    this.scheduleRefresh();
    if (!wasRepair) this.events.event('MESH_CONNECTED');
  }

  private scheduleRefresh(): void {
    this.schedule(this.tuning.refreshIntervalUs, () => {
      if (this.phase !== 'joined') return;
      this.register(1);
      this.scheduleRefresh();
    });
  }

  // ---- parent loss and local repair (RFC 6550 §8.2.2.4) ----

  private linkResult(link: LinkAddress, status: string): void {
    const p = this.parent();
    if (!p || !sameLink(p.link, link)) return;
    if (status === 'success') {
      this.parentFailures = 0;
      return;
    }
    if (++this.parentFailures >= this.tuning.parentLossThreshold) this.parentLost('parent unreachable (no ACK)');
  }

  private parentLost(reason: string): void {
    if (!this.parentKey) return;
    const oldRank = this.rank;
    this.candidates.delete(this.parentKey);
    this.parentKey = undefined;
    this.awaitingNa = 0;
    this.awaitingDaoAck = undefined;
    // Only parents that do not lead back through our sub-DODAG: rank below ours.
    const next = this.bestCandidate(oldRank);
    if (next && (this.phase === 'joined' || this.repairing)) {
      this.repairs++;
      this.repairing = true;
      this.adoptParent(next[0]);
      return;
    }
    // No parent left: poison our sub-DODAG (RFC 6550 §8.2.2.5) and start over.
    if (this.config.role === 'router' && this.phase === 'joined') this.sendDio(INFINITE_RANK);
    this.fail(reason);
  }

  // ---- serving: routers and the root answer RS and NS, send DIOs and beacons ----

  private startServing(): void {
    const d = this.dodag!;
    this.trickle?.stop();
    this.trickle = new Trickle(this.timers, this.rng, { imin: 2 ** d.imin * 1000, doublings: d.doublings, k: d.k }, () => this.sendDio(this.rank));
    this.trickle.start();
    this.mac.setBeaconPayload(
      emitNdBeaconPayload({ protocolId: PROTOCOL_ID_6LOWPAN_ND, acceptJoin: true, borderRouter: this.config.role === 'border-router', networkId: this.config.networkId }),
    );
  }

  private serving(): boolean {
    return this.config.role !== 'host' && this.phase === 'joined' && this.trickle !== undefined;
  }

  private sendDio(rank: number, to: Ipv6Address = ALL_RPL_NODES, link?: LinkAddress): void {
    const d = this.dodag;
    if (!d || !this.prefix) return;
    const options: RplOption[] = [
      {
        kind: 'dodagConfig',
        flags: 0,
        authentication: false,
        pathControlSize: 0,
        dioIntervalDoublings: d.doublings,
        dioIntervalMin: d.imin,
        dioRedundancy: d.k,
        maxRankIncrease: d.maxRankIncrease,
        minHopRankIncrease: d.minHopRankIncrease,
        ocp: OCP_OF0,
        defaultLifetime: d.defaultLifetime,
        lifetimeUnit: d.lifetimeUnit,
      },
    ];
    if (this.globalAddr) {
      // R flag: the prefix field carries our full address, which children name as their DAO parent (RFC 6550 §6.7.10).
      options.push({ kind: 'prefixInfo', prefixLength: 64, onLink: false, autonomous: true, routerAddress: true, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, prefix: this.globalAddr });
    }
    const dio: RplMessage = {
      kind: 'dio',
      instanceId: d.instanceId,
      version: d.version,
      rank,
      grounded: true,
      mop: Mop.nonStoring,
      preference: 0,
      dtsn: d.dtsn,
      flags: 0,
      dodagId: d.dodagId,
      options,
    };
    this.net.sendIcmp({ kind: 'rpl', rpl: dio }, to, { src: this.net.linkLocal, ...(link ? { link } : {}) });
  }

  private onDis(ctx: IcmpContext): void {
    if (!this.serving()) return;
    if (ctx.dst[0] === 0xff) this.trickle!.reset();
    else if (ctx.linkSrc) this.sendDio(this.rank, ctx.src, ctx.linkSrc);
  }

  private onRs(ctx: IcmpContext): void {
    if (!this.serving() || !ctx.linkSrc || !this.prefix || !this.borderRouter) return;
    const t = this.tuning;
    const to = ctx.src.slice();
    const link = ctx.linkSrc;
    this.schedule(this.rng.next() * t.raDelayMaxUs, () => {
      const ra: Icmpv6Message = {
        kind: 'ra',
        curHopLimit: 64,
        managed: false,
        other: false,
        otherFlags: 0,
        routerLifetime: t.raRouterLifetime,
        reachableTime: 0,
        retransTimer: 0,
        options: [
          { kind: 'sllao', link: this.ownLink() },
          // L = 0: 6LoWPAN-ND prefixes are not on-link (RFC 6775 §5.4).
          { kind: 'prefixInfo', prefixLength: 64, onLink: false, autonomous: true, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, prefix: this.prefix! },
          ...this.net.getContexts().map((c): NdOption => ({ kind: 'sixCo', contextLength: c.length, compression: c.compress ?? true, cid: c.id, validLifetime: t.contextLifetimeMin, prefix: c.prefix })),
          { kind: 'abro', version: this.abroVersion, validLifetime: t.contextLifetimeMin, borderRouter: this.borderRouter! },
        ],
      };
      this.net.sendIcmp(ra, to, { src: this.net.linkLocal, link });
    });
  }

  private onNs(m: Extract<Icmpv6Message, { kind: 'ns' }>, ctx: IcmpContext): void {
    if (!ctx.linkSrc) return;
    const aro = m.options.find((o): o is Extract<NdOption, { kind: 'aro' }> => o.kind === 'aro');
    if (!aro) {
      // Plain neighbour unreachability detection: answer for our own addresses (RFC 4861 §7.2.4).
      if (this.net.isOwn(m.target)) {
        this.net.sendIcmp({ kind: 'na', router: this.config.role !== 'host', solicited: true, override: true, target: m.target, options: [] }, ctx.src, { link: ctx.linkSrc });
      }
      return;
    }
    if (!this.serving()) return;
    const status = this.registrations.register(m.target, aro.eui64, aro.registrationLifetime, this.timers.now());
    this.net.sendIcmp(
      {
        kind: 'na',
        router: true,
        solicited: true,
        override: true,
        target: m.target,
        options: [{ kind: 'aro', status, registrationLifetime: aro.registrationLifetime, eui64: aro.eui64 }],
      },
      ctx.src,
      { src: this.net.linkLocal, link: ctx.linkSrc },
    );
  }

  private onDao(m: Extract<RplMessage, { kind: 'dao' }>, ctx: IcmpContext): void {
    if (!this.routes || !this.dodag || m.instanceId !== this.dodag.instanceId) return;
    const now = this.timers.now();
    let targets: Ipv6Address[] = [];
    let status = 0;
    for (const o of m.options) {
      if (o.kind === 'target') {
        const t = new Uint8Array(16);
        t.set(o.prefix.subarray(0, 16));
        targets.push(t);
      } else if (o.kind === 'transit') {
        if (!o.parent) status = 128; // non-storing needs the parent address (RFC 6550 §6.7.8)
        else for (const t of targets) this.routes.update(t, o.parent, o.pathLifetime * this.dodag.lifetimeUnit * SECOND, o.pathSequence, now);
        targets = [];
      }
    }
    if (m.ackRequested) {
      this.net.sendIcmp({ kind: 'rpl', rpl: { kind: 'daoAck', instanceId: m.instanceId, daoSequence: m.daoSequence, status, options: [] } }, ctx.src, { hopLimit: DAO_ACK_HOP_LIMIT });
    }
  }

  private onIcmp(m: Icmpv6Message, ctx: IcmpContext): boolean {
    if (this.phase === 'idle' || this.phase === 'start-failed') return false;
    switch (m.kind) {
      case 'rs':
        this.onRs(ctx);
        return true;
      case 'ra':
        this.onRa(m);
        return true;
      case 'ns':
        this.onNs(m, ctx);
        return true;
      case 'na':
        this.onNa(m, ctx);
        return true;
      case 'rpl':
        switch (m.rpl.kind) {
          case 'dis':
            this.onDis(ctx);
            return true;
          case 'dio':
            this.onDio(m.rpl, ctx);
            return true;
          case 'dao':
            this.onDao(m.rpl, ctx);
            return true;
          case 'daoAck':
            this.onDaoAck(m.rpl, ctx);
            return true;
        }
        return false;
    }
    return false;
  }

  // ---- routing hooks ----

  private forwards(): boolean {
    return this.config.role !== 'host' && this.phase === 'joined';
  }

  private isRoot(): boolean {
    return this.routes !== undefined;
  }

  private nextHop(dst: Ipv6Address): LinkAddress | undefined {
    if (this.isRoot()) {
      const path = this.routes!.path(dst, this.timers.now());
      return path && path[0] ? linkAddressFromIid(path[0]) : undefined;
    }
    return this.parent()?.link;
  }

  /** Root: a source route for destinations more than one hop down. Others: the RPL option upward (RFC 6553). */
  private outgoing(p: Ipv6Packet): Ipv6Packet | undefined {
    if (this.isRoot()) return this.sourceRouted(p);
    if (!this.dodag) return p;
    const r = withHopByHopOptions(p, [
      { kind: 'rpl', type: RPL_OPTION_TYPE_6553, down: false, rankError: false, forwardingError: false, instanceId: this.dodag.instanceId, senderRank: this.rank },
    ]);
    return r.ok ? r.value : undefined;
  }

  private sourceRouted(p: Ipv6Packet): Ipv6Packet | undefined {
    const path = this.routes!.path(p.dst, this.timers.now());
    if (!path) return p.dst[0] === 0xff || !this.prefix || !prefixMatches(p.dst, this.prefix, 64) ? p : undefined;
    if (path.length <= 1) return p;
    // The packet goes to the first hop; the header lists the rest, the destination last.
    const r = withSourceRoute(p, path.slice(0, -1));
    return r.ok ? r.value : undefined;
  }

  private forward(p: Ipv6Packet, _meta: PacketMeta): Ipv6Packet | undefined {
    if (this.isRoot()) {
      // Leaving upward traffic for a node of ours: turn it around with a source route.
      const c = walkHeaders(p);
      if (!c.ok) return undefined;
      const stripped = c.value.hopByHop ? withHopByHopOptions(p, []) : { ok: true as const, value: p };
      return stripped.ok ? this.sourceRouted(stripped.value) : undefined;
    }
    const c = walkHeaders(p);
    if (!c.ok) return undefined;
    const opt = c.value.hopByHop?.find((o) => o.kind === 'rpl');
    if (opt && opt.kind === 'rpl') {
      // Upward traffic must come from deeper in the DODAG (RFC 6550 §11.2.2.2); a second error drops it.
      const inconsistent = !opt.down && opt.senderRank <= this.rank && opt.senderRank !== INFINITE_RANK;
      if (inconsistent && opt.rankError) return undefined;
      const r = withHopByHopOptions(p, [{ ...opt, rankError: opt.rankError || inconsistent, senderRank: this.rank }]);
      return r.ok ? r.value : undefined;
    }
    return this.outgoing(p);
  }

  private ownLink(): LinkAddress {
    return { mode: 'ext', ext: this.eui64 };
  }
}

function sameLink(a: LinkAddress, b: LinkAddress): boolean {
  if (a.mode === 'short' || b.mode === 'short') return a.mode === b.mode && a.mode === 'short' && b.mode === 'short' && a.short === b.short;
  return bytesEqual(a.ext, b.ext);
}

export function channelsOf(mask: number): number[] {
  const out: number[] = [];
  for (let ch = 11; ch <= 26; ch++) if (mask & (1 << ch)) out.push(ch);
  return out;
}
