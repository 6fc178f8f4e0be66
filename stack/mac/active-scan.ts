// MLME-SCAN, active (IEEE 802.15.4-2006 §7.5.2.1.2): on each channel a beacon request, then
// listening aBaseSuperframeDuration × (2^exponent + 1) symbols with macPANId 0xFFFF,
// collecting one descriptor per (channel, PAN, coordinator) heard; the channel and PAN ID
// in force before are restored at the end.
import type { Radio, RxInfo } from '../phy.ts';
import type { Timers } from '../runtime.ts';
import { BROADCAST, emitMacFrame, sourcePan, type MacFrame } from '../wire/ieee802154.ts';
import type { MacTxStatus, PanDescriptor } from './api.ts';
import { scanDurationUs } from './constants.ts';
import { addressKey } from './frame-filter.ts';
import { beaconRequestFrame } from './frames.ts';

/** What a scan needs of its MAC. */
export interface ScanHost {
  readonly radio: Radio;
  readonly timers: Timers;
  getPanId(): number;
  setPanId(panId: number): void;
  /** Takes macDSN for a frame (and advances it). */
  takeDsn(): number;
  /** Sends a frame through CSMA-CA; `done` hears how it ended. */
  transmit(psdu: Uint8Array, seq: number, ackRequest: boolean, done: (status: MacTxStatus) => void): void;
}

export class ActiveScan {
  private index = 0;
  private readonly prevChannel: number;
  private readonly prevPan: number;
  private readonly found: PanDescriptor[] = [];

  constructor(
    private readonly host: ScanHost,
    private readonly channels: readonly number[],
    private readonly exponent: number,
    /** Called once, with every PAN heard, after the channel and PAN ID are restored. */
    private readonly done: (pans: PanDescriptor[]) => void,
  ) {
    this.prevChannel = host.radio.getChannel();
    this.prevPan = host.getPanId();
  }

  start(): void {
    this.host.setPanId(BROADCAST); // §7.5.2.1.2: macPANId is 0xFFFF for the scan
    // As an event, so that even an empty channel list ends after activeScan returns.
    this.host.timers.at(this.host.timers.now(), () => this.nextChannel());
  }

  /** A beacon heard during the scan. */
  heard(f: MacFrame & { type: 'beacon' }, info: RxInfo): void {
    const panId = sourcePan(f);
    if (panId === undefined) return;
    const key = addressKey(panId, f.src);
    if (this.found.some((p) => p.channel === info.channel && p.panId === panId && addressKey(p.panId, p.coord) === key)) return;
    this.found.push({
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

  private nextChannel(): void {
    const channel = this.channels[this.index++];
    if (channel === undefined) return this.finish();
    this.host.radio.setChannel(channel);
    const request = beaconRequestFrame(this.host.takeDsn());
    // Listen from the end of the request; a channel access failure still listens.
    this.host.transmit(emitMacFrame(request), request.seq, false, () => {
      this.host.timers.at(this.host.timers.now() + scanDurationUs(this.exponent), () => this.nextChannel());
    });
  }

  private finish(): void {
    this.host.radio.setChannel(this.prevChannel);
    this.host.setPanId(this.prevPan);
    this.done(this.found);
  }
}
