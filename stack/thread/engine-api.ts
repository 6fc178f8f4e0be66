// What the Thread engine (mle-engine.ts) offers and needs outside stack/thread: its
// configuration, the observer the tasklet gives it, its counters, and the read-only view
// of it the tasklet hands on (role, addresses, routes). The state MLE's parts share
// stays behind the engine.
import type { ReplayGuard } from '../mac/replay.ts';
import type { Micros } from '../runtime.ts';
import type { Ipv6Address } from '../wire/ipv6-address.ts';
import type { LeaderData } from '../wire/mle.ts';
import type { ResolverCounters } from './address-resolver.ts';
import type { KeyManager } from './keys.ts';
import type { NeighbourKind } from './neighbour.ts';

export type ThreadRole = 'disabled' | 'detached' | 'child' | 'router' | 'leader';

/** Mbed's `mesh_device_type_t` for Thread (mbed-mesh-api.md §2). */
export type ThreadDeviceType = 'router' | 'sleepy-end-device' | 'minimal-end-device';

export interface ThreadEngineConfig {
  networkKey: Uint8Array;
  keySequence: number;
  panId: number;
  channel: number;
  /** The /64 mesh-local prefix, 8 bytes. */
  meshLocalPrefix: Uint8Array;
  deviceType: ThreadDeviceType;
  /** Upper bound of the random wait before a REED asks to become a router. */
  routerSelectionJitter: Micros;
  childTimeoutS: number;
  /** An on-mesh SLAAC /64 this node offers as a border router (8 bytes). */
  borderRouterPrefix?: Uint8Array;
}

export interface ThreadEngineObserver {
  /** Role changed (detached after a loss, child, router, leader). */
  role(role: ThreadRole, previous: ThreadRole): void;
  /** An attach cycle ended without a parent and the node will retry (end devices). */
  attachFailed(): void;
  /** The set of global (non mesh-local) addresses changed. */
  globalAddresses(addresses: Ipv6Address[]): void;
}

export interface ThreadCounters {
  attachAttempts: number;
  parentRequests: number;
  partitionIdChanges: number;
  betterPartitionAttachAttempts: number;
  parentChanges: number;
  mleRx: number;
  mleTx: number;
  /** MLE messages whose MIC did not verify (e.g. another network key). */
  mleSecurityErrors: number;
  mleReplayDropped: number;
  /** MLE with a hop limit other than 255, dropped. */
  mleBadHopLimit: number;
  addressSolicits: number;
  routerIdsAssigned: number;
}

/**
 * The engine as seen from outside stack/thread (the tasklet, the UDP service, status and
 * tests): its role, addresses and routes, read-only; the state MLE's parts share and the
 * parts themselves stay in the room.
 */
export interface ThreadEngineView {
  readonly role: ThreadRole;
  readonly rloc16: number | undefined;
  /** A copy of the partition's leader data. */
  readonly partition: LeaderData | undefined;
  readonly linkLocal: Ipv6Address;
  readonly mlEid: Ipv6Address;
  readonly rlocAddress: Ipv6Address | undefined;
  readonly globalAddresses: Ipv6Address[];
  readonly routerIdSet: number[];
  readonly parentRloc16: number | undefined;
  readonly counters: Readonly<ThreadCounters>;
  /** Address Queries and notifications (address-resolver.ts). */
  readonly resolverCounters: Readonly<ResolverCounters>;
  /** The network key and its sequence (an agent's mesh.config may change the key). */
  readonly keys: KeyManager;
  readonly replay: ReplayGuard<string>;
  neighbourList(): Array<{ ext: string; rloc16: number; kind: NeighbourKind; linkMarginDb: number }>;
  isAttached(): boolean;
  addresses(): Ipv6Address[];
  isOurAddress(a: Ipv6Address): boolean;
  resolve(a: Ipv6Address): number | undefined;
  nextHop(rloc16: number): number | undefined;
  /** nextHop() with OpenThread's path cost (`nexthop` in its CLI); undefined: no route. */
  nextHopAndCost(rloc16: number): { next: number; cost: number | undefined } | undefined;
  routeCost(id: number): number | undefined;
  extOfNeighbour(rloc16: number): Uint8Array | undefined;
  queryAddress(a: Ipv6Address, answered: (rloc16: number | undefined) => void): void;
  start(): void;
  stop(): void;
}
