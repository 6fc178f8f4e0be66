// The router's side toward children and its own promotion (OpenThread mle_router.cpp):
// Parent Responses to Parent Requests, Child ID Requests accepted with a child
// RLOC16, Child Update Requests answered, and a REED that becomes a router: after
// the router selection jitter, or at once when a child asks to attach, it asks the
// leader for a router ID (Address Solicit, a/as) and takes it.
import type { Micros, Timer } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import type { Ipv6Address } from '../wire/ipv6-address.ts';
import { getMleTlv, MLE_TLVS, mleTlv, type AddressRegistrationEntry, type Connectivity, type MleMessage, type MleTlv } from '../wire/mle.ts';
import * as C from './constants.ts';
import type { UdpReceive } from './link.ts';
import type { ThreadMle } from './mle-engine.ts';
import { emitNetworkData } from './network-data.ts';
import { ADDRESS_SOLICIT_REASON_TOO_FEW_ROUTERS, ADDRESS_SOLICIT_STATUS, ADDRESS_SOLICIT_URI, emitAddressTlvs, parseAddressTlvs, type CoapMessage } from './tmf.ts';
import type { TmfExchange } from './tmf-agent.ts';

export class RouterRole {
  /** Challenges we sent in Parent Responses, by requester. */
  private readonly parentResponses = new Map<string, { challenge: Uint8Array; at: Micros }>();
  /** Child ID Requests a REED holds while it becomes a router. */
  private pendingChildRequests: Array<{ m: MleMessage; rx: UdpReceive; ext: Uint8Array; keySequence: number; fc: number }> = [];
  private upgradeTimer: Timer | undefined;
  private solicit: TmfExchange | undefined;

  constructor(private readonly mle: ThreadMle) {}

  /** A REED waits to ask for a router ID, or has asked. */
  get upgradePending(): boolean {
    return this.upgradeTimer !== undefined || this.solicit !== undefined;
  }

  /** Every timer and exchange was cancelled. */
  cancel(): void {
    this.upgradeTimer = undefined;
    this.solicit = undefined;
  }

  /** The attachment is gone: Child ID Requests held for an upgrade go with it. */
  dropPendingChildren(): void {
    this.pendingChildRequests = [];
  }

  /** Challenges of Parent Responses unanswered for CHILD_ID_REQUEST_TIMEOUT are dropped. */
  expireParentResponses(now: Micros): void {
    for (const [k, p] of this.parentResponses) if (now - p.at > C.CHILD_ID_REQUEST_TIMEOUT) this.parentResponses.delete(k);
  }

  handleChildUpdateRequest(m: MleMessage, rx: UdpReceive, ext: Uint8Array): void {
    if (!this.mle.isRouterRole()) return;
    const n = this.mle.neighbours.get(toHex(ext));
    if (n?.kind !== 'child') {
      this.mle.sendMle(rx.src, 'childUpdateResponse', [mleTlv('status', 1), ...(getMleTlv(m, 'challenge') ? [mleTlv('response', getMleTlv(m, 'challenge')!)] : [])]);
      return;
    }
    n.lastHeard = this.mle.env.timers.now();
    n.linkMarginDb = rx.link.linkMarginDb;
    const timeout = getMleTlv(m, 'timeout');
    if (timeout !== undefined) n.timeoutS = timeout;
    const reg = getMleTlv(m, 'addressRegistration');
    if (reg) n.mlEids = this.registeredAddresses(reg);
    const challenge = getMleTlv(m, 'challenge');
    this.mle.sendMle(rx.src, 'childUpdateResponse', [
      mleTlv('sourceAddress', this.mle.rloc!),
      ...(n.mode ? [mleTlv('mode', n.mode)] : []),
      ...(challenge ? [mleTlv('response', challenge)] : []),
      mleTlv('timeout', n.timeoutS ?? this.mle.cfg.childTimeoutS),
      mleTlv('leaderData', this.mle.leaderData!),
    ]);
  }

  handleParentRequest(m: MleMessage, rx: UdpReceive, ext: Uint8Array): void {
    const mask = getMleTlv(m, 'scanMask');
    const challenge = getMleTlv(m, 'challenge');
    if (!mask || !challenge || !this.mle.leaderData) return;
    const asRouter = this.mle.isRouterRole() && mask.routers;
    const asReed = this.mle.isReed() && mask.endDevices;
    if (!asRouter && !asReed) return;
    const existing = this.mle.neighbours.get(toHex(ext));
    if (existing?.kind === 'parent') return; // our parent cannot become our child
    const maxDelay = mask.endDevices ? C.PARENT_RESPONSE_MAX_DELAY_ALL : C.PARENT_RESPONSE_MAX_DELAY_ROUTERS;
    const margin = rx.link.linkMarginDb;
    const src = rx.src;
    this.mle.later(this.mle.jitter(maxDelay), () => {
      if (!this.mle.leaderData || this.mle.rloc === undefined) return;
      const ours = this.mle.randomBytes(8);
      this.parentResponses.set(toHex(ext), { challenge: ours, at: this.mle.env.timers.now() });
      this.mle.sendMle(src, 'parentResponse', [
        mleTlv('sourceAddress', this.mle.rloc),
        mleTlv('leaderData', this.mle.leaderData),
        mleTlv('linkFrameCounter', this.mle.env.linkFrameCounter()),
        mleTlv('mleFrameCounter', this.mle.mleFrameCounter),
        mleTlv('response', challenge),
        mleTlv('challenge', ours),
        mleTlv('linkMargin', Math.max(0, Math.min(255, Math.round(margin)))),
        mleTlv('connectivity', this.connectivity()),
        mleTlv('version', C.THREAD_VERSION_1_3),
      ]);
    });
  }

  private connectivity(): Connectivity {
    let lq3 = 0;
    let lq2 = 0;
    let lq1 = 0;
    for (const n of this.mle.neighbours.values()) {
      if (n.kind === 'child') continue;
      const lq = C.linkQualityFromMargin(n.linkMarginDb);
      if (lq === 3) lq3++;
      else if (lq === 2) lq2++;
      else if (lq === 1) lq1++;
    }
    const leaderCost = this.mle.leaderData ? Math.min(this.mle.routeCost(this.mle.leaderData.leaderRouterId) ?? C.MAX_ROUTE_COST, 255) : C.MAX_ROUTE_COST;
    return { parentPriority: 0, flagsReserved: 0, linkQuality3: lq3, linkQuality2: lq2, linkQuality1: lq1, leaderCost, idSequence: this.mle.routerTable.idSequence, activeRouters: this.mle.routerTable.ids.size };
  }

  handleChildIdRequest(m: MleMessage, rx: UdpReceive, ext: Uint8Array, keySequence: number, fc: number): void {
    const key = toHex(ext);
    const pending = this.parentResponses.get(key);
    const response = getMleTlv(m, 'response');
    if (!pending || !response || !bytesEqual(response, pending.challenge)) return;
    if (this.mle.env.timers.now() - pending.at > C.CHILD_ID_REQUEST_TIMEOUT) return;
    if (this.mle.isReed()) {
      // A REED becomes a router before it takes a child (thread.md §1).
      this.pendingChildRequests.push({ m, rx, ext, keySequence, fc });
      this.upgradeTimer?.cancel();
      if (!this.solicit) this.sendAddressSolicit();
      return;
    }
    if (!this.mle.isRouterRole()) return;
    this.parentResponses.delete(key);
    this.acceptChild(m, rx, ext, keySequence, fc);
  }

  private acceptChild(m: MleMessage, rx: UdpReceive, ext: Uint8Array, keySequence: number, fc: number): void {
    if (this.mle.rloc === undefined || !this.mle.leaderData) return;
    const key = toHex(ext);
    let child = this.mle.neighbours.get(key);
    if (child?.kind === 'parent') return;
    if (child && child.kind !== 'child') child = undefined; // a former router neighbour re-attaching
    if (!child) {
      const used = new Set([...this.mle.neighbours.values()].filter((n) => n.kind === 'child').map((n) => n.rloc16 & 0x1ff));
      let id = 1;
      while (used.has(id) && id <= C.MAX_CHILD_ID) id++;
      if (id > C.MAX_CHILD_ID) return;
      child = { ext, rloc16: this.mle.rloc | id, kind: 'child', lastHeard: 0, linkMarginDb: rx.link.linkMarginDb, mlEids: [], routes: new Map() };
      this.mle.neighbours.set(key, child);
    }
    child.lastHeard = this.mle.env.timers.now();
    const mode = getMleTlv(m, 'mode');
    if (mode) child.mode = mode;
    child.timeoutS = getMleTlv(m, 'timeout') ?? this.mle.cfg.childTimeoutS;
    const reg = getMleTlv(m, 'addressRegistration');
    if (reg) child.mlEids = this.registeredAddresses(reg);
    this.mle.replay.establish(key, { keySequence, mleFrameCounter: fc + 1, linkFrameCounter: getMleTlv(m, 'linkFrameCounter') ?? 0 });
    const requested = getMleTlv(m, 'tlvRequest') ?? [];
    const tlvs: MleTlv[] = [
      mleTlv('sourceAddress', this.mle.rloc),
      mleTlv('leaderData', this.mle.leaderData),
      mleTlv('activeTimestamp', { seconds: 1, ticks: 0, authoritative: false }),
      mleTlv('address16', child.rloc16),
    ];
    if (requested.includes(MLE_TLVS.networkData.code)) tlvs.push(mleTlv('networkData', emitNetworkData(this.mle.networkData)));
    if (requested.includes(MLE_TLVS.route64.code) && mode?.fullThreadDevice) tlvs.push(mleTlv('route64', this.mle.route64()));
    this.mle.sendMle(rx.src, 'childIdResponse', tlvs);
  }

  /** A child's Address Registration: a compressed entry names its prefix by context ID (0 the mesh-local one); one we do not hold is skipped. */
  private registeredAddresses(entries: AddressRegistrationEntry[]): Ipv6Address[] {
    const out: Ipv6Address[] = [];
    for (const e of entries) {
      if (!e.compressed) out.push(e.address.slice());
      else if (e.contextId === 0) out.push(this.mle.meshLocal(e.iid));
      else {
        const ctx = this.mle.lowpanContexts().find((c) => c.id === e.contextId && c.length === 64);
        if (!ctx) continue;
        const a = new Uint8Array(16);
        a.set(ctx.prefix.subarray(0, 8));
        a.set(e.iid.subarray(0, 8), 8);
        out.push(a);
      }
    }
    return out;
  }

  scheduleRouterUpgrade(): void {
    if (!this.mle.isReed()) return;
    this.upgradeTimer?.cancel();
    this.upgradeTimer = this.mle.later(this.mle.jitter(this.mle.cfg.routerSelectionJitter) + 1, () => {
      this.upgradeTimer = undefined;
      if (this.mle.isReed() && this.mle.routerTable.ids.size < C.ROUTER_UPGRADE_THRESHOLD) this.sendAddressSolicit();
    });
  }

  private sendAddressSolicit(): void {
    if (!this.mle.leaderData || this.mle.rloc === undefined) return;
    this.mle.counters.addressSolicits++;
    const payload = emitAddressTlvs({ status: ADDRESS_SOLICIT_REASON_TOO_FEW_ROUTERS, extMacAddress: this.mle.env.extAddress, unknown: [] });
    // Confirmable: retransmitted until the leader answers (tmf-agent.ts); unanswered, wait for the next jitter.
    const exchange = this.mle.postToLeader(ADDRESS_SOLICIT_URI, payload, (ack) => {
      if (this.solicit !== exchange) return;
      this.solicit = undefined;
      this.solicitAnswered(ack);
    });
    this.solicit = exchange;
  }

  private solicitAnswered(ack: CoapMessage | undefined): void {
    const res = ack ? parseAddressTlvs(ack.payload) : undefined;
    if (!res?.ok || res.value.status !== ADDRESS_SOLICIT_STATUS.success || res.value.rloc16 === undefined || !res.value.routerMask) {
      this.pendingChildRequests = [];
      // Unanswered, or refused (no router ID free, say): a REED still short of routers tries again
      // after another jitter, as OpenThread re-arms its router selection jitter; else it would stay
      // a child for good, and a neighbour only children can hear never learns of the partition.
      this.scheduleRouterUpgrade();
      return;
    }
    this.becomeRouter(res.value.rloc16, res.value.routerMask.idSequence, res.value.routerMask.routerIds);
  }

  private becomeRouter(rloc16: number, idSequence: number, routerIds: number[]): void {
    if (!this.mle.isReed()) return;
    // The former parent stays a neighbour, now a router one, with its frame counters: as
    // OpenThread's HandleAddressSolicitResponse copies mParent into its router table, valid.
    // Dropped, its frames (an MPL copy of the light's toggle, its advertisements) could not be
    // unsecured until a Link Accept came back, which an OpenThread parent sends a second later.
    for (const n of this.mle.neighbours.values()) if (n.kind === 'parent') n.kind = 'router';
    this.mle.attacher.stopKeepAlive();
    this.mle.rloc = rloc16;
    this.mle.setShortAddress(rloc16);
    this.mle.routerTable.set(routerIds, idSequence, this.mle.env.timers.now());
    this.mle.setRole('router');
    this.mle.links.requestLinks(rloc16);
    this.mle.links.startTrickle();
    const held = this.pendingChildRequests;
    this.pendingChildRequests = [];
    for (const p of held) this.acceptChild(p.m, p.rx, p.ext, p.keySequence, p.fc);
  }
}
