// How many radio hops a datagram travels inside a Thread partition, traced through the
// routers' own forwarding: a child sends through its parent; each router hands the
// frame to the next hop its route table gives for the destination's RLOC16 (the lookup
// its mesh forwarding makes: OpenThread's RouterTable::GetNextHopAndPathCost, the CLI's
// `nexthop`; our agent's `mesh.nexthop`), and a router hands a child of its own the
// frame directly. Any board that can tell its RLOC16 and its next hop serves, whatever
// its firmware; a router on the way that cannot tell makes the count unknown (-1).

/** Thread's invalid RLOC16 (Thread 1.1 §5.2.1.1): detached, or no route. */
export const NO_RLOC16 = 0xfffe;
/** Thread allows 32 routers (router IDs 0-62, at most 32 allocated): a longer trace is a loop. */
const MAX_ROUTE_HOPS = 32;

/** What the hop tracer asks of a board, as its firmware answers it. */
export interface MeshRouteView {
  /** Its RLOC16 now; NO_RLOC16 when detached or when it cannot tell. */
  rloc16(): Promise<number>;
  /** The next hop its forwarding gives towards `dest`: NO_RLOC16 with no route; undefined when it cannot tell. */
  nextHop(dest: number): Promise<number | undefined>;
  /** Its IPv6 addresses, as its firmware spells them (to find which board sent a datagram: compare them in one spelling, ./ipv6-address.ts). */
  addresses(): Promise<string[]>;
}

const isChild = (rloc16: number) => (rloc16 & 0x1ff) !== 0;
const routerOf = (rloc16: number) => rloc16 & 0xfc00;

/** Radio hops from `sender` to `receiver` along the route the routers' forwarding gives now; -1 when it cannot be traced. */
export async function tracedHops(sender: MeshRouteView, receiver: MeshRouteView, boards: MeshRouteView[]): Promise<number> {
  const rloc16 = (b: MeshRouteView) => b.rloc16().catch(() => NO_RLOC16);
  return routeHops(await rloc16(sender), await rloc16(receiver), boards);
}

/** Radio hops from RLOC16 `from` to `dest`, asking each router on the way (one of `boards`) for its next hop. */
export async function routeHops(from: number, dest: number, boards: MeshRouteView[]): Promise<number> {
  let at = from;
  if (dest === NO_RLOC16 || at === NO_RLOC16 || at === dest) return -1; // not attached, or two boards on one RLOC16
  const routers = await byRloc16(boards);
  let hops = 0;
  if (isChild(at)) {
    hops = 1; // a child talks only through its parent
    at = routerOf(at);
  }
  for (; hops <= MAX_ROUTE_HOPS; hops++) {
    if (at === dest) return hops;
    if (isChild(dest) && routerOf(dest) === at) return hops + 1;
    const router = routers.get(at);
    if (!router) return -1; // a router that is none of the run's boards
    const next = await router.nextHop(dest).catch(() => undefined);
    if (next === undefined || next === NO_RLOC16) return -1;
    at = next;
  }
  return -1;
}

async function byRloc16(boards: MeshRouteView[]): Promise<Map<number, MeshRouteView>> {
  const out = new Map<number, MeshRouteView>();
  for (const b of boards) {
    const r = await b.rloc16().catch(() => NO_RLOC16);
    if (r !== NO_RLOC16) out.set(r, b);
  }
  return out;
}
