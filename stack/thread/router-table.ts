// Thread's router table (OpenThread router_table.cpp): the partition's router ID
// set and its sequence as the leader publishes them, and the distance-vector
// routes over our router neighbours that Route64 carries (thread.md §1).
import type { Micros } from '../runtime.ts';
import type { Route64 } from '../wire/mle.ts';
import * as C from './constants.ts';
import type { Neighbour } from './neighbour.ts';
import { routerIdOf } from './rloc.ts';

export class RouterTable {
  /** Router IDs in use in the partition. */
  ids = new Set<number>();
  idSequence = 0;
  /** When the ID sequence last moved on: the leader's age as routers see it (OpenThread GetLeaderAge). */
  updatedAt: Micros = 0;

  constructor(private readonly neighbours: () => Iterable<Neighbour>) {}

  sorted(): number[] {
    return [...this.ids].sort((a, b) => a - b);
  }

  /** A new set, from the leader (Address Solicit answer) or of our own as leader. */
  set(ids: Iterable<number>, idSequence: number, now: Micros): void {
    this.ids = new Set(ids);
    this.idSequence = idSequence;
    this.updatedAt = now;
  }

  /** The leader's set moved on (an ID added or removed, or its periodic bump). */
  bump(now: Micros): void {
    this.idSequence = (this.idSequence + 1) & 0xff;
    this.updatedAt = now;
  }

  /** Takes the leader's newer set; the IDs it released, and whether its members changed (not just its sequence). */
  adopt(route: Route64, now: Micros): { changed: boolean; released: number[] } {
    const next = new Set(route.routes.map((r) => r.routerId));
    const changed = next.size !== this.ids.size || [...next].some((id) => !this.ids.has(id));
    const released = [...this.ids].filter((id) => !next.has(id));
    this.set(next, route.idSequence, now);
    return { changed, released };
  }

  /** Route64 as we advertise it; `self` is our router ID when we are one. */
  route64(self: number | undefined): Route64 {
    const routes = this.sorted().map((id) => {
      if (id === self) return { routerId: id, linkQualityOut: 0, linkQualityIn: 0, routeCost: 0 };
      const n = this.routerNeighbour(id);
      const lqIn = n ? C.linkQualityFromMargin(n.linkMarginDb) : 0;
      const cost = this.bestRoute(id, self)?.cost;
      return { routerId: id, linkQualityOut: n ? n.lqOut ?? lqIn : 0, linkQualityIn: lqIn, routeCost: cost === undefined ? 0 : Math.min(cost, 15) };
    });
    return { idSequence: this.idSequence, routes };
  }

  /** The cheapest way to router `id` through our router neighbours, undefined when unreachable (or `id` is us). */
  bestRoute(id: number, self: number | undefined): { cost: number; via: Neighbour } | undefined {
    if (self === id) return undefined;
    let best: { cost: number; via: Neighbour } | undefined;
    for (const n of this.neighbours()) {
      if (n.kind !== 'router' || !this.ids.has(routerIdOf(n.rloc16))) continue;
      const link = C.linkCost(Math.min(C.linkQualityFromMargin(n.linkMarginDb), n.lqOut ?? 3));
      let cost: number | undefined;
      if (routerIdOf(n.rloc16) === id) cost = link;
      else {
        const theirs = n.routes.get(id);
        if (theirs !== undefined && theirs > 0) cost = link + theirs;
      }
      if (cost !== undefined && cost < C.MAX_ROUTE_COST && (!best || cost < best.cost)) best = { cost, via: n };
    }
    return best;
  }

  /** A router neighbour's advertised costs, and its link quality of our frames (`self`'s entry). */
  takeRoutes(n: Neighbour, route: Route64, self: number | undefined): void {
    n.routes = new Map(route.routes.map((e) => [e.routerId, e.routeCost]));
    const mine = self !== undefined ? route.routes.find((e) => e.routerId === self) : undefined;
    if (mine && mine.linkQualityIn > 0) n.lqOut = mine.linkQualityIn;
  }

  private routerNeighbour(id: number): Neighbour | undefined {
    for (const n of this.neighbours()) if (n.kind === 'router' && routerIdOf(n.rloc16) === id) return n;
    return undefined;
  }
}
