// Thread Management Framework: CoAP (RFC 7252) over UDP port 61631: router ID
// assignment, server data and address resolution (the URIs below).
// Two pure codec pairs: the CoAP message (`parseCoap` / `emitCoap`) and the
// Thread network-layer TLVs it carries (`parseAddressTlvs` / `emitAddressTlvs`).
import { ByteReader, ByteWriter } from '../wire/bytes.ts';
import { err, ok, type Result } from '../wire/result.ts';

/** TMF UDP port (`pktverify/consts.py`; reference thread.md §1). */
export const TMF_UDP_PORT = 61631;
export const ADDRESS_SOLICIT_URI = 'a/as';
export const ADDRESS_RELEASE_URI = 'a/ar';
/** Server Data notification: a border router registers its network data with the leader (OpenThread `kUriServerData`). */
export const SERVER_DATA_URI = 'a/sd';
/** Address Query (multicast, non-confirmable) and Address Notification (unicast answer): EID → RLOC16 (Thread 1.1 §5.4.2). */
export const ADDRESS_QUERY_URI = 'a/aq';
export const ADDRESS_NOTIFY_URI = 'a/an';
/** Address Error Notification: an EID claimed by two nodes (Thread 1.1 §5.4.2; OpenThread `kUriAddressError`). */
export const ADDRESS_ERROR_URI = 'a/ae';

// ---------------------------------------------------------------------------
// CoAP (RFC 7252 §3)

/** RFC 7252 §3: T field. */
export const CoapType = { confirmable: 0, nonConfirmable: 1, acknowledgement: 2, reset: 3 } as const;
export type CoapTypeName = keyof typeof CoapType;

/** RFC 7252 §12.1: code = class << 5 | detail. */
export const CoapCode = { empty: 0x00, get: 0x01, post: 0x02, put: 0x03, delete: 0x04, changed: 0x44, content: 0x45, badRequest: 0x80, notFound: 0x84 } as const;

/** RFC 7252 §5.10: option numbers used here. */
export const CoapOption = { uriPath: 11, contentFormat: 12 } as const;

export interface CoapOptionValue {
  number: number;
  value: Uint8Array;
}

export interface CoapMessage {
  type: CoapTypeName;
  /** class << 5 | detail (RFC 7252 §3). */
  code: number;
  messageId: number;
  token: Uint8Array;
  /** Ascending option number, as on the wire. */
  options: CoapOptionValue[];
  payload: Uint8Array;
}

const COAP_VERSION = 1;
const PAYLOAD_MARKER = 0xff;
const TYPE_NAMES: CoapTypeName[] = ['confirmable', 'nonConfirmable', 'acknowledgement', 'reset'];

function optionNibble(r: ByteReader, nibble: number, what: string): number | string {
  if (nibble < 13) return nibble;
  if (nibble === 13) return r.has(1) ? r.u8() + 13 : `${what}: extended byte missing`;
  if (nibble === 14) return r.has(2) ? r.u16be() + 269 : `${what}: extended bytes missing`;
  return `${what}: nibble 15 is reserved`;
}

export function parseCoap(bytes: Uint8Array): Result<CoapMessage> {
  const r = new ByteReader(bytes);
  if (!r.has(4)) return err('truncated', 'CoAP header: need 4 bytes');
  const b0 = r.u8();
  if (b0 >> 6 !== COAP_VERSION) return err('unsupported', `CoAP version ${b0 >> 6}`);
  const tkl = b0 & 0x0f;
  if (tkl > 8) return err('malformed', `CoAP token length ${tkl}`);
  const code = r.u8();
  const messageId = r.u16be();
  if (!r.has(tkl)) return err('truncated', 'CoAP token');
  const token = r.take(tkl).slice();
  const options: CoapOptionValue[] = [];
  let number = 0;
  let payload = new Uint8Array(0);
  while (r.remaining > 0) {
    const b = r.u8();
    if (b === PAYLOAD_MARKER) {
      if (r.remaining === 0) return err('malformed', 'CoAP payload marker with no payload');
      payload = r.rest().slice();
      break;
    }
    const delta = optionNibble(r, b >> 4, 'CoAP option delta');
    if (typeof delta === 'string') return err('malformed', delta);
    const length = optionNibble(r, b & 0x0f, 'CoAP option length');
    if (typeof length === 'string') return err('malformed', length);
    if (!r.has(length)) return err('truncated', `CoAP option ${number + delta}: value`);
    number += delta;
    options.push({ number, value: r.take(length).slice() });
  }
  return ok({ type: TYPE_NAMES[(b0 >> 4) & 3] ?? 'confirmable', code, messageId, token, options, payload });
}

function nibbleFor(n: number): number {
  return n < 13 ? n : n < 269 ? 13 : 14;
}

function extended(w: ByteWriter, n: number): void {
  if (n >= 269) w.u16be(n - 269);
  else if (n >= 13) w.u8(n - 13);
}

export function emitCoap(m: CoapMessage): Uint8Array {
  if (m.token.length > 8) throw new RangeError('CoAP token longer than 8 bytes');
  const w = new ByteWriter(32 + m.payload.length);
  w.u8((COAP_VERSION << 6) | (CoapType[m.type] << 4) | m.token.length).u8(m.code).u16be(m.messageId).bytes(m.token);
  let last = 0;
  for (const o of [...m.options].sort((a, b) => a.number - b.number)) {
    const delta = o.number - last;
    w.u8((nibbleFor(delta) << 4) | nibbleFor(o.value.length));
    extended(w, delta);
    extended(w, o.value.length);
    w.bytes(o.value);
    last = o.number;
  }
  if (m.payload.length > 0) w.u8(PAYLOAD_MARKER).bytes(m.payload);
  return w.finish();
}

/** Uri-Path options of a path such as "a/as" (one option per segment, RFC 7252 §6.4). */
export function uriPathOptions(path: string): CoapOptionValue[] {
  return path.split('/').map((seg) => ({ number: CoapOption.uriPath, value: new TextEncoder().encode(seg) }));
}

export function uriPathOf(m: CoapMessage): string {
  return m.options
    .filter((o) => o.number === CoapOption.uriPath)
    .map((o) => new TextDecoder().decode(o.value))
    .join('/');
}

// ---------------------------------------------------------------------------
// Thread network-layer (address management) TLVs: type (1), length (1), value.

export const ADDRESS_TLVS = {
  targetEid: 0,
  extMacAddress: 1,
  rloc16: 2,
  mlEid: 3,
  status: 4,
  lastTransactionTime: 6,
  routerMask: 7,
  /** Thread Network Data TLV (OpenThread `ThreadTlv::kThreadNetworkData`); kept raw in `unknown`. */
  threadNetworkData: 10,
} as const;
export type AddressTlvName = keyof typeof ADDRESS_TLVS;

/** Address Solicit response status: 0 success, 1 no address available. */
export const ADDRESS_SOLICIT_STATUS = { success: 0, noAddressAvailable: 1 } as const;
/** Address Solicit request reason: too few routers (Thread 1.2; unverified). */
export const ADDRESS_SOLICIT_REASON_TOO_FEW_ROUTERS = 2;

export interface RouterMask {
  idSequence: number;
  /** Router IDs set in the 8-byte mask (router n is bit 0x80 >> n%8 of byte n/8, as in Route64). */
  routerIds: number[];
}

export interface AddressTlvs {
  extMacAddress?: Uint8Array;
  rloc16?: number;
  status?: number;
  routerMask?: RouterMask;
  /** Types this codec does not decode, kept as raw bytes so they round-trip. */
  unknown: Array<{ code: number; value: Uint8Array }>;
}

export function parseAddressTlvs(bytes: Uint8Array): Result<AddressTlvs> {
  const r = new ByteReader(bytes);
  const out: AddressTlvs = { unknown: [] };
  while (r.remaining > 0) {
    if (!r.has(2)) return err('truncated', 'address TLV: type and length');
    const code = r.u8();
    const length = r.u8();
    if (!r.has(length)) return err('truncated', `address TLV ${code}: length ${length}`);
    const v = r.take(length);
    const need = (n: number, name: string): Result<true> => (v.length === n ? ok(true) : err('malformed', `${name} TLV: length ${v.length}, expected ${n}`));
    switch (code) {
      case ADDRESS_TLVS.extMacAddress: {
        const c = need(8, 'MAC Extended Address');
        if (!c.ok) return c;
        out.extMacAddress = v.slice();
        break;
      }
      case ADDRESS_TLVS.rloc16: {
        const c = need(2, 'RLOC16');
        if (!c.ok) return c;
        out.rloc16 = ((v[0] ?? 0) << 8) | (v[1] ?? 0);
        break;
      }
      case ADDRESS_TLVS.status: {
        const c = need(1, 'Status');
        if (!c.ok) return c;
        out.status = v[0] ?? 0;
        break;
      }
      case ADDRESS_TLVS.routerMask: {
        const c = need(9, 'Router Mask');
        if (!c.ok) return c;
        const routerIds: number[] = [];
        for (let id = 0; id < 64; id++) if (((v[1 + (id >> 3)] ?? 0) & (0x80 >> (id & 7))) !== 0) routerIds.push(id);
        out.routerMask = { idSequence: v[0] ?? 0, routerIds };
        break;
      }
      default:
        out.unknown.push({ code, value: v.slice() });
    }
  }
  return ok(out);
}

/** Emits in the order status, MAC extended address, RLOC16, router mask, then unknown TLVs. */
export function emitAddressTlvs(t: AddressTlvs): Uint8Array {
  const w = new ByteWriter(32);
  if (t.status !== undefined) w.u8(ADDRESS_TLVS.status).u8(1).u8(t.status);
  if (t.extMacAddress) w.u8(ADDRESS_TLVS.extMacAddress).u8(8).bytes(t.extMacAddress);
  if (t.rloc16 !== undefined) w.u8(ADDRESS_TLVS.rloc16).u8(2).u16be(t.rloc16);
  if (t.routerMask) {
    const mask = new Uint8Array(8);
    for (const id of t.routerMask.routerIds) mask[id >> 3] = (mask[id >> 3] ?? 0) | (0x80 >> (id & 7));
    w.u8(ADDRESS_TLVS.routerMask).u8(9).u8(t.routerMask.idSequence).bytes(mask);
  }
  for (const u of t.unknown) w.u8(u.code).u8(u.value.length).bytes(u.value);
  return w.finish();
}
