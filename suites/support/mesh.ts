// Helpers shared by the suites: Mbed's expected event sequences, bringing a
// network up from fresh boards, and measuring the hops a datagram travels.
import { expect } from 'chai';
import { bench, noteHops, Nsapi, record, use, type Board, type MeshEventRecord } from '../../harness/suite-api/index.ts';

export { Nsapi };
import type { StackKind } from '../../harness/suite-api/index.ts';

export const NSAPI_OK = 0;

export const upStatuses = ['LOCAL_UP', 'GLOBAL_UP'];
/**
 * The port the suites' probes and traffic go to: 0xF0B0 (61616), in the dynamic range no
 * service is assigned (RFC 6335 §6), so Wireshark dissects the payload as plain data; and
 * in 0xF0B0-0xF0BF, whose ports LOWPAN_NHC UDP carries in 4 bits (RFC 6282 §4.3.3).
 * (5683 is CoAP's: every probe frame was dissected as CoAP and flagged malformed.)
 */
export const PROBE_PORT = 0xf0b0;
/** The port a probe is sent from where the sender can bind it: both ports then take one byte on air. */
export const PROBE_SOURCE_PORT = 0xf0b1;

/** The board that starts the network (ND border router, Thread leader/border router) and the rest. */
export interface Roster {
  stack: StackKind;
  root: Board;
  others: Board[];
  all: Board[];
}

export function roster(stack: StackKind): Roster {
  const b = bench();
  const root = b.select(stack, ['border-router', 'leader'])[0] ?? b.select(stack)[0];
  if (!root) throw new Error(`rig '${b.rig}' has no ${stack} boards`);
  const others = b.select(stack).filter((x) => x !== root);
  return { stack, root, others, all: [root, ...others] };
}

/**
 * Resets every board of the bench through the rig, not only `boards`: a board
 * left running by the previous case would still be on the air (as a lab resets
 * all its DUTs between cases). `boards` are the ones the case goes on to use.
 */
export async function freshBoards(boards: Board[]): Promise<void> {
  use(...boards);
  // What an earlier case may have left behind, even when it failed half way.
  for (const [a, b] of faded) await bench().controls.attenuate(a, b, 0);
  faded.clear();
  for (const id of cutOff) await bench().controls.partition(id, false);
  cutOff.clear();
  for (const b of bench().boards) if (!b.powered) await b.powerOn();
  await Promise.all(bench().boards.map((b) => b.reset()));
}

const faded = new Set<[string, string]>();
const cutOff = new Set<string>();

/** Cuts a board off from every other radio (true) or ends the cut; undone by the next freshBoards() too. */
export async function partition(board: Board, cut: boolean): Promise<void> {
  await bench().controls.partition(board.id, cut);
  if (cut) cutOff.add(board.id);
  else cutOff.delete(board.id);
}

/** Extra attenuation on a link (0 restores it); undone by the next freshBoards() if a case fails first. */
export async function fade(a: Board, b: Board, db: number): Promise<void> {
  await bench().controls.attenuate(a.id, b.id, db);
  for (const f of faded) if (f[0] === a.id && f[1] === b.id) faded.delete(f);
  if (db !== 0) faded.add([a.id, b.id]);
}

/**
 * What an app's status callback sees from connect() to up: CONNECTING first,
 * the final up status last, and never DISCONNECTED in between (reference §2–§3).
 */
export function expectConnectSequence(events: MeshEventRecord[], finalStatus: string): void {
  const callbacks = events.filter((e) => e.callback).map((e) => e.status);
  expect(callbacks[0], `first status callback (saw ${callbacks.join(' → ')})`).to.equal('CONNECTING');
  expect(callbacks[callbacks.length - 1], `last status callback (saw ${callbacks.join(' → ')})`).to.equal(finalStatus);
  expect(callbacks, 'no DISCONNECTED while connecting').to.not.include('DISCONNECTED');
  expect(events[0]?.event, 'first mesh event').to.equal('MESH_BOOTSTRAP_STARTED');
}

export interface Joined {
  board: Board;
  /** Board time connect() answered, and when the board was up (µs). */
  connectT: number;
  upT: number;
  status: string;
}

/** init() + connect() on one board; the result codes are checked. */
export async function start(board: Board, stack: StackKind, overrides: Record<string, string> = {}): Promise<{ since: number; t: number }> {
  use(board);
  expect(await board.init(stack, overrides), `${board.id} initialize()`).to.equal(NSAPI_OK);
  const since = board.mark();
  const { value, t } = await board.connect();
  expect(value, `${board.id} connect()`).to.equal(NSAPI_OK);
  return { since, t };
}

/**
 * Waits until the board is up. The root offers a global prefix on both kinds,
 * so a joined board ends at GLOBAL_UP (Thread passes LOCAL_UP on the way).
 */
export async function waitUp(board: Board, started: { since: number; t: number }, want: string[] = ['GLOBAL_UP']): Promise<Joined> {
  const up = await board.waitForStatus(want, { within: bench().bounds.joinWithinS, since: started.since });
  return { board, connectT: started.t, upT: up.t, status: up.status };
}

/**
 * Fresh boards, the root up first, then the others all at once. Returns the
 * join of each (root first).
 */
export async function bringUp(r: Roster, boards: Board[] = r.others): Promise<Joined[]> {
  await freshBoards([r.root, ...boards]);
  const root = await waitUp(r.root, await start(r.root, r.stack));
  const started = new Map<Board, { since: number; t: number }>();
  for (const b of boards) started.set(b, await start(b, r.stack));
  const joined = [root];
  for (const b of boards) joined.push(await waitUp(b, started.get(b)!));
  if (r.stack === 'thread') await settled([r.root, ...boards]);
  return joined;
}

/**
 * Thread: waits until every router-eligible board has taken its router role (a
 * REED upgrades after the router selection jitter, and its RLOC16 changes) or
 * stays a child of a partition that has routers enough, so a case measures the
 * network a lab would, not its upgrade.
 */
export async function settled(boards: Board[]): Promise<void> {
  const clock = bench().clock;
  const until = (await clock.now()) + bench().bounds.joinWithinS * 1e6;
  const pending = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const b of boards) {
      if (b.serves('thread', ['end-device'])) continue;
      const d = (await b.status()).details;
      // A REED stays a child once its partition has ROUTER_UPGRADE_THRESHOLD (16) routers (Thread 1.1 §5.9.9).
      if (d.role === 'child' && Number(d.routers ?? 0) >= 16) continue;
      if (d.role !== 'router' && d.role !== 'leader') out.push(`${b.id}: ${d.role ?? '?'}`);
    }
    return out;
  };
  for (let left = await pending(); left.length > 0; left = await pending()) {
    if ((await clock.now()) > until) throw new Error(`Thread routers not settled within ${bench().bounds.joinWithinS} s: ${left.join(', ')}`);
    await clock.sleepUntil((await clock.now()) + 1e6);
  }
}

/** A routable address of the board (not link-local, not a Thread RLOC). */
export async function addressOf(board: Board): Promise<string> {
  const addrs = await board.ipAddresses();
  const routable = addrs.filter((a) => !a.startsWith('fe80:') && !/:0:ff:fe00:[0-9a-f]{1,4}$/.test(a));
  const a = routable[0];
  if (!a) throw new Error(`${board.id} has no routable address (has ${addrs.join(', ') || 'none'})`);
  return a;
}

/** Every probe's payload is distinct: "mbprobe-" and a running number, 16 ASCII bytes. */
let probesSent = 0;
function probePayload(): Uint8Array {
  probesSent = (probesSent + 1) % 1e8;
  return new TextEncoder().encode(`mbprobe-${String(probesSent).padStart(8, '0')}`);
}

/** An IPv6 address in one spelling (32 hex digits), so two boards' ways of writing it compare equal. */
export function canonicalIpv6(text: string): string {
  const [head = '', tail] = text.toLowerCase().split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join('');
}

/**
 * Sends one datagram from `from` to `to` and returns the hops it travelled as
 * `to`'s stack counted them (the case's `hops` evidence comes from these). The
 * reply counted is the probe itself: from one of `from`'s addresses, with the
 * payload this attempt sent, not any datagram that happens to arrive.
 */
export async function probeHops(from: Board, to: Board): Promise<number> {
  use(from, to);
  const rx = await to.udpOpen(PROBE_PORT, { events: true });
  expect(rx.result, `${to.id} udp open`).to.equal(NSAPI_OK);
  // A board that already holds a bound port (OpenThread's CLI has one socket) sends from an ephemeral one.
  let tx = await from.udpOpen(PROBE_SOURCE_PORT, { events: false });
  if (tx.result !== NSAPI_OK) tx = await from.udpOpen(0, { events: false });
  expect(tx.result, `${from.id} udp open`).to.equal(NSAPI_OK);
  try {
    const dst = await addressOf(to);
    const sources = new Set((await from.ipAddresses()).map(canonicalIpv6));
    const withinS = 10;
    const mark = to.markApp();
    // Any of this call's tries that arrives counts (a slow first one may land during the second).
    const heads = new Set<string>();
    // A datagram can be lost on a busy mesh; three tries before the case fails.
    for (let attempt = 0; ; attempt++) {
      const payload = probePayload();
      heads.add(Buffer.from(payload).toString('hex'));
      const sent = await from.udpSend(tx.socket!, dst, PROBE_PORT, { data: payload });
      expect(sent.value, `${from.id} sendto ${dst}`).to.equal(payload.length);
      try {
        const got = await to.waitForApp(
          `the probe ${new TextDecoder().decode(payload)} from ${from.id}`,
          'udp',
          (e) => e.socket === rx.socket && e.length === payload.length && heads.has(e.head) && sources.has(canonicalIpv6(e.src)),
          { within: withinS, since: mark },
        );
        // A figure the firmware inferred rather than measured says so in its name.
        if (got.kind === 'udp' && got.hopsInferred) record(`${from.id}_to_${to.id}.hops_inferred`, got.hops);
        else noteHops(got.hops);
        return got.hops;
      } catch (e) {
        if (attempt === 2) throw e;
      }
    }
  } finally {
    await to.udpClose(rx.socket!);
    await from.udpClose(tx.socket!);
  }
}

/**
 * Skips the case, with the reason, when the rig offers no path of two or more
 * hops (measured, not read from the topology): a single radio cell cannot show
 * forwarding.
 */
export function needMultiHop(ctx: Mocha.Context, farthestHops: number): void {
  if (farthestHops >= 2) return;
  const air = withoutAirtime(bench().boards);
  (ctx.test as unknown as { skipReason: string }).skipReason = air
    ? `not applicable to this firmware: ${air.id} reports ${air.version}, a simulated radio that is one broadcast domain (every node hears every other), so no board is more than one hop from the root (measured: ${farthestHops})`
    : `rig '${bench().rig}' has no board more than one hop from the root (measured: ${farthestHops})`;
  ctx.skip();
}

/**
 * Skips a case that needs boards several radio hops apart when the firmware
 * says its radio is one broadcast domain (OpenThread's simulation: every node
 * hears every other, so routers are all one hop apart and no rig can place a
 * board behind another; only which parent an end device happens to pick would
 * add a hop). Decided from the boards' identity, before any time is spent.
 */
export function needTopology(ctx: Mocha.Context): void {
  const air = withoutAirtime(bench().boards);
  if (!air) return;
  (ctx.test as unknown as { skipReason: string }).skipReason = `not applicable to this firmware: ${air.id} reports ${air.version}, a simulated radio that is one broadcast domain (every node hears every other), so no rig of it can place a board several radio hops from the root`;
  ctx.skip();
}

/**
 * The first of `boards` whose firmware says its radio takes no airtime
 * (OpenThread's simulation platform, from its identity): neither goodput
 * against the 802.15.4 limit nor a topology can be judged on such an air.
 */
export function withoutAirtime(boards: Board[]): { id: string; version: string } | undefined {
  const b = boards.find((x) => x.identity?.air === 'no-airtime');
  return b ? { id: b.id, version: `${b.identity!.firmware} ${b.identity!.version}` } : undefined;
}

/** Seconds between two board timestamps (µs). */
export const benchSeconds = (fromT: number, toT: number): number => (toT - fromT) / 1e6;
