// The MAC service the upper layers use (IEEE 802.15.4-2006 §7.1 MCPS/MLME, as callbacks).
import type { Micros } from '../runtime.ts';

/** A MAC address as the upper layers see it. Extended addresses are in natural (big-endian) order, not air order. */
export type MacAddress =
  | { mode: 'none' }
  | { mode: 'short'; short: number }
  | { mode: 'ext'; ext: Uint8Array };

export const BROADCAST_SHORT = 0xffff;
export const BROADCAST_PAN = 0xffff;

export interface MacDataRequest {
  dstPan: number;
  dst: MacAddress;
  /** Which of our own addresses to send from. */
  srcMode: 'short' | 'ext';
  payload: Uint8Array;
  /** Ignored (forced false) for broadcast destinations. */
  ackRequest: boolean;
}

export type MacTxStatus = 'success' | 'no_ack' | 'channel_access_failure';

export interface MacDataIndication {
  srcPan: number;
  src: MacAddress;
  dstPan: number;
  dst: MacAddress;
  payload: Uint8Array;
  seq: number;
  rssiDbm: number;
  lqi: number;
  timestampUs: Micros;
}

/** One beacon heard during an active scan (§7.1.5.1.1 PANDescriptor). */
export interface PanDescriptor {
  channel: number;
  panId: number;
  coord: MacAddress;
  panCoordinator: boolean;
  associationPermit: boolean;
  beaconPayload: Uint8Array;
  rssiDbm: number;
  lqi: number;
}

export interface MacCounters {
  txFrames: number;
  txRetries: number;
  txNoAck: number;
  txChannelAccessFailure: number;
  rxFrames: number;
  rxDuplicates: number;
  rxFiltered: number;
  rxAcks: number;
}
