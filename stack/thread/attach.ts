// MLE attach and keep-alive, the child's side (OpenThread mle.cpp): Parent Requests
// in attach cycles (routers first, then REEDs too), the best Parent Response chosen
// by link quality and connectivity, the Child ID exchange, the backoff between
// failed cycles, a search for a better partition, and Child Update Requests that
// keep the parent's entry for us alive.
import type { Micros, Timer } from '../runtime.ts';
import { SECOND } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import { ALL_ROUTERS, type Ipv6Address } from '../wire/ipv6-address.ts';
import { getMleTlv, MLE_TLVS, mleTlv, type Connectivity, type DeviceMode, type LeaderData, type MleMessage, type MleTlv } from '../wire/mle.ts';
import * as C from './constants.ts';
import type { UdpReceive } from './link.ts';
import type { ThreadMle } from './mle-engine.ts';
import { parseNetworkData, type NetworkDataTlv } from './network-data.ts';
import { comparePartitions } from './partition.ts';
import { isRouterRloc16 } from './rloc.ts';

interface ParentCandidate {
  ext: Uint8Array;
  src: Ipv6Address;
  rloc16: number;
  leaderData: LeaderData;
  linkFrameCounter: number;
  challenge: Uint8Array;
  ourMarginDb: number;
  theirMarginDb: number;
  connectivity: Connectivity;
  keySequence: number;
  mleFrameCounter: number;
}

interface Attach {
  mode: 'any' | 'better';
  /** Index of the next Parent Request in this cycle. */
  index: number;
  routerRequests: number;
  totalRequests: number;
  challenge: Uint8Array;
  candidates: ParentCandidate[];
  /** Chosen parent while a Child ID Request is out. */
  chosen?: ParentCandidate;
  timer?: Timer;
}

export class Attacher {
  private attach: Attach | undefined;
  private backoff: Micros = C.ATTACH_BACKOFF_MIN;
  private lastParent: Uint8Array | undefined;
  private keepAlive: { attempts: number; challenge: Uint8Array; timer?: Timer } | undefined;

  constructor(private readonly mle: ThreadMle) {}

  /** An attach cycle is under way. */
  get attaching(): boolean {
    return this.attach !== undefined;
  }

  /**
   * We joined a partition (as a child or its leader): an attach cycle still out ends, as
   * OpenThread's does when it takes a role (mle_router.cpp SetStateRouterOrLeader: attach state
   * idle, attach timer stopped); later cycles are short, the backoff starts again. A router whose
   * leader-age timeout made it leader during a better-partition search otherwise kept the
   * search's record, with its timer cancelled, and never searched again.
   */
  attached(): void {
    this.attach?.timer?.cancel();
    this.attach = undefined;
    this.backoff = C.ATTACH_BACKOFF_MIN;
  }

  /** The node stops: no attach cycle. */
  stop(): void {
    this.attach = undefined;
  }

  /** Every timer was cancelled: no keep-alive in flight. */
  cancel(): void {
    this.keepAlive = undefined;
  }

  /** A child becoming a router keeps no parent alive. */
  stopKeepAlive(): void {
    this.keepAlive?.timer?.cancel();
    this.keepAlive = undefined;
  }

  /**
   * `first`: the cycle a start begins with. Only it is the long first cycle; a cycle after a
   * failed one is a next cycle, as OpenThread's are once its attach counter passes 1
   * (mle.cpp PrepareParentRequest: `mAttachCounter <= 1` takes kFirstAttachCycle*).
   */
  startAttach(mode: 'any' | 'better', first: boolean): void {
    if (this.attach?.timer) this.attach.timer.cancel();
    const firstCycle = first;
    this.attach = {
      mode,
      index: 0,
      routerRequests: firstCycle ? C.FIRST_CYCLE_ROUTER_REQUESTS : C.LATER_CYCLE_ROUTER_REQUESTS,
      totalRequests: firstCycle ? C.FIRST_CYCLE_TOTAL_REQUESTS : C.LATER_CYCLE_TOTAL_REQUESTS,
      challenge: this.mle.randomBytes(8),
      candidates: [],
    };
    this.mle.counters.attachAttempts++;
    if (mode === 'better') this.mle.counters.betterPartitionAttachAttempts++;
    const delay = first ? C.ATTACH_START_MIN + this.mle.jitter(C.ATTACH_START_JITTER) : this.mle.jitter(C.ATTACH_RETRY_JITTER);
    const a = this.attach;
    a.timer = this.mle.later(delay, () => this.sendParentRequest(a));
  }

  private sendParentRequest(a: Attach): void {
    if (this.attach !== a) return;
    const routersOnly = a.index < a.routerRequests;
    a.index++;
    a.challenge = this.mle.randomBytes(8);
    this.mle.counters.parentRequests++;
    this.mle.sendMle(ALL_ROUTERS, 'parentRequest', [
      mleTlv('mode', this.mode()),
      mleTlv('challenge', a.challenge),
      mleTlv('scanMask', { routers: true, endDevices: !routersOnly, reserved: 0 }),
      mleTlv('version', C.THREAD_VERSION_1_3),
    ]);
    a.timer = this.mle.later(routersOnly ? C.PARENT_REQUEST_ROUTER_TIMEOUT : C.PARENT_REQUEST_REED_TIMEOUT, () => this.parentWindowEnded(a));
  }

  private parentWindowEnded(a: Attach): void {
    if (this.attach !== a) return;
    const best = this.bestCandidate(a.candidates);
    if (best) return this.sendChildIdRequest(a, best);
    if (a.index < a.totalRequests) return this.sendParentRequest(a);
    this.attachCycleFailed(a);
  }

  private attachCycleFailed(a: Attach): void {
    this.attach = undefined;
    if (a.mode === 'better') return; // stay in our partition
    if (this.mle.routerEligible()) return this.mle.leader.becomeLeader();
    this.mle.observer.attachFailed();
    // OpenThread's backoff doubles up to 20 min; the Mesh API's tasklet restarts a failed
    // bootstrap after 5 s (mbed-mesh-api.md §3), so a detached board never waits longer.
    const wait = Math.min(this.backoff, C.BOOTSTRAP_RETRY) + this.mle.jitter(C.ATTACH_RETRY_JITTER);
    this.backoff = Math.min(this.backoff * 2, C.ATTACH_BACKOFF_MAX);
    this.mle.later(wait, () => {
      if (this.mle.role === 'detached' && !this.attach) this.startAttach('any', false);
    });
  }

  private bestCandidate(cands: ParentCandidate[]): ParentCandidate | undefined {
    const score = (c: ParentCandidate): number[] => {
      const lq = Math.min(C.linkQualityFromMargin(c.ourMarginDb), C.linkQualityFromMargin(c.theirMarginDb));
      return [lq, isRouterRloc16(c.rloc16) ? 1 : 0, c.connectivity.parentPriority, c.connectivity.linkQuality3, c.connectivity.linkQuality2, c.connectivity.linkQuality1, c.ourMarginDb];
    };
    let best: ParentCandidate | undefined;
    let bestScore: number[] = [];
    for (const c of cands) {
      const s = score(c);
      if (!best || compareLex(s, bestScore) > 0) {
        best = c;
        bestScore = s;
      }
    }
    return best;
  }

  private sendChildIdRequest(a: Attach, parent: ParentCandidate): void {
    a.chosen = parent;
    a.candidates = a.candidates.filter((c) => c !== parent);
    const tlvs: MleTlv[] = [
      mleTlv('response', parent.challenge),
      mleTlv('linkFrameCounter', this.mle.env.linkFrameCounter()),
      mleTlv('mleFrameCounter', this.mle.mleFrameCounter),
      mleTlv('mode', this.mode()),
      mleTlv('timeout', this.mle.cfg.childTimeoutS),
      mleTlv('version', C.THREAD_VERSION_1_3),
      // Registered by every child here, so a parent can route to its children's ML-EIDs.
      mleTlv('addressRegistration', [{ compressed: true, contextId: 0, iid: this.mle.mlEid.slice(8, 16) }]),
      mleTlv('tlvRequest', [MLE_TLVS.address16.code, MLE_TLVS.networkData.code, MLE_TLVS.route64.code]),
      mleTlv('activeTimestamp', { seconds: 1, ticks: 0, authoritative: false }),
    ];
    this.mle.sendMle(parent.src, 'childIdRequest', tlvs);
    a.timer = this.mle.later(C.CHILD_ID_RESPONSE_TIMEOUT, () => {
      if (this.attach !== a) return;
      a.chosen = undefined;
      const next = this.bestCandidate(a.candidates);
      if (next) return this.sendChildIdRequest(a, next);
      if (a.index < a.totalRequests) return this.sendParentRequest(a);
      this.attachCycleFailed(a);
    });
  }

  private mode(): DeviceMode {
    const ftd = this.mle.cfg.deviceType === 'router';
    // Sleepy end devices poll their parent; without indirect transmission in the MAC they stay rx-on here.
    return { rxOnWhenIdle: true, secureDataRequests: false, fullThreadDevice: ftd, fullNetworkData: ftd, reserved: 0 };
  }

  handleParentResponse(m: MleMessage, rx: UdpReceive, ext: Uint8Array, keySequence: number, fc: number): void {
    const a = this.attach;
    if (!a || a.chosen) return;
    const response = getMleTlv(m, 'response');
    const rloc16 = getMleTlv(m, 'sourceAddress');
    const leaderData = getMleTlv(m, 'leaderData');
    const challenge = getMleTlv(m, 'challenge');
    const connectivity = getMleTlv(m, 'connectivity');
    const linkMargin = getMleTlv(m, 'linkMargin');
    const linkFc = getMleTlv(m, 'linkFrameCounter');
    if (!response || !bytesEqual(response, a.challenge) || rloc16 === undefined || !leaderData || !challenge || !connectivity) return;
    if (a.mode === 'better' && this.mle.leaderData) {
      const theirs = connectivity.activeRouters <= 1;
      if (comparePartitions(theirs, leaderData, this.mle.routerTable.ids.size <= 1, this.mle.leaderData) <= 0) return;
    }
    a.candidates.push({
      ext,
      src: rx.src,
      rloc16,
      leaderData,
      linkFrameCounter: linkFc ?? 0,
      challenge,
      ourMarginDb: rx.link.linkMarginDb,
      theirMarginDb: linkMargin ?? 0,
      connectivity,
      keySequence,
      mleFrameCounter: fc,
    });
  }

  handleChildIdResponse(m: MleMessage, ext: Uint8Array, keySequence: number, fc: number): void {
    const a = this.attach;
    const parent = a?.chosen;
    if (!a || !parent || !bytesEqual(parent.ext, ext)) return;
    const address16 = getMleTlv(m, 'address16');
    const leaderData = getMleTlv(m, 'leaderData');
    if (address16 === undefined || !leaderData) return;
    // Looking for a better partition, the parent may have moved since its Parent Response, even
    // into ours: a leader would then become a child of its own partition and leave it leaderless.
    if (a.mode === 'better' && this.mle.leaderData) {
      const offered = getMleTlv(m, 'route64');
      if (comparePartitions((offered?.routes.length ?? 2) <= 1, leaderData, this.mle.routerTable.ids.size <= 1, this.mle.leaderData) <= 0) return;
    }
    const previousPartition = this.mle.leaderData?.partitionId;
    this.mle.resetAttachment();
    this.attach = undefined;
    this.mle.rloc = address16;
    this.mle.setShortAddress(address16);
    this.mle.leaderData = leaderData;
    if (previousPartition !== leaderData.partitionId) this.mle.counters.partitionIdChanges++;
    if (this.lastParent !== undefined && !bytesEqual(this.lastParent, ext)) this.mle.counters.parentChanges++;
    this.lastParent = ext;
    const route = getMleTlv(m, 'route64');
    if (route) this.mle.links.adoptRouterSet(route);
    const nd = getMleTlv(m, 'networkData');
    this.mle.networkData = nd ? unwrapNd(nd) : [];
    this.mle.neighbours.set(toHex(ext), {
      ext,
      // A REED parent answered with its child RLOC16 and took a router ID since.
      rloc16: getMleTlv(m, 'sourceAddress') ?? parent.rloc16,
      kind: 'parent',
      lastHeard: this.mle.env.timers.now(),
      linkMarginDb: parent.ourMarginDb,
      mlEids: [],
      routes: new Map(),
    });
    this.mle.replay.establish(toHex(ext), { keySequence, mleFrameCounter: fc + 1, linkFrameCounter: parent.linkFrameCounter });
    this.attached();
    this.mle.setRole('child');
    this.mle.refreshGlobals();
    this.scheduleKeepAlive();
    this.mle.router.scheduleRouterUpgrade();
  }

  private keepAlivePeriod(): Micros {
    return Math.max(SECOND, (this.mle.cfg.childTimeoutS * SECOND) / 2);
  }

  private scheduleKeepAlive(): void {
    this.mle.later(this.keepAlivePeriod(), () => this.sendKeepAlive(0));
  }

  private sendKeepAlive(attempt: number): void {
    if (this.mle.role !== 'child') return;
    const parent = [...this.mle.neighbours.values()].find((n) => n.kind === 'parent');
    if (!parent) return this.mle.detach();
    if (attempt >= C.MAX_CHILD_KEEP_ALIVE_ATTEMPTS) return this.mle.detach();
    const challenge = this.mle.randomBytes(8);
    this.keepAlive = { attempts: attempt + 1, challenge };
    this.mle.sendMle(this.mle.linkLocalOf(parent.ext), 'childUpdateRequest', [
      mleTlv('sourceAddress', this.mle.rloc ?? 0xfffe),
      mleTlv('mode', this.mode()),
      mleTlv('challenge', challenge),
      mleTlv('timeout', this.mle.cfg.childTimeoutS),
      mleTlv('addressRegistration', [{ compressed: true, contextId: 0, iid: this.mle.mlEid.slice(8, 16) }]),
      ...(this.mle.leaderData ? [mleTlv('leaderData', this.mle.leaderData)] : []),
    ]);
    const ka = this.keepAlive;
    ka.timer = this.mle.later(C.UNICAST_RETX_DELAY, () => {
      if (this.keepAlive === ka) this.sendKeepAlive(attempt + 1);
    });
  }

  handleChildUpdateResponse(m: MleMessage, ext: Uint8Array): void {
    const n = this.mle.neighbours.get(toHex(ext));
    if (this.mle.role !== 'child' || n?.kind !== 'parent') return;
    const status = getMleTlv(m, 'status');
    if (status === 1) return this.mle.detach(); // the parent no longer knows us
    const response = getMleTlv(m, 'response');
    if (!this.keepAlive || !response || !bytesEqual(response, this.keepAlive.challenge)) return;
    this.keepAlive.timer?.cancel();
    this.keepAlive = undefined;
    n.lastHeard = this.mle.env.timers.now();
    this.scheduleKeepAlive();
  }
}

function compareLex(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function unwrapNd(bytes: Uint8Array): NetworkDataTlv[] {
  const r = parseNetworkData(bytes);
  return r.ok ? r.value : [];
}
