// A border router's side of the network data (OpenThread network_data_notifier.cpp):
// the prefix it offers, and its registration with a leader that is not itself
// (Server Data notification, a/sd), repeated until the leader's network data shows it.
import type { Micros } from '../runtime.ts';
import { SECOND } from '../runtime.ts';
import type { ThreadMle } from './mle-engine.ts';
import { BR_FLAGS, emitNetworkData, type NetworkDataTlv } from './network-data.ts';
import { ADDRESS_TLVS, emitAddressTlvs, SERVER_DATA_URI } from './tmf.ts';
import type { TmfExchange } from './tmf-agent.ts';

export class NetworkDataNotifier {
  /** Border router: the Server Data notification in flight. */
  private serverDataExchange: TmfExchange | undefined;
  /** Border router, not leader: the RLOC16 we last registered our prefix under, and when to check again. */
  private registeredAs: number | undefined;
  private nextRegistrationAt: Micros = 0;

  constructor(private readonly mle: ThreadMle) {}

  /** Forgets the registration in flight (the node stops or leaves its attachment). */
  cancel(): void {
    this.serverDataExchange = undefined;
  }

  /** Our prefix as network data (SLAAC, on-mesh, default route), under our RLOC16; none unless we are a border router. */
  ownNetworkData(): NetworkDataTlv[] {
    const prefix = this.mle.cfg.borderRouterPrefix;
    if (!prefix || this.mle.rloc === undefined) return [];
    return [
      {
        type: 'prefix',
        stable: true,
        domainId: 0,
        prefixLength: 64,
        prefix: prefix.slice(0, 8),
        subTlvs: [{ type: 'borderRouter', stable: true, entries: [{ rloc16: this.mle.rloc, flags: BR_FLAGS.preferred | BR_FLAGS.slaac | BR_FLAGS.onMesh | BR_FLAGS.defaultRoute }] }],
      },
    ];
  }

  /**
   * Border router that is not the leader: register our prefix with the leader
   * (SRV_DATA.ntf, CoAP POST a/sd with the Thread Network Data TLV, and the
   * RLOC16 TLV naming an old registration to drop), until the leader's network
   * data shows it. Checked once a second; a try every 5 s.
   */
  maintainServerData(now: Micros): void {
    if (!this.mle.cfg.borderRouterPrefix || this.mle.role === 'leader' || !this.mle.isAttached() || !this.mle.leaderData || this.mle.rloc === undefined) return;
    if (this.networkDataNames(this.mle.rloc) || this.serverDataExchange || now < this.nextRegistrationAt) return;
    this.nextRegistrationAt = now + 5 * SECOND;
    const unknown = [{ code: ADDRESS_TLVS.threadNetworkData, value: emitNetworkData(this.ownNetworkData()) }];
    const payload = emitAddressTlvs({ ...(this.registeredAs !== undefined && this.registeredAs !== this.mle.rloc ? { rloc16: this.registeredAs } : {}), unknown });
    // Confirmable and retransmitted; once answered (or given up) the check above runs again.
    const exchange = this.mle.postToLeader(SERVER_DATA_URI, payload, () => {
      if (this.serverDataExchange === exchange) this.serverDataExchange = undefined;
    });
    this.serverDataExchange = exchange;
    this.registeredAs = this.mle.rloc;
  }

  /** Whether the network data has a border router entry of ours (under `rloc16`). */
  private networkDataNames(rloc16: number): boolean {
    return this.mle.networkData.some((t) => t.type === 'prefix' && t.subTlvs.some((st) => st.type === 'borderRouter' && st.entries.some((e) => e.rloc16 === rloc16)));
  }
}
