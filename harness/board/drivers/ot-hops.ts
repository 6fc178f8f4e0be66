// How many radio hops a datagram travelled between two OpenThread CLI boards.
// Measured from a packet: the receiver pings the sender (`ping async`) and
// reads the reply's hop limit (`hlim=`): the reply leaves with OpenThread's
// default hop limit, 64 (Ip6::kDefaultHopLimit), and every IP-level hop takes
// one, so 65 - hlim links. Thread's mesh forwarding inside a partition does
// not touch the IPv6 hop limit (MeshForwarder::HandleMesh decrements only the
// 6LoWPAN mesh header's Hops Left, which the CLI does not print), so that
// figure counts radio hops only where the sender is a direct neighbour. When
// the tables say it is not, the hops are inferred from the tables instead
// (and flagged so), or unknown (-1):
// - a child talks only through its parent: child ↔ its parent is one hop;
// - two routers with a direct link of link quality 3 both ways: link cost 1,
//   and no route through another router costs less (thread.md §4: link cost
//   1/2/4/16 for LQ 3/2/1/0), so the datagram went straight. The sender's
//   table is read first: it picked the next hop.
import type { OtCli } from './ot-cli.ts';
import { parseTable } from './ot-config.ts';

const isChild = (rloc16: number) => (rloc16 & 0x1ff) !== 0;
const routerOf = (rloc16: number) => rloc16 & 0xfc00;

async function rloc16Of(cli: OtCli): Promise<number> {
  return parseInt((await cli.command('rloc16'))[0] ?? 'fffe', 16);
}

export async function hopsBetween(sender: OtCli, receiver: OtCli): Promise<number> {
  const s = await rloc16Of(sender);
  const r = await rloc16Of(receiver);
  if (s === 0xfffe || r === 0xfffe) return -1; // one of them is not attached
  if (s === r) return -1; // two boards on one RLOC16: the tables cannot tell them apart
  if (isChild(s) && routerOf(s) === r) return 1;
  if (isChild(r) && routerOf(r) === s) return 1;
  if (isChild(s) || isChild(r)) return -1;
  // The sender chose the route, so its table decides; the receiver's says the same once
  // it has heard the sender's advertisement as a router (it may lag just after an upgrade).
  if (directLink(await sender.command('router table').catch(() => []), r)) return 1;
  if (directLink(await receiver.command('router table'), s)) return 1;
  return -1;
}

/** A `router table` row for `rloc16` with a direct link of link quality 3 both ways. */
function directLink(table: string[], rloc16: number): boolean {
  const row = parseTable(table).find((x) => parseInt(x.RLOC16 ?? '', 16) === rloc16);
  return row !== undefined && row.Link === '1' && row['LQ In'] === '3' && row['LQ Out'] === '3';
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
  // One IP hop: exact if the sender is a direct neighbour; else mesh-forwarded hops hid from it.
  const sender = await holderOf(want, boards.filter((b) => b !== receiver));
  const tables = sender ? await hopsBetween(sender, receiver) : -1;
  if (ipHops === 1 && tables === 1) return { hops: 1, inferred: false };
  if (tables > 0) return { hops: tables, inferred: true };
  return { hops: -1, inferred: false };
}
