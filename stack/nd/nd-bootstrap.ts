// The bootstrap of 6LoWPAN-ND routers and hosts (Nanostack nd_tasklet.c and its ND/RPL
// bootstrap): active scan and PAN choice; RS → RA with PIO, 6CO and ABRO (RFC 6775
// §5.3–5.4); RPL DIS/DIO and a preferred parent by OF0 (RFC 6550 §8, RFC 6552); address
// registration with NS(ARO) → NA(ARO) at that parent (RFC 6775 §5.5); DAO to the root
// and its DAO-ACK (RFC 6550 §9, non-storing); then MESH_CONNECTED and periodic refresh.
// A failure reports MESH_BOOTSTRAP_FAILED and the bootstrap restarts after 5 s; a lost
// parent is replaced by local repair (RFC 6550 §8.2.2.4) when another one will do.
import type { PanDescriptor } from '../mac/api.ts';
import type { IcmpContext } from '../net/net-interface.ts';
import { after } from '../runtime.ts';
import { bytesEqual } from '../wire/bytes.ts';
import type { Icmpv6Message } from '../wire/icmpv6.ts';
import { ALL_RPL_NODES, formatIpv6Address, iidFromLinkAddress, ipv6, ipv6Equal, withPrefix, type LinkAddress } from '../wire/ipv6-address.ts';
import { parseNdBeaconPayload, PROTOCOL_ID_6LOWPAN_ND } from '../wire/nd-beacon.ts';
import { AroStatus, type NdOption } from '../wire/ndp.ts';
import { Mop, type RplMessage, type RplOption } from '../wire/rpl.ts';
import type { Candidate, NdTasklet } from './nd-tasklet.ts';
import { BOOTSTRAP_RETRY_US, DAO_ACK_HOP_LIMIT, SCAN_EXPONENT } from './params.ts';
import { INFINITE_RANK, OCP_OF0, of0Rank, stepOfRankFromLqi } from './of0.ts';

export class NdBootstrap {
  /** The router whose beacon we chose; the Router Solicitation goes to it. */
  private coordinator: LinkAddress | undefined;
  private daoSequence: number;
  private pathSequence: number;
  /** The attempt whose NS(ARO) waits for its NA, 0 when none does. */
  private awaitingNa = 0;
  /** The DAO sequence waiting for its DAO-ACK. */
  private awaitingDaoAck: number | undefined;

  constructor(private readonly nd: NdTasklet) {
    this.daoSequence = nd.rng.int(256);
    this.pathSequence = nd.rng.int(256);
  }

  startBootstrap(): void {
    // A retry re-reads the configuration (mesh.config), so it can fail to start too.
    if (!this.nd.interfaceUp()) return;
    const gen = this.nd.generation;
    this.nd.resetState();
    this.nd.applySecurity();
    this.nd.net.up = true;
    this.nd.phase = 'scanning';
    this.nd.events.event('MESH_BOOTSTRAP_STARTED');
    const channels = this.nd.channels();
    this.nd.mac.activeScan(channels, SCAN_EXPONENT, (pans) => {
      if (gen !== this.nd.generation) return;
      const best = this.choosePan(pans);
      if (!best) return this.fail('no beacons');
      this.nd.mac.setChannel(best.channel);
      this.nd.mac.setPanId(best.panId);
      this.coordinator = best.coord.mode === 'ext' ? { mode: 'ext', ext: best.coord.ext } : best.coord.mode === 'short' ? { mode: 'short', short: best.coord.short } : undefined;
      if (!this.coordinator) return this.fail('beacon without a source address');
      this.nd.phase = 'soliciting';
      this.sendRs(1);
    });
  }

  /** Beacons of routers carry the same payload as the border router's; the best link wins. */
  private choosePan(pans: PanDescriptor[]): PanDescriptor | undefined {
    let best: PanDescriptor | undefined;
    for (const pan of pans) {
      const p = parseNdBeaconPayload(pan.beaconPayload);
      if (!p.ok || p.value.protocolId !== PROTOCOL_ID_6LOWPAN_ND || !p.value.acceptJoin) continue;
      if (this.nd.config.panIdFilter !== 0xffff && pan.panId !== this.nd.config.panIdFilter) continue;
      if (p.value.networkId !== this.nd.config.networkId) continue;
      if (!best || pan.lqi > best.lqi) best = pan;
    }
    return best;
  }

  private fail(reason: string): void {
    const gen = ++this.nd.generation;
    this.nd.lastFailure = reason;
    this.nd.resetState();
    this.nd.phase = 'waiting-retry';
    this.nd.events.event('MESH_BOOTSTRAP_FAILED');
    this.nd.retryTimer = after(this.nd.timers, BOOTSTRAP_RETRY_US, () => {
      if (gen === this.nd.generation) this.startBootstrap();
    });
  }

  // RS → RA (RFC 6775 §5.3): unicast to the router whose beacon we chose.
  private sendRs(attempt: number): void {
    if (this.nd.phase !== 'soliciting') return;
    if (attempt > this.nd.tuning.rsMax) return this.fail('no router advertisement');
    const to = this.coordinator!;
    this.nd.net.sendIcmp({ kind: 'rs', options: [{ kind: 'sllao', link: this.nd.ownLink() }] }, withPrefix(ipv6('fe80::'), 64, iidFromLinkAddress(to)), {
      link: to,
    });
    this.nd.schedule(this.nd.tuning.rsIntervalUs, () => this.sendRs(attempt + 1));
  }

  onRa(m: Extract<Icmpv6Message, { kind: 'ra' }>): void {
    if (this.nd.phase !== 'soliciting') return;
    const pio = m.options.find((o): o is Extract<NdOption, { kind: 'prefixInfo' }> => o.kind === 'prefixInfo' && o.autonomous && o.prefixLength === 64);
    const abro = m.options.find((o): o is Extract<NdOption, { kind: 'abro' }> => o.kind === 'abro');
    if (!pio || !abro) return; // RFC 6775 §5.4: a 6LoWPAN-ND RA carries ABRO
    const contexts = m.options
      .filter((o): o is Extract<NdOption, { kind: 'sixCo' }> => o.kind === 'sixCo' && o.validLifetime > 0)
      .map((o) => ({ id: o.cid, prefix: o.prefix, length: o.contextLength, compress: o.compression }));
    this.nd.prefix = withPrefix(pio.prefix, 64, new Uint8Array(8));
    this.nd.borderRouter = abro.borderRouter.slice();
    this.nd.abroVersion = abro.version;
    this.nd.net.setContexts(contexts);
    this.nd.globalAddr = withPrefix(this.nd.prefix, 64, iidFromLinkAddress({ mode: 'ext', ext: this.nd.eui64 }));
    // Optimistic until registered: the NA comes back to it (RFC 6775 §5.5.1, no DAD by multicast).
    this.nd.net.addAddress(this.nd.globalAddr);
    this.nd.phase = 'discovering';
    this.sendDis(1);
  }

  // RPL: DIS until a DIO is heard, then a parent (RFC 6550 §8.3, §18.2.1).
  private sendDis(attempt: number): void {
    if (this.nd.phase !== 'discovering' || this.nd.selectTimer) return;
    if (attempt > this.nd.tuning.disMax) return this.fail('no DIO');
    this.nd.net.sendIcmp({ kind: 'rpl', rpl: { kind: 'dis', flags: 0, options: [] } }, ALL_RPL_NODES);
    this.nd.schedule(this.nd.tuning.disIntervalUs, () => this.sendDis(attempt + 1));
  }

  onDio(m: Extract<RplMessage, { kind: 'dio' }>, ctx: IcmpContext): void {
    if (!ctx.linkSrc || this.nd.config.role === 'border-router') {
      if (this.nd.trickle && this.nd.dodag && m.version === this.nd.dodag.version && ipv6Equal(m.dodagId, this.nd.dodag.dodagId)) this.nd.trickle.hearConsistent();
      return;
    }
    if (m.mop !== Mop.nonStoring) return;
    if (this.nd.phase === 'idle' || this.nd.phase === 'start-failed' || this.nd.phase === 'scanning' || this.nd.phase === 'soliciting' || this.nd.phase === 'waiting-retry') return;
    const cfg = m.options.find((o): o is Extract<RplOption, { kind: 'dodagConfig' }> => o.kind === 'dodagConfig');
    if (!this.nd.dodag) {
      if (!cfg || cfg.ocp !== OCP_OF0 || !m.grounded) return;
      if (this.nd.borderRouter && !ipv6Equal(m.dodagId, this.nd.borderRouter)) return; // the DODAG of our border router
      this.nd.dodag = {
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
    const dodag = this.nd.dodag;
    if (m.instanceId !== dodag.instanceId || !ipv6Equal(m.dodagId, dodag.dodagId)) return;
    if (m.version !== dodag.version) {
      // A new version (global repair, RFC 6550 §8.2.2.1) is not something our root does; ignore older ones.
      return;
    }
    const key = formatIpv6Address(ctx.src);
    const pio = m.options.find((o): o is Extract<RplOption, { kind: 'prefixInfo' }> => o.kind === 'prefixInfo' && o.routerAddress);
    const wasParent = key === this.nd.parentKey;
    const prev = this.nd.candidates.get(key);
    this.nd.candidates.set(key, {
      ll: ctx.src.slice(),
      link: ctx.linkSrc,
      global: pio?.prefix.slice() ?? prev?.global,
      rank: m.rank,
      lqi: ctx.lqi ?? prev?.lqi ?? 0,
      heardAt: this.nd.timers.now(),
    });
    if (wasParent) {
      if (m.rank >= INFINITE_RANK) return this.parentLost('parent left the DODAG');
      const mine = this.rankThrough(this.nd.candidates.get(key)!);
      if (mine !== this.nd.rank && this.nd.phase === 'joined') {
        this.nd.rank = mine;
        this.nd.trickle?.reset(); // our DIO changes: an inconsistency (RFC 6550 §8.3)
      }
    }
    if (this.nd.trickle && m.rank < INFINITE_RANK) this.nd.trickle.hearConsistent();
    if (this.nd.phase === 'discovering' && !this.nd.selectTimer && m.rank < INFINITE_RANK) {
      this.nd.selectTimer = this.nd.schedule(this.nd.tuning.parentSelectDelayUs, () => {
        this.nd.selectTimer = undefined;
        this.selectParent();
      });
    }
  }

  private rankThrough(c: Candidate): number {
    return of0Rank(c.rank, { minHopRankIncrease: this.nd.dodag!.minHopRankIncrease, stepOfRank: stepOfRankFromLqi(c.lqi) });
  }

  /** The best candidate by OF0: smallest resulting rank, then best link (RFC 6552 §4.2.1). */
  private bestCandidate(maxRank: number): [string, Candidate] | undefined {
    let best: [string, Candidate] | undefined;
    let bestRank = INFINITE_RANK;
    for (const [k, c] of this.nd.candidates) {
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
    const c = this.nd.candidates.get(key)!;
    this.nd.parentKey = key;
    this.nd.parentFailures = 0;
    this.nd.rank = this.rankThrough(c);
    this.nd.phase = 'registering';
    this.nd.registered = this.nd.repairing ? this.nd.registered : false;
    this.register(1);
  }

  // Address registration (RFC 6775 §5.5): NS with ARO and SLLAO to the parent, unicast.
  private register(attempt: number): void {
    const parent = this.nd.parent();
    if (!parent) return;
    if (attempt > this.nd.tuning.nsMax) {
      if (this.nd.phase === 'joined') return this.parentLost('registration refresh unanswered');
      return this.nd.repairing ? this.parentLost('parent did not answer') : this.fail('no registration answer');
    }
    this.sendAro(parent, this.nd.tuning.registrationLifetimeMin);
    this.nd.schedule(this.nd.tuning.nsIntervalUs, () => {
      if (this.awaitingNa === attempt) this.register(attempt + 1);
    });
    this.awaitingNa = attempt;
  }

  sendAro(parent: Candidate, lifetimeMin: number): void {
    const ga = this.nd.globalAddr!;
    this.nd.net.sendIcmp(
      {
        kind: 'ns',
        target: ga,
        options: [
          { kind: 'aro', status: 0, registrationLifetime: lifetimeMin, eui64: this.nd.eui64 },
          { kind: 'sllao', link: this.nd.ownLink() },
        ],
      },
      parent.ll,
      { src: ga, link: parent.link },
    );
  }

  onNa(m: Extract<Icmpv6Message, { kind: 'na' }>, ctx: IcmpContext): void {
    const parent = this.nd.parent();
    if (!parent || !this.nd.globalAddr || !ipv6Equal(m.target, this.nd.globalAddr) || !ipv6Equal(ctx.src, parent.ll)) return;
    const aro = m.options.find((o): o is Extract<NdOption, { kind: 'aro' }> => o.kind === 'aro');
    if (!aro || !bytesEqual(aro.eui64, this.nd.eui64) || this.awaitingNa === 0) return;
    this.awaitingNa = 0;
    if (aro.status !== AroStatus.success) {
      const why = aro.status === AroStatus.duplicate ? 'duplicate address' : aro.status === AroStatus.cacheFull ? 'neighbor cache full' : `status ${aro.status}`;
      return this.fail(`registration refused (${why})`);
    }
    this.nd.parentFailures = 0;
    this.nd.registered = true;
    if (this.nd.phase === 'registering') {
      this.nd.phase = 'advertising';
      this.daoSequence = (this.daoSequence + 1) & 0xff;
      this.pathSequence = (this.pathSequence + 1) & 0xff;
      this.daoAttempt(1);
    } else if (this.nd.phase === 'joined') {
      // A refresh went through: refresh the downward route too.
      this.daoSequence = (this.daoSequence + 1) & 0xff;
      this.daoAttempt(1);
    }
  }

  // DAO → DAO-ACK (RFC 6550 §9.3, non-storing: to the root, transit names the parent).
  private daoAttempt(attempt: number): void {
    if (attempt > this.nd.tuning.daoMax) {
      this.awaitingDaoAck = undefined;
      return this.fail(this.nd.phase === 'joined' ? 'border router unreachable' : 'no DAO-ACK');
    }
    this.awaitingDaoAck = this.daoSequence;
    this.sendDao(this.nd.dodag!.defaultLifetime);
    const seq = this.daoSequence;
    this.nd.schedule(this.nd.tuning.daoAckTimeoutUs, () => {
      if (this.awaitingDaoAck === seq) this.daoAttempt(attempt + 1);
    });
  }

  sendDao(pathLifetime: number): void {
    const d = this.nd.dodag!;
    const parent = this.nd.parent();
    if (!parent || !this.nd.globalAddr) return;
    const parentGlobal = parent.global ?? withPrefix(this.nd.prefix!, 64, parent.ll.subarray(8));
    this.nd.net.sendIcmp(
      {
        kind: 'rpl',
        rpl: {
          kind: 'dao',
          instanceId: d.instanceId,
          ackRequested: pathLifetime > 0,
          flags: 0,
          daoSequence: this.daoSequence,
          options: [
            { kind: 'target', flags: 0, prefixLength: 128, prefix: this.nd.globalAddr },
            { kind: 'transit', external: false, pathControl: 0, pathSequence: this.pathSequence, pathLifetime, parent: parentGlobal },
          ],
        },
      },
      d.dodagId,
      { src: this.nd.globalAddr, hopLimit: 64 },
    );
  }

  onDaoAck(m: Extract<RplMessage, { kind: 'daoAck' }>, ctx: IcmpContext): void {
    if (this.awaitingDaoAck === undefined || m.daoSequence !== this.awaitingDaoAck) return;
    this.awaitingDaoAck = undefined;
    // The root sends it with DAO_ACK_HOP_LIMIT; every router on the way down took one off.
    if (ctx.hopLimit <= DAO_ACK_HOP_LIMIT) this.nd.hopsToRoot = DAO_ACK_HOP_LIMIT - ctx.hopLimit + 1;
    if (m.status >= 128) return this.fail(`DAO rejected (status ${m.status})`);
    if (this.nd.phase === 'advertising') this.becomeJoined();
  }

  private becomeJoined(): void {
    this.nd.phase = 'joined';
    const wasRepair = this.nd.repairing;
    this.nd.repairing = false;
    if (this.nd.config.role === 'router') this.nd.serve.startServing();
    this.scheduleRefresh();
    if (!wasRepair) this.nd.events.event('MESH_CONNECTED');
  }

  private scheduleRefresh(): void {
    this.nd.schedule(this.nd.tuning.refreshIntervalUs, () => {
      if (this.nd.phase !== 'joined') return;
      this.register(1);
      this.scheduleRefresh();
    });
  }

  linkResult(link: LinkAddress, status: string): void {
    const p = this.nd.parent();
    if (!p || !sameLink(p.link, link)) return;
    if (status === 'success') {
      this.nd.parentFailures = 0;
      return;
    }
    if (++this.nd.parentFailures >= this.nd.tuning.parentLossThreshold) this.parentLost('parent unreachable (no ACK)');
  }

  private parentLost(reason: string): void {
    if (!this.nd.parentKey) return;
    const oldRank = this.nd.rank;
    this.nd.candidates.delete(this.nd.parentKey);
    this.nd.parentKey = undefined;
    this.awaitingNa = 0;
    this.awaitingDaoAck = undefined;
    // Only parents that do not lead back through our sub-DODAG: rank below ours.
    const next = this.bestCandidate(oldRank);
    if (next && (this.nd.phase === 'joined' || this.nd.repairing)) {
      this.nd.repairs++;
      this.nd.repairing = true;
      this.adoptParent(next[0]);
      return;
    }
    // No parent left: poison our sub-DODAG (RFC 6550 §8.2.2.5) and start over.
    if (this.nd.config.role === 'router' && this.nd.phase === 'joined') this.nd.serve.sendDio(INFINITE_RANK);
    this.fail(reason);
  }
}

function sameLink(a: LinkAddress, b: LinkAddress): boolean {
  if (a.mode === 'short' || b.mode === 'short') return a.mode === b.mode && a.mode === 'short' && b.mode === 'short' && a.short === b.short;
  return bytesEqual(a.ext, b.ext);
}
