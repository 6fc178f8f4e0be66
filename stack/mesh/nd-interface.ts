// LoWPANNDInterface: the 6LoWPAN-ND network of the Mesh API, on an ND tasklet
// that bootstraps as Nanostack's nd_tasklet.c does: active scan, pick a PAN,
// join; on failure report MESH_BOOTSTRAP_FAILED and retry every 5 s.
import type { Mac } from '../mac/mac.ts';
import type { NodeEnv } from '../node.ts';
import { after, SECOND, type Timer } from '../runtime.ts';
import { emitNdBeaconPayload, parseNdBeaconPayload, PROTOCOL_ID_6LOWPAN_ND } from '../wire/nd-beacon.ts';
import type { PanDescriptor } from '../mac/api.ts';
import { MeshInterface, type MeshTasklet, type TaskletEvents } from './mesh-interface.ts';

export type NdRole = 'border-router' | 'router' | 'host';

export interface NdConfig {
  role: NdRole;
  /** mbed-mesh-api.6lowpan-nd-channel: > 0 replaces the mask with that one channel. */
  channel: number;
  /** mbed-mesh-api.6lowpan-nd-channel-mask (bit n = channel n). */
  channelMask: number;
  /** mbed-mesh-api.6lowpan-nd-panid-filter; 0xffff = any. */
  panIdFilter: number;
  /** The border router's own PAN ID. */
  panId: number;
  networkId: string;
  /** The border router's /64 prefix (it owns the prefix; routers learn it from the air). */
  prefix: string;
}

export const ND_DEFAULTS: NdConfig = {
  role: 'router',
  channel: 0,
  channelMask: 0x07fff800, // channels 11–26 (mbed_lib.json default)
  panIdFilter: 0xffff,
  panId: 0x0691,
  networkId: 'NETWORK000000000',
  prefix: 'fd00:db8::',
};

/** nd_tasklet.c: the bootstrap restarts 5000 ms after a failure (reference §3). */
export const BOOTSTRAP_RETRY_US = 5 * SECOND;
/** Active scan listen exponent per channel (IEEE 802.15.4 §7.5.2.1.2): n = 3 → 138 ms. */
const SCAN_EXPONENT = 3;

export class LoWPANNDInterface extends MeshInterface {
  readonly kind = 'nd' as const;
  constructor(
    private readonly env: NodeEnv,
    private readonly mac: Mac,
    readonly config: NdConfig,
  ) {
    super(env.timers);
  }
  protected createTasklet(events: TaskletEvents): MeshTasklet {
    return new NdTasklet(this.env, this.mac, this.config, events);
  }
}

type Phase = 'idle' | 'scanning' | 'waiting-retry' | 'joined';

class NdTasklet implements MeshTasklet {
  private phase: Phase = 'idle';
  private retry: Timer | undefined;
  private generation = 0;
  private parent: PanDescriptor | undefined;

  constructor(
    private readonly env: NodeEnv,
    private readonly mac: Mac,
    private readonly config: NdConfig,
    private readonly events: TaskletEvents,
  ) {}

  get active(): boolean {
    return this.phase !== 'idle';
  }

  connect(): number {
    this.generation++;
    if (this.config.role === 'border-router') {
      const ch = this.config.channel || lowestChannel(this.config.channelMask);
      if (ch === undefined) return -1;
      this.mac.setChannel(ch);
      this.mac.setPanId(this.config.panId);
      this.mac.setBeaconPayload(this.beaconPayload(true));
      this.phase = 'joined';
      this.events.event('MESH_BOOTSTRAP_STARTED');
      this.events.event('MESH_CONNECTED');
      return 0;
    }
    this.startBootstrap();
    return 0;
  }

  disconnect(): void {
    this.generation++;
    this.retry?.cancel();
    this.retry = undefined;
    this.mac.setBeaconPayload(null);
    this.parent = undefined;
    this.phase = 'idle';
  }

  hasLinkLocalAddress(): boolean {
    return this.phase === 'joined';
  }
  hasGlobalAddress(): boolean {
    return this.phase === 'joined' && this.config.role === 'border-router';
  }
  addresses(): string[] {
    if (this.phase !== 'joined') return [];
    const ll = linkLocal(this.env.eui64);
    return this.hasGlobalAddress() ? [ll, ll.replace('fe80::', this.config.prefix)] : [ll];
  }
  details(): Record<string, string> {
    const d: Record<string, string> = { role: this.config.role, phase: this.phase, channel: String(this.mac.getChannel()) };
    if (this.phase === 'joined') d.panid = '0x' + this.mac.getPanId().toString(16).padStart(4, '0');
    return d;
  }

  private startBootstrap(): void {
    const gen = this.generation;
    this.phase = 'scanning';
    this.events.event('MESH_BOOTSTRAP_STARTED');
    const channels = this.config.channel > 0 ? [this.config.channel] : channelsOf(this.config.channelMask);
    this.mac.activeScan(channels, SCAN_EXPONENT, (pans) => {
      if (gen !== this.generation) return;
      const best = this.choose(pans);
      if (!best) {
        this.phase = 'waiting-retry';
        this.events.event('MESH_BOOTSTRAP_FAILED');
        this.retry = after(this.env.timers, BOOTSTRAP_RETRY_US, () => {
          if (gen === this.generation) this.startBootstrap();
        });
        return;
      }
      this.parent = best;
      this.mac.setChannel(best.channel);
      this.mac.setPanId(best.panId);
      if (this.config.role === 'router') this.mac.setBeaconPayload(this.beaconPayload(false));
      this.phase = 'joined';
      this.events.event('MESH_CONNECTED');
    });
  }

  private choose(pans: PanDescriptor[]): PanDescriptor | undefined {
    let best: PanDescriptor | undefined;
    for (const pan of pans) {
      const p = parseNdBeaconPayload(pan.beaconPayload);
      if (!p.ok || p.value.protocolId !== PROTOCOL_ID_6LOWPAN_ND || !p.value.acceptJoin) continue;
      if (this.config.panIdFilter !== 0xffff && pan.panId !== this.config.panIdFilter) continue;
      if (p.value.networkId !== this.config.networkId) continue;
      if (!best || pan.lqi > best.lqi) best = pan;
    }
    return best;
  }

  private beaconPayload(borderRouter: boolean): Uint8Array {
    return emitNdBeaconPayload({ protocolId: PROTOCOL_ID_6LOWPAN_ND, acceptJoin: true, borderRouter, networkId: this.config.networkId });
  }
}

function channelsOf(mask: number): number[] {
  const out: number[] = [];
  for (let ch = 11; ch <= 26; ch++) if (mask & (1 << ch)) out.push(ch);
  return out;
}

function lowestChannel(mask: number): number | undefined {
  return channelsOf(mask)[0];
}

function linkLocal(eui64: Uint8Array): string {
  const iid = Uint8Array.from(eui64);
  iid[0] = iid[0]! ^ 0x02;
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((iid[i]! << 8) | iid[i + 1]!).toString(16));
  return 'fe80::' + groups.join(':');
}
