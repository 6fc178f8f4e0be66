// Protocol constants and tunables of the 6LoWPAN-ND + RPL node. Defaults follow the
// RFCs and, where they leave a choice, Nanostack's border router configuration
// (nanostack-border-router configs/6lowpan_Atmel_RF.json: rpl-instance-id 1,
// rpl-imin 12, rpl-idoublings 9, rpl-k 10, rpl-max-rank-inc 2048,
// rpl-min-hop-rank-inc 128, rpl-default-lifetime 64, rpl-lifetime-unit 60,
// ra-router-lifetime 1024).
import type { TxPolicy } from '../mac/mac.ts';
import { BORDER_ROUTER_DOMAIN, RFC7731_DOMAIN, type MplDomainParameters } from '../net/mpl-forwarder.ts';
import { MS, SECOND, type Micros } from '../runtime.ts';

/**
 * Nanostack's MAC transmit policy: macMaxFrameRetries 3 (mac_defines.h
 * MAC_DEFAULT_MAX_FRAME_RETRIES), the backoff exponent raised once per retry after a missing
 * ACK (mac_pd_sap.c mac_sap_no_ack_cb), no delay before a retransmission and no
 * collision-avoidance pause of its own.
 */
export const NANOSTACK_TX_POLICY: TxPolicy = { maxFrameRetries: 3, noAckBackoffGrowth: true, collisionAvoidanceDelayUs: 0 };

export interface NdTuning {
  // RPL DODAG configuration, set by the root (RFC 6550 §6.7.6)
  rplInstanceId: number;
  dioIntervalMin: number;
  dioIntervalDoublings: number;
  dioRedundancy: number;
  maxRankIncrease: number;
  minHopRankIncrease: number;
  defaultLifetime: number;
  lifetimeUnit: number;
  /** Router lifetime in RAs, seconds. */
  raRouterLifetime: number;
  /** ARO registration lifetime, minutes (RFC 6775 §4.1 units of 60 s). */
  registrationLifetimeMin: number;
  /** 6CO and ABRO valid lifetime, minutes. */
  contextLifetimeMin: number;

  /** RS retransmission interval and count (RFC 6775 §5.3: RTR_SOLICITATION_INTERVAL 10 s, MAX_RTR_SOLICITATIONS 3). */
  rsIntervalUs: Micros;
  rsMax: number;
  /** NS(ARO) retransmission (RFC 4861 §10: RETRANS_TIMER 1 s, MAX_UNICAST_SOLICIT 3). */
  nsIntervalUs: Micros;
  nsMax: number;
  /** DIS retransmission while no DIO is heard, and count. */
  disIntervalUs: Micros;
  disMax: number;
  /** After the first usable DIO, how long to wait for others before picking a parent. */
  parentSelectDelayUs: Micros;
  /** DAO-ACK wait and DAO retries. */
  daoAckTimeoutUs: Micros;
  daoMax: number;
  /** Registration refresh (NS with ARO to the parent, which also proves the parent is there). */
  refreshIntervalUs: Micros;
  /** Consecutive failed unicast frames to the parent that mean it is gone. */
  parentLossThreshold: number;
  /** Registrations a router accepts (RFC 6775 ARO status 2 beyond it). */
  maxRegistrations: number;
  /** Delay of an RA answering an RS, uniform in [0, raDelayMaxUs). */
  raDelayMaxUs: Micros;
  /**
   * The ff03::fc MPL domain's timing on the border router (nanostack-border-router's
   * multicast_set_parameters(10, 0, 20, 3, 75)) and on routers and hosts (the Mesh API's
   * nd_tasklet.c: RFC 7731's defaults); mpl-forwarder.ts has the sources.
   */
  mplBorderRouter: MplDomainParameters;
  mplRouter: MplDomainParameters;
}

export const ND_TUNING_DEFAULTS: NdTuning = {
  rplInstanceId: 1,
  dioIntervalMin: 12,
  dioIntervalDoublings: 9,
  dioRedundancy: 10,
  maxRankIncrease: 2048,
  minHopRankIncrease: 128,
  defaultLifetime: 64,
  lifetimeUnit: 60,
  raRouterLifetime: 1024,
  registrationLifetimeMin: 60,
  contextLifetimeMin: 60,
  rsIntervalUs: 10 * SECOND,
  rsMax: 3,
  nsIntervalUs: 1 * SECOND,
  nsMax: 3,
  disIntervalUs: 10 * SECOND,
  disMax: 3,
  parentSelectDelayUs: 500 * MS,
  daoAckTimeoutUs: 3 * SECOND,
  daoMax: 3,
  refreshIntervalUs: 300 * SECOND,
  parentLossThreshold: 3,
  maxRegistrations: 32,
  raDelayMaxUs: 100 * MS,
  mplBorderRouter: BORDER_ROUTER_DOMAIN,
  mplRouter: RFC7731_DOMAIN,
};

/** nd_tasklet.c: the bootstrap restarts 5000 ms after a failure (reference mbed-mesh-api.md §3). */
export const BOOTSTRAP_RETRY_US = 5 * SECOND;
/** Hop limit of the root's DAO-ACKs; a node counts its distance to the root from what arrives. */
export const DAO_ACK_HOP_LIMIT = 64;

/** Active scan listen exponent per channel (IEEE 802.15.4-2006 §7.5.2.1.2): n = 3 → 138 ms. */
export const SCAN_EXPONENT = 3;
