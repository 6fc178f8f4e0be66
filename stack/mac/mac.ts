// The IEEE 802.15.4-2006 MAC of a beacon-less PAN: unslotted CSMA-CA, acknowledgements
// and retries, interframe spacing, sequence numbers and duplicate rejection, frame
// filtering, active scan and a beacon responder. Clause numbers are the 2006 edition's.
//
// Everything runs on the injected Timers and Rng: each step is an event at its exact
// bench microsecond, and a run is reproducible from the seed.
import type { Radio, RxInfo, SubMac } from '../phy.ts';
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import { bytesEqual } from '../wire/bytes.ts';
import {
  BROADCAST,
  MAX_PSDU_LENGTH,
  NO_SHORT_ADDRESS,
  emitMacFrame,
  macFrameLayout,
  macFrameLength,
  parseMacFrame,
  sourcePan,
  type MacAddress,
  type MacFrame,
} from '../wire/ieee802154.ts';
import type { MacCounters, MacDataIndication, MacDataRequest, MacTxStatus, PanDescriptor } from './api.ts';
import { ACK_WAIT_US, DEFAULT_PIB, TURNAROUND_US, UNIT_BACKOFF_US, ifsUs, scanDurationUs, type MacPib } from './constants.ts';
import { initialFrameCounter, MacFrameSecurity, type MacKeyConfig, type MacSecurityCounters } from './security.ts';

export interface MacOptions {
  radio: Radio;
  timers: Timers;
  rng: Rng;
  /** Our EUI-64, natural byte order. */
  extAddress: Uint8Array;
  /** Overrides of the CSMA-CA/retry PIB attributes. */
  pib?: Partial<MacPib>;
  /** See `Mac.retryOnChannelAccessFailure`. */
  retryOnChannelAccessFailure?: boolean;
}

/**
 * How hard the MAC tries beyond the 2006 CSMA-CA: what a stack's own MAC adds (OpenThread's
 * SubMac and MeshForwarder), set by the stack that runs on it.
 */
export interface TxPolicy {
  /** macMaxFrameRetries. */
  maxFrameRetries: number;
  /**
   * A random delay of random(2^BE) unit backoff periods before each retransmission after
   * a missing ACK, BE growing from `minBE` to `maxBE` (OpenThread's
   * OPENTHREAD_CONFIG_MAC_ADD_DELAY_ON_NO_ACK_ERROR_BEFORE_RETRY, sub_mac.cpp); a
   * retransmission then rarely meets the same hidden sender again. Undefined: none.
   */
  noAckRetxDelay?: { minBE: number; maxBE: number };
  /**
   * After the n-th missing ACK, the retransmission's CSMA-CA starts at BE = min(macMinBE + n,
   * macMaxBE) instead of macMinBE, as Nanostack's MAC does (mac_pd_sap.c mac_sap_no_ack_cb
   * raises macCurrentBE once per retry made): two hidden senders whose frames met spread
   * their retransmissions over 16, then 32 unit backoff periods, not 8. IEEE 802.15.4-2006
   * §7.5.6.4 repeats CSMA-CA from its step (1). Undefined or false: the standard's.
   */
  noAckBackoffGrowth?: boolean;
  /**
   * After a frame to a relay is acknowledged, the next frame waits this long, so the
   * relay forwards it before we talk over its next hop (OpenThread's collision-avoidance
   * delay, mesh_forwarder.cpp mDelayNextTx). 0: none.
   */
  collisionAvoidanceDelayUs: number;
}

/** One frame seen by this MAC, for logs and captures. */
export interface MacFrameEvent {
  direction: 'tx' | 'rx';
  /** Bench time: start of transmission (tx) or of the frame's first symbol (rx). */
  timeUs: Micros;
  /** The PSDU, FCS included. */
  psdu: Uint8Array;
  /** The parsed frame, or the parse error of a received frame the MAC dropped. */
  frame: MacFrame | undefined;
  error?: string;
  /** Reception details (rx only). */
  info?: RxInfo;
  /** tx only: 1 for a first transmission, 2… for retransmissions. */
  attempt?: number;
}

type FrameJob = { kind: 'frame'; psdu: Uint8Array; seq: number; ackRequest: boolean; beacon: boolean; peerForwards: boolean; done: (status: MacTxStatus) => void };
type ScanJob = { kind: 'scan'; channels: number[]; exponent: number; done: (pans: PanDescriptor[]) => void };
type Job = FrameJob | ScanJob;

/** One CSMA-CA + ACK exchange in flight (§7.5.1.4, §7.5.6.4). */
interface Transmission {
  psdu: Uint8Array;
  seq: number;
  ackRequest: boolean;
  /** NB and BE of the current CSMA-CA run. */
  nb: number;
  be: number;
  /** Retransmissions so far. */
  retries: number;
  /** Of those, the ones after a missing ACK (Nanostack's mac_tx_retry). */
  noAckRetries: number;
  /** BE of the delay before the next retransmission after a missing ACK (TxPolicy.noAckRetxDelay). */
  retxBE: number;
  timer: Timer | undefined;
  awaitingAck: boolean;
  done: (status: MacTxStatus) => void;
}

function addressKey(pan: number | undefined, a: MacAddress): string | undefined {
  if (a.mode === 'ext') return `e${Array.from(a.ext).join('.')}`;
  if (a.mode === 'short') return `s${pan ?? -1}.${a.short}`;
  return undefined;
}

export class Mac {
  private readonly radio: Radio;
  private readonly timers: Timers;
  private readonly rng: Rng;
  private extAddress: Uint8Array;
  private readonly pib: MacPib;
  /**
   * Whether a channel access failure uses up one of macMaxFrameRetries and starts a
   * fresh CSMA-CA, as OpenThread's SubMac does (sub_mac.cpp HandleTransmitDone: any
   * error but success is retried while retries remain), instead of ending the request
   * as IEEE 802.15.4-2006 §7.5.1.4 step (4) says (Nanostack gets the same by handing the
   * frame back on MLME_BUSY_CHAN). A relay that loses the channel to a sender whose backoff
   * exponent restarts at macMinBE for every frame otherwise drops the fragments it forwards.
   */
  retryOnChannelAccessFailure: boolean;

  private panId = BROADCAST;
  private shortAddress = NO_SHORT_ADDRESS;
  private panCoordinator = false;
  private associationPermit = true;
  private beaconPayload: Uint8Array | null = null;
  /** macDSN and macBSN start at random values (§7.4.2 Table 86). */
  private dsn: number;
  private bsn: number;

  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private tx: Transmission | undefined;
  /** No frame of ours may start before this (the IFS after our last frame, §7.5.1.3). */
  private ifsUntil: Micros = 0;
  /** No frame of ours may start before this either (the collision-avoidance delay after a frame to a relay). */
  private holdUntil: Micros = 0;
  private noAckRetxDelay: TxPolicy['noAckRetxDelay'];
  private noAckBackoffGrowth = false;
  private collisionAvoidanceDelayUs = 0;
  /** An ACK of ours is on air; CSMA waits for it. */
  private sendingAck = false;
  private ccaAfterAck: (() => void) | undefined;
  private sendingFrame = false;

  /** Last sequence number accepted per source (duplicate rejection). */
  private readonly lastSeq = new Map<string, number>();
  private scan: { job: ScanJob; index: number; prevChannel: number; prevPan: number; found: PanDescriptor[]; timer: Timer | undefined } | undefined;

  /** Frame security the MAC applies itself (a 6LoWPAN-ND PSK); undefined = frames pass as they are. */
  private frameSecurity: MacFrameSecurity | undefined;
  /** macFrameCounter while no key is set, so a new key does not restart it. */
  private frameCounter: number;

  private dataHandler: ((ind: MacDataIndication) => void) | undefined;
  private readonly observers = new Set<(ev: MacFrameEvent) => void>();
  private readonly stats: MacCounters = {
    txFrames: 0,
    txRetries: 0,
    txNoAck: 0,
    txChannelAccessFailure: 0,
    rxFrames: 0,
    rxDuplicates: 0,
    rxFiltered: 0,
    rxAcks: 0,
    rxMalformed: 0,
    txAcks: 0,
    txBeacons: 0,
  };

  constructor(opts: MacOptions) {
    if (opts.extAddress.length !== 8) throw new RangeError(`extended address must be 8 bytes, got ${opts.extAddress.length}`);
    this.radio = opts.radio;
    this.timers = opts.timers;
    this.rng = opts.rng;
    this.extAddress = opts.extAddress.slice();
    this.pib = { ...DEFAULT_PIB, ...opts.pib };
    this.retryOnChannelAccessFailure = opts.retryOnChannelAccessFailure ?? false;
    this.dsn = this.rng.int(256);
    this.bsn = this.rng.int(256);
    this.frameCounter = initialFrameCounter(this.timers.now());
    this.radio.onReceive((psdu, info) => this.receive(psdu, info));
    this.syncAddressFilter();
  }

  /** A radio with its own sub-MAC filters and acknowledges on our addresses: keep it told. */
  private syncAddressFilter(): void {
    this.radio.subMac?.setAddressFilter({ panId: this.panId, shortAddress: this.shortAddress, extAddress: this.extAddress });
  }

  // ---- PIB ----

  getChannel(): number {
    return this.radio.getChannel();
  }
  setChannel(channel: number): void {
    this.radio.setChannel(channel);
  }
  getPanId(): number {
    return this.panId;
  }
  setPanId(panId: number): void {
    this.panId = panId & 0xffff;
    this.syncAddressFilter();
  }
  getShortAddress(): number {
    return this.shortAddress;
  }
  /** 0xFFFE (the default) = no short address: beacons then carry the extended one. */
  setShortAddress(short: number): void {
    this.shortAddress = short & 0xffff;
    this.syncAddressFilter();
  }
  getExtAddress(): Uint8Array {
    return this.extAddress.slice();
  }
  /** macExtendedAddress: a Thread node replaces its EUI-64 with a random one (as OpenThread's Mac does at start). */
  setExtAddress(ext: Uint8Array): void {
    if (ext.length !== 8) throw new RangeError(`extended address must be 8 bytes, got ${ext.length}`);
    this.extAddress = ext.slice();
    this.syncAddressFilter();
  }
  /** Sets the PAN coordinator bit of our beacons, and accepts frames without a destination address (§7.5.6.2). */
  setPanCoordinator(on: boolean): void {
    this.panCoordinator = on;
  }
  setAssociationPermit(on: boolean): void {
    this.associationPermit = on;
  }
  /** Non-null: answer beacon requests with a beacon carrying these bytes. Null: stay silent. */
  setBeaconPayload(payload: Uint8Array | null): void {
    this.beaconPayload = payload ? payload.slice() : null;
  }
  /**
   * Secures every data frame sent without its own `security` with this key, and
   * accepts only data frames secured with it (IEEE 802.15.4-2006 §7.5.8.2). The same
   * key again keeps the senders' frame counters; another key forgets them.
   * Undefined: no MAC security (Thread secures above the MAC).
   */
  setFrameSecurity(config: MacKeyConfig | undefined): void {
    const old = this.frameSecurity;
    if (old) this.frameCounter = old.frameCounter;
    if (!config) {
      this.frameSecurity = undefined;
      return;
    }
    const same = old && bytesEqual(old.config.key, config.key) && old.config.keyIndex === config.keyIndex && old.config.level === config.level;
    if (same) return;
    this.frameSecurity = new MacFrameSecurity({ key: config.key.slice(), keyIndex: config.keyIndex, level: config.level }, this.frameCounter);
  }
  /** Bytes the MAC's own frame security adds to a data frame (0 without it). */
  get securityOverhead(): number {
    return this.frameSecurity?.overhead ?? 0;
  }
  /** Counters of the MAC's own frame security; undefined without it. */
  get securityCounters(): MacSecurityCounters | undefined {
    return this.frameSecurity ? { ...this.frameSecurity.counters } : undefined;
  }
  /** A snapshot of the counters. */
  get counters(): MacCounters {
    return { ...this.stats };
  }
  /** The stack's transmit policy (retries, retransmission delay, collision avoidance); the 2006 defaults until set. */
  setTxPolicy(policy: TxPolicy): void {
    this.pib.macMaxFrameRetries = policy.maxFrameRetries;
    this.noAckRetxDelay = policy.noAckRetxDelay ? { ...policy.noAckRetxDelay } : undefined;
    this.noAckBackoffGrowth = policy.noAckBackoffGrowth === true;
    this.collisionAvoidanceDelayUs = policy.collisionAvoidanceDelayUs;
  }
  /** Requests not finished yet, the one in flight included. */
  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  // ---- upper-layer hooks ----

  onDataIndication(handler: (ind: MacDataIndication) => void): void {
    this.dataHandler = handler;
  }

  /** Observes every frame sent (ACKs and retransmissions included) and received; returns an unsubscribe. */
  onFrame(observer: (ev: MacFrameEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  // ---- MCPS-DATA ----

  /** Queues a data frame; `done` is called exactly once, never before this returns. */
  dataRequest(req: MacDataRequest, done: (status: MacTxStatus) => void): void {
    const src: MacAddress =
      req.srcMode === 'ext' ? { mode: 'ext', ext: this.extAddress } : { mode: 'short', short: this.shortAddress };
    if (req.srcMode === 'short' && this.shortAddress >= NO_SHORT_ADDRESS) return this.later(done, 'invalid_parameter');
    const broadcast = req.dst.mode === 'short' && req.dst.short === BROADCAST;
    const ackRequest = req.ackRequest && req.dst.mode !== 'none' && !broadcast;
    const hasDst = req.dst.mode !== 'none';
    const compress = hasDst && req.dstPan === this.panId;
    const seq = this.dsn;
    const security = req.security ?? this.frameSecurity?.outgoing(this.extAddress);
    const frame: MacFrame & { type: 'data' } = {
      type: 'data',
      framePending: false,
      ackRequest,
      panIdCompression: compress,
      version: security ? 1 : 0, // 2006 frames only where 2003 cannot express them (§7.2.1.1.7)
      seq,
      ...(hasDst ? { dstPan: req.dstPan } : {}),
      dst: req.dst,
      ...(compress ? {} : { srcPan: this.panId }),
      src,
      ...(security ? { security: security.header } : {}),
      payload: req.payload,
    };
    if (security) {
      // The length check comes after securing: the MIC counts.
      const provisional = emitMacFrame(frame);
      const layout = macFrameLayout(frame);
      frame.payload = security.secure(provisional.subarray(0, layout.privateStart), req.payload);
    }
    if (macFrameLength(frame) > MAX_PSDU_LENGTH) return this.later(done, 'frame_too_long');
    this.dsn = (this.dsn + 1) & 0xff;
    this.enqueue({ kind: 'frame', psdu: emitMacFrame(frame), seq, ackRequest, beacon: false, peerForwards: ackRequest && req.peerForwards === true, done });
  }

  // ---- MLME-SCAN (active) ----

  /**
   * Active scan (§7.5.2.1.2): on each channel, a beacon request, then listening
   * aBaseSuperframeDuration × (2^exponent + 1) symbols. Beacons of every PAN are
   * collected, one descriptor per (channel, PAN, coordinator). The channel and
   * PAN ID in force before the scan are restored before `done`.
   */
  activeScan(channels: number[], exponent: number, done: (pans: PanDescriptor[]) => void): void {
    if (!Number.isInteger(exponent) || exponent < 0 || exponent > 14) throw new RangeError(`scan exponent ${exponent} must be 0..14`);
    this.enqueue({ kind: 'scan', channels: channels.slice(), exponent, done });
  }

  // ---- the job queue: one request at a time, in order ----

  private later(done: (status: MacTxStatus) => void, status: MacTxStatus): void {
    this.timers.at(this.timers.now(), () => done(status));
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    const job = this.queue.shift();
    if (!job) return;
    this.current = job;
    if (job.kind === 'scan') this.startScan(job);
    else
      this.startTransmission(job.psdu, job.seq, job.ackRequest, (status) => {
        this.current = undefined;
        if (status === 'success' && job.peerForwards && this.collisionAvoidanceDelayUs > 0) this.holdUntil = this.timers.now() + this.collisionAvoidanceDelayUs;
        job.done(status);
        this.pump();
      });
  }

  // ---- CSMA-CA, ACK wait and retries ----

  private startTransmission(psdu: Uint8Array, seq: number, ackRequest: boolean, done: (status: MacTxStatus) => void): void {
    const t: Transmission = { psdu, seq, ackRequest, nb: 0, be: 0, retries: 0, noAckRetries: 0, retxBE: this.noAckRetxDelay?.minBE ?? 0, timer: undefined, awaitingAck: false, done };
    this.tx = t;
    // The IFS after our previous frame comes before the first backoff (§7.5.1.3).
    const start = Math.max(this.timers.now(), this.ifsUntil, this.holdUntil);
    const subMac = this.radio.subMac;
    t.timer = this.timers.at(start, () => (subMac ? this.subMacSend(t, subMac) : this.csmaStart(t)));
  }

  /** The radio's sub-MAC runs CSMA-CA, the ACK wait and the retries (as OpenThread's SubMac on an RCP). */
  private subMacSend(t: Transmission, subMac: SubMac): void {
    t.timer = undefined;
    this.sendingFrame = true;
    this.stats.txFrames++;
    this.notifyTx(t.psdu, 1);
    subMac.transmit(
      { psdu: t.psdu, ackRequest: t.ackRequest, maxCsmaBackoffs: this.pib.macMaxCSMABackoffs, maxFrameRetries: t.ackRequest || this.retryOnChannelAccessFailure ? this.pib.macMaxFrameRetries : 0 },
      (status) => {
        this.sendingFrame = false;
        if (this.tx !== t) return;
        if (status === 'no_ack') this.stats.txNoAck++;
        else if (status === 'channel_access_failure') this.stats.txChannelAccessFailure++;
        else if (t.ackRequest) this.stats.rxAcks++;
        this.finish(t, status);
      },
    );
  }

  /** §7.5.1.4 step (1): NB = 0, BE = macMinBE (raised per retry after a missing ACK under `noAckBackoffGrowth`). */
  private csmaStart(t: Transmission, afterNoAck = false): void {
    t.nb = 0;
    t.be = afterNoAck && this.noAckBackoffGrowth ? Math.min(this.pib.macMinBE + t.noAckRetries, this.pib.macMaxBE) : this.pib.macMinBE;
    this.backoff(t);
  }

  /** Step (2): random(2^BE − 1) unit backoff periods, then CCA. */
  private backoff(t: Transmission): void {
    const periods = this.rng.int(2 ** t.be);
    t.timer = this.timers.at(this.timers.now() + periods * UNIT_BACKOFF_US, () => {
      t.timer = undefined;
      if (this.sendingAck) this.ccaAfterAck = () => this.cca(t);
      else this.cca(t);
    });
  }

  /** Step (3): CCA; idle → turnaround and send, busy → step (4). */
  private cca(t: Transmission): void {
    this.radio.cca((clear) => {
      if (this.tx !== t) return;
      if (!clear) return this.channelBusy(t);
      t.timer = this.timers.at(this.timers.now() + TURNAROUND_US, () => {
        t.timer = undefined;
        // An ACK of ours started during the turnaround: the radio is taken, count it as busy.
        if (this.sendingAck) return this.channelBusy(t);
        this.send(t);
      });
    });
  }

  /** Step (4): NB += 1, BE = min(BE + 1, macMaxBE); give up after macMaxCSMABackoffs. */
  private channelBusy(t: Transmission): void {
    t.nb += 1;
    t.be = Math.min(t.be + 1, this.pib.macMaxBE);
    if (t.nb > this.pib.macMaxCSMABackoffs) {
      this.stats.txChannelAccessFailure++;
      if (!this.retryOnChannelAccessFailure || t.retries >= this.pib.macMaxFrameRetries) return this.finish(t, 'channel_access_failure');
      t.retries += 1;
      return this.csmaStart(t);
    }
    this.backoff(t);
  }

  private send(t: Transmission): void {
    this.sendingFrame = true;
    this.stats.txFrames++;
    if (t.retries > 0) this.stats.txRetries++;
    this.notifyTx(t.psdu, t.retries + 1);
    this.radio.transmit(t.psdu, () => {
      this.sendingFrame = false;
      if (this.tx !== t) return;
      const end = this.timers.now();
      if (!t.ackRequest) {
        this.ifsUntil = end + ifsUs(t.psdu.length);
        return this.finish(t, 'success');
      }
      // §7.5.6.4.2: wait macAckWaitDuration for the ACK, then retry with a fresh CSMA-CA.
      t.awaitingAck = true;
      t.timer = this.timers.at(end + ACK_WAIT_US, () => {
        t.timer = undefined;
        t.awaitingAck = false;
        if (t.retries >= this.pib.macMaxFrameRetries) {
          this.stats.txNoAck++;
          return this.finish(t, 'no_ack');
        }
        t.retries += 1;
        t.noAckRetries += 1;
        const delay = this.noAckRetxDelay;
        if (!delay) return this.csmaStart(t, true);
        const periods = this.rng.int(2 ** t.retxBE);
        t.retxBE = Math.min(t.retxBE + 1, delay.maxBE);
        t.timer = this.timers.at(this.timers.now() + periods * UNIT_BACKOFF_US, () => {
          t.timer = undefined;
          this.csmaStart(t, true);
        });
      });
    });
  }

  private ackReceived(t: Transmission, ackEnd: Micros): void {
    t.timer?.cancel();
    t.timer = undefined;
    t.awaitingAck = false;
    this.stats.rxAcks++;
    // §7.5.1.3: with an acknowledged transmission the IFS follows the ACK.
    this.ifsUntil = ackEnd + ifsUs(t.psdu.length);
    this.finish(t, 'success');
  }

  private finish(t: Transmission, status: MacTxStatus): void {
    t.timer?.cancel();
    if (this.tx === t) this.tx = undefined;
    t.done(status);
  }

  // ---- acknowledgements we send (§7.5.6.4.2) ----

  private sendAck(seq: number, at: Micros): void {
    this.timers.at(at, () => {
      // Sent without CSMA-CA. If our own frame is on air the radio cannot; the sender will retry.
      if (this.sendingFrame || this.sendingAck) return;
      const ack: MacFrame = {
        type: 'ack',
        framePending: false,
        ackRequest: false,
        panIdCompression: false,
        version: 0,
        seq,
        dst: { mode: 'none' },
        src: { mode: 'none' },
      };
      const psdu = emitMacFrame(ack);
      this.sendingAck = true;
      this.stats.txAcks++;
      this.notify({ direction: 'tx', timeUs: this.timers.now(), psdu, frame: ack });
      this.radio.transmit(psdu, () => {
        this.sendingAck = false;
        const next = this.ccaAfterAck;
        this.ccaAfterAck = undefined;
        next?.();
      });
    });
  }

  // ---- reception ----

  private receive(psdu: Uint8Array, info: RxInfo): void {
    // In a mesh most frames a radio hears are unicast to a neighbour: drop those on their
    // header, before checking the FCS and decoding the rest. Observers see every frame.
    if (this.observers.size === 0 && !this.scan && this.addressedElsewhere(psdu)) {
      this.stats.rxFiltered++;
      return;
    }
    const parsed = parseMacFrame(psdu);
    if (!parsed.ok) {
      this.stats.rxMalformed++;
      this.notify({ direction: 'rx', timeUs: info.startUs, psdu, frame: undefined, error: `${parsed.error.code}: ${parsed.error.message}`, info });
      return;
    }
    const f = parsed.value;
    this.notify({ direction: 'rx', timeUs: info.startUs, psdu, frame: f, info });

    if (f.type === 'ack') {
      const t = this.tx;
      if (t && t.awaitingAck && f.seq === t.seq) this.ackReceived(t, info.endUs);
      return;
    }
    if (this.scan) {
      // §7.5.2.1.2: during an active scan only beacons are of interest.
      if (f.type === 'beacon') {
        this.stats.rxFrames++;
        this.collectBeacon(f, info);
      } else this.stats.rxFiltered++;
      return;
    }
    if (!this.accepts(f)) {
      this.stats.rxFiltered++;
      return;
    }
    // §7.5.6.4.2: the ACK goes aTurnaroundTime after the last symbol, duplicates included.
    // A radio with its own sub-MAC has sent it already.
    if (!this.radio.subMac && f.ackRequest && f.dst.mode !== 'none' && !(f.dst.mode === 'short' && f.dst.short === BROADCAST)) {
      this.sendAck(f.seq, info.endUs + TURNAROUND_US);
    }
    if (f.type === 'data' || f.type === 'command') {
      const key = addressKey(sourcePan(f), f.src);
      if (key !== undefined) {
        if (this.lastSeq.get(key) === f.seq) {
          this.stats.rxDuplicates++;
          return;
        }
        this.lastSeq.set(key, f.seq);
      }
    }
    this.stats.rxFrames++;
    if (f.type === 'data') this.deliver(f, psdu, info);
    else if (f.type === 'command' && f.command.name === 'beacon_request') this.answerBeaconRequest();
  }

  /**
   * The address part of third-level filtering (§7.5.6.2) on the raw header: a data or
   * command frame of the 2003/2006 formats whose destination PAN, or destination
   * address, is neither ours nor broadcast. Fields per §7.2.1: FCF (2, little-endian:
   * type b0–2, destination mode b10–11, version b12–13), sequence number (1), destination
   * PAN (2), destination address (2, or 8 in reverse byte order). Anything else, and any
   * frame too short to tell, takes the full path.
   */
  private addressedElsewhere(psdu: Uint8Array): boolean {
    if (psdu.length < 7) return false;
    const fcf = psdu[0]! | (psdu[1]! << 8);
    const type = fcf & 7;
    const dstMode = (fcf >> 10) & 3;
    const version = (fcf >> 12) & 3;
    if ((type !== 1 && type !== 3) || dstMode < 2 || version > 1) return false;
    const dstPan = psdu[3]! | (psdu[4]! << 8);
    if (dstPan !== BROADCAST && dstPan !== this.panId) return true;
    if (dstMode === 2) {
      const short = psdu[5]! | (psdu[6]! << 8);
      return short !== BROADCAST && short !== this.shortAddress;
    }
    if (psdu.length < 13) return false;
    for (let i = 0; i < 8; i++) if (psdu[5 + i] !== this.extAddress[7 - i]) return true;
    return false;
  }

  /** Third-level filtering (§7.5.6.2). */
  private accepts(f: MacFrame): boolean {
    if (f.type === 'unknown') return false;
    if (f.type === 'beacon') {
      const pan = sourcePan(f);
      return this.panId === BROADCAST || pan === this.panId;
    }
    if (f.dst.mode === 'none') {
      // Only a PAN coordinator takes frames without a destination, and only from its PAN.
      return this.panCoordinator && sourcePan(f) === this.panId;
    }
    if (f.dstPan !== BROADCAST && f.dstPan !== this.panId) return false;
    if (f.dst.mode === 'short') return f.dst.short === BROADCAST || f.dst.short === this.shortAddress;
    return bytesEqual(f.dst.ext, this.extAddress);
  }

  private deliver(f: MacFrame & { type: 'data' }, psdu: Uint8Array, info: RxInfo): void {
    let payload = f.payload;
    if (this.frameSecurity) {
      const layout = macFrameLayout(f);
      const srcExt = f.src.mode === 'ext' ? f.src.ext : undefined; // a short source names no nonce here
      const opened = this.frameSecurity.incoming(f.security, psdu.subarray(0, layout.privateStart), psdu.subarray(layout.privateStart, layout.fcsOffset), srcExt);
      if (!opened) return;
      payload = opened;
    }
    const ind: MacDataIndication = {
      srcPan: sourcePan(f) ?? this.panId,
      src: f.src,
      dstPan: f.dstPan ?? this.panId,
      dst: f.dst,
      payload,
      seq: f.seq,
      rssiDbm: info.rssiDbm,
      lqi: info.lqi,
      timestampUs: info.startUs,
    };
    if (f.security && !this.frameSecurity) {
      ind.security = f.security;
      ind.psdu = psdu;
    }
    this.dataHandler?.(ind);
  }

  // ---- beacons ----

  private answerBeaconRequest(): void {
    if (this.beaconPayload === null || this.panId === BROADCAST) return;
    // One answer pending is enough for any number of requests heard meanwhile.
    if (this.current?.kind === 'frame' && this.current.beacon) return;
    if (this.queue.some((j) => j.kind === 'frame' && j.beacon)) return;
    const beacon: MacFrame = {
      type: 'beacon',
      framePending: false,
      ackRequest: false,
      panIdCompression: false,
      version: 0,
      seq: this.bsn,
      dst: { mode: 'none' },
      srcPan: this.panId,
      src: this.shortAddress < NO_SHORT_ADDRESS ? { mode: 'short', short: this.shortAddress } : { mode: 'ext', ext: this.extAddress },
      beacon: {
        // Beacon-less PAN: BO = SO = 15 (§7.5.1.1); final CAP slot 15 as in a full CAP.
        superframe: {
          beaconOrder: 15,
          superframeOrder: 15,
          finalCapSlot: 15,
          batteryLifeExtension: false,
          panCoordinator: this.panCoordinator,
          associationPermit: this.associationPermit,
        },
        gtsPermit: false,
        gts: [],
        pendingShort: [],
        pendingExt: [],
        payload: this.beaconPayload,
      },
    };
    if (macFrameLength(beacon) > MAX_PSDU_LENGTH) return;
    this.bsn = (this.bsn + 1) & 0xff;
    this.stats.txBeacons++;
    this.enqueue({ kind: 'frame', psdu: emitMacFrame(beacon), seq: beacon.seq, ackRequest: false, beacon: true, peerForwards: false, done: () => {} });
  }

  // ---- active scan ----

  private startScan(job: ScanJob): void {
    this.scan = { job, index: 0, prevChannel: this.radio.getChannel(), prevPan: this.panId, found: [], timer: undefined };
    this.panId = BROADCAST; // §7.5.2.1.2: macPANId is 0xFFFF for the scan
    this.syncAddressFilter();
    // As an event, so that even an empty channel list calls `done` after activeScan returns.
    this.timers.at(this.timers.now(), () => this.scanNextChannel());
  }

  private scanNextChannel(): void {
    const s = this.scan;
    if (!s) return;
    const channel = s.job.channels[s.index++];
    if (channel === undefined) return this.finishScan();
    this.radio.setChannel(channel);
    const request: MacFrame = {
      type: 'command',
      framePending: false,
      ackRequest: false,
      panIdCompression: false,
      version: 0,
      seq: this.dsn,
      dstPan: BROADCAST,
      dst: { mode: 'short', short: BROADCAST },
      src: { mode: 'none' },
      command: { name: 'beacon_request' },
    };
    this.dsn = (this.dsn + 1) & 0xff;
    // Listen from the end of the request; a channel access failure still listens.
    this.startTransmission(emitMacFrame(request), request.seq, false, () => {
      s.timer = this.timers.at(this.timers.now() + scanDurationUs(s.job.exponent), () => this.scanNextChannel());
    });
  }

  private collectBeacon(f: MacFrame & { type: 'beacon' }, info: RxInfo): void {
    const s = this.scan;
    const panId = sourcePan(f);
    if (!s || panId === undefined) return;
    const key = addressKey(panId, f.src);
    if (s.found.some((p) => p.channel === info.channel && p.panId === panId && addressKey(p.panId, p.coord) === key)) return;
    s.found.push({
      channel: info.channel,
      panId,
      coord: f.src,
      panCoordinator: f.beacon.superframe.panCoordinator,
      associationPermit: f.beacon.superframe.associationPermit,
      beaconPayload: f.beacon.payload,
      rssiDbm: info.rssiDbm,
      lqi: info.lqi,
    });
  }

  private finishScan(): void {
    const s = this.scan;
    if (!s) return;
    this.scan = undefined;
    this.radio.setChannel(s.prevChannel);
    this.panId = s.prevPan;
    this.syncAddressFilter();
    this.current = undefined;
    s.job.done(s.found);
    this.pump();
  }

  // ---- observers ----

  private notifyTx(psdu: Uint8Array, attempt: number): void {
    if (this.observers.size === 0) return;
    const parsed = parseMacFrame(psdu);
    this.notify({ direction: 'tx', timeUs: this.timers.now(), psdu, frame: parsed.ok ? parsed.value : undefined, attempt });
  }

  private notify(ev: MacFrameEvent): void {
    for (const o of this.observers) o(ev);
  }
}
