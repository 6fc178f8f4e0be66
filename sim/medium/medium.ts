// The simulated IEEE 802.15.4 2.4 GHz medium: every radio of the bench on one
// bench clock. It decides who hears which frame, at what signal strength and
// SINR, whether the frame survives, and what CCA senses.
//
// Model, in short (numbers in phy-model.ts):
// - a frame occupies its channel for (6 + PSDU) × 32 µs;
// - received power = TX power − path loss (topology) − extra attenuation;
// - a listening radio locks onto the first frame it hears above sensitivity;
//   frames that start later are interference for it, as is everything else
//   on the channel overlapping the frame, at any overlap, summed in mW;
// - at the frame's end, the frame survives with the product over the
//   constant-interference segments of (1 − BER(SINR))^bits (Annex E model),
//   drawn from the seeded RNG; other frames count a few dB worse than noise
//   of the same power (`interferencePenaltyDb`);
// - a transmitting radio hears nothing; CCA (mode 1) reports busy when the
//   summed energy reached the threshold at any time in its 128 µs window, or
//   (modes 2 and 3, the default 3 with OR) an 802.15.4 frame it could sync to
//   was on the air: a carrier above sensitivity.
import type { RxInfo, Radio } from '../../stack/phy.ts';
import type { Micros, Rng, Timer } from '../../stack/runtime.ts';
import { MAX_PSDU_LENGTH } from '../../stack/wire/ieee802154.ts';
import {
  CCA_DURATION_US,
  MAX_AIRTIME_US,
  THERMAL_NOISE_DBM,
  US_PER_BIT,
  airtimeUs,
  bitsSuccess,
  dbmToMw,
  isValidChannel,
  lqiFromSinrDb,
  mwToDbm,
} from './phy-model.ts';
import type { Scheduler } from './scheduler.ts';
import { PathLoss, type NodeId, type Topology } from './topology.ts';

export type { NodeId, Topology } from './topology.ts';

export type CcaMode = 'energy' | 'carrier' | 'carrier-or-energy';

export interface MediumOptions {
  scheduler: Scheduler;
  /** Draws packet errors and the per-link shadowing; the run is reproducible from its seed. */
  rng: Rng;
  topology: Topology;
  /** Weakest frame a radio syncs to. Datasheets give ≈ −97…−101 dBm; the standard asks ≤ −85. Default −100. */
  sensitivityDbm?: number;
  /**
   * Receiver noise figure, added to the −111 dBm thermal floor. Default 10 dB,
   * which puts the error cliff (SINR ≈ 0 dB) right at the default sensitivity.
   */
  noiseFigureDb?: number;
  /** CCA mode 1 energy threshold, default −75 dBm (10 dB above the −85 dBm sensitivity, §6.9.9). */
  ccaThresholdDbm?: number;
  /**
   * What CCA senses (IEEE 802.15.4-2006 §6.9.9): `energy` (mode 1, energy above the
   * threshold), `carrier` (mode 2, a compliant signal), or `carrier-or-energy` (mode 3
   * with OR), the default: radios such as the CC2538 report busy while they receive a
   * frame whatever its energy. With energy alone, two routers whose link arrives below
   * the threshold (a 50 m hop here is ≈ −91 dBm) decode each other's frames but never
   * defer to them, and CSMA-CA degrades to ALOHA on every multi-hop path.
   */
  ccaMode?: CcaMode;
  /**
   * How much worse than noise of the same power another 802.15.4 frame is as
   * interference, dB (default 4). The Annex E formula assumes AWGN, against
   * which DSSS despreading gains a lot; a co-channel O-QPSK frame uses the
   * same chip sequences, so it hurts more. With the plain formula two frames
   * at equal power (SINR 0 dB) would mostly both survive; with 4 dB they are
   * both lost and a frame needs ≈ 5 dB over its interferer to be captured.
   * The value is a modelling choice (unverified against radios); jammers
   * count as noise.
   */
  interferencePenaltyDb?: number;
  defaultTxPowerDbm?: number;
  defaultChannel?: number;
}

export interface AttachOptions {
  txPowerDbm?: number;
  channel?: number;
}

/** What became of one transmission at one radio on its channel. */
export type RxStatus =
  | 'received'
  /** Locked on, but bit errors (the FCS check would fail): dropped. */
  | 'corrupted'
  /** Locked on, then the radio transmitted, switched channel, turned off or lost power mid-frame. */
  | 'aborted'
  /** Already locked onto another frame: this one was only interference. */
  | 'busy'
  | 'transmitting'
  | 'rx-off'
  | 'below-sensitivity';

export interface ReceiverOutcome {
  node: NodeId;
  rssiDbm: number;
  status: RxStatus;
  received: boolean;
  /** Worst SINR over the frame (for frames the radio locked onto). */
  sinrDb?: number;
  lqi?: number;
}

/** One record per transmission, emitted when it leaves the air. */
export interface TransmissionRecord {
  /** Sequence number of the transmission on this medium, from 0. */
  id: number;
  sender: NodeId;
  channel: number;
  txPowerDbm: number;
  startUs: Micros;
  endUs: Micros;
  /** PSDU: MPDU including its FCS. */
  psdu: Uint8Array;
  /** The sender lost power mid-frame; endUs is when the energy stopped. */
  truncated: boolean;
  /** Every other powered radio on the channel that was not partitioned, in attach order. */
  receivers: ReceiverOutcome[];
}

export type TransmissionObserver = (record: TransmissionRecord) => void;

export interface MediumRadio extends Radio {
  readonly nodeId: NodeId;
  /** Board power: off drops everything in flight (a frame being sent is cut short) and pending callbacks. */
  setPowered(on: boolean): void;
  isPowered(): boolean;
  setTxPower(dbm: number): void;
  getTxPower(): number;
  isTransmitting(): boolean;
}

/** Energy on a channel over an interval: a frame, or a jammer. */
interface Emission {
  channel: number;
  startUs: Micros;
  /** Infinity while a jammer is on. */
  endUs: Micros;
  /** The sending port; undefined for a jammer (heard at the same power everywhere). */
  from: Port | undefined;
  powerDbm: number;
}

interface Transmission {
  id: number;
  sender: Port;
  emission: Emission;
  psdu: Uint8Array;
  endTimer: Timer;
  done: () => void;
  receptions: Reception[];
  outcomes: ReceiverOutcome[];
}

interface Reception {
  port: Port;
  tx: Transmission;
  outcome: ReceiverOutcome;
  aborted: boolean;
}

export class Medium {
  readonly scheduler: Scheduler;
  readonly sensitivityDbm: number;
  readonly noiseDbm: number;
  readonly ccaThresholdDbm: number;
  readonly ccaMode: CcaMode;
  private readonly interferenceWeight: number;
  private rng: Rng;
  private readonly pathLoss: PathLoss;
  private readonly defaultTxPowerDbm: number;
  private readonly defaultChannel: number;
  private readonly ports: Port[] = [];
  private readonly byId = new Map<NodeId, Port>();
  private readonly emissions = new Map<number, Emission[]>();
  private readonly jammers = new Map<number, Emission>();
  private readonly extraAttenuation = new Map<string, number>();
  private readonly observers: TransmissionObserver[] = [];
  private nextTxId = 0;

  constructor(opts: MediumOptions) {
    this.scheduler = opts.scheduler;
    this.rng = opts.rng;
    this.sensitivityDbm = opts.sensitivityDbm ?? -100;
    this.noiseDbm = THERMAL_NOISE_DBM + (opts.noiseFigureDb ?? 10);
    this.ccaThresholdDbm = opts.ccaThresholdDbm ?? -75;
    this.ccaMode = opts.ccaMode ?? 'carrier-or-energy';
    this.interferenceWeight = dbmToMw(opts.interferencePenaltyDb ?? 4);
    this.defaultTxPowerDbm = opts.defaultTxPowerDbm ?? 0;
    this.defaultChannel = opts.defaultChannel ?? 11;
    // One draw seeds every link's shadowing, whatever order links are used in.
    this.pathLoss = new PathLoss(opts.topology, Math.floor(this.rng.next() * 4294967296));
  }

  /** A new random stream for reception draws from here on (a case's epoch on a lockstep bench); shadowing stays. */
  reseed(rng: Rng): void {
    this.rng = rng;
  }

  attach(nodeId: NodeId, opts: AttachOptions = {}): MediumRadio {
    if (this.byId.has(nodeId)) throw new Error(`node ${nodeId} is already attached`);
    if (!this.pathLoss.knows(nodeId)) throw new Error(`topology has no position for node ${nodeId}`);
    const channel = opts.channel ?? this.defaultChannel;
    if (!isValidChannel(channel)) throw new RangeError(`channel ${channel} is not in 11..26`);
    const port = new Port(this, nodeId, this.ports.length, channel, opts.txPowerDbm ?? this.defaultTxPowerDbm);
    this.ports.push(port);
    this.byId.set(nodeId, port);
    return port;
  }

  radio(nodeId: NodeId): MediumRadio | undefined {
    return this.byId.get(nodeId);
  }

  nodeIds(): NodeId[] {
    return this.ports.map((p) => p.nodeId);
  }

  /** Called with every transmission as it leaves the air. Returns the unsubscribe function. */
  observe(observer: TransmissionObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /** Path loss of a link from the topology plus any extra attenuation, dB. */
  linkLossDb(a: NodeId, b: NodeId): number {
    return this.pathLoss.lossDb(a, b) + (this.extraAttenuation.get(linkKey(a, b)) ?? 0);
  }

  /** Power `to` receives from `from` sending at its TX power (−Infinity across a partition). */
  rxPowerDbm(from: NodeId, to: NodeId): number {
    const a = this.port(from);
    const b = this.port(to);
    return this.rxPower(a, b, a.txPowerDbm);
  }

  /** Extra loss on the link a–b in both directions, on top of the topology (a programmable attenuator). */
  setExtraAttenuation(a: NodeId, b: NodeId, db: number): void {
    const pa = this.port(a);
    const pb = this.port(b);
    if (db === 0) this.extraAttenuation.delete(linkKey(a, b));
    else this.extraAttenuation.set(linkKey(a, b), db);
    pa.lossCache[pb.index] = undefined;
    pb.lossCache[pa.index] = undefined;
  }

  /** A partitioned node hears nothing and nobody hears it (frames, interference, jammers). */
  setPartitioned(nodeId: NodeId, partitioned: boolean): void {
    const p = this.port(nodeId);
    if (p.partitioned === partitioned) return;
    p.partitioned = partitioned;
    if (!partitioned) return;
    p.abortReception();
    if (p.tx) for (const r of p.tx.receptions) r.port.abortReception();
  }

  isPartitioned(nodeId: NodeId): boolean {
    return this.port(nodeId).partitioned;
  }

  /**
   * A jammer on `channel` received at `powerDbm` by every radio (a lab's
   * signal generator next to the bench); null switches it off.
   */
  jam(channel: number, powerDbm: number | null): void {
    if (!isValidChannel(channel)) throw new RangeError(`channel ${channel} is not in 11..26`);
    const now = this.scheduler.now();
    const current = this.jammers.get(channel);
    if (current) {
      current.endUs = now;
      this.jammers.delete(channel);
    }
    if (powerDbm === null) return;
    const jam: Emission = { channel, startUs: now, endUs: Infinity, from: undefined, powerDbm };
    this.jammers.set(channel, jam);
    this.channelEmissions(channel).push(jam);
  }

  // --- internals used by Port ---

  /** @internal */
  startTransmission(sender: Port, psdu: Uint8Array, done: () => void): void {
    const now = this.scheduler.now();
    const channel = sender.channel;
    const emission: Emission = { channel, startUs: now, endUs: now + airtimeUs(psdu.length), from: sender, powerDbm: sender.txPowerDbm };
    this.prune(channel, now);
    this.channelEmissions(channel).push(emission);
    const tx: Transmission = {
      id: this.nextTxId++,
      sender,
      emission,
      psdu,
      endTimer: undefined as unknown as Timer,
      done,
      receptions: [],
      outcomes: [],
    };
    sender.tx = tx;
    for (const q of this.ports) {
      if (q === sender || !q.powered || q.channel !== channel) continue;
      const rssiDbm = this.rxPower(sender, q, emission.powerDbm);
      if (rssiDbm === -Infinity) continue; // partitioned
      const outcome: ReceiverOutcome = { node: q.nodeId, rssiDbm, status: 'below-sensitivity', received: false };
      tx.outcomes.push(outcome);
      if (!q.rxOn) outcome.status = 'rx-off';
      else if (q.tx) outcome.status = 'transmitting';
      else if (q.rx) outcome.status = 'busy';
      else if (rssiDbm >= this.sensitivityDbm) {
        const reception: Reception = { port: q, tx, outcome, aborted: false };
        q.rx = reception;
        tx.receptions.push(reception);
      }
    }
    tx.endTimer = this.scheduler.at(emission.endUs, () => this.finishTransmission(tx, false));
  }

  /** @internal Ends a transmission: on time, or cut short by a power loss. */
  finishTransmission(tx: Transmission, truncated: boolean): void {
    const now = this.scheduler.now();
    const { sender, emission } = tx;
    if (truncated) {
      tx.endTimer.cancel();
      emission.endUs = now;
    }
    sender.tx = undefined;
    const delivered: Reception[] = [];
    for (const r of tx.receptions) {
      if (truncated && !r.aborted) r.port.abortReception();
      if (r.aborted) {
        r.outcome.status = 'aborted';
        continue;
      }
      r.port.rx = undefined;
      const { success, worstSinrDb } = this.frameSuccess(r.port, emission);
      const ok = this.rng.next() < success;
      r.outcome.sinrDb = worstSinrDb;
      r.outcome.lqi = lqiFromSinrDb(worstSinrDb);
      r.outcome.status = ok ? 'received' : 'corrupted';
      r.outcome.received = ok;
      if (ok) delivered.push(r);
    }
    const record: TransmissionRecord = {
      id: tx.id,
      sender: sender.nodeId,
      channel: emission.channel,
      txPowerDbm: emission.powerDbm,
      startUs: emission.startUs,
      endUs: emission.endUs,
      psdu: tx.psdu,
      truncated,
      receivers: tx.outcomes,
    };
    for (const o of this.observers.slice()) o(record);
    for (const r of delivered) {
      const info: RxInfo = {
        rssiDbm: r.outcome.rssiDbm,
        sinrDb: r.outcome.sinrDb ?? 0,
        lqi: r.outcome.lqi ?? 0,
        channel: emission.channel,
        startUs: emission.startUs,
        endUs: emission.endUs,
      };
      r.port.deliver(tx.psdu.slice(), info);
    }
    if (!truncated) tx.done();
  }

  /** @internal CCA over [start, start + 128 µs) at `port`: true when the channel is clear. */
  ccaClear(port: Port, channel: number, startUs: Micros): boolean {
    if (this.ccaMode !== 'carrier' && this.peakEnergyDbm(port, channel, startUs) >= this.ccaThresholdDbm) return false;
    return this.ccaMode === 'energy' || !this.carrierSensed(port, channel, startUs);
  }

  /** Whether a frame (not a jammer) reached `port` above sensitivity during the CCA window. */
  private carrierSensed(port: Port, channel: number, startUs: Micros): boolean {
    const end = startUs + CCA_DURATION_US;
    for (const em of this.emissions.get(channel) ?? []) {
      if (!em.from || em.from === port || em.startUs >= end || em.endUs <= startUs) continue;
      if (this.rxPower(em.from, port, em.powerDbm) >= this.sensitivityDbm) return true;
    }
    return false;
  }

  /** @internal CCA mode 1: the highest summed energy at `port` over [start, start + 128 µs), dBm. */
  peakEnergyDbm(port: Port, channel: number, startUs: Micros): number {
    if (port.partitioned) return -Infinity;
    let peak = 0;
    for (const seg of this.segments(port, channel, startUs, startUs + CCA_DURATION_US, undefined)) {
      if (seg.mw > peak) peak = seg.mw;
    }
    return mwToDbm(peak);
  }

  // --- physics helpers ---

  private frameSuccess(port: Port, frame: Emission): { success: number; worstSinrDb: number } {
    const signalMw = dbmToMw(this.rxPower(frame.from!, port, frame.powerDbm));
    const noiseMw = dbmToMw(this.noiseDbm);
    let success = 1;
    let worst = Infinity;
    for (const seg of this.segments(port, frame.channel, frame.startUs, frame.endUs, frame)) {
      const sinrDb = 10 * Math.log10(signalMw / (noiseMw + seg.mw));
      if (sinrDb < worst) worst = sinrDb;
      const effectiveSinrDb = 10 * Math.log10(signalMw / (noiseMw + seg.effectiveMw));
      success *= bitsSuccess(effectiveSinrDb, seg.durUs / US_PER_BIT);
    }
    return { success, worstSinrDb: worst };
  }

  /**
   * Splits [start, end) into pieces of constant interference at `port`: the
   * summed power (mW) of every emission on the channel overlapping each piece,
   * except `exclude` and the port's own transmissions; `effectiveMw` weighs
   * frames by the interference penalty.
   */
  private segments(port: Port, channel: number, start: Micros, end: Micros, exclude: Emission | undefined): Segment[] {
    const overlapping: Array<{ s: number; e: number; mw: number; frame: boolean }> = [];
    const cuts = [start, end];
    for (const em of this.emissions.get(channel) ?? []) {
      if (em === exclude || em.from === port) continue;
      if (em.startUs >= end || em.endUs <= start) continue;
      const dbm = em.from ? this.rxPower(em.from, port, em.powerDbm) : port.partitioned ? -Infinity : em.powerDbm;
      if (dbm === -Infinity) continue;
      const s = Math.max(start, em.startUs);
      const e = Math.min(end, em.endUs);
      overlapping.push({ s, e, mw: dbmToMw(dbm), frame: em.from !== undefined });
      cuts.push(s, e);
    }
    if (overlapping.length === 0) return [{ durUs: end - start, mw: 0, effectiveMw: 0 }];
    cuts.sort((a, b) => a - b);
    const out: Segment[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i]!;
      const b = cuts[i + 1]!;
      if (b <= a) continue;
      let mw = 0;
      let effectiveMw = 0;
      for (const o of overlapping) {
        if (o.s > a || o.e < b) continue;
        mw += o.mw;
        effectiveMw += o.frame ? o.mw * this.interferenceWeight : o.mw;
      }
      out.push({ durUs: b - a, mw, effectiveMw });
    }
    return out;
  }

  private rxPower(from: Port, to: Port, txPowerDbm: number): number {
    if (from.partitioned || to.partitioned) return -Infinity;
    let loss = to.lossCache[from.index];
    if (loss === undefined) {
      loss = this.linkLossDb(from.nodeId, to.nodeId);
      to.lossCache[from.index] = loss;
    }
    return txPowerDbm - loss;
  }

  private channelEmissions(channel: number): Emission[] {
    let list = this.emissions.get(channel);
    if (!list) {
      list = [];
      this.emissions.set(channel, list);
    }
    return list;
  }

  /** Forgets emissions that ended before any frame or CCA window still open could have started. */
  private prune(channel: number, now: Micros): void {
    const list = this.emissions.get(channel);
    if (!list || list.length < 16) return;
    const horizon = now - MAX_AIRTIME_US - CCA_DURATION_US;
    this.emissions.set(
      channel,
      list.filter((e) => e.endUs > horizon),
    );
  }

  private port(nodeId: NodeId): Port {
    const p = this.byId.get(nodeId);
    if (!p) throw new Error(`unknown node ${nodeId}`);
    return p;
  }
}

interface Segment {
  durUs: number;
  mw: number;
  effectiveMw: number;
}

function linkKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/** One radio on the medium. */
class Port implements MediumRadio {
  powered = true;
  rxOn = true;
  partitioned = false;
  tx: Transmission | undefined;
  rx: Reception | undefined;
  /** Path loss from port i, filled on first use. */
  readonly lossCache: Array<number | undefined> = [];
  private handler: ((psdu: Uint8Array, info: RxInfo) => void) | undefined;
  private readonly pendingCca = new Set<Timer>();

  constructor(
    private readonly medium: Medium,
    readonly nodeId: NodeId,
    readonly index: number,
    public channel: number,
    public txPowerDbm: number,
  ) {}

  getChannel(): number {
    return this.channel;
  }

  setChannel(channel: number): void {
    if (!isValidChannel(channel)) throw new RangeError(`channel ${channel} is not in 11..26`);
    if (channel === this.channel) return;
    this.abortReception();
    this.channel = channel;
  }

  cca(done: (clear: boolean) => void): void {
    if (!this.powered) return;
    const scheduler = this.medium.scheduler;
    const start = scheduler.now();
    const channel = this.channel;
    const timer = scheduler.at(start + CCA_DURATION_US, () => {
      this.pendingCca.delete(timer);
      done(this.medium.ccaClear(this, channel, start));
    });
    this.pendingCca.add(timer);
  }

  transmit(psdu: Uint8Array, done: () => void): void {
    if (psdu.length < 1 || psdu.length > MAX_PSDU_LENGTH) {
      throw new RangeError(`PSDU of ${psdu.length} bytes (1..${MAX_PSDU_LENGTH})`);
    }
    if (this.tx) throw new Error(`${this.nodeId}: transmit while already transmitting`);
    if (!this.powered) return;
    this.abortReception();
    this.medium.startTransmission(this, psdu.slice(), done);
  }

  onReceive(handler: (psdu: Uint8Array, info: RxInfo) => void): void {
    this.handler = handler;
  }

  setRxOn(on: boolean): void {
    this.rxOn = on;
    if (!on) this.abortReception();
  }

  setPowered(on: boolean): void {
    if (on === this.powered) return;
    if (on) {
      this.powered = true;
      this.rxOn = true;
      return;
    }
    this.abortReception();
    if (this.tx) this.medium.finishTransmission(this.tx, true);
    for (const t of this.pendingCca) t.cancel();
    this.pendingCca.clear();
    this.powered = false;
  }

  isPowered(): boolean {
    return this.powered;
  }

  setTxPower(dbm: number): void {
    this.txPowerDbm = dbm;
  }

  getTxPower(): number {
    return this.txPowerDbm;
  }

  isTransmitting(): boolean {
    return this.tx !== undefined;
  }

  abortReception(): void {
    if (!this.rx) return;
    this.rx.aborted = true;
    this.rx = undefined;
  }

  deliver(psdu: Uint8Array, info: RxInfo): void {
    this.handler?.(psdu, info);
  }
}
