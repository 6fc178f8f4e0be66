// How many radio hops a datagram travelled between two OpenThread CLI boards,
// told from what their CLIs print, or -1 when they cannot tell. The receive
// line names only the source address, so the sender is found among the run's
// boards by its addresses; then their RLOC16s and the receiver's router table
// say whether the two are one hop apart:
// - a child talks only through its parent: child ↔ its parent is one hop;
// - two routers with a direct link of link quality 3 both ways: link cost 1,
//   and no route through another router costs less (thread.md §4: link cost
//   1/2/4/16 for LQ 3/2/1/0), so the datagram went straight. The sender's
//   table is read first: it picked the next hop.
// Longer paths would need every router's table on the way; they stay unknown.
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

/** Finds which of `boards` holds `src` (by `ipaddr`) and the hops from it to `receiver`. */
export async function hopsFrom(src: string, receiver: OtCli, boards: OtCli[]): Promise<number> {
  const want = src.toLowerCase();
  if ((await receiver.command('ipaddr')).some((a) => a.toLowerCase() === want)) return 0;
  for (const b of boards) {
    if (b === receiver) continue;
    const addrs = await b.command('ipaddr').catch(() => [] as string[]);
    if (addrs.some((a) => a.toLowerCase() === want)) return hopsBetween(b, receiver);
  }
  return -1;
}
