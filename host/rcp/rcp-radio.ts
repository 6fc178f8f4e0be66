// The stack's Radio on an 802.15.4 radio co-processor driven over Spinel: the MAC
// hands it CSMA-CA, the ACK wait and retries (the RCP's sub-MAC), and it hands up
// received frames with their RSSI and LQI. The RCP can reset under us (a crash, a
// watchdog, a replug): its LAST_STATUS reset is noticed and the radio set up again.
// The property sequence follows what OpenThread's own host does (RadioSpinel).
import type { Radio, RxInfo, SubMac, SubMacTxRequest, SubMacTxStatus } from '../../stack/phy.ts';
import type { Timers } from '../../stack/runtime.ts';
import {
  Cap,
  Cmd,
  emitRawTxRequest,
  enc,
  isResetStatus,
  parseCaps,
  parseLastStatus,
  parseNcpVersion,
  parseProtocolVersion,
  parseRawRxFrame,
  parseTxDone,
  Promiscuous,
  Prop,
  readAll,
  Status,
  statusName,
  type RawRxFrame,
} from '../wire/spinel.ts';
import type { PropAnswer, SpinelLink } from './spinel-link.ts';

/** otRadioCaps bits (OpenThread include/openthread/platform/radio.h). */
export const RadioCaps = { ACK_TIMEOUT: 1, ENERGY_SCAN: 2, TRANSMIT_RETRIES: 4, CSMA_BACKOFF: 8, SLEEP_TO_TX: 16, TRANSMIT_SEC: 32 } as const;
/** What a sub-MAC must do for our MAC to hand it a frame (OpenThread's RadioSpinel requires the same three). */
const REQUIRED_RADIO_CAPS = RadioCaps.ACK_TIMEOUT | RadioCaps.TRANSMIT_RETRIES | RadioCaps.CSMA_BACKOFF;
/** Spinel 4.x (spinel.h SPINEL_PROTOCOL_VERSION_THREAD_MAJOR). */
const SPINEL_MAJOR = 4;
/**
 * The RCP API version of the Spinel this host speaks (spinel.h SPINEL_RCP_API_VERSION): that of
 * OpenThread 5df29f74, whose ot-rcp answers RCP_API_VERSION 11 and our wire formats follow.
 */
export const HOST_RCP_API_VERSION = 11;

/**
 * What OpenThread's host checks of an RCP's API versions (RadioSpinel::CheckRcpApiVersion) that
 * this host can: an RCP that needs a newer host than this one. (How old an RCP this host still
 * serves is not known beyond the one it was written against; the version is shown, not judged.)
 */
export function rcpApiProblem(info: { rcpApiVersion?: number; rcpMinHostApiVersion?: number }): string | undefined {
  if (info.rcpMinHostApiVersion !== undefined && info.rcpMinHostApiVersion > HOST_RCP_API_VERSION) {
    return `the RCP's firmware needs a host of RCP API version ${info.rcpMinHostApiVersion} or later; this host speaks ${HOST_RCP_API_VERSION}: flash an ot-rcp of OpenThread as of 5df29f74 or one whose minimum host API version is at most ${HOST_RCP_API_VERSION}`;
  }
  return undefined;
}
/** OpenThread reports −128 dBm as "no noise floor"; then the thermal floor of a 2 MHz channel (−174 dBm/Hz + 63 dB) stands in. */
const NO_NOISE_FLOOR = -128;
const THERMAL_FLOOR_DBM = -111;

export interface RcpInfo {
  ncpVersion: string;
  protocol: { major: number; minor: number };
  caps: number[];
  radioCaps: number;
  /** RCP_API_VERSION and RCP_MIN_HOST_API_VERSION, where its capabilities say it has them. */
  rcpApiVersion?: number;
  rcpMinHostApiVersion?: number;
  /** The RCP's factory EUI-64, natural byte order. */
  eui64: Uint8Array;
  channel: number;
}

/** One received frame as the RCP reported it, for captures. */
export interface RcpFrameEvent {
  psdu: Uint8Array;
  rssiDbm: number;
  lqi: number;
  channel: number;
}

export class RcpRadio implements Radio {
  private channel = 11;
  private rxOn = true;
  private filter = { panId: 0xffff, shortAddress: 0xfffe, extAddress: new Uint8Array(8) };
  private handler: ((psdu: Uint8Array, info: RxInfo) => void) | undefined;
  private txDone: ((status: SubMacTxStatus) => void) | undefined;
  private ready = false;
  private changedWhileSettingUp = false;
  /** A set-up is running (at open, or after a reset under us). */
  private settingUp = false;
  /** Counts the resets under us, so a set-up knows whether one came while it ran. */
  private resetGeneration = 0;
  /** The RCP was set up once: from then on a reset undoes our state. */
  private wasSetUp = false;
  private resetWaiter: (() => void) | undefined;
  /** Times the RCP reset under us and was set up again. */
  resets = 0;
  readonly subMac: SubMac;
  private readonly frameObservers: Array<(f: RcpFrameEvent) => void> = [];

  constructor(
    private readonly link: SpinelLink,
    private readonly timers: Timers,
    private readonly log: (line: string) => void,
    private readonly opts: {
      promiscuous?: boolean;
      /** The RCP reset under us and could not be set up again (it stopped answering): the radio is lost, as a pulled dongle is. */
      onLost?: (why: string) => void;
    } = {},
  ) {
    link.onUnsolicited((a) => this.unsolicited(a));
    this.subMac = {
      transmit: (req, done) => this.transmitFrame(req, done),
      setAddressFilter: (f) => this.setAddressFilter(f),
    };
  }

  // ---- bring-up ----

  /** Resets the RCP, reads what it is and checks it can be our radio. Rejects with what is missing. */
  async open(): Promise<RcpInfo> {
    await this.resetAndWait();
    const info = await this.readInfo();
    if (info.protocol.major !== SPINEL_MAJOR) throw new Error(`RCP speaks Spinel ${info.protocol.major}.${info.protocol.minor}; this host speaks ${SPINEL_MAJOR}.x`);
    if (!info.caps.includes(Cap.CONFIG_RADIO)) throw new Error(`the co-processor is not an RCP (no CAP_CONFIG_RADIO in its capabilities ${info.caps.join(',')}): flash ot-rcp`);
    if (!info.caps.includes(Cap.MAC_RAW)) throw new Error('the RCP has no raw MAC (CAP_MAC_RAW)');
    if ((info.radioCaps & REQUIRED_RADIO_CAPS) !== REQUIRED_RADIO_CAPS) throw new Error(`the RCP's sub-MAC lacks ack-timeout, tx-retries or CSMA backoff (radio caps 0x${info.radioCaps.toString(16)})`);
    const api = rcpApiProblem(info);
    if (api) throw new Error(api);
    await this.setUpUntilSettled();
    return { ...info, channel: this.channel };
  }

  /** Spinel CMD_RESET, then waits (up to 3 s) for the RCP's reset status; rejects if the link ends meanwhile. */
  private async resetAndWait(): Promise<void> {
    const reset = new Promise<undefined>((resolve) => (this.resetWaiter = () => resolve(undefined)));
    this.link.reset();
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref());
    // A child that could not start or died at once leaves nothing else to wait for: say why.
    const ended = await Promise.race([reset, timeout, this.link.ended]);
    this.resetWaiter = undefined;
    if (ended !== undefined) throw new Error(`the link to the RCP ended: ${ended}`);
  }

  async readInfo(): Promise<Omit<RcpInfo, 'channel'>> {
    const protocol = value(parseProtocolVersion((await this.link.get(Prop.PROTOCOL_VERSION)).value), 'PROTOCOL_VERSION');
    const ncpVersion = value(parseNcpVersion((await this.link.get(Prop.NCP_VERSION)).value), 'NCP_VERSION');
    const caps = value(parseCaps((await this.link.get(Prop.CAPS)).value), 'CAPS');
    const eui64 = value(readAll((await this.link.get(Prop.HWADDR)).value, (r) => r.eui64()), 'HWADDR');
    const radioCaps = value(readAll((await this.link.get(Prop.RADIO_CAPS)).value, (r) => r.packed()), 'RADIO_CAPS');
    const packed = async (key: number, name: string) => value(readAll((await this.link.get(key)).value, (r) => r.packed()), name);
    const rcpApiVersion = caps.includes(Cap.RCP_API_VERSION) ? await packed(Prop.RCP_API_VERSION, 'RCP_API_VERSION') : undefined;
    const rcpMinHostApiVersion = caps.includes(Cap.RCP_MIN_HOST_API_VERSION) ? await packed(Prop.RCP_MIN_HOST_API_VERSION, 'RCP_MIN_HOST_API_VERSION') : undefined;
    return { protocol, ncpVersion, caps, radioCaps, eui64, rcpApiVersion, rcpMinHostApiVersion };
  }

  /** The channel the RCP is on now (PHY_CHAN), read back from it. */
  async readChannel(): Promise<number> {
    return value(readAll((await this.link.get(Prop.PHY_CHAN)).value, (r) => r.u8()), 'PHY_CHAN');
  }

  /**
   * configure(), again while the stack changed what it sends (a channel, PAN ID or address
   * set while it ran, which fire() does not send then), so the RCP ends with what the stack has now.
   */
  private async setUp(): Promise<void> {
    do {
      this.changedWhileSettingUp = false;
      await this.configure();
    } while (this.changedWhileSettingUp);
  }

  /**
   * setUp(), from the start again while the RCP reset during it (a reset undoes what was set
   * before it: after one, PHY_CHAN is refused until PHY_ENABLED is set again); then ready.
   * Fails only for another reason than a reset.
   */
  private async setUpUntilSettled(): Promise<void> {
    this.settingUp = true;
    try {
      for (;;) {
        const generation = this.resetGeneration;
        try {
          await this.setUp();
        } catch (e) {
          if (generation === this.resetGeneration) throw e;
        }
        if (generation === this.resetGeneration) break;
      }
      this.ready = true;
      this.wasSetUp = true;
    } finally {
      this.settingUp = false;
    }
  }

  /**
   * The MAC state our stack expects of its radio: on, on our channel, filtering and
   * acknowledging on our PAN ID and addresses, no frame-pending bit in ACKs (source
   * match on, both tables empty: our MAC has no indirect transmission), not
   * promiscuous (a sniffer is), received frames delivered to us.
   */
  private async configure(): Promise<void> {
    const l = this.link;
    // ot-rcp takes MAC_15_4_LADDR in natural byte order (checked: set in air order, it never
    // acknowledged a Parent Response sent to our extended address; in natural order it does).
    await l.set(Prop.PHY_ENABLED, enc.bool(true));
    await l.set(Prop.PHY_CHAN, enc.u8(this.channel));
    await l.set(Prop.MAC_15_4_PANID, enc.u16(this.filter.panId));
    await l.set(Prop.MAC_15_4_LADDR, this.filter.extAddress.slice());
    await l.set(Prop.MAC_15_4_SADDR, enc.u16(this.filter.shortAddress));
    await l.set(Prop.MAC_SRC_MATCH_ENABLED, enc.bool(true));
    await l.set(Prop.MAC_SRC_MATCH_SHORT_ADDRESSES, new Uint8Array());
    await l.set(Prop.MAC_SRC_MATCH_EXTENDED_ADDRESSES, new Uint8Array());
    await l.set(Prop.MAC_PROMISCUOUS_MODE, enc.u8(this.opts.promiscuous ? Promiscuous.FULL : Promiscuous.OFF));
    await l.set(Prop.MAC_RAW_STREAM_ENABLED, enc.bool(this.rxOn));
  }

  // ---- source match (frame pending in the ACKs the RCP sends) ----

  /** Marks a child's short address as having frames pending (PROP_VALUE_INSERT). */
  addSrcMatchShort(short: number): Promise<PropAnswer> {
    return this.link.insert(Prop.MAC_SRC_MATCH_SHORT_ADDRESSES, enc.u16(short));
  }
  removeSrcMatchShort(short: number): Promise<PropAnswer> {
    return this.link.remove(Prop.MAC_SRC_MATCH_SHORT_ADDRESSES, enc.u16(short));
  }
  /** Extended address in natural byte order, as MAC_15_4_LADDR takes it. */
  addSrcMatchExt(ext: Uint8Array): Promise<PropAnswer> {
    return this.link.insert(Prop.MAC_SRC_MATCH_EXTENDED_ADDRESSES, ext.slice());
  }
  removeSrcMatchExt(ext: Uint8Array): Promise<PropAnswer> {
    return this.link.remove(Prop.MAC_SRC_MATCH_EXTENDED_ADDRESSES, ext.slice());
  }

  // ---- Radio ----

  getChannel(): number {
    return this.channel;
  }
  setChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 11 || channel > 26) throw new RangeError(`channel ${channel} is not 11..26`);
    if (channel === this.channel) return;
    this.channel = channel;
    this.fire(Prop.PHY_CHAN, enc.u8(channel));
  }
  /** Our MAC never senses on its own with a sub-MAC radio; the RCP's CSMA-CA does. Reports idle after the 8-symbol window. */
  cca(done: (clear: boolean) => void): void {
    this.timers.at(this.timers.now() + 128, () => done(true));
  }
  /** One frame as it is, without CSMA-CA or retries. */
  transmit(psdu: Uint8Array, done: () => void): void {
    this.transmitFrame({ psdu, ackRequest: false, maxCsmaBackoffs: 0, maxFrameRetries: 0 }, () => done(), false);
  }
  onReceive(handler: (psdu: Uint8Array, info: RxInfo) => void): void {
    this.handler = handler;
  }
  setRxOn(on: boolean): void {
    if (on === this.rxOn) return;
    this.rxOn = on;
    // OpenThread's host sleeps the radio the same way (RadioSpinel::Sleep).
    this.fire(Prop.MAC_RAW_STREAM_ENABLED, enc.bool(on));
  }

  /** Every frame the RCP hands up, before the MAC filters it (a sniffer's capture). */
  onFrame(fn: (f: RcpFrameEvent) => void): void {
    this.frameObservers.push(fn);
  }

  private setAddressFilter(f: { panId: number; shortAddress: number; extAddress: Uint8Array }): void {
    const old = this.filter;
    this.filter = { panId: f.panId, shortAddress: f.shortAddress, extAddress: f.extAddress.slice() };
    if (old.panId !== f.panId) this.fire(Prop.MAC_15_4_PANID, enc.u16(f.panId));
    if (old.shortAddress !== f.shortAddress) this.fire(Prop.MAC_15_4_SADDR, enc.u16(f.shortAddress));
    if (!old.extAddress.every((b, i) => b === f.extAddress[i])) this.fire(Prop.MAC_15_4_LADDR, f.extAddress.slice());
  }

  /** A property set the stack cannot wait for: sent in order (the RCP answers in order); a refusal is logged. */
  private fire(key: number, v: Uint8Array): void {
    if (!this.ready) {
      this.changedWhileSettingUp = true; // setUp() sends the state it ends with
      return;
    }
    this.link.set(key, v).catch((e: Error) => this.log(`rcp ! ${e.message}`));
  }

  private transmitFrame(req: SubMacTxRequest, done: (status: SubMacTxStatus) => void, csmaCa = true): void {
    if (this.txDone) throw new Error('RCP transmit while a transmit is in flight (the MAC sends one frame at a time)');
    this.txDone = done;
    const finish = (status: SubMacTxStatus) => {
      if (this.txDone !== done) return;
      this.txDone = undefined;
      done(status);
    };
    // Our MAC secured the frame and set its header; the RCP must send it as it is.
    const value = emitRawTxRequest({
      psdu: req.psdu,
      channel: this.channel,
      maxCsmaBackoffs: req.maxCsmaBackoffs,
      maxFrameRetries: req.maxFrameRetries,
      csmaCa,
      headerUpdated: true,
      isRetransmission: false,
      securityProcessed: true,
      txDelay: 0,
      txDelayBaseTime: 0,
      rxChannelAfterTxDone: this.channel,
    });
    this.link.request(Cmd.PROP_VALUE_SET, Prop.STREAM_RAW, value).then(
      (a) => {
        const r = parseTxDone(a.value);
        if (!r.ok) {
          this.log(`rcp ! transmit done unreadable: ${r.error.message}`);
          return finish('channel_access_failure');
        }
        const s = r.value.status;
        if (s === Status.OK) return finish('success');
        if (s === Status.NO_ACK) return finish('no_ack');
        if (s !== Status.CCA_FAILURE) this.log(`rcp ! transmit ended ${statusName(s)}`);
        finish('channel_access_failure');
      },
      (e: Error) => {
        this.log(`rcp ! transmit: ${e.message}`);
        finish('channel_access_failure');
      },
    );
  }

  // ---- frames the RCP sends on its own ----

  private unsolicited(a: PropAnswer): void {
    if (a.command !== Cmd.PROP_VALUE_IS) return;
    if (a.key === Prop.STREAM_RAW) return this.received(a.value);
    if (a.key === Prop.LAST_STATUS) {
      const st = parseLastStatus(a.value);
      if (st.ok && isResetStatus(st.value)) this.rcpReset(st.value);
    }
  }

  private received(v: Uint8Array): void {
    const r = parseRawRxFrame(v);
    if (!r.ok) return this.log(`rcp ! received frame unreadable: ${r.error.message}`);
    const f: RawRxFrame = r.value;
    if (f.receiveError !== 0 || f.psdu.length < 3) return;
    for (const o of this.frameObservers) o({ psdu: f.psdu, rssiDbm: f.rssiDbm, lqi: f.lqi, channel: f.channel });
    if (!this.handler || !this.rxOn) return;
    const end = this.timers.now();
    // (6 + PSDU) octets at 32 µs each (O-QPSK 2450 MHz, 250 kbit/s: preamble 4, SFD 1, PHR 1).
    const start = end - (6 + f.psdu.length) * 32;
    const floor = f.noiseFloorDbm === NO_NOISE_FLOOR ? THERMAL_FLOOR_DBM : f.noiseFloorDbm;
    this.handler(f.psdu, { rssiDbm: f.rssiDbm, sinrDb: f.rssiDbm - floor, lqi: f.lqi, channel: f.channel || this.channel, startUs: start, endUs: end });
  }

  private rcpReset(status: number): void {
    if (this.resetWaiter) {
      this.resetWaiter();
      return;
    }
    // Before the first set-up (while open() reads what the RCP is) a reset undoes nothing of ours.
    if (!this.wasSetUp && !this.settingUp) return;
    this.resets++;
    this.resetGeneration++;
    this.log(`rcp ! the RCP reset (${statusName(status)}); setting it up again`);
    this.ready = false;
    this.link.failAll('the RCP reset');
    if (this.settingUp) return; // the set-up that runs starts again from the start
    this.setUpUntilSettled().then(
      () => this.log('rcp: set up again after its reset'),
      (e: Error) => {
        this.log(`rcp ! setting up after the reset failed: ${e.message}`);
        this.opts.onLost?.(`the RCP reset and could not be set up again: ${e.message}`);
      },
    );
  }
}

function value<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }, what: string): T {
  if (!r.ok) throw new Error(`RCP's ${what} unreadable: ${r.error.message}`);
  return r.value;
}
