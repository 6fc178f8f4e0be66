// Spinel (draft-rquattle-spinel-unified; OpenThread's src/lib/spinel/spinel.h is the
// reference for the numbers): a frame is a header byte, a command and its payload;
// property commands carry a property key and a value. Integers are little-endian;
// commands and keys are packed unsigned integers (§7.2).
import { err, ok, type Result } from '../../stack/wire/result.ts';

/** §3.2 / spinel.h SPINEL_CMD_*. */
export const Cmd = {
  NOOP: 0,
  RESET: 1,
  PROP_VALUE_GET: 2,
  PROP_VALUE_SET: 3,
  PROP_VALUE_INSERT: 4,
  PROP_VALUE_REMOVE: 5,
  PROP_VALUE_IS: 6,
  PROP_VALUE_INSERTED: 7,
  PROP_VALUE_REMOVED: 8,
} as const;

/** spinel.h SPINEL_PROP_*: core (0x00–), PHY (0x20–), MAC (0x30–), streams (0x70–), PHY/MAC extensions (0x1200–, 0x1300–). */
export const Prop = {
  LAST_STATUS: 0x00,
  PROTOCOL_VERSION: 0x01,
  NCP_VERSION: 0x02,
  INTERFACE_TYPE: 0x03,
  CAPS: 0x05,
  HWADDR: 0x08,
  PHY_ENABLED: 0x20,
  PHY_CHAN: 0x21,
  PHY_CHAN_SUPPORTED: 0x22,
  PHY_CCA_THRESHOLD: 0x24,
  PHY_TX_POWER: 0x25,
  PHY_RSSI: 0x26,
  PHY_RX_SENSITIVITY: 0x27,
  MAC_SCAN_STATE: 0x30,
  MAC_15_4_LADDR: 0x34,
  MAC_15_4_SADDR: 0x35,
  MAC_15_4_PANID: 0x36,
  MAC_RAW_STREAM_ENABLED: 0x37,
  MAC_PROMISCUOUS_MODE: 0x38,
  STREAM_DEBUG: 0x70,
  STREAM_RAW: 0x71,
  STREAM_LOG: 0x74,
  RADIO_CAPS: 0x120b,
  MAC_SRC_MATCH_ENABLED: 0x1303,
  MAC_SRC_MATCH_SHORT_ADDRESSES: 0x1304,
  MAC_SRC_MATCH_EXTENDED_ADDRESSES: 0x1305,
  RCP_API_VERSION: 0xb0,
  RCP_MIN_HOST_API_VERSION: 0xb1,
} as const;

/** §6 / spinel.h SPINEL_STATUS_*. */
export const Status = {
  OK: 0,
  FAILURE: 1,
  UNIMPLEMENTED: 2,
  INVALID_ARGUMENT: 3,
  INVALID_STATE: 4,
  INVALID_COMMAND: 5,
  INVALID_INTERFACE: 6,
  INTERNAL_ERROR: 7,
  SECURITY_ERROR: 8,
  PARSE_ERROR: 9,
  IN_PROGRESS: 10,
  NOMEM: 11,
  BUSY: 12,
  PROP_NOT_FOUND: 13,
  DROPPED: 14,
  EMPTY: 15,
  CMD_TOO_BIG: 16,
  NO_ACK: 17,
  CCA_FAILURE: 18,
  ALREADY: 19,
  ITEM_NOT_FOUND: 20,
  INVALID_COMMAND_FOR_PROP: 21,
  /** 112–127: the NCP reset; the offset names why. */
  RESET_POWER_ON: 112,
  RESET_EXTERNAL: 113,
  RESET_SOFTWARE: 114,
  RESET_FAULT: 115,
  RESET_CRASH: 116,
  RESET_ASSERT: 117,
  RESET_OTHER: 118,
  RESET_UNKNOWN: 119,
  RESET_WATCHDOG: 120,
} as const;

export const RESET_STATUS_FIRST = 112;
export const RESET_STATUS_LAST = 127;

export function isResetStatus(status: number): boolean {
  return status >= RESET_STATUS_FIRST && status <= RESET_STATUS_LAST;
}

const STATUS_NAMES = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, k]));
export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? (isResetStatus(status) ? `RESET_${status - RESET_STATUS_FIRST}` : `STATUS_${status}`);
}

/** spinel.h SPINEL_CAP_*: the few a host of an RCP looks for. */
export const Cap = {
  CONFIG_FTD: 32,
  CONFIG_MTD: 33,
  CONFIG_RADIO: 34,
  RCP_API_VERSION: 64,
  RCP_MIN_HOST_API_VERSION: 65,
  MAC_RAW: 513,
} as const;

/** spinel.h SPINEL_MAC_PROMISCUOUS_MODE_*. */
export const Promiscuous = { OFF: 0, NETWORK: 1, FULL: 2 } as const;

const PROP_NAMES = new Map<number, string>(Object.entries(Prop).map(([k, v]) => [v, k]));
export function propName(key: number): string {
  return PROP_NAMES.get(key) ?? `PROP_0x${key.toString(16)}`;
}
const CMD_NAMES = new Map<number, string>(Object.entries(Cmd).map(([k, v]) => [v, k]));
export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `CMD_${cmd}`;
}

// ---- packed unsigned integers (§7.2): 7 bits per byte, least significant group first, bit 7 = more ----

/** §7.2 limits packed integers to 21 bits (three bytes). */
export const PACKED_UINT_MAX = 0x1fffff;

export function emitPackedUint(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > PACKED_UINT_MAX) throw new RangeError(`packed unsigned integer ${value} is outside 0..${PACKED_UINT_MAX}`);
  const out: number[] = [];
  let v = value;
  do {
    const group = v & 0x7f;
    v >>>= 7;
    out.push(v ? group | 0x80 : group);
  } while (v);
  return Uint8Array.from(out);
}

export function parsePackedUint(bytes: Uint8Array, offset = 0): Result<{ value: number; length: number }> {
  let value = 0;
  for (let i = 0; i < 3; i++) {
    const b = bytes[offset + i];
    if (b === undefined) return err('truncated', `packed integer at offset ${offset} ends after ${i} bytes`);
    value |= (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return ok({ value, length: i + 1 });
  }
  return err('malformed', `packed integer at offset ${offset} is longer than 3 bytes`);
}

// ---- frames (§3) ----

export interface SpinelFrame {
  /** Interface id, 0..3 (§3.1.2). */
  iid: number;
  /** Transaction id, 0..15; 0 = unsolicited, no answer expected (§3.1.3). */
  tid: number;
  command: number;
  /** The bytes after the command. */
  payload: Uint8Array;
}

export function emitSpinelFrame(f: SpinelFrame): Uint8Array {
  if (f.iid < 0 || f.iid > 3 || f.tid < 0 || f.tid > 15) throw new RangeError(`iid ${f.iid} / tid ${f.tid} out of range`);
  const header = 0x80 | (f.iid << 4) | f.tid;
  return Uint8Array.from([header, ...emitPackedUint(f.command), ...f.payload]);
}

export function parseSpinelFrame(bytes: Uint8Array): Result<SpinelFrame> {
  const header = bytes[0];
  if (header === undefined) return err('truncated', 'empty Spinel frame');
  if ((header & 0xc0) !== 0x80) return err('malformed', `header 0x${header.toString(16)}: flag bits are not 10`);
  const cmd = parsePackedUint(bytes, 1);
  if (!cmd.ok) return cmd;
  return ok({ iid: (header >> 4) & 3, tid: header & 0x0f, command: cmd.value.value, payload: bytes.subarray(1 + cmd.value.length) });
}

/** A property command (GET/SET/INSERT/REMOVE and their answers): key and value. */
export interface PropPayload {
  key: number;
  value: Uint8Array;
}

export function emitPropPayload(p: PropPayload): Uint8Array {
  return Uint8Array.from([...emitPackedUint(p.key), ...p.value]);
}

export function parsePropPayload(payload: Uint8Array): Result<PropPayload> {
  const key = parsePackedUint(payload, 0);
  if (!key.ok) return key;
  return ok({ key: key.value.value, value: payload.subarray(key.value.length) });
}

export function isPropCommand(cmd: number): boolean {
  return cmd >= Cmd.PROP_VALUE_GET && cmd <= Cmd.PROP_VALUE_REMOVED;
}

// ---- data types (§7.1) ----

/** Reads §7.1 primitive types in order; every read checks the length. */
export class SpinelReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  private take(n: number, what: string): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new SpinelParseError('truncated', `${what}: needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u8(what = 'uint8'): number {
    return this.take(1, what)[0]!;
  }
  i8(what = 'int8'): number {
    const v = this.u8(what);
    return v > 127 ? v - 256 : v;
  }
  bool(what = 'bool'): boolean {
    const v = this.u8(what);
    if (v > 1) throw new SpinelParseError('malformed', `${what}: boolean byte ${v}`);
    return v === 1;
  }
  u16(what = 'uint16'): number {
    const b = this.take(2, what);
    return b[0]! | (b[1]! << 8);
  }
  u32(what = 'uint32'): number {
    const b = this.take(4, what);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  u64(what = 'uint64'): bigint {
    const b = this.take(8, what);
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }
  packed(what = 'packed uint'): number {
    const r = parsePackedUint(this.bytes, this.pos);
    if (!r.ok) throw new SpinelParseError(r.error.code === 'truncated' ? 'truncated' : 'malformed', `${what}: ${r.error.message}`);
    this.pos += r.value.length;
    return r.value.value;
  }
  eui64(what = 'EUI-64'): Uint8Array {
    return this.take(8, what).slice();
  }
  /** `d`: a uint16 length, then that many bytes. */
  dataWithLength(what = 'data'): Uint8Array {
    const n = this.u16(`${what} length`);
    return this.take(n, what).slice();
  }
  /** `D`: the rest. */
  rest(): Uint8Array {
    return this.take(this.remaining, 'data').slice();
  }
  /** `U`: UTF-8, NUL-terminated. */
  utf8(what = 'string'): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) throw new SpinelParseError('truncated', `${what}: no terminating NUL`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  /** `t(...)`: a uint16 length, then a struct read from those bytes. */
  struct(what = 'struct'): SpinelReader {
    return new SpinelReader(this.dataWithLength(what));
  }
}

export class SpinelParseError extends Error {
  constructor(
    readonly code: 'truncated' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

/** Runs a reader over `bytes`; a short or bad field becomes an error value. */
export function readAll<T>(bytes: Uint8Array, read: (r: SpinelReader) => T): Result<T> {
  try {
    return ok(read(new SpinelReader(bytes)));
  } catch (e) {
    if (e instanceof SpinelParseError) return err(e.code, e.message);
    throw e;
  }
}

export const enc = {
  u8: (v: number) => Uint8Array.of(v & 0xff),
  i8: (v: number) => Uint8Array.of(v & 0xff),
  bool: (v: boolean) => Uint8Array.of(v ? 1 : 0),
  u16: (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff),
  u32: (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff),
  packed: emitPackedUint,
  dataWithLength: (b: Uint8Array) => Uint8Array.from([b.length & 0xff, b.length >> 8, ...b]),
  concat: (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p])),
};

// ---- the values an RCP host reads and writes ----

/** `LAST_STATUS` (`i`). */
export function parseLastStatus(value: Uint8Array): Result<number> {
  return readAll(value, (r) => r.packed('status'));
}

/** `CAPS` (`A(i)`): a list of packed integers. */
export function parseCaps(value: Uint8Array): Result<number[]> {
  return readAll(value, (r) => {
    const caps: number[] = [];
    while (r.remaining > 0) caps.push(r.packed('capability'));
    return caps;
  });
}

/** `PROTOCOL_VERSION` (`ii`): major, minor. */
export function parseProtocolVersion(value: Uint8Array): Result<{ major: number; minor: number }> {
  return readAll(value, (r) => ({ major: r.packed('major'), minor: r.packed('minor') }));
}

/** `NCP_VERSION` (`U`). */
export function parseNcpVersion(value: Uint8Array): Result<string> {
  return readAll(value, (r) => r.utf8('NCP version'));
}

/**
 * A frame the RCP hands up on `STREAM_RAW` (spinel.h, SPINEL_PROP_STREAM_RAW; OpenThread's
 * RadioSpinel::ParseRadioFrame): `d` PSDU (FCS included), `c` RSSI, `c` noise floor,
 * `S` flags, `t(CCX)` PHY data (channel, LQI, timestamp µs), `t(i)` vendor data (receive error).
 */
export interface RawRxFrame {
  psdu: Uint8Array;
  rssiDbm: number;
  noiseFloorDbm: number;
  flags: number;
  channel: number;
  lqi: number;
  timestampUs: bigint;
  /** An otError; 0 = the frame is good. */
  receiveError: number;
}

/** SPINEL_MD_FLAG_*: in the received frame's flags. */
export const RxFlag = { TX: 0x0001, BAD_FCS: 0x0004, DUPE: 0x0008, ACKED_FP: 0x0010, ACKED_SEC: 0x0020 } as const;

export function parseRawRxFrame(value: Uint8Array): Result<RawRxFrame> {
  return readAll(value, (r) => {
    const psdu = r.dataWithLength('PSDU');
    const rssiDbm = r.i8('RSSI');
    const noiseFloorDbm = r.i8('noise floor');
    const flags = r.u16('flags');
    const phy = r.struct('PHY data');
    const channel = phy.u8('channel');
    const lqi = phy.u8('LQI');
    const timestampUs = phy.u64('timestamp');
    const vendor = r.struct('vendor data');
    const receiveError = vendor.packed('receive error');
    return { psdu, rssiDbm, noiseFloorDbm, flags, channel, lqi, timestampUs, receiveError };
  });
}

export function emitRawRxFrame(f: RawRxFrame): Uint8Array {
  const ts = new Uint8Array(8);
  let t = f.timestampUs;
  for (let i = 0; i < 8; i++) {
    ts[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  const phy = enc.concat(enc.u8(f.channel), enc.u8(f.lqi), ts);
  return enc.concat(enc.dataWithLength(f.psdu), enc.i8(f.rssiDbm), enc.i8(f.noiseFloorDbm), enc.u16(f.flags), enc.dataWithLength(phy), enc.dataWithLength(enc.packed(f.receiveError)));
}

/**
 * A frame handed down on `STREAM_RAW` for the RCP's sub-MAC to send (OpenThread's
 * RadioSpinel::Transmit): `d` PSDU (FCS bytes included, the radio fills them), `C` channel,
 * `C` max CSMA backoffs, `C` max frame retries, `b` CSMA-CA enabled, `b` header updated,
 * `b` is a retransmission, `b` security processed, `L` transmit delay, `L` its base time,
 * `C` receive channel after the transmit. The RCP reads each field after the fifth only
 * if present; left out, "security processed" is false and an RCP that secures frames
 * itself (radio caps tx-security) would secure a frame the host secured already.
 */
export interface RawTxRequest {
  psdu: Uint8Array;
  channel: number;
  maxCsmaBackoffs: number;
  maxFrameRetries: number;
  csmaCa: boolean;
  headerUpdated: boolean;
  isRetransmission: boolean;
  securityProcessed: boolean;
  txDelay: number;
  txDelayBaseTime: number;
  rxChannelAfterTxDone: number;
}

export function emitRawTxRequest(t: RawTxRequest): Uint8Array {
  return enc.concat(
    enc.dataWithLength(t.psdu),
    enc.u8(t.channel),
    enc.u8(t.maxCsmaBackoffs),
    enc.u8(t.maxFrameRetries),
    enc.bool(t.csmaCa),
    enc.bool(t.headerUpdated),
    enc.bool(t.isRetransmission),
    enc.bool(t.securityProcessed),
    enc.u32(t.txDelay),
    enc.u32(t.txDelayBaseTime),
    enc.u8(t.rxChannelAfterTxDone),
  );
}

export function parseRawTxRequest(value: Uint8Array): Result<RawTxRequest> {
  return readAll(value, (r) => ({
    psdu: r.dataWithLength('PSDU'),
    channel: r.u8('channel'),
    maxCsmaBackoffs: r.u8('max CSMA backoffs'),
    maxFrameRetries: r.u8('max frame retries'),
    csmaCa: r.bool('CSMA-CA enabled'),
    headerUpdated: r.bool('header updated'),
    isRetransmission: r.bool('is a retransmission'),
    securityProcessed: r.bool('security processed'),
    txDelay: r.u32('transmit delay'),
    txDelayBaseTime: r.u32('transmit delay base time'),
    rxChannelAfterTxDone: r.u8('receive channel after the transmit'),
  }));
}

/**
 * The answer to a transmit (OpenThread's RadioSpinel::HandleTransmitDone): `LAST_STATUS`
 * with `i` status, `b` frame pending (in the ACK), `b` header updated, then, on
 * success and when an ACK came, the ACK as a `STREAM_RAW` frame.
 */
export interface TxDone {
  status: number;
  framePending: boolean;
  headerUpdated: boolean;
  ack: RawRxFrame | undefined;
}

export function parseTxDone(value: Uint8Array): Result<TxDone> {
  return readAll(value, (r) => {
    const status = r.packed('status');
    const framePending = r.remaining > 0 ? r.bool('frame pending') : false;
    const headerUpdated = r.remaining > 0 ? r.bool('header updated') : false;
    let ack: RawRxFrame | undefined;
    if (status === Status.OK && r.remaining > 0) {
      const parsed = parseRawRxFrame(r.rest());
      if (!parsed.ok) throw new SpinelParseError(parsed.error.code === 'truncated' ? 'truncated' : 'malformed', `ACK: ${parsed.error.message}`);
      ack = parsed.value;
    }
    return { status, framePending, headerUpdated, ack };
  });
}
