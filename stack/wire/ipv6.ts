// The IPv6 header (RFC 8200 §3) and the extension headers a RPL mesh uses: hop-by-hop
// options carrying the RPL option (RFC 8200 §4.3, RFC 6553) and the RPL source routing
// header, routing type 3 (RFC 8200 §4.4, RFC 6554 §3).
import { ByteReader, ByteWriter } from './bytes.ts';
import type { Ipv6Address } from './ipv6-address.ts';
import { err, ok, type Result } from './result.ts';

export const IPV6_HEADER_LEN = 40;

/** Next header values (IANA "Assigned Internet Protocol Numbers"). */
export const NextHeader = {
  hopByHop: 0,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  routing: 43,
  fragment: 44,
  icmpv6: 58,
  noNext: 59,
  destinationOptions: 60,
} as const;

export interface Ipv6Header {
  /** DSCP (high 6 bits) and ECN (low 2 bits), as on the wire (RFC 8200 §7). */
  trafficClass: number;
  flowLabel: number;
  nextHeader: number;
  hopLimit: number;
  src: Ipv6Address;
  dst: Ipv6Address;
}

export interface Ipv6Packet extends Ipv6Header {
  /** Everything after the fixed header, extension headers included (Payload Length bytes). */
  payload: Uint8Array;
}

export function parseIpv6(bytes: Uint8Array): Result<Ipv6Packet> {
  if (bytes.length < IPV6_HEADER_LEN) return err('truncated', `ipv6 header: ${bytes.length} bytes, need 40`);
  const r = new ByteReader(bytes);
  const word = r.u32be();
  const version = word >>> 28;
  if (version !== 6) return err('malformed', `ipv6 version: ${version}`);
  const payloadLength = r.u16be();
  const nextHeader = r.u8();
  const hopLimit = r.u8();
  const src = r.take(16).slice();
  const dst = r.take(16).slice();
  if (r.remaining < payloadLength) return err('truncated', `ipv6 payload length: ${payloadLength}, have ${r.remaining}`);
  return ok({
    trafficClass: (word >>> 20) & 0xff,
    flowLabel: word & 0xfffff,
    nextHeader,
    hopLimit,
    src,
    dst,
    payload: r.take(payloadLength).slice(),
  });
}

export function emitIpv6Header(h: Ipv6Header, payloadLength: number): Uint8Array {
  const w = new ByteWriter(IPV6_HEADER_LEN);
  w.u32be(((6 << 28) | ((h.trafficClass & 0xff) << 20) | (h.flowLabel & 0xfffff)) >>> 0);
  w.u16be(payloadLength).u8(h.nextHeader).u8(h.hopLimit).bytes(h.src).bytes(h.dst);
  return w.finish();
}

export function emitIpv6(p: Ipv6Packet): Uint8Array {
  const w = new ByteWriter(IPV6_HEADER_LEN + p.payload.length);
  return w.bytes(emitIpv6Header(p, p.payload.length)).bytes(p.payload).finish();
}

// ---------------------------------------------------------------------------------------
// Hop-by-hop options header (RFC 8200 §4.2, §4.3)

/** RPL option type: 0x63 in RFC 6553 §6, 0x23 since RFC 9008 §11.1 (IANA). Both are decoded. */
export const RPL_OPTION_TYPE_6553 = 0x63;
export const RPL_OPTION_TYPE_9008 = 0x23;

/** The RPL option's data (RFC 6553 §3): O R F flags, RPLInstanceID, SenderRank. */
export interface RplOptionData {
  /** O: the packet travels down the DODAG. */
  down: boolean;
  /** R: a rank error was detected. */
  rankError: boolean;
  /** F: a forwarding error was detected. */
  forwardingError: boolean;
  instanceId: number;
  senderRank: number;
}

export type HopByHopOption =
  | { kind: 'pad1' }
  /** `length` is the option data length (0..), the whole option being 2 + length bytes. */
  | { kind: 'padN'; length: number }
  | ({ kind: 'rpl'; type: number } & RplOptionData)
  | { kind: 'unknown'; type: number; data: Uint8Array };

export interface HopByHopHeader {
  nextHeader: number;
  options: HopByHopOption[];
}

/** Parses TLV options (RFC 8200 §4.2), shared by hop-by-hop and destination options. */
export function parseOptions(bytes: Uint8Array): Result<HopByHopOption[]> {
  const r = new ByteReader(bytes);
  const out: HopByHopOption[] = [];
  while (r.remaining > 0) {
    const type = r.u8();
    if (type === 0) {
      out.push({ kind: 'pad1' });
      continue;
    }
    if (!r.has(1)) return err('truncated', `option 0x${type.toString(16)}: no length`);
    const len = r.u8();
    if (!r.has(len)) return err('truncated', `option 0x${type.toString(16)}: length ${len}, have ${r.remaining}`);
    const data = r.take(len);
    if (type === 1) out.push({ kind: 'padN', length: len });
    else if ((type === RPL_OPTION_TYPE_6553 || type === RPL_OPTION_TYPE_9008) && len >= 4) {
      const flags = data[0]!;
      out.push({
        kind: 'rpl',
        type,
        down: (flags & 0x80) !== 0,
        rankError: (flags & 0x40) !== 0,
        forwardingError: (flags & 0x20) !== 0,
        instanceId: data[1]!,
        senderRank: (data[2]! << 8) | data[3]!,
      });
    } else out.push({ kind: 'unknown', type, data: data.slice() });
  }
  return ok(out);
}

export function emitOptions(options: HopByHopOption[], w: ByteWriter): void {
  for (const o of options) {
    switch (o.kind) {
      case 'pad1':
        w.u8(0);
        break;
      case 'padN':
        w.u8(1).u8(o.length).bytes(new Uint8Array(o.length));
        break;
      case 'rpl':
        w.u8(o.type).u8(4);
        w.u8((o.down ? 0x80 : 0) | (o.rankError ? 0x40 : 0) | (o.forwardingError ? 0x20 : 0));
        w.u8(o.instanceId).u16be(o.senderRank);
        break;
      case 'unknown':
        w.u8(o.type).u8(o.data.length).bytes(o.data);
        break;
    }
  }
}

/** Pads an options area that starts 2 bytes into its header to a multiple of 8 (RFC 8200 §4.2 Pad1/PadN). */
function padOptions(w: ByteWriter): void {
  const missing = (8 - ((2 + w.length) % 8)) % 8;
  if (missing === 1) w.u8(0);
  else if (missing > 1) w.u8(1).u8(missing - 2).bytes(new Uint8Array(missing - 2));
}

/** Total length in bytes of an extension header that starts `bytes` (Hdr Ext Len in 8-octet units past the first 8). */
export function extensionHeaderLength(bytes: Uint8Array): Result<number> {
  if (bytes.length < 2) return err('truncated', 'extension header: need next header and length');
  const len = (bytes[1]! + 1) * 8;
  if (bytes.length < len) return err('truncated', `extension header: length ${len}, have ${bytes.length}`);
  return ok(len);
}

export function parseHopByHop(bytes: Uint8Array): Result<{ header: HopByHopHeader; length: number }> {
  const len = extensionHeaderLength(bytes);
  if (!len.ok) return len;
  const options = parseOptions(bytes.subarray(2, len.value));
  if (!options.ok) return options;
  return ok({ header: { nextHeader: bytes[0]!, options: options.value }, length: len.value });
}

/** Emits the header, appending Pad1/PadN if the options do not end on an 8-octet boundary. */
export function emitHopByHop(h: HopByHopHeader): Uint8Array {
  const body = new ByteWriter(16);
  emitOptions(h.options, body);
  padOptions(body);
  const w = new ByteWriter(2 + body.length);
  return w.u8(h.nextHeader).u8((2 + body.length) / 8 - 1).bytes(body.finish()).finish();
}

// ---------------------------------------------------------------------------------------
// Routing header (RFC 8200 §4.4), type 3: RPL source route (RFC 6554 §3)

export const ROUTING_TYPE_RPL_SOURCE_ROUTE = 3;

export interface SourceRoutingHeader {
  type: 3;
  nextHeader: number;
  segmentsLeft: number;
  /** Prefix octets elided from addresses 1..n-1, shared with the IPv6 destination. */
  cmprI: number;
  /** Prefix octets elided from address n. */
  cmprE: number;
  /** Trailing padding octets. */
  pad: number;
  /** The addresses as carried: 16 − cmprI bytes each, the last 16 − cmprE. See `expandSourceRoute`. */
  addresses: Uint8Array[];
}

export type RoutingHeader =
  | SourceRoutingHeader
  | { type: 'unknown'; routingType: number; nextHeader: number; segmentsLeft: number; data: Uint8Array };

export function parseRoutingHeader(bytes: Uint8Array): Result<{ header: RoutingHeader; length: number }> {
  const lenR = extensionHeaderLength(bytes);
  if (!lenR.ok) return lenR;
  const length = lenR.value;
  if (length < 8) return err('truncated', 'routing header: shorter than 8 bytes');
  const nextHeader = bytes[0]!;
  const routingType = bytes[2]!;
  const segmentsLeft = bytes[3]!;
  if (routingType !== ROUTING_TYPE_RPL_SOURCE_ROUTE) {
    return ok({ header: { type: 'unknown', routingType, nextHeader, segmentsLeft, data: bytes.slice(4, length) }, length });
  }
  const cmprI = bytes[4]! >> 4;
  const cmprE = bytes[4]! & 0x0f;
  const pad = bytes[5]! >> 4;
  // RFC 6554 §3: n = (((Hdr Ext Len * 8) - Pad - (16 - CmprE)) / (16 - CmprI)) + 1
  const area = bytes[1]! * 8 - pad;
  const lastLen = 16 - cmprE;
  const eachLen = 16 - cmprI;
  let addresses: Uint8Array[] = [];
  if (area > 0) {
    if (area < lastLen || (area - lastLen) % eachLen !== 0) {
      return err('malformed', `source routing header: ${area} address bytes do not fit CmprI ${cmprI} / CmprE ${cmprE}`);
    }
    const n = (area - lastLen) / eachLen + 1;
    let at = 8;
    addresses = [];
    for (let i = 0; i < n; i++) {
      const l = i === n - 1 ? lastLen : eachLen;
      addresses.push(bytes.slice(at, at + l));
      at += l;
    }
  } else if (area < 0) return err('malformed', `source routing header: pad ${pad} exceeds the header`);
  if (segmentsLeft > addresses.length) {
    return err('malformed', `source routing header: segments left ${segmentsLeft} > ${addresses.length} addresses`);
  }
  return ok({ header: { type: 3, nextHeader, segmentsLeft, cmprI, cmprE, pad, addresses }, length });
}

export function emitRoutingHeader(h: RoutingHeader): Uint8Array {
  const w = new ByteWriter(64);
  if (h.type === 'unknown') {
    w.u8(h.nextHeader).u8((4 + h.data.length + 7) / 8 - 1).u8(h.routingType).u8(h.segmentsLeft).bytes(h.data);
    return w.finish();
  }
  const addrLen = h.addresses.reduce((s, a) => s + a.length, 0);
  w.u8(h.nextHeader).u8((addrLen + h.pad) / 8).u8(3).u8(h.segmentsLeft);
  w.u8(((h.cmprI & 0xf) << 4) | (h.cmprE & 0xf)).u8((h.pad & 0xf) << 4).u16be(0);
  for (const a of h.addresses) w.bytes(a);
  return w.bytes(new Uint8Array(h.pad)).finish();
}

function sharedPrefixOctets(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  while (n < 15 && a[n] === b[n]) n++;
  return n;
}

/** Builds a type 3 routing header for `route` (hops after the current destination), eliding what it shares with `ipv6Dst` (RFC 6554 §3). */
export function compressSourceRoute(nextHeader: number, ipv6Dst: Ipv6Address, route: Ipv6Address[]): SourceRoutingHeader {
  const last = route[route.length - 1];
  const cmprE = last ? sharedPrefixOctets(last, ipv6Dst) : 0;
  const middle = route.slice(0, -1);
  const cmprI = middle.length ? Math.min(...middle.map((a) => sharedPrefixOctets(a, ipv6Dst))) : 0;
  const addresses = route.map((a, i) => a.slice(i === route.length - 1 ? cmprE : cmprI));
  const addrLen = addresses.reduce((s, a) => s + a.length, 0);
  return { type: 3, nextHeader, segmentsLeft: route.length, cmprI, cmprE, pad: (8 - (addrLen % 8)) % 8, addresses };
}

/** The full addresses of a type 3 routing header, elided octets taken from the IPv6 destination it arrived with (RFC 6554 §3). */
export function expandSourceRoute(h: SourceRoutingHeader, ipv6Dst: Ipv6Address): Ipv6Address[] {
  return h.addresses.map((a) => {
    const full = ipv6Dst.slice(0, 16);
    full.set(a, 16 - a.length);
    return full;
  });
}
