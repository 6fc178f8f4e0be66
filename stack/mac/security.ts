// MAC frame security applied by the MAC itself, as the IEEE 802.15.4-2006 MAC does
// from its PIB (§7.5.8.2): one key (the macKeyTable entry a 6LoWPAN-ND PSK network
// uses), our own macFrameCounter, and per sender the next acceptable frame counter
// (macDeviceTable, §7.5.8.2.3). Data frames only: beacons and beacon requests stay in
// the clear, so that a node can scan before it has a link.
//
// The CCM* transform and the replay table are the ones Thread uses (stack/thread):
// nothing in them is Thread-specific.
import { ReplayGuard } from './replay.ts';
import { micLengthOf, secureMacPayload, unsecureMacPayload, type SecurityLevel } from './frame-security.ts';
import type { Micros } from '../runtime.ts';
import { toHex } from '../wire/bytes.ts';
import { auxSecurityHeaderLength, type AuxSecurityHeader } from '../wire/ieee802154.ts';
import type { MacSecurityRequest } from './api.ts';

export type { SecurityLevel };

export interface MacKeyConfig {
  /** The 128-bit AES key. */
  key: Uint8Array;
  /** Key index sent with key ID mode 1 (§7.6.2.4.2); 1..255. */
  keyIndex: number;
  /** Security level 1–7 (§7.6.2.2.1 Table 95). */
  level: SecurityLevel;
}

export interface MacSecurityCounters {
  txSecured: number;
  rxSecured: number;
  /** Secured frames whose MIC did not verify, or with another key, key ID mode or level. */
  rxSecurityErrors: number;
  /** Frames that verified but carried a frame counter below the sender's next expected one. */
  rxReplayDropped: number;
  /** Unsecured data frames while security is on (§7.5.8.2.3: improper security level). */
  rxInsecureDropped: number;
}

/**
 * A new board has no memory of the counters it used before a reset; a real one keeps
 * its macFrameCounter in non-volatile storage, ahead of use (thread.md §3, "Persistence").
 * The stack has no storage, but bench time only moves forward across resets, and no
 * frame exchange takes less than 256 µs of air (a 15-byte minimum PPDU is 480 µs at
 * 250 kbit/s, ieee802154-6lowpan.md §1), so a counter started at now / 256 µs is above
 * every counter this board used before. 2^32 × 256 µs ≈ 12 days of bench time.
 */
export function initialFrameCounter(now: Micros): number {
  return Math.floor(now / 256) >>> 0;
}

export class MacFrameSecurity {
  readonly counters: MacSecurityCounters = { txSecured: 0, rxSecured: 0, rxSecurityErrors: 0, rxReplayDropped: 0, rxInsecureDropped: 0 };
  private readonly replay = new ReplayGuard<string>();

  constructor(
    readonly config: Readonly<MacKeyConfig>,
    /** macFrameCounter: the counter of our next secured frame. */
    public frameCounter: number,
  ) {
    if (config.key.length !== 16) throw new RangeError(`MAC key must be 16 bytes, got ${config.key.length}`);
    if (!Number.isInteger(config.keyIndex) || config.keyIndex < 1 || config.keyIndex > 255) throw new RangeError(`key index ${config.keyIndex} must be 1..255`);
    if (!Number.isInteger(config.level) || config.level < 1 || config.level > 7) throw new RangeError(`security level ${config.level} must be 1..7`);
  }

  /** Bytes a secured frame carries beyond an unsecured one: aux header and MIC. */
  get overhead(): number {
    return auxSecurityHeaderLength(this.header(0)) + micLengthOf(this.config.level);
  }

  /** The security of our next data frame; takes a frame counter (one per frame, retries reuse it). */
  outgoing(extAddress: Uint8Array): MacSecurityRequest {
    const frameCounter = this.frameCounter;
    this.frameCounter = (this.frameCounter + 1) >>> 0;
    this.counters.txSecured++;
    const { key, level } = this.config;
    return {
      header: this.header(frameCounter),
      secure: (h, p) => secureMacPayload(h, p, { key, extAddress, frameCounter, securityLevel: level }),
    };
  }

  /**
   * The incoming frame procedure (§7.5.8.2.3) for a data frame: `header` is the MHR
   * through the aux header, `secured` what follows it (FCS excluded), `srcExt` the
   * sender's extended address (EUI-64 order). The plaintext, or undefined = drop.
   */
  incoming(sec: AuxSecurityHeader | undefined, header: Uint8Array, secured: Uint8Array, srcExt: Uint8Array | undefined): Uint8Array | undefined {
    if (!sec) {
      this.counters.rxInsecureDropped++;
      return undefined;
    }
    const { key, level, keyIndex } = this.config;
    // Key lookup by key ID mode 1 and index (§7.5.8.2.2); one level for every data frame.
    if (sec.keyId.mode !== 1 || sec.keyId.index !== keyIndex || sec.level !== level || !srcExt) {
      this.counters.rxSecurityErrors++;
      return undefined;
    }
    const opened = unsecureMacPayload(header, secured, { key, extAddress: srcExt, frameCounter: sec.frameCounter, securityLevel: level });
    if (!opened.ok) {
      this.counters.rxSecurityErrors++;
      return undefined;
    }
    // After the MIC verified, or a forger could move the state. A sender heard for the
    // first time starts its entry at the counter it used; then FrameCounter + 1 (§7.5.8.2.3).
    const sender = toHex(srcExt);
    if (!this.replay.get(sender)) this.replay.establish(sender, { keySequence: 0, mleFrameCounter: 0, linkFrameCounter: sec.frameCounter });
    if (!this.replay.admit(sender, 'link', 0, sec.frameCounter).accept || sec.frameCounter === 0xffffffff) {
      this.counters.rxReplayDropped++;
      return undefined;
    }
    this.counters.rxSecured++;
    return opened.value;
  }

  private header(frameCounter: number): AuxSecurityHeader {
    return { level: this.config.level, keyId: { mode: 1, index: this.config.keyIndex }, frameCounter };
  }
}
