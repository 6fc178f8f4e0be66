// The Mesh API's 6LoWPAN-ND tasklet, after Nanostack's nd_tasklet.c: connect and
// disconnect, status, the state its parts share, its timers of one generation, and the
// routing hooks the network layer asks (RPL non-storing: upward to the parent with the
// RPL option, downward from the root by source route). The work is done by its parts:
//   nd-bootstrap.ts  routers and hosts: scan, RS/RA, DIO and parent, NS(ARO), DAO, repair
//   nd-root.ts       the border router: DODAG root and owner of the prefix
//   nd-serving.ts    routers and the root: DIOs, beacons, RA, NA(ARO), DAO at the root
// Any failure reports MESH_BOOTSTRAP_FAILED and the bootstrap restarts after 5 s.
//
// Roles: the border router is the DODAG root and owns the prefix; a router forwards,
// sends DIOs and beacons and answers RS/NS; a host is a RPL leaf.
import type { Mac } from '../mac/mac.ts';
import type { SecurityLevel } from '../mac/security.ts';
import type { MeshTasklet, TaskletEvents } from '../mesh/mesh-interface.ts';
import { linkAddressFromIid, type IcmpContext, type NetHooks, type NetInterface, type PacketMeta } from '../net/net-interface.ts';
import { walkHeaders, withHopByHopOptions, withSourceRoute } from '../net/ext-headers.ts';
import { ALL_MPL_FORWARDERS_LINK_LOCAL } from '../net/mpl-forwarder.ts';
import type { Trickle } from '../net/trickle.ts';
import { after, type Micros, type Rng, type Timer, type Timers } from '../runtime.ts';
import type { Icmpv6Message } from '../wire/icmpv6.ts';
import { ALL_RPL_NODES, formatIpv6Address, prefixMatches, type Ipv6Address, type LinkAddress } from '../wire/ipv6-address.ts';
import { RPL_OPTION_TYPE_6553, type Ipv6Packet } from '../wire/ipv6.ts';
import { NdBootstrap } from './nd-bootstrap.ts';
import { NdRoot } from './nd-root.ts';
import { NdServing } from './nd-serving.ts';
import { INFINITE_RANK } from './of0.ts';
import { NANOSTACK_TX_POLICY, ND_TUNING_DEFAULTS, type NdTuning } from './params.ts';
import { RegistrationTable } from './registrations.ts';
import type { SourceRouteTable } from './source-routes.ts';

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

export { BOOTSTRAP_RETRY_US, SCAN_EXPONENT } from './params.ts';

/** 'start-failed': the interface did not come up (MESH_BOOTSTRAP_START_FAILED); the tasklet keeps it until disconnect. */
export type NdPhase = 'idle' | 'start-failed' | 'scanning' | 'soliciting' | 'discovering' | 'registering' | 'advertising' | 'joined' | 'waiting-retry';

export interface Candidate {
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

  // The state the bootstrap, root and serving parts share; read and written by them, not outside stack/nd.
  generation = 0;
  private readonly pending = new Set<Timer>();
  readonly mac: Mac;
  readonly net: NetInterface;
  readonly timers: Timers;
  readonly rng: Rng;
  readonly eui64: Uint8Array;

  prefix: Ipv6Address | undefined;
  borderRouter: Ipv6Address | undefined;
  abroVersion = 0;
  globalAddr: Ipv6Address | undefined;
  registered = false;

  dodag: Dodag | undefined;
  readonly candidates = new Map<string, Candidate>();
  parentKey: string | undefined;
  rank = INFINITE_RANK;
  parentFailures = 0;
  trickle: Trickle | undefined;
  selectTimer: Timer | undefined;
  retryTimer: Timer | undefined;
  repairing = false;

  registrations: RegistrationTable;
  /** Radio hops to the border router, measured on the last DAO-ACK (undefined until one arrives). */
  hopsToRoot: number | undefined;
  routes: SourceRouteTable | undefined;

  // The tasklet's parts, each with one job.
  /** Scan, RS/RA, DIO and parent, registration, DAO, then parent loss and local repair (routers and hosts). */
  readonly bootstrap: NdBootstrap;
  /** The border router: DODAG root and owner of the prefix. */
  private readonly root: NdRoot;
  /** Routers and the root answer RS, NS and DAO, and send DIOs and beacons. */
  readonly serve: NdServing;

  constructor(
    env: NdTaskletEnv,
    readonly config: NdTaskletConfig,
    readonly events: TaskletEvents,
  ) {
    this.mac = env.mac;
    this.net = env.net;
    this.timers = env.timers;
    this.rng = env.rng;
    this.eui64 = env.eui64;
    this.bootstrap = new NdBootstrap(this);
    this.root = new NdRoot(this);
    this.serve = new NdServing(this);
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
    linkResult: (link, status) => this.bootstrap.linkResult(link, status),
    mplParameters: () => (this.config.role === 'border-router' ? this.tuning.mplBorderRouter : this.tuning.mplRouter),
  };

  // ---- MeshTasklet ----

  connect(): number {
    this.generation++;
    if (!this.interfaceUp()) return 0;
    this.net.hooks = this.hooks;
    this.net.up = true;
    this.net.joinGroup(ALL_RPL_NODES);
    // Nanostack's MPL domain ff03::fc listens for control messages on ff02::fc (mpl.c mpl_domain_create).
    this.net.joinGroup(ALL_MPL_FORWARDERS_LINK_LOCAL);
    if (this.config.role === 'border-router') return this.root.startRoot();
    this.bootstrap.startBootstrap();
    return 0;
  }

  /**
   * nd_tasklet.c: arm_nwk_interface_up() failing is MESH_BOOTSTRAP_START_FAILED, and no
   * retry is armed (reference mbed-mesh-api.md §3); what ours checks is the channel list.
   * The tasklet keeps the interface until disconnect().
   */
  interfaceUp(): boolean {
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
  channels(): number[] {
    const ch = this.config.channel;
    if (ch > 0) return ch >= 11 && ch <= 26 ? [ch] : [];
    return channelsOf(this.config.channelMask);
  }

  /** The MAC key of 6lowpan-nd-security-mode PSK, or none; configuration changes apply from the next attempt. */
  applySecurity(): void {
    const s = this.config.security;
    this.mac.setFrameSecurity(s?.mode === 'PSK' ? { key: s.key, keyIndex: s.keyId, level: s.level } : undefined);
  }

  disconnect(): void {
    // Tear down registrations and routes: a No-Path DAO and a zero-lifetime ARO (RFC 6550 §6.4.3, RFC 6775 §5.5.3).
    const parent = this.parent();
    if (this.phase === 'joined' && parent && this.globalAddr && this.dodag) {
      this.bootstrap.sendDao(0);
      this.bootstrap.sendAro(parent, 0);
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

  // ---- shared by the parts ----

  /** Forgets everything learnt; timers of older generations die with their generation check. */
  /** `keepQueue`: frames already queued still go out (disconnect's farewell No-Path DAO and ARO). */
  resetState(keepQueue = false): void {
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
  schedule(delay: Micros, fn: () => void): Timer {
    const gen = this.generation;
    const t = after(this.timers, delay, () => {
      this.pending.delete(t);
      if (gen === this.generation) fn();
    });
    this.pending.add(t);
    return t;
  }

  /** The preferred parent, while there is one. */
  parent(): Candidate | undefined {
    return this.parentKey ? this.candidates.get(this.parentKey) : undefined;
  }

  // ---- ICMPv6 in, to the part it concerns ----

  private onIcmp(m: Icmpv6Message, ctx: IcmpContext): boolean {
    if (this.phase === 'idle' || this.phase === 'start-failed') return false;
    switch (m.kind) {
      case 'rs':
        this.serve.onRs(ctx);
        return true;
      case 'ra':
        this.bootstrap.onRa(m);
        return true;
      case 'ns':
        this.serve.onNs(m, ctx);
        return true;
      case 'na':
        this.bootstrap.onNa(m, ctx);
        return true;
      case 'rpl':
        switch (m.rpl.kind) {
          case 'dis':
            this.serve.onDis(ctx);
            return true;
          case 'dio':
            this.bootstrap.onDio(m.rpl, ctx);
            return true;
          case 'dao':
            this.serve.onDao(m.rpl, ctx);
            return true;
          case 'daoAck':
            this.bootstrap.onDaoAck(m.rpl, ctx);
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

  ownLink(): LinkAddress {
    return { mode: 'ext', ext: this.eui64 };
  }
}

export function channelsOf(mask: number): number[] {
  const out: number[] = [];
  for (let ch = 11; ch <= 26; ch++) if (mask & (1 << ch)) out.push(ch);
  return out;
}
