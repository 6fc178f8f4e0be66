// The border router's start (Nanostack nd_tasklet.c, border router bootstrap): it takes
// the configured channel and PAN, owns the prefix (6LoWPAN context 0, ABRO version 1),
// roots the RPL DODAG with the configured DIO parameters at ROOT_RANK, holds the
// source routes of its non-storing DODAG, and serves at once.
import { iidFromLinkAddress, ipv6, withPrefix } from '../wire/ipv6-address.ts';
import type { NdTasklet } from './nd-tasklet.ts';
import { RegistrationTable } from './registrations.ts';
import { SourceRouteTable } from './source-routes.ts';

export class NdRoot {
  constructor(private readonly nd: NdTasklet) {}

  startRoot(): number {
    const ch = this.nd.channels()[0];
    if (ch === undefined) return -1;
    const t = this.nd.tuning;
    this.nd.applySecurity();
    this.nd.mac.setChannel(ch);
    this.nd.mac.setPanId(this.nd.config.panId);
    this.nd.prefix = withPrefix(ipv6(this.nd.config.prefix), 64, new Uint8Array(8));
    this.nd.globalAddr = withPrefix(this.nd.prefix, 64, iidFromLinkAddress({ mode: 'ext', ext: this.nd.eui64 }));
    this.nd.net.addAddress(this.nd.globalAddr);
    this.nd.net.setContexts([{ id: 0, prefix: this.nd.prefix, length: 64, compress: true }]);
    this.nd.borderRouter = this.nd.globalAddr;
    this.nd.abroVersion = 1;
    this.nd.registered = true;
    this.nd.routes = new SourceRouteTable(this.nd.globalAddr);
    this.nd.registrations = new RegistrationTable(t.maxRegistrations);
    this.nd.dodag = {
      instanceId: t.rplInstanceId,
      version: 0,
      dodagId: this.nd.globalAddr,
      dtsn: 0,
      imin: t.dioIntervalMin,
      doublings: t.dioIntervalDoublings,
      k: t.dioRedundancy,
      minHopRankIncrease: t.minHopRankIncrease,
      maxRankIncrease: t.maxRankIncrease,
      defaultLifetime: t.defaultLifetime,
      lifetimeUnit: t.lifetimeUnit,
    };
    this.nd.rank = t.minHopRankIncrease; // ROOT_RANK (RFC 6550 §17)
    this.nd.phase = 'joined';
    this.nd.events.event('MESH_BOOTSTRAP_STARTED');
    this.nd.serve.startServing();
    this.nd.events.event('MESH_CONNECTED');
    return 0;
  }
}
