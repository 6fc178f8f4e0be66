// Single-hop UDP goodput through the simulated medium, next to the analytic limit.
// A border router and one router 50 m apart join a 6LoWPAN-ND network (StackNodes on
// the in-process testbed); the border router then sends UDP datagrams to the router's
// global address back to back, through a socket of the interface's UDP API: the next
// datagram is handed to the stack when the socket hears the previous one left the radio
// (its last frame acknowledged), so the MAC never waits for the application and
// protocol traffic still gets its turn. Goodput is measured at the receiver, from the
// first datagram delivered to the last.
import { SECOND } from '../../stack/runtime.ts';
import { bytesEqual } from '../../stack/wire/bytes.ts';
import { ipv6 } from '../../stack/wire/ipv6-address.ts';
import { line, ndBed } from '../unit/nd/bed.ts';
import { BACKOFF_SD_US, goodputLimit } from './limit.ts';

export interface GoodputCase {
  case: string;
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
  /** PSDU sizes of one datagram's frames as the stack sent them (checked equal to the limit's), e.g. "124 ×12, 116". */
  psdu: string;
  seeds: number[];
}

export interface GoodputOptions {
  name: string;
  payloadBytes: number;
  /** Datagrams per seed. */
  datagrams: number;
  seeds: number[];
  progress?: (text: string) => void;
}

const DST_PORT = 5683;
const MARKER = new TextEncoder().encode('goodput#');

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

interface SeedRun {
  bits: number;
  windowUs: number;
  datagrams: number;
  frames: number;
  retries: number;
  psdu: number[];
}

function runSeed(seed: number, opts: GoodputOptions): SeedRun {
  const b = ndBed(seed, line(1));
  b.nd('br').connect();
  b.nd('r1').connect();
  if (!b.runUntilUp(['br', 'r1'], 120)) throw new Error(`goodput seed ${seed}: the router did not join within 120 s`);
  // Let the join's burst of RPL/ND traffic settle before measuring.
  b.bed.runFor(10 * SECOND);

  const sender = b.node('br');
  const receiverExt = b.node('r1').mac.getExtAddress();
  const dst = ipv6(b.nd('r1').ipAddresses().find((a) => !a.startsWith('fe80')) ?? '');
  const arrivals: number[] = [];
  b.nd('r1').udpOpen(DST_PORT, (d) => {
    if (d.payload.length === opts.payloadBytes && bytesEqual(d.payload.subarray(0, MARKER.length), MARKER)) arrivals.push(b.bed.scheduler.now());
  });
  const { socket } = b.nd('br').openUdp(0, () => {});
  if (!socket) throw new Error('no UDP socket on the border router');
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
  // Frames of the datagrams, first attempts only, grouped by the marker that opens each.
  const perDatagram: number[][] = [];
  let framesInWindow = 0;
  let retriesInWindow = 0;
  const off = sender.mac.onFrame((ev) => {
    if (ev.direction !== 'tx' || ev.frame?.type !== 'data' || ev.frame.dst.mode !== 'ext' || !bytesEqual(ev.frame.dst.ext, receiverExt)) return;
    // Count what the sender spends airtime on between the first and the last delivery.
    if (arrivals.length >= 1 && arrivals.length < opts.datagrams) {
      framesInWindow++;
      if ((ev.attempt ?? 1) > 1) retriesInWindow++;
    }
    if (ev.attempt !== 1) return;
    if (contains(ev.frame.payload, MARKER)) perDatagram.push([ev.psdu.length]);
    else perDatagram.at(-1)?.push(ev.psdu.length);
  });
  submit();
  const done = b.bed.runUntil(() => arrivals.length >= opts.datagrams, (opts.datagrams * 200 * SECOND) / 1000);
  off();
  if (!done) throw new Error(`goodput seed ${seed}: ${arrivals.length} of ${opts.datagrams} datagrams arrived`);
  const windowUs = arrivals.at(-1)! - arrivals[0]!;
  return {
    bits: (arrivals.length - 1) * opts.payloadBytes * 8,
    windowUs,
    datagrams: arrivals.length,
    frames: framesInWindow,
    retries: retriesInWindow,
    psdu: perDatagram[1] ?? perDatagram[0] ?? [],
  };
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
  const limit = goodputLimit(opts.payloadBytes);
  let bits = 0;
  let windowUs = 0;
  let datagrams = 0;
  let frames = 0;
  let retries = 0;
  let psdu: number[] = [];
  for (const seed of opts.seeds) {
    opts.progress?.(`goodput ${opts.name}: seed ${seed}, ${opts.datagrams} datagrams of ${opts.payloadBytes} bytes`);
    const r = runSeed(seed, opts);
    // The limit is only a limit for the frames it assumes: check the stack sent exactly those.
    if (r.psdu.length !== limit.frames.length || r.psdu.some((n, i) => n !== limit.frames[i])) {
      throw new Error(`goodput ${opts.name}: the stack sent frames of [${r.psdu.join(', ')}] bytes, the limit assumes [${limit.frames.join(', ')}]`);
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
    seeds: opts.seeds,
  };
}
