// What routers and the root give the network once joined (Nanostack's ND and RPL
// router side): DIOs on a Trickle timer (RFC 6550 §8.3) and a DIO to a unicast DIS,
// beacons that accept joins, RAs with PIO, 6CO and ABRO to RSs (RFC 6775 §5.4),
// NA(ARO) to address registrations (RFC 6775 §5.5), and at the root, DAOs taken into
// its source routes and answered with DAO-ACKs (RFC 6550 §9, non-storing).
import type { IcmpContext } from '../net/net-interface.ts';
import { Trickle } from '../net/trickle.ts';
import { SECOND } from '../runtime.ts';
import type { Icmpv6Message } from '../wire/icmpv6.ts';
import { ALL_RPL_NODES, type Ipv6Address, type LinkAddress } from '../wire/ipv6-address.ts';
import { emitNdBeaconPayload, PROTOCOL_ID_6LOWPAN_ND } from '../wire/nd-beacon.ts';
import type { NdOption } from '../wire/ndp.ts';
import { Mop, type RplMessage, type RplOption } from '../wire/rpl.ts';
import type { NdTasklet } from './nd-tasklet.ts';
import { DAO_ACK_HOP_LIMIT } from './params.ts';
import { OCP_OF0 } from './of0.ts';

export class NdServing {
  constructor(private readonly nd: NdTasklet) {}

  startServing(): void {
    const d = this.nd.dodag!;
    this.nd.trickle?.stop();
    this.nd.trickle = new Trickle(this.nd.timers, this.nd.rng, { imin: 2 ** d.imin * 1000, doublings: d.doublings, k: d.k }, () => this.sendDio(this.nd.rank));
    this.nd.trickle.start();
    this.nd.mac.setBeaconPayload(
      emitNdBeaconPayload({ protocolId: PROTOCOL_ID_6LOWPAN_ND, acceptJoin: true, borderRouter: this.nd.config.role === 'border-router', networkId: this.nd.config.networkId }),
    );
  }

  private serving(): boolean {
    return this.nd.config.role !== 'host' && this.nd.phase === 'joined' && this.nd.trickle !== undefined;
  }

  sendDio(rank: number, to: Ipv6Address = ALL_RPL_NODES, link?: LinkAddress): void {
    const d = this.nd.dodag;
    if (!d || !this.nd.prefix) return;
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
    if (this.nd.globalAddr) {
      // R flag: the prefix field carries our full address, which children name as their DAO parent (RFC 6550 §6.7.10).
      options.push({ kind: 'prefixInfo', prefixLength: 64, onLink: false, autonomous: true, routerAddress: true, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, prefix: this.nd.globalAddr });
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
    this.nd.net.sendIcmp({ kind: 'rpl', rpl: dio }, to, { src: this.nd.net.linkLocal, ...(link ? { link } : {}) });
  }

  onDis(ctx: IcmpContext): void {
    if (!this.serving()) return;
    if (ctx.dst[0] === 0xff) this.nd.trickle!.reset();
    else if (ctx.linkSrc) this.sendDio(this.nd.rank, ctx.src, ctx.linkSrc);
  }

  onRs(ctx: IcmpContext): void {
    if (!this.serving() || !ctx.linkSrc || !this.nd.prefix || !this.nd.borderRouter) return;
    const t = this.nd.tuning;
    const to = ctx.src.slice();
    const link = ctx.linkSrc;
    this.nd.schedule(this.nd.rng.next() * t.raDelayMaxUs, () => {
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
          { kind: 'sllao', link: this.nd.ownLink() },
          // L = 0: 6LoWPAN-ND prefixes are not on-link (RFC 6775 §5.4).
          { kind: 'prefixInfo', prefixLength: 64, onLink: false, autonomous: true, routerAddress: false, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, prefix: this.nd.prefix! },
          ...this.nd.net.getContexts().map((c): NdOption => ({ kind: 'sixCo', contextLength: c.length, compression: c.compress ?? true, cid: c.id, validLifetime: t.contextLifetimeMin, prefix: c.prefix })),
          { kind: 'abro', version: this.nd.abroVersion, validLifetime: t.contextLifetimeMin, borderRouter: this.nd.borderRouter! },
        ],
      };
      this.nd.net.sendIcmp(ra, to, { src: this.nd.net.linkLocal, link });
    });
  }

  onNs(m: Extract<Icmpv6Message, { kind: 'ns' }>, ctx: IcmpContext): void {
    if (!ctx.linkSrc) return;
    const aro = m.options.find((o): o is Extract<NdOption, { kind: 'aro' }> => o.kind === 'aro');
    if (!aro) {
      // Plain neighbour unreachability detection: answer for our own addresses (RFC 4861 §7.2.4).
      if (this.nd.net.isOwn(m.target)) {
        this.nd.net.sendIcmp({ kind: 'na', router: this.nd.config.role !== 'host', solicited: true, override: true, target: m.target, options: [] }, ctx.src, { link: ctx.linkSrc });
      }
      return;
    }
    if (!this.serving()) return;
    const status = this.nd.registrations.register(m.target, aro.eui64, aro.registrationLifetime, this.nd.timers.now());
    this.nd.net.sendIcmp(
      {
        kind: 'na',
        router: true,
        solicited: true,
        override: true,
        target: m.target,
        options: [{ kind: 'aro', status, registrationLifetime: aro.registrationLifetime, eui64: aro.eui64 }],
      },
      ctx.src,
      { src: this.nd.net.linkLocal, link: ctx.linkSrc },
    );
  }

  onDao(m: Extract<RplMessage, { kind: 'dao' }>, ctx: IcmpContext): void {
    if (!this.nd.routes || !this.nd.dodag || m.instanceId !== this.nd.dodag.instanceId) return;
    const now = this.nd.timers.now();
    let targets: Ipv6Address[] = [];
    let status = 0;
    for (const o of m.options) {
      if (o.kind === 'target') {
        const t = new Uint8Array(16);
        t.set(o.prefix.subarray(0, 16));
        targets.push(t);
      } else if (o.kind === 'transit') {
        if (!o.parent) status = 128; // non-storing needs the parent address (RFC 6550 §6.7.8)
        else for (const t of targets) this.nd.routes.update(t, o.parent, o.pathLifetime * this.nd.dodag.lifetimeUnit * SECOND, o.pathSequence, now);
        targets = [];
      }
    }
    if (m.ackRequested) {
      this.nd.net.sendIcmp({ kind: 'rpl', rpl: { kind: 'daoAck', instanceId: m.instanceId, daoSequence: m.daoSequence, status, options: [] } }, ctx.src, { hopLimit: DAO_ACK_HOP_LIMIT });
    }
  }
}
