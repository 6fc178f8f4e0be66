// The IEEE 802.15.4-2006 MAC of a beacon-less PAN, split the way OpenThread splits its MAC:
// this file is the MAC service (mac.cpp): the PIB, MCPS-DATA requests and indications, one
// request at a time in order, frame security where the MAC applies it, the beacon
// responder and observers. Sending a frame (CSMA-CA, ACKs, retries, interframe spacing) is
// transmitter.ts (sub_mac.cpp); the frames the MAC builds itself frames.ts (mac_frame.cpp);
// which received frames are ours frame-filter.ts; the active scan active-scan.ts. Clause
// numbers are the 2006 edition's.
//
// Everything runs on the injected Timers and Rng: each step is an event at its exact
// bench microsecond, and a run is reproducible from the seed.
import type { Radio, RxInfo } from '../phy.ts';
import type { Micros, Rng, Timers } from '../runtime.ts';
import { bytesEqual } from '../wire/bytes.ts';
import { BROADCAST, MAX_PSDU_LENGTH, NO_SHORT_ADDRESS, emitMacFrame, macFrameLayout, macFrameLength, parseMacFrame, sourcePan, type MacAddress, type MacFrame } from '../wire/ieee802154.ts';
import { ActiveScan } from './active-scan.ts';
import type { MacCounters, MacDataIndication, MacDataRequest, MacTxStatus, PanDescriptor } from './api.ts';
import { DEFAULT_PIB, TURNAROUND_US, type MacPib } from './constants.ts';
import { accepts, addressedElsewhere, DuplicateFilter, type OwnAddresses } from './frame-filter.ts';
import { beaconFrame } from './frames.ts';
import { initialFrameCounter, MacFrameSecurity, type MacKeyConfig, type MacSecurityCounters } from './security.ts';
import { MacTransmitter, type TxPolicy } from './transmitter.ts';

export type { TxPolicy };

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

export class Mac {
  private readonly radio: Radio;
  private readonly timers: Timers;
  private readonly rng: Rng;
  private extAddress: Uint8Array;
  private readonly pib: MacPib;
  private readonly transmitter: MacTransmitter;

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
  private readonly duplicates = new DuplicateFilter();
  private scan: ActiveScan | undefined;

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
    this.transmitter = new MacTransmitter({
      radio: this.radio,
      timers: this.timers,
      rng: this.rng,
      pib: this.pib,
      stats: this.stats,
      retryOnChannelAccessFailure: opts.retryOnChannelAccessFailure ?? false,
      sent: (psdu, attempt, frame) => (frame ? this.notify({ direction: 'tx', timeUs: this.timers.now(), psdu, frame }) : this.notifyTx(psdu, attempt ?? 1)),
    });
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

  /** See `MacTransmitter.retryOnChannelAccessFailure`. */
  get retryOnChannelAccessFailure(): boolean {
    return this.transmitter.retryOnChannelAccessFailure;
  }
  set retryOnChannelAccessFailure(on: boolean) {
    this.transmitter.retryOnChannelAccessFailure = on;
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
    this.transmitter.setPolicy(policy);
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

  // ---- MLME-SCAN (active, active-scan.ts) ----

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
      this.transmitter.start(job.psdu, job.seq, job.ackRequest, (status) => {
        this.current = undefined;
        if (status === 'success' && job.peerForwards) this.transmitter.holdForRelay();
        job.done(status);
        this.pump();
      });
  }

  private startScan(job: ScanJob): void {
    const host = {
      radio: this.radio,
      timers: this.timers,
      getPanId: () => this.panId,
      setPanId: (pan: number) => this.setPanId(pan),
      takeDsn: () => {
        const seq = this.dsn;
        this.dsn = (this.dsn + 1) & 0xff;
        return seq;
      },
      transmit: (psdu: Uint8Array, seq: number, ackRequest: boolean, done: (status: MacTxStatus) => void) => this.transmitter.start(psdu, seq, ackRequest, done),
    };
    this.scan = new ActiveScan(host, job.channels, job.exponent, (found) => {
      this.scan = undefined;
      this.current = undefined;
      job.done(found);
      this.pump();
    });
    this.scan.start();
  }

  // ---- reception ----

  private own(): OwnAddresses {
    return { panId: this.panId, shortAddress: this.shortAddress, extAddress: this.extAddress, panCoordinator: this.panCoordinator };
  }

  private receive(psdu: Uint8Array, info: RxInfo): void {
    // In a mesh most frames a radio hears are unicast to a neighbour: drop those on their
    // header, before checking the FCS and decoding the rest. Observers see every frame.
    if (this.observers.size === 0 && !this.scan && addressedElsewhere(psdu, this.own())) {
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
      this.transmitter.ackHeard(f.seq, info.endUs);
      return;
    }
    if (this.scan) {
      // §7.5.2.1.2: during an active scan only beacons are of interest.
      if (f.type === 'beacon') {
        this.stats.rxFrames++;
        this.scan.heard(f, info);
      } else this.stats.rxFiltered++;
      return;
    }
    if (!accepts(f, this.own())) {
      this.stats.rxFiltered++;
      return;
    }
    // §7.5.6.4.2: the ACK goes aTurnaroundTime after the last symbol, duplicates included.
    // A radio with its own sub-MAC has sent it already.
    if (!this.radio.subMac && f.ackRequest && f.dst.mode !== 'none' && !(f.dst.mode === 'short' && f.dst.short === BROADCAST)) {
      this.transmitter.sendAck(f.seq, info.endUs + TURNAROUND_US);
    }
    if (this.duplicates.isDuplicate(f)) {
      this.stats.rxDuplicates++;
      return;
    }
    this.stats.rxFrames++;
    if (f.type === 'data') this.deliver(f, psdu, info);
    else if (f.type === 'command' && f.command.name === 'beacon_request') this.answerBeaconRequest();
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
    const beacon = beaconFrame({
      seq: this.bsn,
      panId: this.panId,
      src: this.shortAddress < NO_SHORT_ADDRESS ? { mode: 'short', short: this.shortAddress } : { mode: 'ext', ext: this.extAddress },
      panCoordinator: this.panCoordinator,
      associationPermit: this.associationPermit,
      payload: this.beaconPayload,
    });
    if (macFrameLength(beacon) > MAX_PSDU_LENGTH) return;
    this.bsn = (this.bsn + 1) & 0xff;
    this.stats.txBeacons++;
    this.enqueue({ kind: 'frame', psdu: emitMacFrame(beacon), seq: beacon.seq, ackRequest: false, beacon: true, peerForwards: false, done: () => {} });
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
