// How many radio hops a datagram travelled to an OpenThread CLI board.
// From a packet first: the receiver pings the sender (`ping async`) and reads
// the reply's hop limit (`hlim=`): the reply leaves with OpenThread's default
// hop limit, 64 (Ip6::kDefaultHopLimit), and every IP-level hop takes one, so
// 65 - hlim links. Thread's mesh forwarding inside a partition does not touch
// the IPv6 hop limit (MeshForwarder::HandleMesh decrements only the 6LoWPAN
// mesh header's Hops Left, which the CLI does not print), so inside a partition
// that says 1 however many radio hops the datagram took. Those are traced
// through the routers' own forwarding instead (../hop-trace.ts): every router
// on the way must be one of the run's boards that tells its next hop, an
// OpenThread CLI (`nexthop <rloc16>`) or an agent board (`mesh.nexthop`).
import { NO_RLOC16, routeHops, tracedHops, type MeshRouteView } from '../hop-trace.ts';
import { canonicalIpv6 } from '../ipv6-address.ts';
import type { OtCli } from './ot-cli.ts';

/** `nexthop <rloc16>` answers `0x<next hop rloc16> cost:<path cost>` (0xfffe with no route), seen on ot-cli-ftd. */
export function parseNextHop(lines: string[]): number | undefined {
  const m = /^0x([0-9a-f]{4}) cost:\d+$/i.exec(lines[0] ?? '');
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** A board's addresses (canonicalIpv6), read at most every ADDRESS_TTL_US of the asking board's clock: every receiver looks its senders up among all boards. */
const addressCache = new WeakMap<MeshRouteView, { at: number; addrs: string[] }>();
const ADDRESS_TTL_US = 2_000_000;

/** What the hop tracer asks, as the OpenThread CLI answers it (`rloc16`, `nexthop`, `ipaddr`): one view per session. */
const views = new WeakMap<OtCli, MeshRouteView>();
export function otRouteView(cli: OtCli): MeshRouteView {
  let v = views.get(cli);
  if (!v) {
    v = {
      rloc16: async () => parseInt((await cli.command('rloc16').catch(() => [] as string[]))[0] ?? 'fffe', 16),
      nextHop: async (dest) => parseNextHop(await cli.command(`nexthop 0x${dest.toString(16).padStart(4, '0')}`).catch(() => [] as string[])),
      addresses: () => cli.command('ipaddr').catch(() => [] as string[]),
    };
    views.set(cli, v);
  }
  return v;
}

async function addressesOf(board: MeshRouteView, nowUs: number, fresh: boolean): Promise<string[]> {
  const hit = addressCache.get(board);
  if (!fresh && hit && nowUs - hit.at < ADDRESS_TTL_US) return hit.addrs;
  const addrs = (await board.addresses().catch(() => [] as string[])).flatMap((a) => canonicalIpv6(a) ?? []);
  addressCache.set(board, { at: nowUs, addrs });
  return addrs;
}

/** Which of `boards` holds `ip`: from the cached address lists, read again once if none does. */
async function holderOf(ip: string, boards: MeshRouteView[], nowUs: number): Promise<MeshRouteView | undefined> {
  for (const fresh of [false, true]) {
    for (const b of boards) if ((await addressesOf(b, nowUs, fresh)).includes(ip)) return b;
  }
  return undefined;
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
    const want = canonicalIpv6(ip);
    const stop = cli.onAsync((line) => {
      // "16 bytes from <ip>: icmp_seq=1 hlim=64 time=10ms", then the statistics line (reference §4).
      const reply = /^\d+ bytes from (\S+): icmp_seq=\d+ hlim=(\d+)/.exec(line);
      if (reply && want !== undefined && canonicalIpv6(reply[1]!) === want) hlim = Number(reply[2]);
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

/** Finds which of `boards` (the run's boards that tell their routes, `receiver`'s own view among them) holds `src`, and the hops from it to `receiver`. */
export async function hopsFrom(src: string, receiver: OtCli, boards: MeshRouteView[]): Promise<Hops> {
  const want = canonicalIpv6(src) ?? src;
  const self = otRouteView(receiver);
  const now = receiver.clock.nowUs();
  if ((await addressesOf(self, now, false)).includes(want)) return { hops: 0, inferred: false };
  const hlim = await replyHopLimit(receiver, src);
  const ipHops = hlim === undefined ? -1 : REPLY_HOP_LIMIT + 1 - hlim;
  if (ipHops > 1) return { hops: ipHops, inferred: false };
  // One IP hop (or no reply): inside a partition, the mesh-forwarded hops are the routers' to tell.
  const sender = await holderOf(want, boards.filter((b) => b !== self), now);
  const traced = sender ? await tracedHops(sender, self, boards) : -1;
  if (traced > 0) return { hops: traced, inferred: false };
  // A sender that is none of the run's boards: the route back to it, from the receiver, as the
  // routers on the way forward (the sender's RLOC16 from the receiver's EID-to-RLOC cache,
  // `eidcache`: `<eid> <rloc16> …`, filled by the echo it just answered). A Thread router link is
  // two-way (MLE Link Request/Accept) and its cost is the worse direction's, so the way back is as long.
  const row = (await receiver.command('eidcache').catch(() => [] as string[])).map((l) => l.trim().split(/\s+/)).find((f) => f[0] !== undefined && canonicalIpv6(f[0]) === want);
  const theirs = row?.[1] !== undefined && /^(0x)?[0-9a-f]{4}$/i.test(row[1]) ? parseInt(row[1], 16) : NO_RLOC16;
  const back = await routeHops(await self.rloc16(), theirs, boards);
  return { hops: back > 0 ? back : -1, inferred: false };
}
