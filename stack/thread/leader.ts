// The leader's job (OpenThread mle_router.cpp BecomeLeader, router_table.cpp
// Allocate/Release, network_data_leader.cpp): starting a partition, giving router
// IDs to REEDs that ask (Address Solicit, a/as) and taking them back from routers
// gone for MAX_NEIGHBOR_AGE, and keeping the network data border routers register
// (Server Data, a/sd), published with a new data version.
import type { Micros } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import { ALL_NODES } from '../wire/ipv6-address.ts';
import { mleTlv } from '../wire/mle.ts';
import * as C from './constants.ts';
import type { UdpReceive } from './link.ts';
import type { ThreadMle } from './mle-engine.ts';
import { emitNetworkData, parseNetworkData, withContexts, type NetworkDataTlv } from './network-data.ts';
import { isRouterRloc16, rloc16OfRouter, routerIdOf } from './rloc.ts';
import { ADDRESS_SOLICIT_STATUS, ADDRESS_SOLICIT_URI, ADDRESS_TLVS, CoapCode, emitAddressTlvs, parseAddressTlvs, SERVER_DATA_URI, type CoapMessage } from './tmf.ts';
import type { TmfAnswer } from './tmf-agent.ts';

export class Leader {
  /** Leader: which node (extended address, hex) each router ID went to. */
  private readonly routerIdOwners = new Map<string, number>();
  /** Leader: when each router ID was last reachable. */
  private readonly lastReachable = new Map<number, Micros>();

  constructor(private readonly mle: ThreadMle) {
    mle.tmf.handle(ADDRESS_SOLICIT_URI, (m) => this.handleAddressSolicit(m));
    mle.tmf.handle(SERVER_DATA_URI, (m, rx) => this.handleServerData(m, rx));
  }

  /** Starts a partition of our own as its leader (OpenThread MleRouter::BecomeLeader). */
  becomeLeader(): void {
    const previousPartition = this.mle.leaderData?.partitionId;
    this.mle.resetAttachment();
    const id = this.mle.env.rng.int(C.MAX_ROUTER_ID + 1);
    this.mle.leaderData = {
      partitionId: (this.mle.env.rng.int(0x10000) * 0x10000 + this.mle.env.rng.int(0x10000)) >>> 0,
      weighting: C.LEADER_WEIGHT,
      dataVersion: this.mle.env.rng.int(256),
      stableDataVersion: this.mle.env.rng.int(256),
      leaderRouterId: id,
    };
    if (previousPartition !== this.mle.leaderData.partitionId) this.mle.counters.partitionIdChanges++;
    this.mle.routerTable.set([id], this.mle.env.rng.int(256), this.mle.env.timers.now());
    this.lastReachable.clear();
    this.mle.rloc = rloc16OfRouter(id);
    this.mle.setShortAddress(this.mle.rloc);
    this.mle.networkData = withContexts(this.mle.notifier.ownNetworkData());
    this.mle.attacher.attached();
    this.mle.setRole('leader');
    this.mle.refreshGlobals();
    this.mle.links.startTrickle();
  }

  /** Leader: a/as, answered in the ACK with a router ID (or none free). */
  private handleAddressSolicit(m: CoapMessage): TmfAnswer | undefined {
    if (m.type !== 'confirmable' || this.mle.role !== 'leader') return undefined;
    const req = parseAddressTlvs(m.payload);
    if (!req.ok || !req.value.extMacAddress) return undefined;
    const id = this.allocateRouterId(req.value.rloc16, req.value.extMacAddress);
    const payload =
      id === undefined
        ? emitAddressTlvs({ status: ADDRESS_SOLICIT_STATUS.noAddressAvailable, unknown: [] })
        : emitAddressTlvs({ status: ADDRESS_SOLICIT_STATUS.success, rloc16: rloc16OfRouter(id), routerMask: { idSequence: this.mle.routerTable.idSequence, routerIds: this.mle.routerIdSet }, unknown: [] });
    return { code: CoapCode.changed, payload };
  }

  /** Leader: a/sd, a border router's network data. */
  private handleServerData(m: CoapMessage, rx: UdpReceive): TmfAnswer | undefined {
    if (m.type !== 'confirmable' || this.mle.role !== 'leader') return undefined;
    this.registerServerData(rx, m.payload);
    return { code: CoapCode.changed };
  }

  /** Leader: drop the sender's old entries, merge its prefixes, publish a new version. */
  private registerServerData(rx: UdpReceive, payload: Uint8Array): void {
    const req = parseAddressTlvs(payload);
    if (!req.ok) return;
    const sender = ((rx.src[14] ?? 0) << 8) | (rx.src[15] ?? 0);
    const drop = new Set([sender, ...(req.value.rloc16 !== undefined ? [req.value.rloc16] : [])]);
    const raw = req.value.unknown.find((u) => u.code === ADDRESS_TLVS.threadNetworkData);
    const offered = raw ? parseNetworkData(raw.value) : undefined;
    if (offered && !offered.ok) return;
    const next: NetworkDataTlv[] = [];
    for (const t of this.mle.networkData) {
      if (t.type !== 'prefix') {
        next.push(t);
        continue;
      }
      const subTlvs = t.subTlvs
        .map((st) => (st.type === 'borderRouter' ? { ...st, entries: st.entries.filter((e) => !drop.has(e.rloc16)) } : st))
        .filter((st) => st.type !== 'borderRouter' || st.entries.length > 0);
      // A prefix with no border router left keeps its context, for decompression only (withContexts).
      if (subTlvs.some((st) => st.type === 'borderRouter' || st.type === 'context')) next.push({ ...t, subTlvs });
    }
    for (const t of offered?.value ?? []) {
      if (t.type !== 'prefix') continue;
      // Contexts are the leader's to give: only the border router entries are taken.
      const entries = t.subTlvs.filter((st) => st.type === 'borderRouter');
      const same = next.find((x) => x.type === 'prefix' && x.prefixLength === t.prefixLength && bytesEqual(x.prefix, t.prefix));
      if (same && same.type === 'prefix') same.subTlvs.push(...entries);
      else next.push({ ...t, subTlvs: entries });
    }
    this.mle.networkData = withContexts(next);
    this.mle.leaderData = { ...this.mle.leaderData!, dataVersion: (this.mle.leaderData!.dataVersion + 1) & 0xff, stableDataVersion: (this.mle.leaderData!.stableDataVersion + 1) & 0xff };
    this.mle.refreshGlobals();
    // Thread's leader multicasts a Data Response on a change rather than wait for its trickle.
    this.mle.sendMle(ALL_NODES, 'dataResponse', [mleTlv('sourceAddress', this.mle.rloc!), mleTlv('leaderData', this.mle.leaderData), mleTlv('networkData', emitNetworkData(this.mle.networkData))]);
  }

  /** Leader: the requested ID if free, else one of the free ones at random (OpenThread RouterTable::Allocate). */
  private allocateRouterId(requested: number | undefined, ext: Uint8Array): number | undefined {
    // A node asking again (its ACK was late or lost) keeps the ID it holds, as OpenThread's
    // leader finds it by extended address; else one node would hold two router IDs.
    const held = this.routerIdOwners.get(toHex(ext));
    if (held !== undefined && this.mle.routerTable.ids.has(held)) return held;
    if (this.mle.routerTable.ids.size > C.MAX_ROUTER_ID) return undefined;
    let id = requested !== undefined && isRouterRloc16(requested) ? routerIdOf(requested) : undefined;
    if (id === undefined || this.mle.routerTable.ids.has(id)) {
      // Not the lowest: OpenThread's leader draws among the free IDs, and the lowest, 0, gives
      // RLOC16 0x0000, a short address every ot-cli-ftd-vt node acknowledges (docs/openthread.md).
      const free: number[] = [];
      for (let i = 0; i <= C.MAX_ROUTER_ID; i++) if (!this.mle.routerTable.ids.has(i)) free.push(i);
      id = free.length > 0 ? free[this.mle.env.rng.int(free.length)] : undefined;
    }
    if (id === undefined) return undefined;
    this.mle.routerTable.ids.add(id);
    for (const [owner, owned] of this.routerIdOwners) if (owned === id) this.routerIdOwners.delete(owner);
    this.routerIdOwners.set(toHex(ext), id);
    this.lastReachable.set(id, this.mle.env.timers.now());
    this.mle.routerTable.bump(this.mle.env.timers.now());
    this.mle.counters.routerIdsAssigned++;
    this.mle.links.resetTrickle();
    return id;
  }

  /** Leader: a router ID unreachable for MAX_NEIGHBOR_AGE is released; the ID sequence moves on. */
  ageRouterIds(now: Micros): void {
    const myId = routerIdOf(this.mle.rloc!);
    let changed = false;
    for (const id of [...this.mle.routerTable.ids]) {
      if (id === myId) continue;
      if (this.mle.routeCost(id) !== undefined) this.lastReachable.set(id, now);
      else if (now - (this.lastReachable.get(id) ?? now) > C.MAX_NEIGHBOR_AGE) {
        this.mle.routerTable.ids.delete(id);
        this.lastReachable.delete(id);
        this.mle.resolver.forgetRouter(id);
        changed = true;
      }
    }
    if (changed) {
      this.mle.routerTable.bump(now);
      this.mle.links.resetTrickle();
    } else if (now - this.mle.routerTable.updatedAt >= C.ID_SEQUENCE_PERIOD) {
      // The heartbeat routers judge the leader by (router_table.cpp HandleTimeTick).
      this.mle.routerTable.bump(now);
    }
  }
}
