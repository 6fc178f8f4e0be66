// The MAC's own frames, built from what it knows (as OpenThread's mac_frame.cpp builds
// them): the acknowledgement, the beacon of a beacon-less PAN and the beacon request.
// Clause numbers are IEEE 802.15.4-2006's.
import { BROADCAST, type MacAddress, type MacFrame } from '../wire/ieee802154.ts';

/** An immediate acknowledgement of frame `seq` (§7.2.2.3): no addresses, no pending data. */
export function ackFrame(seq: number): MacFrame {
  return { type: 'ack', framePending: false, ackRequest: false, panIdCompression: false, version: 0, seq, dst: { mode: 'none' }, src: { mode: 'none' } };
}

export interface BeaconSource {
  seq: number;
  panId: number;
  /** Our short address when we have one, else the extended. */
  src: MacAddress;
  panCoordinator: boolean;
  associationPermit: boolean;
  payload: Uint8Array;
}

/** A beacon of a beacon-less PAN (§7.2.2.1), answering a beacon request. */
export function beaconFrame(b: BeaconSource): MacFrame & { type: 'beacon' } {
  return {
    type: 'beacon',
    framePending: false,
    ackRequest: false,
    panIdCompression: false,
    version: 0,
    seq: b.seq,
    dst: { mode: 'none' },
    srcPan: b.panId,
    src: b.src,
    beacon: {
      // Beacon-less PAN: BO = SO = 15 (§7.5.1.1); final CAP slot 15 as in a full CAP.
      superframe: {
        beaconOrder: 15,
        superframeOrder: 15,
        finalCapSlot: 15,
        batteryLifeExtension: false,
        panCoordinator: b.panCoordinator,
        associationPermit: b.associationPermit,
      },
      gtsPermit: false,
      gts: [],
      pendingShort: [],
      pendingExt: [],
      payload: b.payload,
    },
  };
}

/** A beacon request (§7.3.7): broadcast, without a source address. */
export function beaconRequestFrame(seq: number): MacFrame {
  return {
    type: 'command',
    framePending: false,
    ackRequest: false,
    panIdCompression: false,
    version: 0,
    seq,
    dstPan: BROADCAST,
    dst: { mode: 'short', short: BROADCAST },
    src: { mode: 'none' },
    command: { name: 'beacon_request' },
  };
}
