// What the suites share about meshes: Mbed's expected event sequences, bringing
// a network up from fresh boards, measuring the hops a datagram travels, and
// skipping what a rig's topology or firmware cannot show. Rig state a case
// changes is undone by the harness (suite-api), not here.
import { expect } from 'chai';
import { bench, canonicalIpv6, eventually, isLinkLocalIpv6, noteHops, Nsapi, parseIpv6, record, samePrefix64, skip, use, type Board, type Ipv6Bytes, type MeshEventRecord, type StackKind } from '../../harness/suite-api/index.ts';

export { Nsapi };

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
 * (Links, cuts, jamming and power the previous case changed the harness undid after it.)
 */
export async function freshBoards(boards: Board[]): Promise<void> {
  use(...boards);
  await Promise.all(bench().boards.map((b) => b.reset()));
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

/** A board's connect(): where its events start (an index for waits) and the board time connect() answered (µs). */
export interface Started {
  fromIndex: number;
  t: number;
}

export interface Joined {
  board: Board;
  /** Board time connect() answered, and when the board was up (µs). */
  connectT: number;
  upT: number;
  status: string;
}

/** init() + connect() on one board; the result codes are checked. */
export async function start(board: Board, stack: StackKind, overrides: Record<string, string> = {}): Promise<Started> {
  use(board);
  expect(await board.init(stack, overrides), `${board.id} initialize()`).to.equal(NSAPI_OK);
  const fromIndex = board.mark();
  const { value, t } = await board.connect();
  expect(value, `${board.id} connect()`).to.equal(NSAPI_OK);
  return { fromIndex, t };
}

/**
 * Waits until the board is up. The root offers a global prefix on both kinds,
 * so a joined board ends at GLOBAL_UP (Thread passes LOCAL_UP on the way).
 */
export async function waitUp(board: Board, started: Started, want: string[] = ['GLOBAL_UP']): Promise<Joined> {
  const up = await board.waitForStatus(want, { withinS: bench().bounds.joinWithinS, fromIndex: started.fromIndex });
  return { board, connectT: started.t, upT: up.t, status: up.status };
}

/**
 * Fresh boards, the root up first, then the others all at once. Returns the
 * join of each (root first).
 */
export async function bringUp(r: Roster, boards: Board[] = r.others): Promise<Joined[]> {
  await freshBoards([r.root, ...boards]);
  const root = await waitUp(r.root, await start(r.root, r.stack));
  const started = new Map<Board, Started>();
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
  const withinS = bench().bounds.joinWithinS;
  await eventually('Thread routers settled', { withinS, everyS: 1 }, async () => {
    const left: string[] = [];
    for (const b of boards) {
      if (b.serves('thread', ['end-device'])) continue;
      const d = (await b.status()).details;
      // A REED stays a child once its partition has ROUTER_UPGRADE_THRESHOLD (16) routers (Thread 1.1 §5.9.9).
      if (d.role === 'child' && Number(d.routers ?? 0) >= 16) continue;
      if (d.role !== 'router' && d.role !== 'leader') left.push(`${b.id}: ${d.role ?? '?'}`);
    }
    return left.length === 0 || `not yet routers: ${left.join(', ')}`;
  });
}

/** A routable address of the board (not link-local, not a Thread RLOC or ALOC). */
export async function addressOf(board: Board): Promise<string> {
  const addrs = await board.ipAddresses();
  const a = readable(addrs).find((x) => !isLinkLocalIpv6(x.bytes) && !isLocator(x.bytes))?.text;
  if (!a) throw new Error(`${board.id} has no routable address (has ${addrs.join(', ') || 'none'})`);
  return a;
}

/** The addresses of a list that are addresses, each as the board spelled it (`text`) and its bytes. */
function readable(addrs: readonly string[]): { text: string; bytes: Ipv6Bytes }[] {
  return addrs.flatMap((text) => {
    const p = parseIpv6(text);
    return p.ok ? [{ text, bytes: p.bytes }] : [];
  });
}

/** An RLOC or ALOC (Thread): its IID is 0000:00ff:fe00:XXXX (thread.md §5), under the mesh-local prefix. */
function isLocator(bytes: Ipv6Bytes): boolean {
  return bytes[8] === 0 && bytes[9] === 0 && bytes[10] === 0 && bytes[11] === 0xff && bytes[12] === 0xfe && bytes[13] === 0;
}

/**
 * A Thread node's ML-EID among its addresses: under the mesh-local prefix, which its RLOC
 * names, and no locator itself; undefined without an RLOC (detached, or a 6LoWPAN-ND board).
 * Stacks list their addresses in their own order (OpenThread's `ipaddr` puts a SLAAC
 * address first, ours the ML-EID), so the order says nothing about which is which.
 */
export function meshLocalEid(addrs: readonly string[]): string | undefined {
  const all = readable(addrs);
  const rloc = all.find((x) => isLocator(x.bytes));
  if (!rloc) return undefined;
  return all.find((x) => samePrefix64(x.bytes, rloc.bytes) && !isLocator(x.bytes))?.text;
}

/** A Thread board's ML-EID (see `meshLocalEid`); an error when it has none. */
export async function meshLocalEidOf(board: Board): Promise<string> {
  const addrs = await board.ipAddresses();
  const a = meshLocalEid(addrs);
  if (!a) throw new Error(`${board.id} has no mesh-local EID (has ${addrs.join(', ') || 'none'})`);
  return a;
}

/** Every probe's payload is distinct: "mbprobe-" and a running number, 16 ASCII bytes. */
let probesSent = 0;
function probePayload(): Uint8Array {
  probesSent = (probesSent + 1) % 1e8;
  return new TextEncoder().encode(`mbprobe-${String(probesSent).padStart(8, '0')}`);
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
    const sources = new Set((await from.ipAddresses()).flatMap((a) => canonicalIpv6(a) ?? []));
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
          (e) => e.socket === rx.socket && e.length === payload.length && heads.has(e.head) && sources.has(canonicalIpv6(e.src) ?? ''),
          { withinS, fromIndex: mark },
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
export function needMultiHop(farthestHops: number): void {
  if (farthestHops >= 2) return;
  const air = withoutAirtime(bench().boards);
  skip(
    air
      ? `not applicable to this firmware: ${air.id} reports ${air.version}, a simulated radio that is one broadcast domain (every node hears every other), so no board is more than one hop from the root (measured: ${farthestHops})`
      : `rig '${bench().rig}' has no board more than one hop from the root (measured: ${farthestHops})`,
  );
}

/**
 * Skips a case that needs boards several radio hops apart when the firmware
 * says its radio is one broadcast domain (OpenThread's simulation: every node
 * hears every other, so routers are all one hop apart and no rig can place a
 * board behind another; only which parent an end device happens to pick would
 * add a hop). Decided from the boards' identity, before any time is spent.
 */
export function needTopology(): void {
  const air = withoutAirtime(bench().boards);
  if (!air) return;
  skip(`not applicable to this firmware: ${air.id} reports ${air.version}, a simulated radio that is one broadcast domain (every node hears every other), so no rig of it can place a board several radio hops from the root`);
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
