// LoWPANNDInterface: the 6LoWPAN-ND network of the Mesh API. The protocol work is the
// ND tasklet's (stack/nd: scan, RS/RA, RPL, registration, DAO); the interface owns the
// node's IPv6 layer, so sockets opened on it live across reconnects, as Mbed's do.
import type { Mac } from '../mac/mac.ts';
import type { DatagramService } from '../net/datagram.ts';
import { NetDatagrams } from '../net/net-datagrams.ts';
import { NdTasklet, type NdRole, type NdSecurity } from '../nd/nd-tasklet.ts';
import type { NdTuning } from '../nd/params.ts';
import { NetInterface, type UdpReceived, type UdpSocket } from '../net/net-interface.ts';
import type { NodeEnv } from '../node.ts';
import { formatIpv6Address } from '../wire/ipv6-address.ts';
import { MeshInterface, type MeshTasklet, type TaskletEvents } from './mesh-interface.ts';

export type { NdRole, NdSecurity } from '../nd/nd-tasklet.ts';
export { ND_SECURITY_DEFAULTS } from '../nd/nd-tasklet.ts';
export { BOOTSTRAP_RETRY_US } from '../nd/nd-tasklet.ts';

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
  /** Protocol timers and sizes; defaults in stack/nd/params.ts. */
  tuning?: Partial<NdTuning>;
  /** mbed-mesh-api.6lowpan-nd-security-mode and the PSK keys; absent = NONE. */
  security?: NdSecurity;
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

export class LoWPANNDInterface extends MeshInterface {
  readonly kind = 'nd' as const;
  /** The node's IPv6 layer (addresses, sockets, counters). */
  readonly net: NetInterface;
  private nd: NdTasklet | undefined;
  private readonly udp: NetDatagrams;

  constructor(
    private readonly env: NodeEnv,
    private readonly mac: Mac,
    readonly config: NdConfig,
  ) {
    super(env.timers, env.rng);
    this.net = new NetInterface({ mac, timers: env.timers, rng: env.rng, eui64: env.eui64 });
    this.udp = new NetDatagrams(this.net);
  }

  protected datagrams(): DatagramService {
    return this.udp;
  }

  protected createTasklet(events: TaskletEvents): MeshTasklet {
    this.nd = new NdTasklet({ mac: this.mac, net: this.net, timers: this.env.timers, rng: this.env.rng, eui64: this.env.eui64 }, this.config, events);
    return this.nd;
  }

  /** The ND tasklet, once connect() has created it (rank, parent, routes for tests and status). */
  get tasklet6lowpan(): NdTasklet | undefined {
    return this.nd;
  }

  /** LoWPANNDInterface::getRouterIpAddress() / get_gateway(): the border router's address, or undefined (NSAPI_ERROR_NO_ADDRESS). */
  getRouterIpAddress(): string | undefined {
    const a = this.nd?.borderRouterAddress();
    return a ? formatIpv6Address(a) : undefined;
  }

  /**
   * A network-layer UDP socket bound to `port` (0 = ephemeral), without the nsapi mapping of
   * `openUdp`: its sendTo answers 0 or NSAPI_ERROR_NO_CONNECTION. Undefined when the port is taken.
   */
  udpOpen(port: number, onReceive: (d: UdpReceived) => void): UdpSocket | undefined {
    return this.net.bindUdp(port, onReceive);
  }
}
