// Single-hop UDP goodput through the simulated medium, next to the analytic limit.
// Two boards 50 m apart join a network (StackNodes on the in-process testbed): on
// 6LoWPAN-ND a border router and a router, on Thread a leader and a router. The first
// then sends UDP datagrams to the other's address (ND: global; Thread: mesh-local EID)
// back to back, through a socket of the interface's UDP API: the next
// datagram is handed to the stack when the socket hears the previous one left the radio
// (its last frame acknowledged), so the MAC never waits for the application and
// protocol traffic still gets its turn. Goodput is measured at the receiver, from the
// first datagram delivered to the last.
import type { StackNode } from '../../stack/node.ts';
import { SECOND } from '../../stack/runtime.ts';
import { bytesEqual } from '../../stack/wire/bytes.ts';
import type { MacAddress } from '../../stack/wire/ieee802154.ts';
import { ipv6, type Ipv6Address } from '../../stack/wire/ipv6-address.ts';
import type { Testbed } from '../../sim/testbed.ts';
import { line, ndBed } from '../unit/nd/bed.ts';
import { threadBench } from '../unit/thread/thread-bench.ts';
import { BACKOFF_SD_US, goodputLimit, ND_FRAMING, THREAD_FRAMING, type Framing } from './limit.ts';

export type NetworkKind = 'nd' | 'thread';
const FRAMING: Record<NetworkKind, Framing> = { nd: ND_FRAMING, thread: THREAD_FRAMING };

export interface GoodputCase {
  case: string;
  network: NetworkKind;
  payloadBytes: number;
  hops: number;
  measuredKbps: number;
  limitKbps: number;
  /** measured / limit. */
  ratio: number;
  /** One standard deviation of the measurement due to the random backoffs alone (kbit/s). */
  samplingSdKbps: number;
  datagrams: number;
  /** Frames the sender put on air in the measured window (first attempts and retries). */
  frames: number;
  retries: number;
  /** PSDU sizes of one datagram's frames as the stack sent them, e.g. "124 ×12, 116". */
  psdu: string;
  /** The PSDU sizes the limit assumes for the network kind's framing. */
  limitPsdu: string;
  /** The stack sent exactly the frames the limit assumes, on every seed (else the limit is not its limit). */
  framesAsAssumed: boolean;
  seeds: number[];
}

export interface GoodputOptions {
  name: string;
  network?: NetworkKind;
  payloadBytes: number;
  /** Datagrams per seed. */
  datagrams: number;
  seeds: number[];
  progress?: (text: string) => void;
}

const DST_PORT = 5683;
const MARKER = new TextEncoder().encode('goodput#');

interface SeedRun {
  bits: number;
  windowUs: number;
  datagrams: number;
  frames: number;
  retries: number;
  psdu: number[];
}

/** Two joined boards one hop apart: who sends, who receives, and where to. */
interface Pair {
  bed: Testbed<unknown>;
  sender: StackNode;
  receiver: StackNode;
  dst: Ipv6Address;
}

/** 6LoWPAN-ND: a border router and a router 50 m apart, to the router's global address. */
function ndPair(seed: number): Pair {
  const b = ndBed(seed, line(1));
  b.nd('br').connect();
  b.nd('r1').connect();
  if (!b.runUntilUp(['br', 'r1'], 120)) throw new Error(`goodput seed ${seed}: the router did not join within 120 s`);
  const dst = ipv6(b.nd('r1').ipAddresses().find((a) => !a.startsWith('fe80')) ?? '');
  return { bed: b.bed as Testbed<unknown>, sender: b.node('br'), receiver: b.node('r1'), dst };
}

/** Thread: a leader and a router 50 m apart (the same path loss), to the router's mesh-local EID. */
function threadPair(seed: number): Pair {
  const tb = threadBench({ seed, ids: ['leader', 'router'], topology: { kind: 'positions', positions: { leader: { x: 0, y: 0 }, router: { x: 50, y: 0 } }, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 } });
  const leader = tb.node('leader').app;
  const router = tb.node('router').app;
  leader.iface.connect();
  if (!tb.runUntil(() => leader.iface.thread?.mle?.role === 'leader', 60 * SECOND)) throw new Error(`goodput seed ${seed}: no leader within 60 s`);
  router.iface.connect();
  if (!tb.runUntil(() => router.iface.thread?.mle?.role === 'router', 120 * SECOND)) throw new Error(`goodput seed ${seed}: the router did not become a router within 120 s`);
  // The mesh-local EID: in the mesh-local prefix, not an RLOC (…:0:ff:fe00:xxxx).
  const mleid = router.iface.ipAddresses().find((a) => a.startsWith('fd') && !/:0:ff:fe00:[0-9a-f]{1,4}$/.test(a));
  if (!mleid) throw new Error(`goodput seed ${seed}: the router has no mesh-local EID (${router.iface.ipAddresses().join(', ')})`);
  return { bed: tb as Testbed<unknown>, sender: leader.stack, receiver: router.stack, dst: ipv6(mleid) };
}

function runSeed(seed: number, opts: GoodputOptions): SeedRun {
  const pair = (opts.network ?? 'nd') === 'thread' ? threadPair(seed) : ndPair(seed);
  const bed = pair.bed;
  // Let the join's burst of protocol traffic settle before measuring.
  bed.runFor(10 * SECOND);

  const sender = pair.sender;
  const receiverMac = pair.receiver.mac;
  const dst = pair.dst;
  const toReceiver = (a: MacAddress): boolean =>
    (a.mode === 'ext' && bytesEqual(a.ext, receiverMac.getExtAddress())) || (a.mode === 'short' && a.short === receiverMac.getShortAddress());
  const arrivals: number[] = [];
  pair.receiver.mesh!.openUdp(DST_PORT, (d) => {
    if (d.payload.length === opts.payloadBytes && bytesEqual(d.payload.subarray(0, MARKER.length), MARKER)) arrivals.push(bed.scheduler.now());
  });
  const { socket } = pair.sender.mesh!.openUdp(0, () => {});
  if (!socket) throw new Error('no UDP socket on the sender');
  const payload = new Uint8Array(opts.payloadBytes);
  payload.set(MARKER);

  let submitted = 0;
  let failed = 0;
  const submit = (): void => {
    submitted++;
    const r = socket.sendTo(dst, DST_PORT, payload, {}, (sent) => {
      if (!sent) failed++;
      if (submitted < opts.datagrams + failed) submit();
    });
    if (r !== opts.payloadBytes) throw new Error(`goodput seed ${seed}: sendto refused datagram ${submitted} (${r})`);
  };
  // Frames of the datagrams, first attempts only, grouped by the datagram the socket had
  // submitted when each left (one is in flight at a time; Thread's payloads are encrypted).
  const perDatagram: number[][] = [];
  let framesInWindow = 0;
  let retriesInWindow = 0;
  const off = sender.mac.onFrame((ev) => {
    if (ev.direction !== 'tx' || ev.frame?.type !== 'data' || !toReceiver(ev.frame.dst)) return;
    // Count what the sender spends airtime on between the first and the last delivery.
    if (arrivals.length >= 1 && arrivals.length < opts.datagrams) {
      framesInWindow++;
      if ((ev.attempt ?? 1) > 1) retriesInWindow++;
    }
    if (ev.attempt !== 1) return;
    (perDatagram[submitted - 1] ??= []).push(ev.psdu.length);
  });
  submit();
  const done = bed.runUntil(() => arrivals.length >= opts.datagrams, (opts.datagrams * 200 * SECOND) / 1000);
  off();
  if (!done) throw new Error(`goodput seed ${seed}: ${arrivals.length} of ${opts.datagrams} datagrams arrived`);
  const windowUs = arrivals.at(-1)! - arrivals[0]!;
  return {
    bits: (arrivals.length - 1) * opts.payloadBytes * 8,
    windowUs,
    datagrams: arrivals.length,
    frames: framesInWindow,
    retries: retriesInWindow,
    psdu: commonest(perDatagram.filter((x) => x !== undefined)),
  };
}

/** The frame pattern most datagrams took (a stray protocol frame to the receiver can join one). */
function commonest(patterns: number[][]): number[] {
  const counts = new Map<string, { n: number; pattern: number[] }>();
  for (const p of patterns) {
    const c = counts.get(p.join(',')) ?? { n: 0, pattern: p };
    c.n++;
    counts.set(p.join(','), c);
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.pattern ?? [];
}

/** [124, 124, 116] → "124 ×2, 116". */
function runLengths(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j < xs.length && xs[j] === xs[i]) j++;
    out.push(j - i > 1 ? `${xs[i]} ×${j - i}` : String(xs[i]));
    i = j;
  }
  return out.join(', ');
}

export function measureGoodput(opts: GoodputOptions): GoodputCase {
  const network = opts.network ?? 'nd';
  const limit = goodputLimit(opts.payloadBytes, FRAMING[network]);
  let bits = 0;
  let windowUs = 0;
  let datagrams = 0;
  let frames = 0;
  let retries = 0;
  let psdu: number[] = [];
  let framesAsAssumed = true;
  for (const seed of opts.seeds) {
    opts.progress?.(`goodput ${opts.name}: ${FRAMING[network].name}, seed ${seed}, ${opts.datagrams} datagrams of ${opts.payloadBytes} bytes`);
    const r = runSeed(seed, opts);
    // The limit is only a limit for the frames it assumes: check the stack sent exactly those.
    if (r.psdu.length !== limit.frames.length || r.psdu.some((n, i) => n !== limit.frames[i])) {
      framesAsAssumed = false;
      opts.progress?.(`goodput ${opts.name}: the stack sent frames of [${r.psdu.join(', ')}] bytes, the limit assumes [${limit.frames.join(', ')}]`);
    }
    bits += r.bits;
    windowUs += r.windowUs;
    datagrams += r.datagrams;
    frames += r.frames;
    retries += r.retries;
    psdu = r.psdu;
  }
  const measuredKbps = (bits / windowUs) * 1000;
  // The window is a sum of `frames` independent uniform backoffs plus fixed times.
  const samplingSdKbps = measuredKbps * ((BACKOFF_SD_US * Math.sqrt(frames)) / windowUs);
  return {
    case: opts.name,
    network,
    payloadBytes: opts.payloadBytes,
    hops: 1,
    measuredKbps,
    limitKbps: limit.limitKbps,
    ratio: measuredKbps / limit.limitKbps,
    samplingSdKbps,
    datagrams,
    frames,
    retries,
    psdu: runLengths(psdu),
    limitPsdu: runLengths(limit.frames),
    framesAsAssumed,
    seeds: opts.seeds,
  };
}
