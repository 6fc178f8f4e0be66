// How many radio hops a datagram travelled between two OpenThread CLI boards.
// From a packet first: the receiver pings the sender (`ping async`) and reads
// the reply's hop limit (`hlim=`): the reply leaves with OpenThread's default
// hop limit, 64 (Ip6::kDefaultHopLimit), and every IP-level hop takes one, so
// 65 - hlim links. Thread's mesh forwarding inside a partition does not touch
// the IPv6 hop limit (MeshForwarder::HandleMesh decrements only the 6LoWPAN
// mesh header's Hops Left, which the CLI does not print), so inside a partition
// that says 1 however many radio hops the datagram took. Those are traced
// through the routers' own forwarding instead: a child sends through its
// parent; each router forwards to the next hop its route table gives for the
// destination's RLOC16 (`nexthop <rloc16>`, RouterTable::GetNextHopAndPathCost,
// the lookup MeshForwarder makes for every mesh-forwarded frame), and a router
// hands a child of its own the frame directly. Every router on the way must be
// one of the run's OpenThread boards; else the count is unknown (-1).
import type { OtCli } from './ot-cli.ts';

const isChild = (rloc16: number) => (rloc16 & 0x1ff) !== 0;
const routerOf = (rloc16: number) => rloc16 & 0xfc00;
const NO_RLOC16 = 0xfffe;
/** Thread allows 32 routers (router IDs 0-62, at most 32 allocated): a longer trace is a loop. */
const MAX_ROUTE_HOPS = 32;

async function rloc16Of(cli: OtCli): Promise<number> {
  return parseInt((await cli.command('rloc16').catch(() => [] as string[]))[0] ?? 'fffe', 16);
}

/** `nexthop <rloc16>` answers `0x<next hop rloc16> cost:<path cost>` (0xfffe with no route), seen on ot-cli-ftd. */
export function parseNextHop(lines: string[]): number | undefined {
  const m = /^0x([0-9a-f]{4}) cost:\d+$/i.exec(lines[0] ?? '');
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** Radio hops from `sender` to `receiver` along the route the routers' forwarding gives now; -1 when it cannot be traced. */
export async function tracedHops(sender: OtCli, receiver: OtCli, boards: OtCli[]): Promise<number> {
  return routeHops(await rloc16Of(sender), await rloc16Of(receiver), await routersOf(boards));
}

async function routersOf(boards: OtCli[]): Promise<Map<number, OtCli>> {
  const routers = new Map<number, OtCli>();
  for (const b of boards) routers.set(await rloc16Of(b), b);
  return routers;
}

/** Radio hops from RLOC16 `from` to `dest`, asking each router on the way (one of `routers`) for its next hop. */
async function routeHops(from: number, dest: number, routers: Map<number, OtCli>): Promise<number> {
  let at = from;
  if (dest === NO_RLOC16 || at === NO_RLOC16 || at === dest) return -1; // not attached, or two boards on one RLOC16
  let hops = 0;
  if (isChild(at)) {
    hops = 1; // a child talks only through its parent
    at = routerOf(at);
  }
  for (; hops <= MAX_ROUTE_HOPS; hops++) {
    if (at === dest) return hops;
    if (isChild(dest) && routerOf(dest) === at) return hops + 1;
    const router = routers.get(at);
    if (!router) return -1; // a router that is none of our OpenThread boards
    const next = parseNextHop(await router.command(`nexthop 0x${dest.toString(16).padStart(4, '0')}`).catch(() => [] as string[]));
    if (next === undefined || next === NO_RLOC16) return -1;
    at = next;
  }
  return -1;
}

/** A hop count and whether it was inferred from tables rather than measured from a packet. */
export interface Hops {
  hops: number;
  inferred: boolean;
}

/** OpenThread's default IPv6 hop limit, that of an echo reply (src/core/net/ip6.hpp, kDefaultHopLimit). */
const REPLY_HOP_LIMIT = 64;

/** The hop limit of the reply to one `ping async` from `cli` to `ip`, or undefined without a reply within `withinMs` of the CLI's clock. */
export function replyHopLimit(cli: OtCli, ip: string, withinMs = 3000): Promise<number | undefined> {
  return new Promise((resolve) => {
    let hlim: number | undefined;
    const stop = cli.onAsync((line) => {
      // "16 bytes from <ip>: icmp_seq=1 hlim=64 time=10ms", then the statistics line (reference §4).
      const reply = /^\d+ bytes from (\S+): icmp_seq=\d+ hlim=(\d+)/.exec(line);
      if (reply && reply[1]!.toLowerCase() === ip.toLowerCase()) hlim = Number(reply[2]);
      if (/^\d+ packets transmitted, \d+ packets received\./.test(line)) finish();
    });
    const deadline = new AbortController();
    cli.clock.sleepUs(withinMs * 1000, { signal: deadline.signal, wakeOnOutput: true }).then(
      () => finish(),
      () => undefined,
    );
    const finish = () => {
      deadline.abort();
      stop();
      resolve(hlim);
    };
    // One echo of 8 bytes, timing out after 2 s of the board's time (`ping [async] <ip> [size] [count] [interval] [hoplimit] [timeout]`).
    cli.command(`ping async ${ip} 8 1 1 ${REPLY_HOP_LIMIT} 2`).catch(() => finish());
  });
}

/** A board's addresses, read at most every ADDRESS_TTL_US of its clock: every receiver looks its senders up among all boards. */
const addressCache = new WeakMap<OtCli, { at: number; addrs: string[] }>();
const ADDRESS_TTL_US = 2_000_000;

async function addressesOf(cli: OtCli, fresh: boolean): Promise<string[]> {
  const hit = addressCache.get(cli);
  if (!fresh && hit && cli.clock.nowUs() - hit.at < ADDRESS_TTL_US) return hit.addrs;
  const addrs = (await cli.command('ipaddr').catch(() => [] as string[])).map((a) => a.toLowerCase());
  addressCache.set(cli, { at: cli.clock.nowUs(), addrs });
  return addrs;
}

/** Which of `boards` holds `ip`: from the cached address lists, read again once if none does. */
async function holderOf(ip: string, boards: OtCli[]): Promise<OtCli | undefined> {
  for (const fresh of [false, true]) {
    for (const b of boards) if ((await addressesOf(b, fresh)).includes(ip)) return b;
  }
  return undefined;
}

/** Finds which of `boards` holds `src` (by `ipaddr`) and the hops from it to `receiver`. */
export async function hopsFrom(src: string, receiver: OtCli, boards: OtCli[]): Promise<Hops> {
  const want = src.toLowerCase();
  if ((await addressesOf(receiver, false)).includes(want)) return { hops: 0, inferred: false };
  const hlim = await replyHopLimit(receiver, src);
  const ipHops = hlim === undefined ? -1 : REPLY_HOP_LIMIT + 1 - hlim;
  if (ipHops > 1) return { hops: ipHops, inferred: false };
  // One IP hop (or no reply): inside a partition, the mesh-forwarded hops are the routers' to tell.
  const sender = await holderOf(want, boards.filter((b) => b !== receiver));
  const traced = sender ? await tracedHops(sender, receiver, boards) : -1;
  if (traced > 0) return { hops: traced, inferred: false };
  // A sender that is none of ours: the route back to it, from the receiver, as the routers on
  // the way forward (the sender's RLOC16 from the receiver's EID-to-RLOC cache, `eidcache`:
  // `<eid> <rloc16> …`, filled by the echo it just answered). A Thread router link is two-way
  // (MLE Link Request/Accept) and its cost is the worse direction's, so the way back is as long.
  const row = (await receiver.command('eidcache').catch(() => [] as string[])).map((l) => l.trim().split(/\s+/)).find((f) => f[0]?.toLowerCase() === want);
  const theirs = row?.[1] !== undefined && /^(0x)?[0-9a-f]{4}$/i.test(row[1]) ? parseInt(row[1], 16) : NO_RLOC16;
  const back = await routeHops(await rloc16Of(receiver), theirs, await routersOf(boards));
  return { hops: back > 0 ? back : -1, inferred: false };
}
