// Thread timing and size constants, as data. Sources: OpenThread `mle.hpp`,
// `mle_types.hpp`, `mle_router.hpp`, `config/mle.h` (reference thread.md §1, §4;
// openthread-cli.md §6). Times in bench microseconds.
import { MS, SECOND } from '../runtime.ts';

/** Parent Request answer windows (`kParentRequestRouterTimeout` / `ReedTimeout`). */
export const PARENT_REQUEST_ROUTER_TIMEOUT = 750 * MS;
export const PARENT_REQUEST_REED_TIMEOUT = 1250 * MS;
/** First attach cycle of Thread ≥ 1.3: 2 requests to routers, then 4 to routers + REEDs (`kFirstAttachCycle*`). */
export const FIRST_CYCLE_ROUTER_REQUESTS = 2;
export const FIRST_CYCLE_TOTAL_REQUESTS = 6;
/** Later cycles: one of each. */
export const LATER_CYCLE_ROUTER_REQUESTS = 1;
export const LATER_CYCLE_TOTAL_REQUESTS = 2;
/** First attempt after 1 + rand(0..750) ms (`Mle::GetAttachStartDelay`). */
export const ATTACH_START_MIN = 1 * MS;
export const ATTACH_START_JITTER = 750 * MS;
/** Retries after the backoff plus ≤ 50 ms. */
export const ATTACH_RETRY_JITTER = 50 * MS;
/** Attach backoff: 251 ms doubling to 20 min (openthread-cli.md §6). */
export const ATTACH_BACKOFF_MIN = 251 * MS;
export const ATTACH_BACKOFF_MAX = 1_200 * SECOND;
/** Parent Response random delay (`kParentResponseMaxDelayRouters/All`). */
export const PARENT_RESPONSE_MAX_DELAY_ROUTERS = 500 * MS;
export const PARENT_RESPONSE_MAX_DELAY_ALL = 1000 * MS;
/** A parent accepts a Child ID Request this long after its Parent Response (`kChildIdRequestTimeout`). */
export const CHILD_ID_REQUEST_TIMEOUT = 5000 * MS;
/** A child waits this long for the Child ID Response (`kChildIdResponseTimeout`). */
export const CHILD_ID_RESPONSE_TIMEOUT = 1250 * MS;
/** Link Request: wait for Link Accept; delay of an answer to a multicast request. */
export const LINK_REQUEST_TIMEOUT = 2000 * MS;
export const LINK_ACCEPT_MAX_DELAY = 1000 * MS;
/** MLE unicast retransmission base delay. */
export const UNICAST_RETX_DELAY = 1000 * MS;
/** Child keep-alive attempts before re-attaching (`kMaxChildKeepAliveAttempts`). */
export const MAX_CHILD_KEEP_ALIVE_ATTEMPTS = 4;
/** Advertisement trickle: Imin 1 s; Imax = (router neighbours + 1) × 4 s clamped to 12–32 s. */
export const ADV_IMIN = 1 * SECOND;
export const ADV_IMAX_MIN = 12 * SECOND;
export const ADV_IMAX_MAX = 32 * SECOND;
export const ADV_IMAX_PER_ROUTER = 4 * SECOND;
/** MAX_NEIGHBOR_AGE: a silent router neighbour is dropped. */
export const MAX_NEIGHBOR_AGE = 100 * SECOND;
/** NETWORK_ID_TIMEOUT: a router that saw no new router ID sequence (leader age) for this long starts a new partition. */
export const NETWORK_ID_TIMEOUT = 120 * SECOND;
/** ID_SEQUENCE_PERIOD: the leader bumps the router ID sequence this often (thread.md §4; OpenThread kRouterIdSequencePeriod). */
export const ID_SEQUENCE_PERIOD = 10 * SECOND;
/** ROUTER_SELECTION_JITTER default. */
export const ROUTER_SELECTION_JITTER = 120 * SECOND;
/** ROUTER_UPGRADE_THRESHOLD / MAX_ROUTER_ID / MAX_ROUTE_COST. */
export const ROUTER_UPGRADE_THRESHOLD = 16;
export const MAX_ROUTER_ID = 62;
export const MAX_ROUTE_COST = 16;
/** Child ID 1..511 (RLOC16 low 9 bits). */
export const MAX_CHILD_ID = 511;
/** Leader weighting of a new partition (`kLeaderWeight`). */
export const LEADER_WEIGHT = 64;
/** Child timeout default, seconds (`OPENTHREAD_CONFIG_MLE_CHILD_TIMEOUT_DEFAULT`). */
export const CHILD_TIMEOUT_DEFAULT_S = 240;
/** MLE Version TLV value for Thread 1.3 (`include/openthread/thread.h`). */
export const THREAD_VERSION_1_3 = 4;
/** Link cost for link quality 0..3. */
export const LINK_COST = [16, 4, 2, 1] as const;
/** Nanostack's tasklet restarts a failed bootstrap after 5 s (mbed-mesh-api.md §3). */
export const BOOTSTRAP_RETRY = 5 * SECOND;

/** Link quality from link margin: > 20 dB → 3, > 10 → 2, > 2 → 1, else 0 (OpenThread `LinkQualityForLinkMargin`). */
export function linkQualityFromMargin(marginDb: number): 0 | 1 | 2 | 3 {
  if (marginDb > 20) return 3;
  if (marginDb > 10) return 2;
  if (marginDb > 2) return 1;
  return 0;
}

/** Route cost of a link of quality lq. */
export function linkCost(lq: number): number {
  return LINK_COST[lq as 0 | 1 | 2 | 3] ?? MAX_ROUTE_COST;
}
