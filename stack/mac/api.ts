// The MAC service the upper layers use (IEEE 802.15.4-2006 §7.1 MCPS/MLME, as callbacks).
import type { Micros } from '../runtime.ts';
import type { AuxSecurityHeader, MacAddress } from '../wire/ieee802154.ts';

/** A MAC address as the upper layers see it. Extended addresses are in natural (big-endian) order, not air order. */
export type { MacAddress };

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
  /** Secures the frame (§7.6.3.2): the MAC builds the header, the caller transforms the payload. */
  security?: MacSecurityRequest;
  /**
   * The receiver is a relay that will send this frame on (it is not the frame's final
   * destination): after it is acknowledged the MAC holds its next frame back by the
   * transmit policy's collision-avoidance delay.
   */
  peerForwards?: boolean;
}

/**
 * The aux security header to put in the frame and the transform to apply.
 * `secure(header, payload)` gets the authenticated-only bytes (MHR through the
 * aux header) and returns what follows them on air, FCS excluded: the payload
 * (encrypted for levels 4–7) followed by the MIC. Called once per frame, not per
 * retransmission: a retry is the same frame with the same frame counter.
 */
export interface MacSecurityRequest {
  header: AuxSecurityHeader;
  secure: (header: Uint8Array, payload: Uint8Array) => Uint8Array;
}

/**
 * FRAME_TOO_LONG: the MPDU would exceed aMaxPHYPacketSize (127 bytes), nothing sent.
 * INVALID_PARAMETER: e.g. sending from a short address the node does not have.
 */
export type MacTxStatus = 'success' | 'no_ack' | 'channel_access_failure' | 'frame_too_long' | 'invalid_parameter';

export interface MacDataIndication {
  srcPan: number;
  src: MacAddress;
  dstPan: number;
  dst: MacAddress;
  payload: Uint8Array;
  seq: number;
  rssiDbm: number;
  lqi: number;
  /** Bench time of the frame's first symbol. */
  timestampUs: Micros;
  /** Present on a secured frame: `payload` is then still secured (private payload ‖ MIC). */
  security?: AuxSecurityHeader;
  /** The received PSDU, FCS included, for callers that must unsecure the payload (they need the header bytes). */
  psdu?: Uint8Array;
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
  /** Frames that failed to parse (bad FCS, reserved modes, truncation). */
  rxMalformed: number;
  txAcks: number;
  txBeacons: number;
}
