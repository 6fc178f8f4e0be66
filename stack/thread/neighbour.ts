// A Thread node's neighbours as MLE keeps them: its parent, its children and the
// routers it has a link with (OpenThread's Neighbor / Child / Router entries).
import type { Micros } from '../runtime.ts';
import type { Ipv6Address } from '../wire/ipv6-address.ts';
import type { DeviceMode } from '../wire/mle.ts';

export type NeighbourKind = 'parent' | 'child' | 'router';

export interface Neighbour {
  ext: Uint8Array;
  rloc16: number;
  kind: NeighbourKind;
  lastHeard: Micros;
  /** Our measured margin of its frames, dB. */
  linkMarginDb: number;
  /** Its measured link quality of our frames (from its Route64), when known. */
  lqOut?: number;
  mode?: DeviceMode;
  timeoutS?: number;
  /** Registered mesh-local EIDs (children). */
  mlEids: Ipv6Address[];
  /** A child's addresses an Address Error gave to another node. */
  refused?: Ipv6Address[];
  /** Its advertised route costs by router ID (routers). */
  routes: Map<number, number>;
}
