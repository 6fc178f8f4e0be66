// ThreadInterface: the Thread network of the Mesh API, on a Thread tasklet as in
// Nanostack's thread_tasklet.c: BOOTSTRAP_STARTED on connect, CONNECTED_LOCAL once
// attached (mesh-local address), CONNECTED_GLOBAL once a border router's prefix
// gives a global address, BOOTSTRAP_FAILED while an end device finds no parent or
// after a node loses its attachment (it keeps retrying).
import type { Mac } from '../mac/mac.ts';
import type { NodeEnv } from '../node.ts';
import { SECOND } from '../runtime.ts';
import { formatIpv6Address, ipv6, type Ipv6Address } from '../wire/ipv6-address.ts';
import { toHex } from '../wire/bytes.ts';
import { randomExtAddress } from '../thread/ext-address.ts';
import { ThreadLink, type ThreadLinkCounters, type UdpReceive } from '../thread/link.ts';
import { ThreadMle, type ThreadCounters, type ThreadDeviceType, type ThreadEngineView, type ThreadRole } from '../thread/mle-engine.ts';
import type { DatagramService } from '../net/datagram.ts';
import { MeshInterface, type MeshTasklet, type TaskletEvents } from './mesh-interface.ts';
import { ThreadDatagrams } from './thread-datagrams.ts';

export interface ThreadConfig {
  /** mbed-mesh-api.thread-device-type. */
  deviceType: ThreadDeviceType;
  /** thread-config-channel (11–26). */
  channel: number;
  /** thread-config-channel-mask; the static link config uses `channel` alone. */
  channelMask: number;
  /** thread-config-panid. */
  panId: number;
  /** thread-config-extended-panid, 8 bytes. */
  extendedPanId: Uint8Array;
  /** thread-config-network-name, 1–16 characters. */
  networkName: string;
  /** thread-master-key, 16 bytes. Never printed. */
  networkKey: Uint8Array;
  /** thread-config-ml-prefix, 8 bytes (/64). */
  meshLocalPrefix: Uint8Array;
  /** thread-pskd. Never printed. */
  pskd: string;
  /** ROUTER_SELECTION_JITTER, seconds (Thread's default 120; test frameworks use 1). */
  routerSelectionJitterS: number;
  /** Child timeout, seconds. */
  childTimeoutS: number;
  /** Key sequence; thread_tasklet.c hard-codes 0. */
  keySequence: number;
  /** A border router's on-mesh SLAAC prefix (/64, 8 bytes), offered in the network data while it leads. */
  borderRouterPrefix?: Uint8Array;
}

/** Mbed's mbed-mesh-api defaults (mbed-mesh-api.md §4; thread.md §6, Nanostack column). */
export const THREAD_DEFAULTS: Readonly<ThreadConfig> = Object.freeze({
  deviceType: 'router',
  channel: 22,
  channelMask: 0x07fff800,
  panId: 0x0700,
  extendedPanId: Uint8Array.of(0xf1, 0xb5, 0xa1, 0xb2, 0xc4, 0xd5, 0xa1, 0xbd),
  networkName: 'Thread Network',
  networkKey: Uint8Array.of(0x10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff),
  meshLocalPrefix: Uint8Array.of(0xfd, 0x00, 0x0d, 0xb8, 0, 0, 0, 0),
  pskd: 'ABCDEFGH',
  routerSelectionJitterS: 120,
  childTimeoutS: 240,
  keySequence: 0,
});

/** A config safe to log: keys and PSKd replaced. */
export function redactThreadConfig(c: ThreadConfig): Record<string, string> {
  return {
    deviceType: c.deviceType,
    channel: String(c.channel),
    panId: '0x' + c.panId.toString(16).padStart(4, '0'),
    extendedPanId: toHex(c.extendedPanId),
    networkName: c.networkName,
    networkKey: '<redacted>',
    meshLocalPrefix: formatIpv6Address(prefix64(c.meshLocalPrefix)) + '/64',
    pskd: '<redacted>',
  };
}

function prefix64(p: Uint8Array): Ipv6Address {
  const a = new Uint8Array(16);
  a.set(p.subarray(0, 8));
  return a;
}

export class ThreadInterface extends MeshInterface {
  readonly kind = 'thread' as const;
  /** Application UDP; it outlives the tasklet's engine and link, as Mbed's sockets do. */
  private readonly udp: ThreadDatagrams;

  constructor(
    private readonly env: NodeEnv,
    private readonly mac: Mac,
    readonly config: ThreadConfig,
  ) {
    super(env.timers, env.rng);
    // Thread addresses the node by a random extended address drawn once per boot, as
    // OpenThread's Mac does at start (ext-address.ts); the EUI-64 stays the board's identity.
    mac.setExtAddress(randomExtAddress(env.rng));
    this.udp = new ThreadDatagrams(env.timers, () => this.config.meshLocalPrefix);
  }

  protected createTasklet(events: TaskletEvents): MeshTasklet {
    return new ThreadTasklet(this.env, this.mac, this.config, events, this.udp);
  }

  protected datagrams(): DatagramService {
    return this.udp;
  }

  /** The tasklet's Thread engine and link, once connect() has built them (tests, status). */
  get thread(): ThreadTasklet | undefined {
    return this.tasklet as ThreadTasklet | undefined;
  }
}

export class ThreadTasklet implements MeshTasklet {
  private engine: ThreadMle | undefined;
  private link: ThreadLink | undefined;
  private connected = false;
  private readonly udpHandlers = new Map<number, (m: UdpReceive) => void>();

  constructor(
    private readonly env: NodeEnv,
    private readonly mac: Mac,
    private readonly config: ThreadConfig,
    private readonly events: TaskletEvents,
    private readonly udp?: ThreadDatagrams,
  ) {}

  get active(): boolean {
    return this.engine !== undefined && this.engine.role !== 'disabled';
  }

  /** The engine's public view (role, addresses, routes, counters); its shared state stays in stack/thread. */
  get mle(): ThreadEngineView | undefined {
    return this.engine;
  }

  get linkCounters(): Readonly<ThreadLinkCounters> | undefined {
    return this.link?.counters;
  }

  get mleCounters(): Readonly<ThreadCounters> | undefined {
    return this.engine?.counters;
  }

  connect(): number {
    this.engine?.stop();
    this.mac.setChannel(this.config.channel);
    this.mac.setPanId(this.config.panId);
    this.build();
    this.connected = false;
    this.events.event('MESH_BOOTSTRAP_STARTED');
    this.engine!.start();
    return 0;
  }

  private build(): void {
    if (this.engine) return;
    // The link asks the engine for routes and keys; the engine sends through the link.
    const ref: { engine?: ThreadMle } = {};
    const link = new ThreadLink(this.mac, this.env.timers, this.env.rng, {
      keys: () => ref.engine!.keys,
      replay: () => ref.engine!.replay,
      meshLocalPrefix: () => this.config.meshLocalPrefix,
      networkContexts: () => ref.engine?.lowpanContexts() ?? [],
      rloc16: () => ref.engine?.rloc16,
      isOurAddress: (a) => ref.engine?.isOurAddress(a) ?? false,
      resolve: (a) => ref.engine?.resolve(a),
      nextHop: (r) => ref.engine?.nextHop(r),
      forwarding: () => ref.engine?.role === 'router' || ref.engine?.role === 'leader',
      mplSeed: () => (ref.engine?.isAttached() ? ref.engine.rlocAddress : undefined),
      extOfRloc16: (rloc16) => ref.engine?.extOfNeighbour(rloc16),
      queryAddress: (a, answered) => (ref.engine ? ref.engine.queryAddress(a, answered) : answered(undefined)),
      unreachable: (eid) => ref.engine?.resolver.forget(eid),
    });
    const engine = new ThreadMle(
      {
        networkKey: this.config.networkKey,
        keySequence: this.config.keySequence,
        panId: this.config.panId,
        channel: this.config.channel,
        meshLocalPrefix: this.config.meshLocalPrefix,
        deviceType: this.config.deviceType,
        routerSelectionJitter: this.config.routerSelectionJitterS * SECOND,
        childTimeoutS: this.config.childTimeoutS,
        ...(this.config.borderRouterPrefix ? { borderRouterPrefix: this.config.borderRouterPrefix } : {}),
      },
      { timers: this.env.timers, rng: this.env.rng, extAddress: this.mac.getExtAddress(), linkFrameCounter: () => link.frameCounter },
      link,
      (rloc16) => this.mac.setShortAddress(rloc16 ?? 0xfffe),
      {
        role: (role, previous) => this.onRole(role, previous),
        attachFailed: () => {
          // Configuration changed since (the agent's mesh.config) applies from the next attempt.
          this.mac.setChannel(this.config.channel);
          this.mac.setPanId(this.config.panId);
          this.events.event('MESH_BOOTSTRAP_FAILED');
        },
        globalAddresses: (a) => {
          if (a.length > 0 && this.connected) this.events.event('MESH_CONNECTED_GLOBAL');
        },
      },
    );
    ref.engine = engine;
    this.engine = engine;
    this.link = link;
    for (const [port, h] of this.udpHandlers) link.onUdp(port, h);
    this.udp?.attach(link, engine);
  }

  private onRole(role: ThreadRole, previous: ThreadRole): void {
    const attached = role === 'child' || role === 'router' || role === 'leader';
    if (attached && !this.connected) {
      this.connected = true;
      this.events.event('MESH_CONNECTED_LOCAL');
      if ((this.engine?.globalAddresses.length ?? 0) > 0) this.events.event('MESH_CONNECTED_GLOBAL');
    } else if (role === 'detached' && previous !== 'disabled' && this.connected) {
      // Attachment lost: Mbed reports BOOTSTRAP_FAILED (→ CONNECTING) and rejoins by itself.
      this.connected = false;
      this.events.event('MESH_BOOTSTRAP_FAILED');
    }
  }

  disconnect(): void {
    this.engine?.stop();
    this.link?.reset();
    this.connected = false;
  }

  hasLinkLocalAddress(): boolean {
    return this.engine !== undefined && this.engine.isAttached();
  }

  hasGlobalAddress(): boolean {
    return (this.engine?.globalAddresses.length ?? 0) > 0;
  }

  addresses(): string[] {
    return this.engine?.addresses().map(formatIpv6Address) ?? [];
  }

  /** The mesh-local EID (stable across role changes). */
  meshLocalEid(): Ipv6Address | undefined {
    return this.engine?.mlEid;
  }

  details(): Record<string, string> {
    const e = this.engine;
    const d: Record<string, string> = { role: e?.role ?? 'disabled', channel: String(this.mac.getChannel()) };
    if (!e) return d;
    d.ext_address = toHex(this.mac.getExtAddress());
    const p = e.partition;
    if (e.isAttached() && p && e.rloc16 !== undefined) {
      d.rloc16 = e.rloc16.toString(16).padStart(4, '0');
      d.partition_id = String(p.partitionId);
      d.leader_router_id = String(p.leaderRouterId);
      d.weighting = String(p.weighting);
      d.routers = String(e.routerIdSet.length);
      d.mleid = formatIpv6Address(e.mlEid);
      const parent = e.parentRloc16;
      if (parent !== undefined) d.parent = parent.toString(16).padStart(4, '0');
    }
    const ns = e.neighbourList();
    d.neighbours = String(ns.filter((n) => n.kind !== 'child').length);
    d.children = String(ns.filter((n) => n.kind === 'child').length);
    d.attach_attempts = String(e.counters.attachAttempts);
    if (this.link) {
      d.rx_sec_errors = String(this.link.counters.rxSecurityErrors);
      d.rx_replay_dropped = String(this.link.counters.rxReplayDropped);
    }
    d.mle_sec_errors = String(e.counters.mleSecurityErrors);
    return d;
  }

  /** Raw UDP on the link beside the sockets (ThreadDatagrams), with each datagram's link details: secured at the MAC. */
  onUdp(port: number, handler: (m: UdpReceive) => void): void {
    this.udpHandlers.set(port, handler);
    this.link?.onUdp(port, handler);
  }

  sendUdp(dst: Ipv6Address | string, srcPort: number, dstPort: number, payload: Uint8Array, done?: (ok: boolean) => void): void {
    const e = this.engine;
    const to = typeof dst === 'string' ? ipv6(dst) : dst;
    if (!e || !this.link || !e.isAttached()) {
      done?.(false);
      return;
    }
    const src = to[0] === 0xfe ? e.linkLocal : e.mlEid;
    this.link.sendUdp({ src, dst: to, srcPort, dstPort, hopLimit: 64, payload }, done);
  }
}
