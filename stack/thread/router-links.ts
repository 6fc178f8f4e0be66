// Links between routers and what they tell each other (OpenThread mle_router.cpp):
// Link Request / Accept (and Request) with their challenges, MLE Advertisements on a
// Trickle timer (Imax by router neighbours) carrying Route64, the leader's router ID
// set taken from them, a better partition heard of, and network data fetched with
// Data Request / Response when its version moves on.
import type { Micros } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import { ALL_NODES, ALL_ROUTERS, isMulticast, type Ipv6Address } from '../wire/ipv6-address.ts';
import { getMleTlv, MLE_TLVS, mleTlv, type MleMessage, type MleTlv, type Route64 } from '../wire/mle.ts';
import { Trickle } from '../net/trickle.ts';
import * as C from './constants.ts';
import type { UdpReceive } from './link.ts';
import type { ThreadMle } from './mle-engine.ts';
import { emitNetworkData, parseNetworkData } from './network-data.ts';
import { comparePartitions, seqNewer } from './partition.ts';
import { isRouterRloc16, routerIdOf } from './rloc.ts';

export class RouterLinks {
  /** Challenges we sent in Link Requests / Accept-and-Requests, by peer ('*' for a multicast request). */
  private readonly linkChallenges = new Map<string, { challenge: Uint8Array; at: Micros }>();
  private readonly linkRequestSentAt = new Map<string, Micros>();

  /** Advertisements on a Trickle timer (RFC 6206, no suppression), Imin 1 s, Imax by router neighbours. */
  private readonly advertiser: Trickle;

  constructor(private readonly mle: ThreadMle) {
    this.advertiser = new Trickle(mle.env.timers, mle.env.rng, { imin: C.ADV_IMIN, doublings: 0, k: 0, imax: () => this.advImax() }, () => this.sendAdvertisement());
  }

  /** Every timer was cancelled: advertising stops. */
  cancel(): void {
    this.advertiser.stop();
  }

  /** A new router asks every router in range for a link (multicast Link Request). */
  requestLinks(rloc16: number): void {
    const challenge = this.mle.randomBytes(8);
    this.linkChallenges.set('*', { challenge, at: this.mle.env.timers.now() });
    this.mle.sendMle(ALL_ROUTERS, 'linkRequest', [
      mleTlv('sourceAddress', rloc16),
      mleTlv('leaderData', this.mle.leaderData!),
      mleTlv('challenge', challenge),
      mleTlv('version', C.THREAD_VERSION_1_3),
      mleTlv('tlvRequest', [MLE_TLVS.linkMargin.code, MLE_TLVS.route64.code]),
    ]);
  }

  private sendLinkRequest(to: Ipv6Address, ext: Uint8Array): void {
    const key = toHex(ext);
    const now = this.mle.env.timers.now();
    const last = this.linkRequestSentAt.get(key);
    if (last !== undefined && now - last < C.LINK_REQUEST_TIMEOUT * 2) return;
    this.linkRequestSentAt.set(key, now);
    const challenge = this.mle.randomBytes(8);
    this.linkChallenges.set(key, { challenge, at: now });
    this.mle.sendMle(to, 'linkRequest', [
      mleTlv('sourceAddress', this.mle.rloc!),
      mleTlv('leaderData', this.mle.leaderData!),
      mleTlv('challenge', challenge),
      mleTlv('version', C.THREAD_VERSION_1_3),
      mleTlv('tlvRequest', [MLE_TLVS.linkMargin.code, MLE_TLVS.route64.code]),
    ]);
  }

  handleLinkRequest(m: MleMessage, rx: UdpReceive, ext: Uint8Array): void {
    if (!this.mle.isRouterRole() || !this.mle.leaderData) return;
    const leaderData = getMleTlv(m, 'leaderData');
    const challenge = getMleTlv(m, 'challenge');
    const src = getMleTlv(m, 'sourceAddress');
    if (!leaderData || !challenge || src === undefined || leaderData.partitionId !== this.mle.leaderData.partitionId) return;
    const multicast = isMulticast(rx.dst);
    const margin = rx.link.linkMarginDb;
    const known = this.mle.neighbours.get(toHex(ext))?.kind === 'router';
    this.mle.later(multicast ? this.mle.jitter(C.LINK_ACCEPT_MAX_DELAY) : 0, () => {
      if (!this.mle.isRouterRole() || !this.mle.leaderData || this.mle.rloc === undefined) return;
      const tlvs: MleTlv[] = [
        mleTlv('sourceAddress', this.mle.rloc),
        mleTlv('leaderData', this.mle.leaderData),
        mleTlv('response', challenge),
        mleTlv('linkFrameCounter', this.mle.env.linkFrameCounter()),
        mleTlv('mleFrameCounter', this.mle.mleFrameCounter),
        mleTlv('linkMargin', Math.max(0, Math.min(255, Math.round(margin)))),
        mleTlv('version', C.THREAD_VERSION_1_3),
        mleTlv('route64', this.mle.route64()),
      ];
      if (!known) {
        const ours = this.mle.randomBytes(8);
        this.linkChallenges.set(toHex(ext), { challenge: ours, at: this.mle.env.timers.now() });
        tlvs.push(mleTlv('challenge', ours));
      }
      this.mle.sendMle(rx.src, known ? 'linkAccept' : 'linkAcceptAndRequest', tlvs);
    });
  }

  handleLinkAccept(m: MleMessage, rx: UdpReceive, ext: Uint8Array, keySequence: number, fc: number, andRequest: boolean): void {
    if (!this.mle.isRouterRole()) return;
    const response = getMleTlv(m, 'response');
    const src = getMleTlv(m, 'sourceAddress');
    const leaderData = getMleTlv(m, 'leaderData');
    if (!response || src === undefined || !leaderData || !isRouterRloc16(src)) return;
    const key = toHex(ext);
    const now = this.mle.env.timers.now();
    const match = [this.linkChallenges.get(key), this.linkChallenges.get('*')].some(
      (c) => c !== undefined && now - c.at <= C.LINK_REQUEST_TIMEOUT + C.LINK_ACCEPT_MAX_DELAY && bytesEqual(c.challenge, response),
    );
    if (!match || leaderData.partitionId !== this.mle.leaderData?.partitionId) return;
    this.linkChallenges.delete(key);
    this.addRouterNeighbour(ext, src, rx.link.linkMarginDb, keySequence, fc, getMleTlv(m, 'linkFrameCounter') ?? 0);
    const route = getMleTlv(m, 'route64');
    if (route) this.takeRoutes(ext, route);
    const challenge = getMleTlv(m, 'challenge');
    if (andRequest && challenge) {
      this.mle.sendMle(rx.src, 'linkAccept', [
        mleTlv('sourceAddress', this.mle.rloc!),
        mleTlv('leaderData', this.mle.leaderData),
        mleTlv('response', challenge),
        mleTlv('linkFrameCounter', this.mle.env.linkFrameCounter()),
        mleTlv('mleFrameCounter', this.mle.mleFrameCounter),
        mleTlv('linkMargin', Math.max(0, Math.min(255, Math.round(rx.link.linkMarginDb)))),
        mleTlv('version', C.THREAD_VERSION_1_3),
      ]);
    }
  }

  private addRouterNeighbour(ext: Uint8Array, rloc16: number, marginDb: number, keySequence: number, fc: number, linkFc: number): void {
    const key = toHex(ext);
    const existing = this.mle.neighbours.get(key);
    this.mle.neighbours.set(key, {
      ext,
      rloc16,
      kind: 'router',
      lastHeard: this.mle.env.timers.now(),
      linkMarginDb: marginDb,
      mlEids: [],
      routes: existing?.routes ?? new Map(),
    });
    this.mle.replay.establish(key, { keySequence, mleFrameCounter: fc + 1, linkFrameCounter: linkFc });
    this.resetTrickle();
  }

  /** Advertising from Imin again (a new role). */
  startTrickle(): void {
    this.advertiser.stop();
    this.advertiser.reset();
  }

  /** Something to advertise changed: back to Imin unless already there (RFC 6206 §4.2 step 6). */
  resetTrickle(): void {
    if (!this.mle.isRouterRole()) return;
    this.advertiser.reset();
  }

  private advImax(): Micros {
    const routers = [...this.mle.neighbours.values()].filter((n) => n.kind === 'router' && C.linkQualityFromMargin(n.linkMarginDb) >= 2).length;
    return Math.max(C.ADV_IMAX_MIN, Math.min(C.ADV_IMAX_MAX, (routers + 1) * C.ADV_IMAX_PER_ROUTER));
  }

  private sendAdvertisement(): void {
    if (!this.mle.isRouterRole() || !this.mle.leaderData || this.mle.rloc === undefined) return;
    this.mle.sendMle(ALL_NODES, 'advertisement', [mleTlv('sourceAddress', this.mle.rloc), mleTlv('leaderData', this.mle.leaderData), mleTlv('route64', this.mle.route64())]);
  }

  private takeRoutes(ext: Uint8Array, route: Route64): void {
    const n = this.mle.neighbours.get(toHex(ext));
    if (!n || n.kind !== 'router') return;
    this.mle.routerTable.takeRoutes(n, route, this.mle.rloc !== undefined ? routerIdOf(this.mle.rloc) : undefined);
  }

  /** Takes the leader's newer router ID set; true when its members changed (not just its sequence). */
  adoptRouterSet(route: Route64): boolean {
    const { changed, released } = this.mle.routerTable.adopt(route, this.mle.env.timers.now());
    // A released router ID takes its cached EIDs with it (OpenThread AddressResolver::Remove(routerId)).
    for (const id of released) this.mle.resolver.forgetRouter(id);
    return changed;
  }

  handleAdvertisement(m: MleMessage, rx: UdpReceive, ext: Uint8Array): void {
    const src = getMleTlv(m, 'sourceAddress');
    const leaderData = getMleTlv(m, 'leaderData');
    const route = getMleTlv(m, 'route64');
    if (src === undefined || !leaderData || !route || !this.mle.leaderData || !this.mle.isAttached()) return;
    const key = toHex(ext);
    const n = this.mle.neighbours.get(key);
    if (leaderData.partitionId !== this.mle.leaderData.partitionId) {
      // Our parent moved to another partition: it dropped us, so attach again.
      if (n?.kind === 'parent') return this.mle.detach();
      // An end device follows its parent; routers and REEDs look for the better partition.
      if ((this.mle.role === 'child' && !this.mle.routerEligible()) || this.mle.attacher.attaching) return;
      const theirsSingleton = route.routes.length <= 1;
      const oursSingleton = this.mle.routerTable.ids.size <= 1;
      if (comparePartitions(theirsSingleton, leaderData, oursSingleton, this.mle.leaderData) > 0) this.mle.attacher.startAttach('better', false);
      return;
    }
    if (n) {
      n.lastHeard = this.mle.env.timers.now();
      n.linkMarginDb = rx.link.linkMarginDb;
    }
    if (seqNewer(route.idSequence, this.mle.routerTable.idSequence) && this.mle.role !== 'leader') {
      const changed = this.adoptRouterSet(route);
      if (this.mle.role === 'router' && this.mle.rloc !== undefined && !this.mle.routerTable.ids.has(routerIdOf(this.mle.rloc))) return this.mle.detach();
      // The leader's periodic bump alone changes nothing to advertise about.
      if (changed) this.resetTrickle();
      // A REED that found the partition full looks again once routers have gone (OpenThread
      // re-arms the router selection jitter from the advertisements it hears).
      if (changed && this.mle.isReed() && !this.mle.router.upgradePending && this.mle.routerTable.ids.size < C.ROUTER_UPGRADE_THRESHOLD) this.mle.router.scheduleRouterUpgrade();
    }
    if (this.mle.role === 'child') {
      if (n?.kind === 'parent') {
        if (seqNewer(leaderData.dataVersion, this.mle.leaderData.dataVersion)) this.mle.sendMle(rx.src, 'dataRequest', [mleTlv('tlvRequest', [MLE_TLVS.networkData.code])]);
        this.mle.leaderData = { ...this.mle.leaderData, weighting: leaderData.weighting, leaderRouterId: leaderData.leaderRouterId };
      }
      return;
    }
    if (!isRouterRloc16(src)) return;
    // Our child advertising a router RLOC16 has become a router: its child entry (old RLOC16) is stale.
    if (n?.kind === 'child') this.mle.neighbours.delete(key);
    if (n?.kind === 'router') this.takeRoutes(ext, route);
    else if (this.mle.role === 'router' || this.mle.role === 'leader') this.sendLinkRequest(rx.src, ext);
    if (this.mle.role !== 'leader' && seqNewer(leaderData.dataVersion, this.mle.leaderData.dataVersion)) {
      this.mle.sendMle(rx.src, 'dataRequest', [mleTlv('tlvRequest', [MLE_TLVS.networkData.code])]);
    }
  }

  handleDataRequest(rx: UdpReceive): void {
    if (!this.mle.isAttached() || !this.mle.leaderData || this.mle.rloc === undefined) return;
    this.mle.sendMle(rx.src, 'dataResponse', [mleTlv('sourceAddress', this.mle.rloc), mleTlv('leaderData', this.mle.leaderData), mleTlv('networkData', emitNetworkData(this.mle.networkData))]);
  }

  handleDataResponse(m: MleMessage): void {
    const leaderData = getMleTlv(m, 'leaderData');
    const nd = getMleTlv(m, 'networkData');
    if (!leaderData || !nd || !this.mle.leaderData || leaderData.partitionId !== this.mle.leaderData.partitionId) return;
    const parsed = parseNetworkData(nd);
    if (!parsed.ok) return;
    this.mle.networkData = parsed.value;
    this.mle.leaderData = { ...this.mle.leaderData, dataVersion: leaderData.dataVersion, stableDataVersion: leaderData.stableDataVersion };
    this.mle.refreshGlobals();
  }
}
