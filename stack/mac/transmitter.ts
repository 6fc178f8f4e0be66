// Sending one frame at a time (IEEE 802.15.4-2006 §7.5.1.4, §7.5.6.4): unslotted CSMA-CA,
// the wait for an acknowledgement and the retries, the interframe spacing after our frames,
// and the acknowledgements we send ourselves, which cut in ahead of CSMA-CA. It plays the
// part OpenThread's SubMac does (src/core/mac/sub_mac.cpp); on a radio with its own
// sub-MAC (an RCP) the radio does all this and we only hand it the frame.
import type { Radio, SubMac } from '../phy.ts';
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import type { MacCounters, MacTxStatus } from './api.ts';
import { ACK_WAIT_US, TURNAROUND_US, UNIT_BACKOFF_US, ifsUs, type MacPib } from './constants.ts';
import { ackFrame } from './frames.ts';
import { emitMacFrame, type MacFrame } from '../wire/ieee802154.ts';

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

export interface TransmitterOptions {
  radio: Radio;
  timers: Timers;
  rng: Rng;
  /** The MAC's PIB, read at every step (the stack's policy may change macMaxFrameRetries). */
  pib: MacPib;
  /** The MAC's counters, counted into. */
  stats: MacCounters;
  retryOnChannelAccessFailure: boolean;
  /** Each transmission of a frame (`attempt` 1 for the first) and each ACK we send, for observers. */
  sent(psdu: Uint8Array, attempt: number | undefined, frame?: MacFrame): void;
}

export class MacTransmitter {
  /**
   * Whether a channel access failure uses up one of macMaxFrameRetries and starts a
   * fresh CSMA-CA, as OpenThread's SubMac does (sub_mac.cpp HandleTransmitDone: any
   * error but success is retried while retries remain), instead of ending the request
   * as IEEE 802.15.4-2006 §7.5.1.4 step (4) says (Nanostack gets the same by handing the
   * frame back on MLME_BUSY_CHAN). A relay that loses the channel to a sender whose backoff
   * exponent restarts at macMinBE for every frame otherwise drops the fragments it forwards.
   */
  retryOnChannelAccessFailure: boolean;

  private readonly radio: Radio;
  private readonly timers: Timers;
  private readonly rng: Rng;
  private readonly pib: MacPib;
  private readonly stats: MacCounters;
  private readonly sent: TransmitterOptions['sent'];
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

  constructor(opts: TransmitterOptions) {
    this.radio = opts.radio;
    this.timers = opts.timers;
    this.rng = opts.rng;
    this.pib = opts.pib;
    this.stats = opts.stats;
    this.sent = opts.sent;
    this.retryOnChannelAccessFailure = opts.retryOnChannelAccessFailure;
  }

  /** The stack's transmit policy (retries, retransmission delay, collision avoidance). */
  setPolicy(policy: TxPolicy): void {
    this.pib.macMaxFrameRetries = policy.maxFrameRetries;
    this.noAckRetxDelay = policy.noAckRetxDelay ? { ...policy.noAckRetxDelay } : undefined;
    this.noAckBackoffGrowth = policy.noAckBackoffGrowth === true;
    this.collisionAvoidanceDelayUs = policy.collisionAvoidanceDelayUs;
  }

  /** Holds our next frame back by the collision-avoidance delay (a relay acknowledged a frame it will forward). */
  holdForRelay(): void {
    if (this.collisionAvoidanceDelayUs > 0) this.holdUntil = this.timers.now() + this.collisionAvoidanceDelayUs;
  }

  /** Sends one frame; `done` hears how it ended. One transmission at a time. */
  start(psdu: Uint8Array, seq: number, ackRequest: boolean, done: (status: MacTxStatus) => void): void {
    const t: Transmission = { psdu, seq, ackRequest, nb: 0, be: 0, retries: 0, noAckRetries: 0, retxBE: this.noAckRetxDelay?.minBE ?? 0, timer: undefined, awaitingAck: false, done };
    this.tx = t;
    // The IFS after our previous frame comes before the first backoff (§7.5.1.3).
    const start = Math.max(this.timers.now(), this.ifsUntil, this.holdUntil);
    const subMac = this.radio.subMac;
    t.timer = this.timers.at(start, () => (subMac ? this.subMacSend(t, subMac) : this.csmaStart(t)));
  }

  /** An acknowledgement heard, ending at `ackEnd`; it ends our transmission if it answers it. */
  ackHeard(seq: number, ackEnd: Micros): void {
    const t = this.tx;
    if (!t || !t.awaitingAck || seq !== t.seq) return;
    t.timer?.cancel();
    t.timer = undefined;
    t.awaitingAck = false;
    this.stats.rxAcks++;
    // §7.5.1.3: with an acknowledged transmission the IFS follows the ACK.
    this.ifsUntil = ackEnd + ifsUs(t.psdu.length);
    this.finish(t, 'success');
  }

  /** Acknowledges frame `seq` at `at` (§7.5.6.4.2), without CSMA-CA. */
  sendAck(seq: number, at: Micros): void {
    this.timers.at(at, () => {
      // If our own frame is on air the radio cannot; the sender will retry.
      if (this.sendingFrame || this.sendingAck) return;
      const ack = ackFrame(seq);
      const psdu = emitMacFrame(ack);
      this.sendingAck = true;
      this.stats.txAcks++;
      this.sent(psdu, undefined, ack);
      this.radio.transmit(psdu, () => {
        this.sendingAck = false;
        const next = this.ccaAfterAck;
        this.ccaAfterAck = undefined;
        next?.();
      });
    });
  }

  /** The radio's sub-MAC runs CSMA-CA, the ACK wait and the retries (as OpenThread's SubMac on an RCP). */
  private subMacSend(t: Transmission, subMac: SubMac): void {
    t.timer = undefined;
    this.sendingFrame = true;
    this.stats.txFrames++;
    this.sent(t.psdu, 1);
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
    this.sent(t.psdu, t.retries + 1);
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

  private finish(t: Transmission, status: MacTxStatus): void {
    t.timer?.cancel();
    if (this.tx === t) this.tx = undefined;
    t.done(status);
  }
}
