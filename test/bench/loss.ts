// Where the grid's light traffic dies. The speed benchmark's 8 × 8 grid (border router
// in the middle, each board in range of its four grid neighbours only, 85 dB links) and
// its traffic (every board sends 50 bytes to its right-hand neighbour every 10 bench
// seconds, at a random phase), run on the in-process testbed so that every datagram
// can be followed: each lost one is put down to the drop its stack reported (the
// NetInterface's drop observer: no route, MAC retries exhausted, channel access
// failure, ...), and every unicast data frame attempt is put down to what the medium
// did with it at the radio it was addressed to (received; corrupted by another frame
// that overlapped it; lost because that radio was already receiving another frame or
// was itself transmitting). Overlaps are split by whether the sender could have heard
// the interferer (carrier sense should have deferred it) or not (a hidden terminal).
// Next to the measured collisions, the textbook figure: a hidden terminal is an ALOHA
// sender to the receiver (Tobagi & Kleinrock, IEEE Trans. Commun. 23(12), 1975), so an
// attempt of duration T survives with probability exp(−λ·(T + T̄)), λ the rate of frames
// the receiver hears from nodes the sender cannot hear, T̄ their mean duration.
// A datagram no drop was reported for, or one refused at its source, is put down to the
// state of the board: a source that was not connected (rejoining) refuses to send, as Mbed's
// socket does (NSAPI_ERROR_NO_ADDRESS); a destination that left the network to join again
// cannot expand a header compressed with the context it forgot.
import type { Testbed } from '../../sim/testbed.ts';
import type { RxStatus, TransmissionRecord } from '../../sim/medium/medium.ts';
import type { StackNode } from '../../stack/node.ts';
import { SECOND } from '../../stack/runtime.ts';
import { DEFAULT_PIB } from '../../stack/mac/constants.ts';
import type { DropReason, UdpSocket } from '../../stack/net/net-interface.ts';
import { NANOSTACK_TX_POLICY } from '../../stack/nd/params.ts';
import { toHex } from '../../stack/wire/bytes.ts';
import { parseMacFrame } from '../../stack/wire/ieee802154.ts';
import { ipv6 } from '../../stack/wire/ipv6-address.ts';
import { ndBed, type BedNode } from '../unit/nd/bed.ts';

/** The speed benchmark's traffic (test/bench/speed.ts). */
const PERIOD_US = 10 * SECOND;
const PAYLOAD = 50;
const PORT = 7000;
const MARKER = new TextEncoder().encode('LOSS');
/** Receiver sensitivity of the sim's radios (sim/medium/phy-model.ts default): who can hear whom. */
const SENSITIVITY_DBM = -100;
/** aUnitBackoffPeriod (IEEE 802.15.4-2006 Table 85). */
const UNIT_BACKOFF_US = 320;
/** Retransmissions of a frame: macMaxFrameRetries of the 6LoWPAN-ND stack's MAC (Nanostack's). */
const MAX_RETRIES = NANOSTACK_TX_POLICY.maxFrameRetries;

/**
 * Backoff exponent of the CSMA-CA that starts retransmission `retry` (1, 2, …): macMinBE under
 * the standard (§7.5.6.4), or, under Nanostack's policy, raised once per retry up to macMaxBE
 * (stack/mac/mac.ts TxPolicy.noAckBackoffGrowth).
 */
export function retransmissionBE(retry: number): number {
  return NANOSTACK_TX_POLICY.noAckBackoffGrowth ? Math.min(DEFAULT_PIB.macMinBE + retry, DEFAULT_PIB.macMaxBE) : DEFAULT_PIB.macMinBE;
}

/**
 * Chance that two hidden senders whose frames (mean length `frameUs`) overlapped overlap
 * again on their next attempt, each after the same ACK wait and a backoff b uniform in
 * 0 … 2^BE − 1 unit periods: their offset δ was uniform in (−T̄, T̄) and becomes
 * δ + (b₁ − b₂)·320 µs, so P = Σ_d P(b₁ − b₂ = d) · max(0, 1 − |d|·320 µs / (2T̄)),
 * P(d) = (n − |d|) / n² for n = 2^BE.
 */
export function reCollisionChance(be: number, frameUs: number): number {
  if (frameUs <= 0) return 0;
  const n = 2 ** be;
  let p = 0;
  for (let d = -(n - 1); d <= n - 1; d++) p += ((n - Math.abs(d)) / n ** 2) * Math.max(0, 1 - (Math.abs(d) * UNIT_BACKOFF_US) / (2 * frameUs));
  return p;
}

export interface LossOptions {
  side: number;
  seed: number;
  /** Bench seconds of traffic measured (after joining and one period of warm-up). */
  windowS: number;
  progress?: (text: string) => void;
}

/** What the medium did with one unicast data frame attempt at the radio it was addressed to. */
export type AttemptFate =
  | 'received'
  | 'collisionHidden'
  | 'collisionInRange'
  | 'receiverBusyHidden'
  | 'receiverBusyInRange'
  /** The addressed radio was transmitting when the frame began (both left CCA within one turnaround). */
  | 'receiverTransmitting'
  /** The addressed radio locked on, then transmitted mid-frame (its ACK of another frame, or a frame after a clear CCA). */
  | 'receiverTurnedToTransmit'
  | 'other';

/**
 * Why a datagram was lost: the drop its stack reported, or what the bench saw: refused at a
 * source that was not connected (or, connected, for another reason), undecodable at a
 * destination that had left the network to join again, or nothing at all ('unaccounted').
 */
export type LossCause = DropReason | 'sendRefusedNotJoined' | 'sendRefused' | 'destinationRejoining' | 'unaccounted';

export interface LossResult {
  nodes: number;
  seed: number;
  windowBenchS: number;
  /** Datagrams handed to the stack, delivered, and the share delivered. */
  sent: number;
  delivered: number;
  deliveryRatio: number;
  /** Each lost datagram by its cause ('unaccounted': none found). */
  lostBy: Partial<Record<LossCause, number>>;
  /** Boards that left the network during the window (to join again): board, bench s into the window, the reason it gave. */
  rejoins: string[];
  /** The lost datagrams no drop was reported for: sender→receiver #sequence. */
  unaccounted: string[];
  /** Of the lost, where: at the sender's first hop, or at a relay. */
  lostAtFirstHop: number;
  lostAtRelay: number;
  /** Unicast data frame attempts of the traffic, by what became of them at the addressed radio. */
  attempts: Record<AttemptFate, number>;
  /** Hidden-terminal collisions per attempt (all attempts), measured, and the ALOHA model's figure for the same attempts. */
  hiddenCollisionPerAttempt: { measured: number; model: number };
  /** First attempts of a frame that failed, measured, and the ALOHA model's figure for them. */
  firstAttemptFailed: { measured: number; model: number };
  /**
   * Retransmission k (k = 1 … macMaxFrameRetries) that followed a failed attempt of the same
   * frame: the share that failed again (and how many there were), and the model's chance that
   * the two hidden senders meet again (`reCollisionChance` with the BE of retransmission k:
   * 3, 3, 3 under the standard, whose CSMA-CA restarts at macMinBE, §7.5.6.4; 4, 5, 5 under
   * Nanostack's MAC).
   */
  failedAgainAfterFailure: Array<{ retry: number; backoffExponent: number; attempts: number; measured: number; model: number }>;
  /** A hop lost (all 1 + macMaxFrameRetries attempts failed), per hop a delivered or lost datagram took: measured, and first-attempt model × the re-collision models. */
  hopLoss: { measured: number; model: number };
  /** The hops behind `hopLoss.measured`: lost (retries exhausted) and taken (a delivered datagram's hops, one per lost datagram). */
  lostHops: number;
  hopsTaken: number;
  /** Datagram loss the models predict over the mean hops: 1 − (1 − hop loss)^hops. */
  modelDatagramLoss: number;
  /** Mean radio hops of the delivered datagrams. */
  meanHops: number;
}

/** Grid ids and links as the speed benchmark's sim spec (test/bench/sim-bench.ts gridSpec). */
function gridNodes(side: number): { nodes: BedNode[]; links: Array<[string, string]> } {
  const br = Math.floor((side - 1) / 2);
  const id = (r: number, c: number): string => (r === br && c === br ? 'br' : `n${r}x${c}`);
  const nodes: BedNode[] = [];
  const links: Array<[string, string]> = [];
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      nodes.push({ id: id(r, c), x: c, y: r, ...(id(r, c) === 'br' ? { role: 'border-router' as const } : {}) });
      if (c + 1 < side) links.push([id(r, c), id(r, c + 1)]);
      if (r + 1 < side) links.push([id(r, c), id(r + 1, c)]);
    }
  return { nodes, links };
}

interface Air {
  sender: string;
  startUs: number;
  endUs: number;
  /** Radios that heard it above sensitivity. */
  heardBy: Set<string>;
  /** The addressed radio of a unicast data frame and what became of the frame there. */
  to?: string;
  status?: RxStatus;
  app: boolean;
  /** Sender and PSDU: a retransmission repeats the first attempt's. */
  frameKey: string;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The datagram id a payload (or a packet or frame carrying it) holds: sender index and sequence. */
function datagramId(bytes: Uint8Array): string | undefined {
  const at = indexOf(bytes, MARKER);
  if (at < 0 || at + MARKER.length + 6 > bytes.length) return undefined;
  return toHex(bytes.subarray(at + MARKER.length, at + MARKER.length + 6));
}

export function measureLoss(opts: LossOptions): LossResult {
  const { nodes, links } = gridNodes(opts.side);
  const b = ndBed(opts.seed, nodes, {}, links);
  const bed = b.bed as Testbed<StackNode>;
  const ids = nodes.map((n) => n.id);
  b.nd('br').connect();
  b.connectAll(ids.filter((id) => id !== 'br'));
  if (!b.runUntilUp(ids, 1200)) throw new Error(`loss: the ${ids.length}-board grid did not join within 1200 s`);
  opts.progress?.(`loss: ${ids.length} boards joined at ${(bed.scheduler.now() / SECOND).toFixed(0)} bench s`);
  bed.runFor(PERIOD_US);

  const byExt = new Map(ids.map((id) => [toHex(b.node(id).mac.getExtAddress()), id]));
  const position = new Map(nodes.map((n) => [n.id, n]));
  const at = (r: number, c: number): string | undefined => nodes.find((n) => n.x === c && n.y === r)?.id;

  // Who each board sends to, and its socket.
  interface Flow {
    from: string;
    to: string;
    index: number;
  }
  const flows: Flow[] = ids.map((id, index) => {
    const p = position.get(id)!;
    const to = at(p.y, p.x + 1) ?? at(p.y, p.x - 1);
    if (!to) throw new Error(`${id} has no row neighbour`);
    return { from: id, to, index };
  });
  const addressOf = (id: string): Uint8Array => ipv6(b.nd(id).ipAddresses().find((a) => !a.startsWith('fe80')) ?? '');

  const sentAt = new Map<string, Flow>();
  const delivered = new Map<string, number>();
  const drops = new Map<string, { reason: LossCause; node: string }>();
  let measuring = true;
  const rejoins: string[] = [];
  let windowStart = bed.scheduler.now();
  for (const id of ids) {
    let last = b.nd(id).getConnectionStatus();
    b.nd(id).onEvent((e) => {
      if (measuring && last === 'GLOBAL_UP' && e.status !== 'GLOBAL_UP') {
        rejoins.push(`${id} at ${((e.at - windowStart) / SECOND).toFixed(1)} s: ${b.nd(id).details().last_failure ?? e.event}`);
      }
      last = e.status;
    });
  }
  const sockets = new Map<string, UdpSocket>();
  for (const id of ids) {
    const socket = b.nd(id).udpOpen(PORT, (d) => {
      const key = datagramId(d.payload);
      if (key && measuring && sentAt.has(key)) delivered.set(key, d.hops);
    });
    if (!socket) throw new Error(`${id}: port ${PORT} is taken`);
    sockets.set(id, socket);
    b.nd(id).net.onDrop((reason, datagram) => {
      const key = datagramId(datagram);
      const flow = key ? sentAt.get(key) : undefined;
      if (!key || !flow || drops.has(key)) return;
      const rejoining = reason === 'undecodable' && id === flow.to && b.nd(id).getConnectionStatus() !== 'GLOBAL_UP';
      drops.set(key, { reason: rejoining ? 'destinationRejoining' : reason, node: id });
    });
  }

  // Every transmission in the window, with who heard it and, for unicast data frames, the fate at the addressed radio.
  const air: Air[] = [];
  const stopAir = bed.medium.observe((rec: TransmissionRecord) => {
    const heardBy = new Set(rec.receivers.filter((o) => o.rssiDbm >= SENSITIVITY_DBM).map((o) => o.node));
    const entry: Air = { sender: rec.sender, startUs: rec.startUs, endUs: rec.endUs, heardBy, app: datagramId(rec.psdu) !== undefined, frameKey: `${rec.sender}:${toHex(rec.psdu)}` };
    const f = parseMacFrame(rec.psdu);
    if (f.ok && f.value.type === 'data' && f.value.dst.mode === 'ext') {
      const to = byExt.get(toHex(f.value.dst.ext));
      const outcome = rec.receivers.find((o) => o.node === to);
      if (to && outcome) {
        entry.to = to;
        entry.status = outcome.status;
      }
    }
    air.push(entry);
  });

  const start = bed.scheduler.now();
  windowStart = start;
  const end = start + opts.windowS * SECOND;
  const rng = bed.node('br').rng;
  for (const flow of flows) {
    const socket = sockets.get(flow.from)!;
    const dst = addressOf(flow.to);
    let seq = 0;
    const send = (): void => {
      if (bed.scheduler.now() >= end) return;
      const payload = new Uint8Array(PAYLOAD);
      payload.set(MARKER);
      const v = new DataView(payload.buffer);
      v.setUint16(MARKER.length, flow.index);
      v.setUint32(MARKER.length + 2, seq++);
      const key = datagramId(payload)!;
      sentAt.set(key, flow);
      const r = socket.sendTo(dst, PORT, payload);
      if (r !== 0) drops.set(key, { reason: b.nd(flow.from).getConnectionStatus() === 'GLOBAL_UP' ? 'sendRefused' : 'sendRefusedNotJoined', node: flow.from });
      bed.node(flow.from).timers.at(bed.scheduler.now() + PERIOD_US, send);
    };
    bed.node(flow.from).timers.at(start + Math.floor(rng.next() * PERIOD_US), send);
  }
  bed.runUntil(() => bed.scheduler.now() >= end, opts.windowS * SECOND + SECOND);
  // Datagrams still on their way get 30 s to arrive.
  bed.runFor(30 * SECOND);
  measuring = false;
  stopAir();

  // Each lost datagram by its drop.
  const lostBy: Partial<Record<LossCause, number>> = {};
  const unaccounted: string[] = [];
  let lostAtFirstHop = 0;
  let lostAtRelay = 0;
  for (const [key, flow] of sentAt) {
    if (delivered.has(key)) continue;
    const d = drops.get(key);
    const reason: LossCause = d?.reason ?? 'unaccounted';
    if (!d) unaccounted.push(`${flow.from}→${flow.to} #${parseInt(key.slice(4), 16)}`);
    lostBy[reason] = (lostBy[reason] ?? 0) + 1;
    if (d && d.node === flow.from) lostAtFirstHop++;
    else if (d) lostAtRelay++;
  }

  // Each attempt of the traffic by its fate at the addressed radio, and the model beside it.
  const attempts: Record<AttemptFate, number> = {
    received: 0,
    collisionHidden: 0,
    collisionInRange: 0,
    receiverBusyHidden: 0,
    receiverBusyInRange: 0,
    receiverTransmitting: 0,
    receiverTurnedToTransmit: 0,
    other: 0,
  };
  air.sort((x, y) => x.startUs - y.startUs);
  let modelCollisionSum = 0;
  let modelCount = 0;
  const windowUs = end - start;
  // Per (sender, receiver) pair: frames per µs the receiver hears from radios the sender cannot hear, and their mean length.
  const hiddenLoad = new Map<string, { rate: number; meanUs: number }>();
  const hiddenFrom = (sender: string, receiver: string): { rate: number; meanUs: number } => {
    const key = `${sender}>${receiver}`;
    let h = hiddenLoad.get(key);
    if (!h) {
      let n = 0;
      let us = 0;
      for (const a of air) {
        if (a.sender === sender || a.sender === receiver || !a.heardBy.has(receiver) || a.heardBy.has(sender)) continue;
        if (a.startUs < start || a.startUs >= end) continue;
        n++;
        us += a.endUs - a.startUs;
      }
      h = { rate: n / windowUs, meanUs: n ? us / n : 0 };
      hiddenLoad.set(key, h);
    }
    return h;
  };
  // Per frame: attempts so far and whether the last one failed.
  const lastAttempt = new Map<string, { count: number; failed: boolean }>();
  const afterFailure = Array.from({ length: MAX_RETRIES + 1 }, () => 0);
  const failedAgain = Array.from({ length: MAX_RETRIES + 1 }, () => 0);
  let firstAttempts = 0;
  let firstFailed = 0;
  let firstModelSum = 0;
  let appFrameUs = 0;
  for (let i = 0; i < air.length; i++) {
    const a = air[i]!;
    if (!a.app || !a.to || !a.status || a.startUs < start || a.startUs >= end) continue;
    const failed = a.status !== 'received';
    const h = hiddenFrom(a.sender, a.to);
    const model = 1 - Math.exp(-h.rate * (a.endUs - a.startUs + h.meanUs));
    const previous = lastAttempt.get(a.frameKey);
    const retry = previous ? previous.count : 0;
    if (previous?.failed && retry <= MAX_RETRIES) {
      afterFailure[retry]!++;
      if (failed) failedAgain[retry]!++;
    } else if (!previous) {
      firstAttempts++;
      if (failed) firstFailed++;
      firstModelSum += model;
    }
    lastAttempt.set(a.frameKey, { count: retry + 1, failed });
    modelCollisionSum += model;
    modelCount++;
    appFrameUs += a.endUs - a.startUs;
    if (a.status === 'received') {
      attempts.received++;
      continue;
    }
    if (a.status === 'transmitting') {
      attempts.receiverTransmitting++;
      continue;
    }
    if (a.status === 'aborted') {
      attempts.receiverTurnedToTransmit++;
      continue;
    }
    if (a.status !== 'corrupted' && a.status !== 'busy') {
      attempts.other++;
      continue;
    }
    // The frames that overlapped this one at its receiver: could the sender have heard any of them?
    let hidden = true;
    let any = false;
    for (let j = i - 1; j >= 0 && air[j]!.startUs > a.startUs - 5 * 1000 * 10; j--) {
      const o = air[j]!;
      if (o.endUs <= a.startUs || o.sender === a.sender || !o.heardBy.has(a.to)) continue;
      any = true;
      if (o.heardBy.has(a.sender)) hidden = false;
    }
    for (let j = i + 1; j < air.length && air[j]!.startUs < a.endUs; j++) {
      const o = air[j]!;
      if (o.sender === a.sender || !o.heardBy.has(a.to)) continue;
      any = true;
      if (o.heardBy.has(a.sender)) hidden = false;
    }
    const kind = a.status === 'corrupted' ? 'collision' : 'receiverBusy';
    if (!any) attempts.other++;
    else attempts[`${kind}${hidden ? 'Hidden' : 'InRange'}` as AttemptFate]++;
  }
  const totalAttempts = Object.values(attempts).reduce((x, y) => x + y, 0);
  const modelPerAttempt = modelCount ? modelCollisionSum / modelCount : 0;
  const hops = [...delivered.values()];
  const meanHops = hops.length ? hops.reduce((x, y) => x + y, 0) / hops.length : 0;
  const meanFrameUs = modelCount ? appFrameUs / modelCount : 0;
  const reCollision = Array.from({ length: MAX_RETRIES }, (_, i) => {
    const retry = i + 1;
    const be = retransmissionBE(retry);
    const n = afterFailure[retry]!;
    return { retry, backoffExponent: be, attempts: n, measured: n ? failedAgain[retry]! / n : 0, model: reCollisionChance(be, meanFrameUs) };
  });
  const firstModel = firstAttempts ? firstModelSum / firstAttempts : 0;
  // A hop is lost when all 1 + macMaxFrameRetries attempts fail.
  const hopLossModel = reCollision.reduce((p, r) => p * r.model, firstModel);
  const modelDatagramLoss = 1 - (1 - hopLossModel) ** meanHops;
  const lostHops = lostBy.retriesExhausted ?? 0;
  // Hops taken: each delivered datagram's, and for each lost one the hops up to where it died (unknown: counted as one).
  const hopsTaken = hops.reduce((x, y) => x + y, 0) + (sentAt.size - delivered.size);
  return {
    nodes: ids.length,
    seed: opts.seed,
    windowBenchS: opts.windowS,
    sent: sentAt.size,
    delivered: delivered.size,
    deliveryRatio: sentAt.size ? delivered.size / sentAt.size : 0,
    lostBy,
    rejoins,
    unaccounted,
    lostAtFirstHop,
    lostAtRelay,
    attempts,
    hiddenCollisionPerAttempt: { measured: totalAttempts ? (attempts.collisionHidden + attempts.receiverBusyHidden) / totalAttempts : 0, model: modelPerAttempt },
    firstAttemptFailed: { measured: firstAttempts ? firstFailed / firstAttempts : 0, model: firstModel },
    failedAgainAfterFailure: reCollision,
    hopLoss: { measured: hopsTaken ? lostHops / hopsTaken : 0, model: hopLossModel },
    lostHops,
    hopsTaken,
    modelDatagramLoss,
    meanHops,
  };
}
