// IEEE 802.15.4-2006 MAC frames (§7.2): beacon, data, acknowledgement and MAC
// command, with the auxiliary security header (§7.6.2). Clause numbers are the
// 2006 edition's. A PSDU here is the MPDU as on air, FCS included.
//
//   MHR = FCF(2) | seq(1) | dst PAN(0/2) | dst addr(0/2/8) | src PAN(0/2) | src addr(0/2/8) | aux security(0/5/6/10/14)
//   then the MAC payload, then the FCS(2), every multi-byte field little-endian (§7.2.1).
//
// Encryption is not done here. For a secured frame the bytes the CCM* transform
// hides or authenticates (the "private payload field", §7.6.3.2, plus the MIC) are
// kept opaque; `macFrameLayout` gives their offsets so a caller can build the nonce
// and the authenticated data and put the transformed bytes back.
import { ByteReader, ByteWriter } from './bytes.ts';
import { crc16Kermit } from './crc.ts';
import { err, ok, type Result } from './result.ts';

/** aMaxPHYPacketSize (§6.4.1 Table 22): the longest PSDU, FCS included. */
export const MAX_PSDU_LENGTH = 127;
export const FCS_LENGTH = 2;
/** 0xFFFF: broadcast short address and broadcast PAN ID (§7.2.1.3, §7.2.1.4). */
export const BROADCAST = 0xffff;
/** 0xFFFE: "associated but no short address", use the extended one (§7.2.1.4). */
export const NO_SHORT_ADDRESS = 0xfffe;

/** Extended addresses are in natural (EUI-64, most significant byte first) order; on air they are reversed. */
export type MacAddress = { mode: 'none' } | { mode: 'short'; short: number } | { mode: 'ext'; ext: Uint8Array };

// Frame control field bits (§7.2.1.1, Figure 35).
const FCF_TYPE_MASK = 0x0007;
const FCF_SECURITY = 0x0008;
const FCF_FRAME_PENDING = 0x0010;
const FCF_ACK_REQUEST = 0x0020;
const FCF_PAN_ID_COMPRESSION = 0x0040;
const FCF_RESERVED_SHIFT = 7; // b7–b9, reserved in 2003/2006
const FCF_DST_MODE_SHIFT = 10;
const FCF_VERSION_SHIFT = 12;
const FCF_SRC_MODE_SHIFT = 14;

// Frame types (§7.2.1.1.1 Table 79); 4–7 reserved.
const TYPE_CODES = { beacon: 0, data: 1, ack: 2, command: 3 } as const;

// Addressing modes (§7.2.1.1.6 Table 80); 1 reserved.
const MODE_NONE = 0;
const MODE_SHORT = 2;
const MODE_EXT = 3;

/** Frame version (§7.2.1.1.7): 0 = IEEE 802.15.4-2003, 1 = 2006. 2 (2015) changes the PAN ID rules and is refused. */
export type FrameVersion = 0 | 1;

// ---- Auxiliary security header (§7.6.2) ----

/** Key identifier (§7.6.2.4): mode 0 implicit; 1 index; 2 4-byte source + index; 3 8-byte source + index. */
export type KeyIdentifier =
  | { mode: 0 }
  | { mode: 1; index: number }
  | { mode: 2; source: Uint8Array; index: number }
  | { mode: 3; source: Uint8Array; index: number };

export interface AuxSecurityHeader {
  /** Security level 0–7 (§7.6.2.2.1 Table 95): b2 encryption, b1–b0 MIC 0/4/8/16 bytes. */
  level: number;
  keyId: KeyIdentifier;
  frameCounter: number;
}

const KEY_SOURCE_LENGTH = [0, 0, 4, 8] as const; // §7.6.2.4.1, by key id mode
const MIC_LENGTH = [0, 4, 8, 16] as const; // Table 95, by level & 3

export function auxSecurityHeaderLength(h: AuxSecurityHeader): number {
  // control (1) + frame counter (4) + key source + key index (1, modes 1–3)
  return 5 + KEY_SOURCE_LENGTH[h.keyId.mode] + (h.keyId.mode === 0 ? 0 : 1);
}

export function micLength(level: number): number {
  return MIC_LENGTH[(level & 3) as 0 | 1 | 2 | 3];
}

// ---- Beacon (§7.2.2.1) ----

/** Superframe specification (§7.2.2.1.2, Figure 47). A beacon-less PAN has BO = SO = 15. */
export interface SuperframeSpec {
  beaconOrder: number;
  superframeOrder: number;
  finalCapSlot: number;
  batteryLifeExtension: boolean;
  panCoordinator: boolean;
  associationPermit: boolean;
}

/** GTS descriptor (§7.2.2.1.5, Figure 50); `receive` is the direction bit (§7.2.2.1.4: 1 = receive-only). */
export interface GtsDescriptor {
  short: number;
  startSlot: number;
  length: number;
  receive: boolean;
}

export interface BeaconFields {
  superframe: SuperframeSpec;
  gtsPermit: boolean;
  gts: GtsDescriptor[];
  /** Pending address list (§7.2.2.1.6–7): at most 7 short and 7 extended. */
  pendingShort: number[];
  pendingExt: Uint8Array[];
  /** Beacon payload; for a secured beacon the (possibly encrypted) payload followed by the MIC. */
  payload: Uint8Array;
}

// ---- MAC commands (§7.3, Table 82) ----

export const COMMAND_IDS = {
  association_request: 0x01,
  association_response: 0x02,
  disassociation_notification: 0x03,
  data_request: 0x04,
  pan_id_conflict: 0x05,
  orphan: 0x06,
  beacon_request: 0x07,
  coordinator_realignment: 0x08,
  gts_request: 0x09,
} as const;

/** Capability information (§7.3.1.2, Figure 56). */
export interface CapabilityInfo {
  alternatePanCoordinator: boolean;
  /** Device type: true = FFD. */
  ffd: boolean;
  mainsPowered: boolean;
  rxOnWhenIdle: boolean;
  securityCapable: boolean;
  allocateAddress: boolean;
}

export type MacCommand =
  | { name: 'association_request'; capability: CapabilityInfo }
  /** status (§7.3.2.3 Table 83): 0 successful, 1 PAN at capacity, 2 access denied. */
  | { name: 'association_response'; shortAddress: number; status: number }
  /** reason (§7.3.3.2 Table 84): 1 coordinator wishes the device to leave, 2 device wishes to leave. */
  | { name: 'disassociation_notification'; reason: number }
  | { name: 'data_request' }
  | { name: 'pan_id_conflict' }
  | { name: 'orphan' }
  | { name: 'beacon_request' }
  /** §7.3.8: channel page present only in version-1 frames (Figure 65). */
  | { name: 'coordinator_realignment'; panId: number; coordShort: number; channel: number; shortAddress: number; channelPage?: number }
  | { name: 'gts_request'; characteristics: number }
  /** A command id this codec does not know: content kept as is. */
  | { name: 'unknown'; id: number; content: Uint8Array }
  /** A command of a secured frame: its content is the private payload field ‖ MIC, undecodable until unsecured. */
  | { name: 'secured'; id: number; content: Uint8Array };

// ---- The frame ----

export interface MacHeader {
  framePending: boolean;
  ackRequest: boolean;
  /** Set ⇒ the source PAN is elided because it equals the destination PAN (§7.2.1.1.5). */
  panIdCompression: boolean;
  version: FrameVersion;
  seq: number;
  /** Present iff `dst` is an address (§7.2.1.3). */
  dstPan?: number;
  dst: MacAddress;
  /** Present iff `src` is an address and the PAN ID is not compressed (§7.2.1.5); see `sourcePan`. */
  srcPan?: number;
  src: MacAddress;
  /** Present iff the security enabled bit is set (§7.2.1.1.2). */
  security?: AuxSecurityHeader;
  /** FCF b7–b9, reserved in 2003/2006; kept so that odd frames round-trip. */
  reservedBits?: number;
}

export type MacFrame =
  | (MacHeader & { type: 'beacon'; beacon: BeaconFields })
  | (MacHeader & { type: 'data'; payload: Uint8Array })
  | (MacHeader & { type: 'ack' })
  | (MacHeader & { type: 'command'; command: MacCommand })
  /** Reserved frame types 4–7: everything after the MHR kept as payload. */
  | (MacHeader & { type: 'unknown'; typeCode: number; payload: Uint8Array });

export type MacFrameType = MacFrame['type'];

/** The PAN the source belongs to, whether carried or elided by PAN ID compression. */
export function sourcePan(f: MacHeader): number | undefined {
  return f.srcPan ?? (f.panIdCompression && f.src.mode !== 'none' ? f.dstPan : undefined);
}

const ADDRESS_LENGTH = { none: 0, short: 2, ext: 8 } as const;
const MODE_CODE = { none: MODE_NONE, short: MODE_SHORT, ext: MODE_EXT } as const;

function srcPanPresent(panIdCompression: boolean, dstMode: number, srcMode: number): boolean {
  // 2003/2006: with both addresses present and compression set, the source PAN is elided.
  return srcMode !== MODE_NONE && !(panIdCompression && dstMode !== MODE_NONE);
}

// ---- Parsing ----

function readAddress(r: ByteReader, mode: number): MacAddress {
  if (mode === MODE_SHORT) return { mode: 'short', short: r.u16le() };
  if (mode === MODE_EXT) return { mode: 'ext', ext: r.take(8).slice().reverse() };
  return { mode: 'none' };
}

function truncated(field: string, need: number, r: ByteReader): Result<never> {
  return err('truncated', `${field}: need ${need} bytes at offset ${r.offset}, have ${r.remaining}`);
}

function parseAuxSecurity(r: ByteReader): Result<AuxSecurityHeader> {
  if (!r.has(5)) return truncated('auxiliary security header', 5, r);
  const control = r.u8();
  const level = control & 0x07;
  const mode = (control >> 3) & 0x03;
  if (control & 0xe0) return err('unsupported', `security control: reserved bits 0x${(control & 0xe0).toString(16)} set`);
  const frameCounter = r.u32le();
  const need = (KEY_SOURCE_LENGTH[mode as 0 | 1 | 2 | 3] ?? 0) + (mode === 0 ? 0 : 1);
  if (!r.has(need)) return truncated('key identifier', need, r);
  let keyId: KeyIdentifier;
  if (mode === 0) keyId = { mode: 0 };
  else if (mode === 1) keyId = { mode: 1, index: r.u8() };
  else if (mode === 2) keyId = { mode: 2, source: r.take(4).slice(), index: r.u8() };
  else keyId = { mode: 3, source: r.take(8).slice(), index: r.u8() };
  return ok({ level, keyId, frameCounter });
}

function parseBeacon(r: ByteReader, secured: boolean): Result<BeaconFields> {
  if (!r.has(2)) return truncated('superframe specification', 2, r);
  const sf = r.u16le();
  const superframe: SuperframeSpec = {
    beaconOrder: sf & 0x0f,
    superframeOrder: (sf >> 4) & 0x0f,
    finalCapSlot: (sf >> 8) & 0x0f,
    batteryLifeExtension: (sf & 0x1000) !== 0,
    panCoordinator: (sf & 0x4000) !== 0,
    associationPermit: (sf & 0x8000) !== 0,
  };
  if (!r.has(1)) return truncated('GTS specification', 1, r);
  const gtsSpec = r.u8();
  const gtsCount = gtsSpec & 0x07;
  const gts: GtsDescriptor[] = [];
  if (gtsCount > 0) {
    if (!r.has(1 + 3 * gtsCount)) return truncated('GTS directions and list', 1 + 3 * gtsCount, r);
    const directions = r.u8();
    for (let i = 0; i < gtsCount; i++) {
      const short = r.u16le();
      const slot = r.u8();
      gts.push({ short, startSlot: slot & 0x0f, length: slot >> 4, receive: ((directions >> i) & 1) === 1 });
    }
  }
  if (!r.has(1)) return truncated('pending address specification', 1, r);
  const pendSpec = r.u8();
  const nShort = pendSpec & 0x07;
  const nExt = (pendSpec >> 4) & 0x07;
  if (!r.has(2 * nShort + 8 * nExt)) return truncated('pending address list', 2 * nShort + 8 * nExt, r);
  const pendingShort: number[] = [];
  for (let i = 0; i < nShort; i++) pendingShort.push(r.u16le());
  const pendingExt: Uint8Array[] = [];
  for (let i = 0; i < nExt; i++) pendingExt.push(r.take(8).slice().reverse());
  void secured; // the beacon payload (and MIC) stay opaque either way
  return ok({ superframe, gtsPermit: (gtsSpec & 0x80) !== 0, gts, pendingShort, pendingExt, payload: r.rest().slice() });
}

const NO_CONTENT = { data_request: 4, pan_id_conflict: 5, orphan: 6, beacon_request: 7 } as const;

/** Decodes a command's content (after the command id); usable on an unsecured private payload. */
export function parseMacCommand(id: number, content: Uint8Array, version: FrameVersion = 0): Result<MacCommand> {
  const r = new ByteReader(content);
  const exact = (name: string, n: number): Result<null> =>
    content.length === n ? ok(null) : err(content.length < n ? 'truncated' : 'malformed', `${name} command: ${content.length} content bytes, expected ${n}`);
  for (const [name, code] of Object.entries(NO_CONTENT)) {
    if (id !== code) continue;
    const e = exact(name, 0);
    return e.ok ? ok({ name: name as keyof typeof NO_CONTENT }) : e;
  }
  switch (id) {
    case COMMAND_IDS.association_request: {
      const e = exact('association request', 1);
      if (!e.ok) return e;
      const c = r.u8();
      return ok({
        name: 'association_request',
        capability: {
          alternatePanCoordinator: (c & 0x01) !== 0,
          ffd: (c & 0x02) !== 0,
          mainsPowered: (c & 0x04) !== 0,
          rxOnWhenIdle: (c & 0x08) !== 0,
          securityCapable: (c & 0x40) !== 0,
          allocateAddress: (c & 0x80) !== 0,
        },
      });
    }
    case COMMAND_IDS.association_response: {
      const e = exact('association response', 3);
      return e.ok ? ok({ name: 'association_response', shortAddress: r.u16le(), status: r.u8() }) : e;
    }
    case COMMAND_IDS.disassociation_notification: {
      const e = exact('disassociation notification', 1);
      return e.ok ? ok({ name: 'disassociation_notification', reason: r.u8() }) : e;
    }
    case COMMAND_IDS.coordinator_realignment: {
      const withPage = version >= 1 && content.length === 8;
      const e = exact('coordinator realignment', withPage ? 8 : 7);
      if (!e.ok) return e;
      const panId = r.u16le();
      const coordShort = r.u16le();
      const channel = r.u8();
      const shortAddress = r.u16le();
      const cmd: MacCommand = { name: 'coordinator_realignment', panId, coordShort, channel, shortAddress };
      if (withPage) cmd.channelPage = r.u8();
      return ok(cmd);
    }
    case COMMAND_IDS.gts_request: {
      const e = exact('GTS request', 1);
      return e.ok ? ok({ name: 'gts_request', characteristics: r.u8() }) : e;
    }
    default:
      return ok({ name: 'unknown', id, content: content.slice() });
  }
}

/** Parses a PSDU (MPDU with FCS), checking the FCS first. */
export function parseMacFrame(psdu: Uint8Array): Result<MacFrame> {
  if (psdu.length > MAX_PSDU_LENGTH) return err('malformed', `PSDU: ${psdu.length} bytes exceeds aMaxPHYPacketSize ${MAX_PSDU_LENGTH}`);
  if (psdu.length < 3 + FCS_LENGTH) return err('truncated', `PSDU: ${psdu.length} bytes, need at least 5 (FCF, sequence number, FCS)`);
  const end = psdu.length - FCS_LENGTH;
  const fcs = (psdu[end] ?? 0) | ((psdu[end + 1] ?? 0) << 8);
  const crc = crc16Kermit(psdu, 0, end);
  if (fcs !== crc) return err('checksum', `FCS: carried 0x${fcs.toString(16).padStart(4, '0')}, computed 0x${crc.toString(16).padStart(4, '0')}`);
  return parseMacFrameWithoutFcs(psdu.subarray(0, end));
}

/** Parses an MPDU without its FCS (e.g. a capture with LINKTYPE_IEEE802_15_4_NOFCS). */
export function parseMacFrameWithoutFcs(mpdu: Uint8Array): Result<MacFrame> {
  const r = new ByteReader(mpdu);
  if (!r.has(3)) return truncated('frame control and sequence number', 3, r);
  const fcf = r.u16le();
  const seq = r.u8();
  const typeCode = fcf & FCF_TYPE_MASK;
  const dstMode = (fcf >> FCF_DST_MODE_SHIFT) & 3;
  const srcMode = (fcf >> FCF_SRC_MODE_SHIFT) & 3;
  const version = (fcf >> FCF_VERSION_SHIFT) & 3;
  const reservedBits = (fcf >> FCF_RESERVED_SHIFT) & 7;
  const panIdCompression = (fcf & FCF_PAN_ID_COMPRESSION) !== 0;
  if (version > 1) return err('unsupported', `frame version ${version}: only 0 (2003) and 1 (2006) are decoded`);
  if (dstMode === 1) return err('malformed', 'destination addressing mode 1 is reserved');
  if (srcMode === 1) return err('malformed', 'source addressing mode 1 is reserved');

  const header: MacHeader = {
    framePending: (fcf & FCF_FRAME_PENDING) !== 0,
    ackRequest: (fcf & FCF_ACK_REQUEST) !== 0,
    panIdCompression,
    version: version as FrameVersion,
    seq,
    dst: { mode: 'none' },
    src: { mode: 'none' },
  };
  if (reservedBits) header.reservedBits = reservedBits;

  if (dstMode !== MODE_NONE) {
    const n = 2 + (dstMode === MODE_EXT ? 8 : 2);
    if (!r.has(n)) return truncated('destination PAN and address', n, r);
    header.dstPan = r.u16le();
    header.dst = readAddress(r, dstMode);
  }
  if (srcMode !== MODE_NONE) {
    const withPan = srcPanPresent(panIdCompression, dstMode, srcMode);
    const n = (withPan ? 2 : 0) + (srcMode === MODE_EXT ? 8 : 2);
    if (!r.has(n)) return truncated('source PAN and address', n, r);
    if (withPan) header.srcPan = r.u16le();
    header.src = readAddress(r, srcMode);
  }
  const secured = (fcf & FCF_SECURITY) !== 0;
  if (secured) {
    const sec = parseAuxSecurity(r);
    if (!sec.ok) return sec;
    header.security = sec.value;
  }

  switch (typeCode) {
    case TYPE_CODES.beacon: {
      const b = parseBeacon(r, secured);
      return b.ok ? ok({ ...header, type: 'beacon', beacon: b.value }) : b;
    }
    case TYPE_CODES.data:
      return ok({ ...header, type: 'data', payload: r.rest().slice() });
    case TYPE_CODES.ack:
      if (r.remaining !== 0) return err('malformed', `acknowledgement: ${r.remaining} bytes after the MHR, expected none`);
      return ok({ ...header, type: 'ack' });
    case TYPE_CODES.command: {
      if (!r.has(1)) return truncated('command frame identifier', 1, r);
      const id = r.u8();
      const content = r.rest();
      if (secured) return ok({ ...header, type: 'command', command: { name: 'secured', id, content: content.slice() } });
      const c = parseMacCommand(id, content, header.version);
      return c.ok ? ok({ ...header, type: 'command', command: c.value }) : c;
    }
    default:
      return ok({ ...header, type: 'unknown', typeCode, payload: r.rest().slice() });
  }
}

// ---- Emitting ----

function commandId(c: MacCommand): number {
  return c.name === 'unknown' || c.name === 'secured' ? c.id : COMMAND_IDS[c.name];
}

function commandContentLength(c: MacCommand): number {
  switch (c.name) {
    case 'association_request':
    case 'disassociation_notification':
    case 'gts_request':
      return 1;
    case 'association_response':
      return 3;
    case 'coordinator_realignment':
      return c.channelPage === undefined ? 7 : 8;
    case 'unknown':
    case 'secured':
      return c.content.length;
    default:
      return 0;
  }
}

function headerLength(f: MacHeader): number {
  const dstMode = MODE_CODE[f.dst.mode];
  const srcMode = MODE_CODE[f.src.mode];
  return (
    3 +
    (dstMode !== MODE_NONE ? 2 : 0) +
    ADDRESS_LENGTH[f.dst.mode] +
    (srcPanPresent(f.panIdCompression, dstMode, srcMode) ? 2 : 0) +
    ADDRESS_LENGTH[f.src.mode] +
    (f.security ? auxSecurityHeaderLength(f.security) : 0)
  );
}

/** Bytes of the payload fields sent in the clear before the private payload (§7.6.3.2 "open payload field"). */
function openPayloadLength(f: MacFrame): number {
  switch (f.type) {
    case 'beacon': {
      const b = f.beacon;
      return 2 + 1 + (b.gts.length > 0 ? 1 + 3 * b.gts.length : 0) + 1 + 2 * b.pendingShort.length + 8 * b.pendingExt.length;
    }
    case 'command':
      return 1;
    default:
      return 0;
  }
}

function privatePayloadLength(f: MacFrame): number {
  switch (f.type) {
    case 'beacon':
      return f.beacon.payload.length;
    case 'command':
      return commandContentLength(f.command);
    case 'ack':
      return 0;
    default:
      return f.payload.length;
  }
}

/** Length of the PSDU `emitMacFrame` produces, FCS included. */
export function macFrameLength(f: MacFrame): number {
  return headerLength(f) + openPayloadLength(f) + privatePayloadLength(f) + FCS_LENGTH;
}

/** Offsets into the emitted (or parsed) PSDU, for CCM* (§7.6.3.2) and for logs. */
export interface MacFrameLayout {
  /** Start of the auxiliary security header, or undefined when unsecured. */
  auxSecurityOffset?: number;
  /** End of the MHR, aux security header included. */
  headerEnd: number;
  /** Start of the private payload field: after the beacon's superframe/GTS/pending fields or the command id. */
  privateStart: number;
  /** Start of the FCS (= end of the private payload and MIC). */
  fcsOffset: number;
}

export function macFrameLayout(f: MacFrame): MacFrameLayout {
  const headerEnd = headerLength(f);
  const privateStart = headerEnd + openPayloadLength(f);
  const layout: MacFrameLayout = { headerEnd, privateStart, fcsOffset: privateStart + privatePayloadLength(f) };
  if (f.security) layout.auxSecurityOffset = headerEnd - auxSecurityHeaderLength(f.security);
  return layout;
}

function writeAddress(w: ByteWriter, a: MacAddress): void {
  if (a.mode === 'short') w.u16le(a.short);
  else if (a.mode === 'ext') {
    if (a.ext.length !== 8) throw new RangeError(`extended address must be 8 bytes, got ${a.ext.length}`);
    w.bytes(a.ext.slice().reverse());
  }
}

function writeCommand(w: ByteWriter, c: MacCommand): void {
  w.u8(commandId(c));
  switch (c.name) {
    case 'association_request': {
      const k = c.capability;
      w.u8(
        (k.alternatePanCoordinator ? 0x01 : 0) |
          (k.ffd ? 0x02 : 0) |
          (k.mainsPowered ? 0x04 : 0) |
          (k.rxOnWhenIdle ? 0x08 : 0) |
          (k.securityCapable ? 0x40 : 0) |
          (k.allocateAddress ? 0x80 : 0),
      );
      break;
    }
    case 'association_response':
      w.u16le(c.shortAddress).u8(c.status);
      break;
    case 'disassociation_notification':
      w.u8(c.reason);
      break;
    case 'coordinator_realignment':
      w.u16le(c.panId).u16le(c.coordShort).u8(c.channel).u16le(c.shortAddress);
      if (c.channelPage !== undefined) w.u8(c.channelPage);
      break;
    case 'gts_request':
      w.u8(c.characteristics);
      break;
    case 'unknown':
    case 'secured':
      w.bytes(c.content);
      break;
    default:
      break;
  }
}

function writeBeacon(w: ByteWriter, b: BeaconFields): void {
  const s = b.superframe;
  w.u16le(
    (s.beaconOrder & 0x0f) |
      ((s.superframeOrder & 0x0f) << 4) |
      ((s.finalCapSlot & 0x0f) << 8) |
      (s.batteryLifeExtension ? 0x1000 : 0) |
      (s.panCoordinator ? 0x4000 : 0) |
      (s.associationPermit ? 0x8000 : 0),
  );
  if (b.gts.length > 7) throw new RangeError(`beacon: ${b.gts.length} GTS descriptors, at most 7`);
  if (b.pendingShort.length > 7 || b.pendingExt.length > 7) throw new RangeError('beacon: at most 7 pending short and 7 pending extended addresses');
  w.u8(b.gts.length | (b.gtsPermit ? 0x80 : 0));
  if (b.gts.length > 0) {
    w.u8(b.gts.reduce((m, g, i) => m | (g.receive ? 1 << i : 0), 0));
    for (const g of b.gts) w.u16le(g.short).u8((g.startSlot & 0x0f) | ((g.length & 0x0f) << 4));
  }
  w.u8(b.pendingShort.length | (b.pendingExt.length << 4));
  for (const s16 of b.pendingShort) w.u16le(s16);
  for (const e of b.pendingExt) writeAddress(w, { mode: 'ext', ext: e });
  w.bytes(b.payload);
}

/**
 * Emits the PSDU with its FCS. Throws RangeError on a repr no parser could have
 * produced (a source PAN next to PAN ID compression, a 7-byte extended address…);
 * a frame longer than 127 bytes is emitted, the MAC refuses to send it.
 */
export function emitMacFrame(f: MacFrame): Uint8Array {
  const dstMode = MODE_CODE[f.dst.mode];
  const srcMode = MODE_CODE[f.src.mode];
  const typeCode = f.type === 'unknown' ? f.typeCode : TYPE_CODES[f.type];
  if (f.type === 'unknown' && (typeCode < 4 || typeCode > 7)) throw new RangeError(`unknown frame type code ${typeCode} must be 4..7`);
  const withSrcPan = srcPanPresent(f.panIdCompression, dstMode, srcMode);
  if ((dstMode !== MODE_NONE) !== (f.dstPan !== undefined)) throw new RangeError('dstPan must be given exactly when dst is an address');
  if (withSrcPan !== (f.srcPan !== undefined)) throw new RangeError(`srcPan must be ${withSrcPan ? 'given' : 'omitted'} with these addresses and PAN ID compression`);
  const fcf =
    typeCode |
    (f.security ? FCF_SECURITY : 0) |
    (f.framePending ? FCF_FRAME_PENDING : 0) |
    (f.ackRequest ? FCF_ACK_REQUEST : 0) |
    (f.panIdCompression ? FCF_PAN_ID_COMPRESSION : 0) |
    ((f.reservedBits ?? 0) << FCF_RESERVED_SHIFT) |
    (dstMode << FCF_DST_MODE_SHIFT) |
    (f.version << FCF_VERSION_SHIFT) |
    (srcMode << FCF_SRC_MODE_SHIFT);

  const w = new ByteWriter(macFrameLength(f));
  w.u16le(fcf).u8(f.seq);
  if (f.dstPan !== undefined) w.u16le(f.dstPan);
  writeAddress(w, f.dst);
  if (f.srcPan !== undefined) w.u16le(f.srcPan);
  writeAddress(w, f.src);
  if (f.security) {
    const s = f.security;
    w.u8((s.level & 0x07) | (s.keyId.mode << 3)).u32le(s.frameCounter);
    if (s.keyId.mode >= 2) {
      const k = s.keyId as { source: Uint8Array };
      const need = KEY_SOURCE_LENGTH[s.keyId.mode];
      if (k.source.length !== need) throw new RangeError(`key source for key id mode ${s.keyId.mode} must be ${need} bytes`);
      w.bytes(k.source);
    }
    if (s.keyId.mode !== 0) w.u8(s.keyId.index);
  }
  switch (f.type) {
    case 'beacon':
      writeBeacon(w, f.beacon);
      break;
    case 'command':
      writeCommand(w, f.command);
      break;
    case 'ack':
      break;
    default:
      w.bytes(f.payload);
  }
  const crc = crc16Kermit(w.finish());
  return w.u16le(crc).finish();
}
