// The radio as the MAC sees it: an IEEE 802.15.4 O-QPSK 2450 MHz transceiver.
// The simulated medium implements it per node; a real board has its own.
import type { Micros } from './runtime.ts';

export interface RxInfo {
  /** Received signal strength of this frame. */
  rssiDbm: number;
  /** Signal to interference-plus-noise ratio the frame was decoded at. */
  sinrDb: number;
  /** Link quality indicator 0..255, monotonic in SINR. */
  lqi: number;
  channel: number;
  /** Bench time of the frame's first symbol (start of preamble) and last symbol. */
  startUs: Micros;
  endUs: Micros;
}

export interface Radio {
  getChannel(): number;
  /** Channels 11..26 (page 0). */
  setChannel(channel: number): void;
  /**
   * Clear channel assessment, mode 1 (energy above threshold): samples the
   * channel for 8 symbols (128 µs, IEEE 802.15.4-2006 §6.9.9) and calls back
   * at the end of the window with true when the channel was idle.
   */
  cca(done: (clear: boolean) => void): void;
  /**
   * Starts sending `psdu` (MPDU including its 2-byte FCS) now. The receiver is
   * deaf while sending. `done` is called when the last symbol has left.
   */
  transmit(psdu: Uint8Array, done: () => void): void;
  /** Frames that arrived intact (FCS checked by the PHY model), one handler. */
  onReceive(handler: (psdu: Uint8Array, info: RxInfo) => void): void;
  /** Powered-down radios neither receive nor sense. */
  setRxOn(on: boolean): void;
  /**
   * Present on a radio that runs its own sub-MAC (an 802.15.4 radio co-processor such as
   * OpenThread's ot-rcp): the MAC then hands it CSMA-CA, the ACK wait and retransmissions,
   * and the radio acknowledges the frames addressed to it. Absent on the simulated radio,
   * whose MAC does all of that itself.
   */
  readonly subMac?: SubMac;
}

export type SubMacTxStatus = 'success' | 'no_ack' | 'channel_access_failure';

export interface SubMacTxRequest {
  /** MPDU including its 2-byte FCS (the radio computes the FCS). */
  psdu: Uint8Array;
  ackRequest: boolean;
  /** macMaxCSMABackoffs per attempt. */
  maxCsmaBackoffs: number;
  /** Retransmissions after a missing ACK or a channel access failure. */
  maxFrameRetries: number;
}

export interface SubMac {
  /** One frame at a time; `done` once, with the outcome after the radio's retries. */
  transmit(req: SubMacTxRequest, done: (status: SubMacTxStatus) => void): void;
  /** The addresses the radio filters on and acknowledges for; extended address in natural byte order. */
  setAddressFilter(filter: { panId: number; shortAddress: number; extAddress: Uint8Array }): void;
}
