// Mesh Link Establishment (MLE) messages, as Thread carries them in UDP port 19788.
//
// Two layers, two codec pairs:
// - the UDP payload: security suite byte, then either the aux security header,
//   the still-encrypted command + TLVs and the MIC (suite 0), or the command + TLVs
//   in the clear (suite 255): `parseMleFrame` / `emitMleFrame`;
// - the (decrypted) message: command byte then TLVs: `parseMleMessage` / `emitMleMessage`.
// Encryption itself lives in stack/thread/mle-security.ts.
//
// Sources: OpenThread `mle.hpp` (SecuritySuite, SecurityHeader, Command),
// `mle_tlvs.hpp`, `mle_types.hpp` (DeviceMode); IEEE 802.15.4-2006 §7.6.2 (aux header).
import { ByteReader, ByteWriter } from './bytes.ts';
import { err, ok } from './result.ts';
import type { Result } from './result.ts';

/** OpenThread `kUdpPort`, `mle_types.hpp`. */
export const MLE_UDP_PORT = 19788;

// ---------------------------------------------------------------------------
// Security suite and aux security header

/** First byte of the UDP payload (OpenThread `enum SecuritySuite`, `mle.hpp`). */
export const MLE_SUITE_802154 = 0;
export const MLE_SUITE_NONE = 255;

/**
 * Key identifier of the aux security header (IEEE 802.15.4-2006 §7.6.2.4).
 * MLE uses mode 2, whose 4-byte key source is the Thread key sequence, big-endian.
 */
export type MleKeyId =
  | { mode: 0 }
  | { mode: 1; keyIndex: number }
  | { mode: 2; keySequence: number; keyIndex: number }
  | { mode: 3; keySource: Uint8Array; keyIndex: number };

export interface MleAuxHeader {
  /** IEEE 802.15.4-2006 Table 95; MLE always uses 5 (ENC-MIC-32). */
  securityLevel: number;
  keyId: MleKeyId;
  /** Little-endian on air. */
  frameCounter: number;
  /** Security control bits 7–5 (reserved in 802.15.4-2006), kept so a frame round-trips. */
  controlReserved: number;
}

/** Security control 0x15 = key ID mode 2 (`2 << 3`) | level 5: what MLE sends (OpenThread `SecurityHeader`). */
export const MLE_SECURITY_CONTROL = 0x15;
export const MLE_SECURITY_LEVEL = 5;

// Key identifier field lengths by key ID mode (IEEE 802.15.4-2006 Table 96).
const KEY_ID_LENGTH = [0, 1, 5, 9] as const;
// MIC length by security level & 3 (IEEE 802.15.4-2006 Table 95).
const MIC_LENGTH = [0, 4, 8, 16] as const;

export function mleMicLength(securityLevel: number): number {
  return MIC_LENGTH[securityLevel & 3] ?? 0;
}

export function mleAuxHeaderLength(aux: MleAuxHeader): number {
  return 1 + 4 + (KEY_ID_LENGTH[aux.keyId.mode] ?? 0);
}

/** The aux security header that opens a secured MLE frame, and how many bytes it took. */
export function parseMleAuxHeader(bytes: Uint8Array): Result<{ header: MleAuxHeader; length: number }> {
  const r = new ByteReader(bytes);
  if (!r.has(5)) return err('truncated', 'MLE aux security header: need control and frame counter');
  const control = r.u8();
  const securityLevel = control & 0x07;
  const mode = ((control >> 3) & 0x03) as MleKeyId['mode'];
  const frameCounter = r.u32le();
  if (!r.has(KEY_ID_LENGTH[mode])) return err('truncated', `MLE aux security header: key identifier (mode ${mode})`);
  let keyId: MleKeyId;
  switch (mode) {
    case 0:
      keyId = { mode };
      break;
    case 1:
      keyId = { mode, keyIndex: r.u8() };
      break;
    case 2: {
      const keySequence = r.u32be();
      keyId = { mode, keySequence, keyIndex: r.u8() };
      break;
    }
    case 3: {
      const keySource = r.take(8).slice();
      keyId = { mode, keySource, keyIndex: r.u8() };
      break;
    }
  }
  return ok({ header: { securityLevel, keyId, frameCounter, controlReserved: control & 0xe0 }, length: r.offset });
}

export function emitMleAuxHeader(aux: MleAuxHeader): Uint8Array {
  const w = new ByteWriter(16);
  writeAuxHeader(aux, w);
  return w.finish();
}

function writeAuxHeader(aux: MleAuxHeader, w: ByteWriter): void {
  const k = aux.keyId;
  w.u8((aux.controlReserved & 0xe0) | (k.mode << 3) | (aux.securityLevel & 0x07));
  w.u32le(aux.frameCounter);
  if (k.mode === 2) w.u32be(k.keySequence);
  if (k.mode === 3) {
    if (k.keySource.length !== 8) throw new RangeError('MLE aux header: mode 3 key source must be 8 bytes');
    w.bytes(k.keySource);
  }
  if (k.mode !== 0) w.u8(k.keyIndex);
}

/** The aux header MLE sends: key ID mode 2, level 5, key index (seq & 0x7f) + 1. */
export function mleAuxHeaderFor(keySequence: number, frameCounter: number): MleAuxHeader {
  return {
    securityLevel: MLE_SECURITY_LEVEL,
    keyId: { mode: 2, keySequence: keySequence >>> 0, keyIndex: (keySequence & 0x7f) + 1 },
    frameCounter: frameCounter >>> 0,
    controlReserved: 0,
  };
}

// ---------------------------------------------------------------------------
// The UDP payload

export type MleFrame =
  /** Suite 0: command + TLVs encrypted, then the MIC (length from the security level). */
  | { suite: 'ieee802154'; aux: MleAuxHeader; encrypted: Uint8Array; mic: Uint8Array }
  /** Suite 255: command + TLVs in the clear (only Discovery Request/Response may use it). */
  | { suite: 'none'; body: Uint8Array }
  | { suite: 'unknown'; code: number; rest: Uint8Array };

export function parseMleFrame(bytes: Uint8Array): Result<MleFrame> {
  const r = new ByteReader(bytes);
  if (!r.has(1)) return err('truncated', 'MLE security suite: empty payload');
  const suite = r.u8();
  if (suite === MLE_SUITE_NONE) return ok({ suite: 'none', body: r.rest().slice() });
  if (suite !== MLE_SUITE_802154) return ok({ suite: 'unknown', code: suite, rest: r.rest().slice() });
  const aux = parseMleAuxHeader(bytes.subarray(r.offset));
  if (!aux.ok) return aux;
  r.take(aux.value.length);
  const micLength = mleMicLength(aux.value.header.securityLevel);
  if (!r.has(micLength)) return err('truncated', `MLE MIC: need ${micLength} bytes, got ${r.remaining}`);
  const encrypted = r.take(r.remaining - micLength).slice();
  return ok({ suite: 'ieee802154', aux: aux.value.header, encrypted, mic: r.rest().slice() });
}

export function emitMleFrame(frame: MleFrame): Uint8Array {
  const w = new ByteWriter(128);
  switch (frame.suite) {
    case 'none':
      return w.u8(MLE_SUITE_NONE).bytes(frame.body).finish();
    case 'unknown':
      return w.u8(frame.code).bytes(frame.rest).finish();
    case 'ieee802154':
      w.u8(MLE_SUITE_802154);
      writeAuxHeader(frame.aux, w);
      return w.bytes(frame.encrypted).bytes(frame.mic).finish();
  }
}

// ---------------------------------------------------------------------------
// Commands (OpenThread `enum Command`, `mle.hpp`)

export const MLE_COMMANDS = {
  linkRequest: 0,
  linkAccept: 1,
  linkAcceptAndRequest: 2,
  linkReject: 3,
  advertisement: 4,
  update: 5,
  updateRequest: 6,
  dataRequest: 7,
  dataResponse: 8,
  parentRequest: 9,
  parentResponse: 10,
  childIdRequest: 11,
  childIdResponse: 12,
  childUpdateRequest: 13,
  childUpdateResponse: 14,
  announce: 15,
  discoveryRequest: 16,
  discoveryResponse: 17,
  linkMetricsManagementRequest: 18,
  linkMetricsManagementResponse: 19,
  linkProbe: 20,
  timeSync: 99,
} as const;

export type MleCommandName = keyof typeof MLE_COMMANDS;
export type MleCommand = MleCommandName | { kind: 'unknown'; code: number };

const COMMAND_BY_CODE = new Map<number, MleCommandName>(
  Object.entries(MLE_COMMANDS).map(([name, code]) => [code, name as MleCommandName]),
);

export function mleCommandFromCode(code: number): MleCommand {
  return COMMAND_BY_CODE.get(code) ?? { kind: 'unknown', code };
}

export function mleCommandCode(command: MleCommand): number {
  return typeof command === 'string' ? MLE_COMMANDS[command] : command.code;
}

// ---------------------------------------------------------------------------
// TLV value layouts

/** Mode TLV (`DeviceMode`, `mle_types.hpp`). */
export interface DeviceMode {
  /** Bit 3, R. */
  rxOnWhenIdle: boolean;
  /** Bit 2, S: secure data requests in Thread 1.1, reserved later. */
  secureDataRequests: boolean;
  /** Bit 1, D: full Thread device. */
  fullThreadDevice: boolean;
  /** Bit 0, N: full network data. */
  fullNetworkData: boolean;
  /** Bits 7–4, reserved; kept for round-trips. */
  reserved: number;
}

/** Leader Data TLV, 8 bytes (`LeaderDataTlv`, `mle_tlvs.hpp`). */
export interface LeaderData {
  partitionId: number;
  weighting: number;
  dataVersion: number;
  stableDataVersion: number;
  leaderRouterId: number;
}

/** One Route64 entry: bits 7–6 LQ out, 5–4 LQ in, 3–0 route cost (`RouteTlv`, `mle_tlvs.hpp`). */
export interface Route64Entry {
  routerId: number;
  linkQualityOut: number;
  linkQualityIn: number;
  routeCost: number;
}

export interface Route64 {
  idSequence: number;
  /** One entry per router ID set in the mask, ascending router ID. */
  routes: Route64Entry[];
}

/** Scan Mask TLV: bit 7 routers, bit 6 end devices (REEDs) answer (`ScanMaskTlv`). */
export interface ScanMask {
  routers: boolean;
  endDevices: boolean;
  reserved: number;
}

/** Connectivity TLV, 7 or 10 bytes (`ConnectivityTlv`, `mle_tlvs.hpp`). */
export interface Connectivity {
  /** Bits 7–6 of byte 0 as a signed 2-bit value: 1 high, 0 medium, −1 low, −2 reserved. */
  parentPriority: number;
  /** Bits 5–0 of byte 0, reserved. */
  flagsReserved: number;
  linkQuality3: number;
  linkQuality2: number;
  linkQuality1: number;
  leaderCost: number;
  idSequence: number;
  activeRouters: number;
  /** Present in the 10-byte form only. */
  sed?: { bufferSize: number; datagramCount: number };
}

/** Address Registration TLV entry (`AddressRegistrationEntry`, `mle_tlvs.hpp`). */
export type AddressRegistrationEntry =
  /** Control bit 7 set: context ID in bits 3–0, then an 8-byte IID. */
  | { compressed: true; contextId: number; iid: Uint8Array }
  /** Control bit 7 clear: the full 16-byte address follows. */
  | { compressed: false; address: Uint8Array };

/** Channel TLV: page (1) + channel (2). */
export interface ChannelTlv {
  page: number;
  channel: number;
}

/**
 * Active/Pending Timestamp: seconds (48 bits), ticks (15 bits, 1/32768 s), U bit
 * ("authoritative") in bit 0 of the last two bytes (OpenThread `meshcop/timestamp.hpp`).
 */
export interface Timestamp {
  seconds: number;
  ticks: number;
  authoritative: boolean;
}

interface LayoutTypes {
  uint8: number;
  uint16: number;
  uint32: number;
  bytes: Uint8Array;
  challenge: Uint8Array;
  mode: DeviceMode;
  leaderData: LeaderData;
  route64: Route64;
  tlvTypes: number[];
  scanMask: ScanMask;
  connectivity: Connectivity;
  addressRegistration: AddressRegistrationEntry[];
  channel: ChannelTlv;
  timestamp: Timestamp;
}

export type MleTlvLayout = keyof LayoutTypes;

/** What a layout says about a value that does not fit it. */
class Invalid {
  constructor(readonly why: string) {}
}

interface LayoutCodec<T> {
  /** Returns the value, or an `Invalid` saying what is wrong with it. */
  parse(v: Uint8Array): T | Invalid;
  emit(value: T, w: ByteWriter): void;
}

const invalid = (why: string) => new Invalid(why);
const exact = (v: Uint8Array, n: number): string | undefined =>
  v.length === n ? undefined : `length ${v.length}, expected ${n}`;

function uintCodec(size: 1 | 2 | 4): LayoutCodec<number> {
  return {
    parse(v) {
      const bad = exact(v, size);
      if (bad) return invalid(bad);
      const r = new ByteReader(v);
      return size === 1 ? r.u8() : size === 2 ? r.u16be() : r.u32be();
    },
    emit(value, w) {
      if (size === 1) w.u8(value);
      else if (size === 2) w.u16be(value);
      else w.u32be(value);
    },
  };
}

const LAYOUTS: { [L in MleTlvLayout]: LayoutCodec<LayoutTypes[L]> } = {
  uint8: uintCodec(1),
  uint16: uintCodec(2),
  uint32: uintCodec(4),
  bytes: {
    parse: (v) => v.slice(),
    emit: (value, w) => void w.bytes(value),
  },
  // Challenge / Response: 4–8 bytes (`ChallengeTlv`, `mle_tlvs.hpp`).
  challenge: {
    parse: (v) => (v.length >= 4 && v.length <= 8 ? v.slice() : invalid(`length ${v.length}, expected 4–8`)),
    emit: (value, w) => void w.bytes(value),
  },
  mode: {
    parse(v) {
      const bad = exact(v, 1);
      if (bad) return invalid(bad);
      const b = v[0] ?? 0;
      return {
        rxOnWhenIdle: (b & 0x08) !== 0,
        secureDataRequests: (b & 0x04) !== 0,
        fullThreadDevice: (b & 0x02) !== 0,
        fullNetworkData: (b & 0x01) !== 0,
        reserved: b & 0xf0,
      };
    },
    emit(m, w) {
      w.u8(
        (m.reserved & 0xf0) |
          (m.rxOnWhenIdle ? 0x08 : 0) |
          (m.secureDataRequests ? 0x04 : 0) |
          (m.fullThreadDevice ? 0x02 : 0) |
          (m.fullNetworkData ? 0x01 : 0),
      );
    },
  },
  leaderData: {
    parse(v) {
      const bad = exact(v, 8);
      if (bad) return invalid(bad);
      const r = new ByteReader(v);
      return {
        partitionId: r.u32be(),
        weighting: r.u8(),
        dataVersion: r.u8(),
        stableDataVersion: r.u8(),
        leaderRouterId: r.u8(),
      };
    },
    emit(d, w) {
      w.u32be(d.partitionId).u8(d.weighting).u8(d.dataVersion).u8(d.stableDataVersion).u8(d.leaderRouterId);
    },
  },
  route64: {
    parse(v) {
      if (v.length < 9) return invalid(`length ${v.length}, need ID sequence and 8-byte router mask`);
      const r = new ByteReader(v);
      const idSequence = r.u8();
      const mask = r.take(8);
      const routes: Route64Entry[] = [];
      // Router n is bit 0x80 >> (n % 8) of mask byte n / 8.
      for (let id = 0; id < 64; id++) {
        if (((mask[id >> 3] ?? 0) & (0x80 >> (id & 7))) === 0) continue;
        if (!r.has(1)) return invalid(`router mask names more routers than route bytes (${v.length - 9})`);
        const b = r.u8();
        routes.push({ routerId: id, linkQualityOut: b >> 6, linkQualityIn: (b >> 4) & 3, routeCost: b & 0x0f });
      }
      if (r.remaining !== 0) return invalid(`${r.remaining} route bytes beyond the routers in the mask`);
      return { idSequence, routes };
    },
    emit(route, w) {
      const sorted = [...route.routes].sort((a, b) => a.routerId - b.routerId);
      const mask = new Uint8Array(8);
      for (const e of sorted) {
        if (e.routerId < 0 || e.routerId > 62) throw new RangeError(`Route64: router ID ${e.routerId} out of range`);
        mask[e.routerId >> 3] = (mask[e.routerId >> 3] ?? 0) | (0x80 >> (e.routerId & 7));
      }
      w.u8(route.idSequence).bytes(mask);
      for (const e of sorted) w.u8(((e.linkQualityOut & 3) << 6) | ((e.linkQualityIn & 3) << 4) | (e.routeCost & 0x0f));
    },
  },
  tlvTypes: {
    parse: (v) => Array.from(v),
    emit: (types, w) => void types.forEach((t) => w.u8(t)),
  },
  scanMask: {
    parse(v) {
      const bad = exact(v, 1);
      if (bad) return invalid(bad);
      const b = v[0] ?? 0;
      return { routers: (b & 0x80) !== 0, endDevices: (b & 0x40) !== 0, reserved: b & 0x3f };
    },
    emit: (m, w) => void w.u8((m.routers ? 0x80 : 0) | (m.endDevices ? 0x40 : 0) | (m.reserved & 0x3f)),
  },
  connectivity: {
    parse(v) {
      if (v.length !== 7 && v.length !== 10) return invalid(`length ${v.length}, expected 7 or 10`);
      const r = new ByteReader(v);
      const flags = r.u8();
      const prio = flags >> 6;
      const c: Connectivity = {
        parentPriority: prio >= 2 ? prio - 4 : prio,
        flagsReserved: flags & 0x3f,
        linkQuality3: r.u8(),
        linkQuality2: r.u8(),
        linkQuality1: r.u8(),
        leaderCost: r.u8(),
        idSequence: r.u8(),
        activeRouters: r.u8(),
      };
      if (v.length === 10) c.sed = { bufferSize: r.u16be(), datagramCount: r.u8() };
      return c;
    },
    emit(c, w) {
      w.u8(((c.parentPriority & 3) << 6) | (c.flagsReserved & 0x3f));
      w.u8(c.linkQuality3).u8(c.linkQuality2).u8(c.linkQuality1).u8(c.leaderCost).u8(c.idSequence).u8(c.activeRouters);
      if (c.sed) w.u16be(c.sed.bufferSize).u8(c.sed.datagramCount);
    },
  },
  addressRegistration: {
    parse(v) {
      const r = new ByteReader(v);
      const entries: AddressRegistrationEntry[] = [];
      while (r.remaining > 0) {
        const control = r.u8();
        if (control & 0x80) {
          if (!r.has(8)) return invalid(`entry ${entries.length}: compressed entry needs an 8-byte IID`);
          entries.push({ compressed: true, contextId: control & 0x0f, iid: r.take(8).slice() });
        } else {
          if (!r.has(16)) return invalid(`entry ${entries.length}: full entry needs a 16-byte address`);
          entries.push({ compressed: false, address: r.take(16).slice() });
        }
      }
      return entries;
    },
    emit(entries, w) {
      for (const e of entries) {
        if (e.compressed) w.u8(0x80 | (e.contextId & 0x0f)).bytes(e.iid);
        else w.u8(0).bytes(e.address);
      }
    },
  },
  channel: {
    parse(v) {
      const bad = exact(v, 3);
      if (bad) return invalid(bad);
      const r = new ByteReader(v);
      return { page: r.u8(), channel: r.u16be() };
    },
    emit: (c, w) => void w.u8(c.page).u16be(c.channel),
  },
  timestamp: {
    parse(v) {
      const bad = exact(v, 8);
      if (bad) return invalid(bad);
      const r = new ByteReader(v);
      const seconds = r.u16be() * 2 ** 32 + r.u32be();
      const last = r.u16be();
      return { seconds, ticks: last >> 1, authoritative: (last & 1) !== 0 };
    },
    emit(t, w) {
      w.u16be(Math.floor(t.seconds / 2 ** 32)).u32be(t.seconds % 2 ** 32);
      w.u16be(((t.ticks & 0x7fff) << 1) | (t.authoritative ? 1 : 0));
    },
  },
};

// ---------------------------------------------------------------------------
// TLVs as data: one line per type (codes from `mle_tlvs.hpp`).

interface TlvInfo {
  code: number;
  /** As Wireshark and the spec name it, for error messages. */
  title: string;
  layout: MleTlvLayout;
}

export const MLE_TLVS = {
  sourceAddress: { code: 0, title: 'Source Address', layout: 'uint16' }, //          RLOC16
  mode: { code: 1, title: 'Mode', layout: 'mode' },
  timeout: { code: 2, title: 'Timeout', layout: 'uint32' }, //                        seconds
  challenge: { code: 3, title: 'Challenge', layout: 'challenge' },
  response: { code: 4, title: 'Response', layout: 'challenge' },
  linkFrameCounter: { code: 5, title: 'Link-layer Frame Counter', layout: 'uint32' },
  linkQuality: { code: 6, title: 'Link Quality', layout: 'bytes' }, //                 unused since Thread 1.1
  networkParameter: { code: 7, title: 'Network Parameter', layout: 'bytes' }, //       unused since Thread 1.1
  mleFrameCounter: { code: 8, title: 'MLE Frame Counter', layout: 'uint32' },
  route64: { code: 9, title: 'Route64', layout: 'route64' },
  address16: { code: 10, title: 'Address16', layout: 'uint16' }, //                    RLOC16
  leaderData: { code: 11, title: 'Leader Data', layout: 'leaderData' },
  networkData: { code: 12, title: 'Network Data', layout: 'bytes' }, //                nested Network Data TLVs
  tlvRequest: { code: 13, title: 'TLV Request', layout: 'tlvTypes' },
  scanMask: { code: 14, title: 'Scan Mask', layout: 'scanMask' },
  connectivity: { code: 15, title: 'Connectivity', layout: 'connectivity' },
  linkMargin: { code: 16, title: 'Link Margin', layout: 'uint8' }, //                  dB
  status: { code: 17, title: 'Status', layout: 'uint8' }, //                           1 = error
  version: { code: 18, title: 'Version', layout: 'uint16' }, //                        2 = 1.1 … 5 = 1.4
  addressRegistration: { code: 19, title: 'Address Registration', layout: 'addressRegistration' },
  channel: { code: 20, title: 'Channel', layout: 'channel' },
  panId: { code: 21, title: 'PAN ID', layout: 'uint16' },
  activeTimestamp: { code: 22, title: 'Active Timestamp', layout: 'timestamp' },
  pendingTimestamp: { code: 23, title: 'Pending Timestamp', layout: 'timestamp' },
  activeDataset: { code: 24, title: 'Active Operational Dataset', layout: 'bytes' }, // nested MeshCoP TLVs
  pendingDataset: { code: 25, title: 'Pending Operational Dataset', layout: 'bytes' }, // nested MeshCoP TLVs
  discovery: { code: 26, title: 'Thread Discovery', layout: 'bytes' }, //              nested MeshCoP TLVs
} as const satisfies Record<string, TlvInfo>;

type Tlvs = typeof MLE_TLVS;
export type MleTlvName = keyof Tlvs;
export type MleTlvValue<K extends MleTlvName> = LayoutTypes[Tlvs[K]['layout']];

export type MleTlv =
  | { [K in MleTlvName]: { type: K; value: MleTlvValue<K> } }[MleTlvName]
  /** A type this table does not know: kept as raw bytes so it round-trips. */
  | { type: 'unknown'; code: number; value: Uint8Array };

const TLV_BY_CODE = new Map<number, MleTlvName>(
  Object.entries(MLE_TLVS).map(([name, info]) => [info.code, name as MleTlvName]),
);

/** Builds a typed TLV: `mleTlv('timeout', 240)`. */
export function mleTlv<K extends MleTlvName>(type: K, value: MleTlvValue<K>): MleTlv {
  return { type, value } as MleTlv;
}

function codecOf(name: MleTlvName): LayoutCodec<unknown> {
  return LAYOUTS[MLE_TLVS[name].layout] as LayoutCodec<unknown>;
}

// ---------------------------------------------------------------------------
// The message: command byte, then TLVs (type 1, length 1, value).

export interface MleMessage {
  command: MleCommand;
  tlvs: MleTlv[];
}

export function parseMleMessage(bytes: Uint8Array): Result<MleMessage> {
  const r = new ByteReader(bytes);
  if (!r.has(1)) return err('truncated', 'MLE command: empty message');
  const command = mleCommandFromCode(r.u8());
  const tlvs: MleTlv[] = [];
  while (r.remaining > 0) {
    if (!r.has(2)) return err('truncated', `MLE TLV at offset ${r.offset}: need type and length`);
    const code = r.u8();
    const length = r.u8();
    if (!r.has(length)) return err('truncated', `MLE TLV type ${code}: length ${length}, ${r.remaining} bytes left`);
    const value = r.take(length);
    const name = TLV_BY_CODE.get(code);
    if (name === undefined) {
      tlvs.push({ type: 'unknown', code, value: value.slice() });
      continue;
    }
    const parsed = codecOf(name).parse(value);
    if (parsed instanceof Invalid) return err('malformed', `MLE ${MLE_TLVS[name].title} TLV: ${parsed.why}`);
    tlvs.push({ type: name, value: parsed } as MleTlv);
  }
  return ok({ command, tlvs });
}

export function emitMleMessage(message: MleMessage): Uint8Array {
  const w = new ByteWriter(128);
  w.u8(mleCommandCode(message.command));
  for (const tlv of message.tlvs) {
    let code: number;
    let value: Uint8Array;
    if (tlv.type === 'unknown') {
      code = tlv.code;
      value = tlv.value;
    } else {
      code = MLE_TLVS[tlv.type].code;
      const vw = new ByteWriter(32);
      codecOf(tlv.type).emit(tlv.value, vw);
      value = vw.finish();
    }
    if (value.length > 255) throw new RangeError(`MLE TLV type ${code}: value of ${value.length} bytes exceeds 255`);
    w.u8(code).u8(value.length).bytes(value);
  }
  return w.finish();
}

/** The first TLV of `type`, typed by the table: `getMleTlv(msg, 'leaderData')?.partitionId`. */
export function getMleTlv<K extends MleTlvName>(
  from: MleMessage | readonly MleTlv[],
  type: K,
): MleTlvValue<K> | undefined {
  const tlvs = 'tlvs' in from ? from.tlvs : from;
  const found = tlvs.find((t) => t.type === type);
  return found?.value as MleTlvValue<K> | undefined;
}

/** Convenience: is `message` this command? */
export function isMleCommand(message: MleMessage, name: MleCommandName): boolean {
  return message.command === name;
}
