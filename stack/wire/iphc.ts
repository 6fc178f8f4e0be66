// LOWPAN_IPHC (RFC 6282 §3): the compressed IPv6 header, with the NHC chain that may
// follow it (§4). Two levels:
//   parseIphc / emitIphc      the header as carried (modes and inline bytes), no context needed;
//   decompress* / compress*   full IPv6 headers, given the link-layer addresses and the
//                             context table (RFC 6282 §3.1.1, §3.2).
import { ByteReader, ByteWriter } from './bytes.ts';
import {
  copyPrefixBits,
  iidFromLinkAddress,
  ipv6Equal,
  isLinkLocalPrefix64,
  isMulticast,
  isUnspecified,
  prefixMatches,
  withPrefix,
  type Ipv6Address,
  type LinkAddress,
} from './ipv6-address.ts';
import { emitIpv6Header, extensionHeaderLength, IPV6_HEADER_LEN, NextHeader, parseIpv6 } from './ipv6.ts';
import {
  bestUdpPortMode,
  eidToNextHeader,
  emitNhcExtension,
  emitNhcUdp,
  isNhcExtension,
  isNhcUdp,
  nextHeaderToEid,
  parseNhcExtension,
  parseNhcUdp,
  type NhcExtension,
} from './nhc.ts';
import { err, ok, type Result } from './result.ts';
import { Dispatch } from './sixlowpan.ts';
import { setUdpChecksum, UDP_HEADER_LEN } from './udp.ts';

export type Mode = 0 | 1 | 2 | 3;

/** The IPHC header as carried. Values implied by a mode are filled in on parse and ignored on emit. */
export interface IphcHeader {
  /** TF: 0 ECN+DSCP+flow label, 1 ECN+flow label, 2 ECN+DSCP, 3 all elided. */
  tf: Mode;
  ecn: number;
  dscp: number;
  flowLabel: number;
  /** Inline next header (NH = 0), or undefined when an NHC header follows (NH = 1). */
  nextHeader: number | undefined;
  /** HLIM: 0 inline, 1 → 1, 2 → 64, 3 → 255. */
  hlim: Mode;
  hopLimit: number;
  /** The CID extension byte (source and destination context ids), absent ⇒ context 0. */
  cid: { sci: number; dci: number } | undefined;
  sac: boolean;
  sam: Mode;
  srcInline: Uint8Array;
  /** M: destination is multicast. */
  m: boolean;
  dac: boolean;
  dam: Mode;
  dstInline: Uint8Array;
}

/** A compression context (RFC 6282 §3.1.1, disseminated by 6CO, RFC 6775 §4.2). */
export interface LowpanContext {
  id: number;
  prefix: Uint8Array;
  /** Prefix length in bits. */
  length: number;
  /** false: valid for decompression only (6CO C flag clear). Default true. */
  compress?: boolean;
}

const HLIM_VALUES = [0, 1, 64, 255] as const;

/** Inline bytes per address mode: [unicast stateless, unicast stateful, multicast stateless, multicast stateful]; -1 reserved. */
const ADDRESS_INLINE: Record<'u0' | 'u1' | 'm0' | 'm1', readonly number[]> = {
  u0: [16, 8, 2, 0],
  u1: [0, 8, 2, 0],
  m0: [16, 6, 4, 1],
  m1: [6, -1, -1, -1],
};

function srcInlineLen(sac: boolean, sam: Mode): number {
  return ADDRESS_INLINE[sac ? 'u1' : 'u0'][sam]!;
}

function dstInlineLen(m: boolean, dac: boolean, dam: Mode): number {
  if (!m && dac && dam === 0) return -1; // RFC 6282 §3.1.1: DAC = 1, DAM = 00 is reserved
  return ADDRESS_INLINE[`${m ? 'm' : 'u'}${dac ? 1 : 0}` as 'u0'][dam]!;
}

export function parseIphc(bytes: Uint8Array): Result<{ header: IphcHeader; length: number }> {
  if (bytes.length < 2) return err('truncated', 'iphc: need 2 bytes');
  const r = new ByteReader(bytes);
  const b0 = r.u8();
  const b1 = r.u8();
  if ((b0 & Dispatch.iphcMask) !== Dispatch.iphc) return err('malformed', 'iphc dispatch: not 011xxxxx');
  const tf = ((b0 >> 3) & 3) as Mode;
  const nh = (b0 & 0x04) !== 0;
  const hlim = (b0 & 3) as Mode;
  const cidFlag = (b1 & 0x80) !== 0;
  const sac = (b1 & 0x40) !== 0;
  const sam = ((b1 >> 4) & 3) as Mode;
  const m = (b1 & 0x08) !== 0;
  const dac = (b1 & 0x04) !== 0;
  const dam = (b1 & 3) as Mode;
  const sLen = srcInlineLen(sac, sam);
  const dLen = dstInlineLen(m, dac, dam);
  if (dLen < 0) return err('malformed', `iphc destination: reserved mode M=${+m} DAC=${+dac} DAM=${dam}`);
  const need = 2 + (cidFlag ? 1 : 0) + [4, 3, 1, 0][tf]! + (nh ? 0 : 1) + (hlim === 0 ? 1 : 0) + sLen + dLen;
  if (bytes.length < need) return err('truncated', `iphc: ${bytes.length} bytes, need ${need}`);
  let cid: IphcHeader['cid'];
  if (cidFlag) {
    const c = r.u8();
    cid = { sci: c >> 4, dci: c & 0x0f };
  }
  let ecn = 0;
  let dscp = 0;
  let flowLabel = 0;
  if (tf === 0) {
    const a = r.u8();
    ecn = a >> 6;
    dscp = a & 0x3f;
    flowLabel = ((r.u8() & 0x0f) << 16) | r.u16be();
  } else if (tf === 1) {
    const a = r.u8();
    ecn = a >> 6;
    flowLabel = ((a & 0x0f) << 16) | r.u16be();
  } else if (tf === 2) {
    const a = r.u8();
    ecn = a >> 6;
    dscp = a & 0x3f;
  }
  const nextHeader = nh ? undefined : r.u8();
  const hopLimit = hlim === 0 ? r.u8() : HLIM_VALUES[hlim];
  const srcInline = r.take(sLen).slice();
  const dstInline = r.take(dLen).slice();
  return ok({
    header: { tf, ecn, dscp, flowLabel, nextHeader, hlim, hopLimit, cid, sac, sam, srcInline, m, dac, dam, dstInline },
    length: r.offset,
  });
}

export function emitIphc(h: IphcHeader): Uint8Array {
  const w = new ByteWriter(40);
  w.u8(Dispatch.iphc | (h.tf << 3) | (h.nextHeader === undefined ? 0x04 : 0) | h.hlim);
  w.u8((h.cid ? 0x80 : 0) | (h.sac ? 0x40 : 0) | (h.sam << 4) | (h.m ? 0x08 : 0) | (h.dac ? 0x04 : 0) | h.dam);
  if (h.cid) w.u8(((h.cid.sci & 0xf) << 4) | (h.cid.dci & 0xf));
  if (h.tf === 0) w.u8((h.ecn << 6) | (h.dscp & 0x3f)).u8((h.flowLabel >> 16) & 0x0f).u16be(h.flowLabel & 0xffff);
  else if (h.tf === 1) w.u8((h.ecn << 6) | ((h.flowLabel >> 16) & 0x0f)).u16be(h.flowLabel & 0xffff);
  else if (h.tf === 2) w.u8((h.ecn << 6) | (h.dscp & 0x3f));
  if (h.nextHeader !== undefined) w.u8(h.nextHeader);
  if (h.hlim === 0) w.u8(h.hopLimit);
  return w.bytes(h.srcInline).bytes(h.dstInline).finish();
}

// ---------------------------------------------------------------------------------------
// Addresses (RFC 6282 §3.1.1 SAM/DAM tables, §3.2.2 IID from link-layer address)

function findContext(contexts: readonly LowpanContext[], id: number): Result<LowpanContext> {
  const c = contexts.find((x) => x.id === id);
  return c ? ok(c) : err('malformed', `iphc context ${id}: unknown`);
}

function unicastIid(mode: Mode, inline: Uint8Array, link: LinkAddress): Uint8Array {
  if (mode === 3) return iidFromLinkAddress(link);
  if (mode === 1) return inline;
  const iid = new Uint8Array(8); // 0000:00ff:fe00:XXXX
  iid[3] = 0xff;
  iid[4] = 0xfe;
  iid.set(inline, 6);
  return iid;
}

const LINK_LOCAL_64 = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0);

function unicastAddress(stateful: boolean, mode: Mode, inline: Uint8Array, link: LinkAddress, ctx: LowpanContext | undefined, isSource: boolean): Result<Ipv6Address> {
  if (mode === 0) {
    if (!stateful) return ok(inline.slice());
    if (isSource) return ok(new Uint8Array(16)); // SAC = 1, SAM = 00: the unspecified address
    return err('malformed', 'iphc destination: DAC=1 DAM=00 is reserved');
  }
  const iid = unicastIid(mode, inline, link);
  if (!stateful) return ok(withPrefix(LINK_LOCAL_64, 64, iid));
  // Context bits always win; IID bits they do not cover come from the inline/derived IID (§3.1.1).
  return ok(withPrefix(ctx!.prefix, ctx!.length, iid));
}

function multicastAddress(stateful: boolean, mode: Mode, inline: Uint8Array, ctx: LowpanContext | undefined): Result<Ipv6Address> {
  const a = new Uint8Array(16);
  a[0] = 0xff;
  if (stateful) {
    // ffXX:XXLL:PPPP:PPPP:PPPP:PPPP:XXXX:XXXX, RFC 3306 unicast-prefix-based (§3.1.1)
    if (mode !== 0) return err('malformed', `iphc destination: M=1 DAC=1 DAM=${mode} is reserved`);
    a[1] = inline[0]!;
    a[2] = inline[1]!;
    a[3] = ctx!.length;
    const p = new Uint8Array(8);
    copyPrefixBits(p, ctx!.prefix, Math.min(ctx!.length, 64));
    a.set(p, 4);
    a.set(inline.subarray(2, 6), 12);
    return ok(a);
  }
  switch (mode) {
    case 0:
      return ok(inline.slice());
    case 1: // ffXX::00XX:XXXX:XXXX
      a[1] = inline[0]!;
      a.set(inline.subarray(1, 6), 11);
      return ok(a);
    case 2: // ffXX::00XX:XXXX
      a[1] = inline[0]!;
      a.set(inline.subarray(1, 4), 13);
      return ok(a);
    case 3: // ff02::00XX
      a[1] = 0x02;
      a[15] = inline[0]!;
      return ok(a);
  }
}

export function iphcSource(h: IphcHeader, link: LinkAddress, contexts: readonly LowpanContext[]): Result<Ipv6Address> {
  let ctx: LowpanContext | undefined;
  if (h.sac && h.sam !== 0) {
    const c = findContext(contexts, h.cid?.sci ?? 0);
    if (!c.ok) return c;
    ctx = c.value;
  }
  return unicastAddress(h.sac, h.sam, h.srcInline, link, ctx, true);
}

export function iphcDestination(h: IphcHeader, link: LinkAddress, contexts: readonly LowpanContext[]): Result<Ipv6Address> {
  let ctx: LowpanContext | undefined;
  if (h.dac) {
    const c = findContext(contexts, h.cid?.dci ?? 0);
    if (!c.ok) return c;
    ctx = c.value;
  }
  return h.m ? multicastAddress(h.dac, h.dam, h.dstInline, ctx) : unicastAddress(h.dac, h.dam, h.dstInline, link, ctx, false);
}

interface AddressChoice {
  stateful: boolean;
  mode: Mode;
  inline: Uint8Array;
  ctxId: number;
}

function inlineFor(mode: Mode, addr: Ipv6Address): Uint8Array {
  return mode === 0 ? addr.slice() : mode === 1 ? addr.slice(8) : mode === 2 ? addr.slice(14) : new Uint8Array(0);
}

function chooseUnicast(addr: Ipv6Address, link: LinkAddress, contexts: readonly LowpanContext[], isSource: boolean): AddressChoice {
  if (isSource && isUnspecified(addr)) return { stateful: true, mode: 0, inline: new Uint8Array(0), ctxId: 0 };
  const tryModes = (stateful: boolean, ctx: LowpanContext | undefined): AddressChoice | undefined => {
    for (const mode of [3, 2, 1] as const) {
      const inline = inlineFor(mode, addr);
      const back = unicastAddress(stateful, mode, inline, link, ctx, isSource);
      if (back.ok && ipv6Equal(back.value, addr)) return { stateful, mode, inline, ctxId: ctx?.id ?? 0 };
    }
    return undefined;
  };
  if (isLinkLocalPrefix64(addr)) {
    const c = tryModes(false, undefined);
    if (c) return c;
  }
  // Longest matching context first; context 0 needs no CID byte, so it wins ties.
  const usable = contexts
    .filter((c) => c.compress !== false && c.length > 0 && prefixMatches(addr, c.prefix, c.length))
    .sort((a, b) => b.length - a.length || a.id - b.id);
  for (const ctx of usable) {
    const c = tryModes(true, ctx);
    if (c) return c;
  }
  return { stateful: false, mode: 0, inline: addr.slice(), ctxId: 0 };
}

function chooseMulticast(addr: Ipv6Address, contexts: readonly LowpanContext[]): AddressChoice {
  const candidates: AddressChoice[] = [
    { stateful: false, mode: 3, inline: addr.slice(15), ctxId: 0 },
    { stateful: false, mode: 2, inline: Uint8Array.of(addr[1]!, addr[13]!, addr[14]!, addr[15]!), ctxId: 0 },
    { stateful: false, mode: 1, inline: Uint8Array.of(addr[1]!, ...addr.subarray(11)), ctxId: 0 },
  ];
  for (const c of candidates) {
    const back = multicastAddress(false, c.mode, c.inline, undefined);
    if (back.ok && ipv6Equal(back.value, addr)) return c;
  }
  for (const ctx of contexts) {
    if (ctx.compress === false || ctx.length > 64) continue;
    const inline = Uint8Array.of(addr[1]!, addr[2]!, ...addr.subarray(12));
    const back = multicastAddress(true, 0, inline, ctx);
    if (back.ok && ipv6Equal(back.value, addr)) return { stateful: true, mode: 0, inline, ctxId: ctx.id };
  }
  return { stateful: false, mode: 0, inline: addr.slice(), ctxId: 0 };
}

// ---------------------------------------------------------------------------------------
// Whole headers

export interface LinkAddresses {
  /** Link-layer source (or the mesh header's originator, RFC 4944 §5.2). */
  src: LinkAddress;
  /** Link-layer destination (or the mesh header's final destination). */
  dst: LinkAddress;
  contexts?: readonly LowpanContext[];
}

export interface DecompressOptions extends LinkAddresses {
  /** The FRAG header's datagram_size, when the payload arrives in fragments (RFC 6282 §4.3.3: lengths are inferred). */
  datagramSize?: number;
}

export interface DecompressedHeaders {
  /** The uncompressed IPv6 header and any decompressed extension/UDP headers, length fields set. */
  headers: Uint8Array;
  /** Compressed bytes consumed (from the dispatch byte on). */
  consumed: number;
  /**
   * Where the UDP header sits in the uncompressed datagram, when NHC UDP was used, and the IPv6
   * header whose addresses its checksum covers (an inner one after an IPv6-in-IPv6 tunnel).
   */
  udp?: { offset: number; checksumElided: boolean; ipOffset?: number };
}

/** LOWPAN_NHC for an encapsulated IPv6 header (EID 7, RFC 6282 §4.2): a LOWPAN_IPHC header follows. */
const NHC_IPV6 = 0xee;

function padOptionsData(data: Uint8Array): Uint8Array {
  const missing = (8 - ((2 + data.length) % 8)) % 8;
  if (!missing) return data;
  const out = new Uint8Array(data.length + missing);
  out.set(data);
  if (missing > 1) out[data.length] = 1; // PadN of missing - 2 zero bytes; a single byte is Pad1 (0)
  if (missing > 1) out[data.length + 1] = missing - 2;
  return out;
}

/**
 * Decompresses the IPv6 dispatch at the start of `bytes` (IPHC + NHC chain, or 0x41 uncompressed)
 * into uncompressed headers. The rest of `bytes` after `consumed` is carried verbatim.
 */
export function decompressHeaders(bytes: Uint8Array, opts: DecompressOptions): Result<DecompressedHeaders> {
  if (bytes[0] === Dispatch.ipv6) return ok({ headers: new Uint8Array(0), consumed: 1 });
  const p = parseIphc(bytes);
  if (!p.ok) return p;
  const h = p.value.header;
  const contexts = opts.contexts ?? [];
  const src = iphcSource(h, opts.src, contexts);
  if (!src.ok) return src;
  const dst = iphcDestination(h, opts.dst, contexts);
  if (!dst.ok) return dst;

  let at = p.value.length;
  const exts: { eh: NhcExtension; data: Uint8Array }[] = [];
  let udp: { srcPort: number; dstPort: number; checksum: number | undefined } | undefined;
  // The next-header value of each decompressed header is the type of the one after it.
  const nextTypes: number[] = [];
  let lastInline: number | undefined = h.nextHeader;
  /** Where an encapsulated IPv6 header compressed with IPHC starts (OpenThread tunnels MPL this way, lowpan.cpp). */
  let innerAt: number | undefined;
  if (h.nextHeader === undefined) {
    for (;;) {
      const b = bytes[at];
      if (b === undefined) return err('truncated', 'nhc: missing after NH=1');
      if ((b & 0xfe) === NHC_IPV6) {
        nextTypes.push(NextHeader.ipv6);
        innerAt = at + 1;
        lastInline = undefined;
        break;
      }
      if (isNhcUdp(b)) {
        const u = parseNhcUdp(bytes.subarray(at));
        if (!u.ok) return u;
        udp = u.value.header;
        at += u.value.length;
        nextTypes.push(NextHeader.udp);
        lastInline = undefined;
        break;
      }
      if (isNhcExtension(b)) {
        const e = parseNhcExtension(bytes.subarray(at));
        if (!e.ok) return e;
        const type = eidToNextHeader(e.value.header.eid);
        if (type === undefined) return err('unsupported', `nhc extension: EID ${e.value.header.eid}`);
        const optionHeader = type === NextHeader.hopByHop || type === NextHeader.destinationOptions;
        const data = optionHeader ? padOptionsData(e.value.header.data) : e.value.header.data;
        if ((2 + data.length) % 8) return err('malformed', `nhc extension EID ${e.value.header.eid}: length ${data.length} not 8-octet aligned`);
        exts.push({ eh: e.value.header, data });
        nextTypes.push(type);
        at += e.value.length;
        if (e.value.header.nextHeader !== undefined) {
          lastInline = e.value.header.nextHeader;
          break;
        }
        continue;
      }
      return err('unsupported', `nhc: unknown id 0x${b.toString(16)}`);
    }
  }

  const extLen = exts.reduce((s, e) => s + 2 + e.data.length, 0);
  let inner: DecompressedHeaders | undefined;
  if (innerAt !== undefined) {
    const outerLen = IPV6_HEADER_LEN + extLen;
    const i = decompressHeaders(bytes.subarray(innerAt), { ...opts, ...(opts.datagramSize !== undefined ? { datagramSize: opts.datagramSize - outerLen } : {}) });
    if (!i.ok) return i;
    inner = i.value;
    at = innerAt + inner.consumed;
  }
  const headerLen = IPV6_HEADER_LEN + extLen + (udp ? UDP_HEADER_LEN : 0) + (inner ? inner.headers.length : 0);
  const total = opts.datagramSize ?? headerLen + (bytes.length - at);
  if (total < headerLen) return err('malformed', `datagram size ${total} < decompressed headers ${headerLen}`);
  const w = new ByteWriter(headerLen);
  w.bytes(
    emitIpv6Header(
      { trafficClass: (h.dscp << 2) | h.ecn, flowLabel: h.flowLabel, nextHeader: nextTypes[0] ?? h.nextHeader!, hopLimit: h.hopLimit, src: src.value, dst: dst.value },
      total - IPV6_HEADER_LEN,
    ),
  );
  exts.forEach((e, i) => {
    w.u8(nextTypes[i + 1] ?? lastInline!).u8((2 + e.data.length) / 8 - 1).bytes(e.data);
  });
  if (udp) w.bytes(new Uint8Array(UDP_HEADER_LEN));
  if (inner) w.bytes(inner.headers);
  const out: DecompressedHeaders = { headers: w.finish(), consumed: at };
  if (inner?.udp) {
    const shift = IPV6_HEADER_LEN + extLen;
    out.udp = { offset: inner.udp.offset + shift, checksumElided: inner.udp.checksumElided, ipOffset: (inner.udp.ipOffset ?? 0) + shift };
  }
  if (udp) {
    const off = IPV6_HEADER_LEN + extLen;
    const headers = out.headers;
    const udpLen = total - off;
    headers.set([udp.srcPort >> 8, udp.srcPort & 0xff, udp.dstPort >> 8, udp.dstPort & 0xff, udpLen >> 8, udpLen & 0xff], off);
    headers[off + 6] = (udp.checksum ?? 0) >> 8;
    headers[off + 7] = (udp.checksum ?? 0) & 0xff;
    out.udp = { offset: off, checksumElided: udp.checksum === undefined };
  }
  return ok(out);
}

/** Fills in an elided UDP checksum once the whole datagram is known (RFC 6282 §4.3.2). */
export function completeDatagram(datagram: Uint8Array, udp: DecompressedHeaders['udp']): void {
  if (!udp?.checksumElided) return;
  const ip = udp.ipOffset ?? 0;
  setUdpChecksum(datagram, udp.offset, datagram.subarray(ip + 8, ip + 24), datagram.subarray(ip + 24, ip + 40));
}

/** Decompresses an unfragmented 6LoWPAN payload (IPv6 dispatch onward) to a full IPv6 datagram. */
export function decompressDatagram(bytes: Uint8Array, opts: LinkAddresses): Result<Uint8Array> {
  const d = decompressHeaders(bytes, opts);
  if (!d.ok) return d;
  const rest = bytes.subarray(d.value.consumed);
  const out = new Uint8Array(d.value.headers.length + rest.length);
  out.set(d.value.headers);
  out.set(rest, d.value.headers.length);
  completeDatagram(out, d.value.udp);
  return ok(out);
}

export interface CompressOptions extends LinkAddresses {
  /** Elide the UDP checksum (C = 1); only when an upper layer allows it (RFC 6282 §4.3.2). */
  elideUdpChecksum?: boolean;
}

export interface Compressed {
  /** IPHC dispatch onward: compressed headers, then the rest of the datagram verbatim. */
  bytes: Uint8Array;
  /** Compressed header bytes at the front of `bytes`; they must all go in FRAG1 (RFC 6282 §2). */
  headerLength: number;
  /** The uncompressed bytes those headers stand for. */
  uncompressedHeaderLength: number;
  /** The uncompressed datagram size (FRAG datagram_size). */
  datagramSize: number;
}

const COMPRESSIBLE_EXT: readonly number[] = [NextHeader.hopByHop, NextHeader.routing, NextHeader.destinationOptions];

/** Picks the shortest IPHC/NHC encoding of an IPv6 datagram for the given link addresses and contexts. */
export function compressDatagram(datagram: Uint8Array, opts: CompressOptions): Result<Compressed> {
  const p = parseIpv6(datagram);
  if (!p.ok) return p;
  const ip = p.value;
  const contexts = opts.contexts ?? [];
  const payload = ip.payload;

  // Which next headers get NHC: walk the chain while it stays compressible.
  const compressibleAt = (type: number, at: number): boolean => {
    if (type === NextHeader.udp) return payload.length - at >= UDP_HEADER_LEN;
    if (!COMPRESSIBLE_EXT.includes(type)) return false;
    const len = extensionHeaderLength(payload.subarray(at));
    return len.ok && len.value - 2 <= 255;
  };
  const nhcParts: Uint8Array[] = [];
  let type = ip.nextHeader;
  let at = 0;
  const firstCompressed = compressibleAt(type, 0);
  while (compressibleAt(type, at)) {
    if (type === NextHeader.udp) {
      const srcPort = (payload[at]! << 8) | payload[at + 1]!;
      const dstPort = (payload[at + 2]! << 8) | payload[at + 3]!;
      const checksum = opts.elideUdpChecksum ? undefined : (payload[at + 6]! << 8) | payload[at + 7]!;
      nhcParts.push(emitNhcUdp({ portMode: bestUdpPortMode(srcPort, dstPort), srcPort, dstPort, checksum }));
      at += UDP_HEADER_LEN;
      break;
    }
    const len = unwrapLen(extensionHeaderLength(payload.subarray(at)));
    const next = payload[at]!;
    const nextCompressed = compressibleAt(next, at + len);
    nhcParts.push(emitNhcExtension({ eid: nextHeaderToEid(type)!, nextHeader: nextCompressed ? undefined : next, data: payload.slice(at + 2, at + len) }));
    at += len;
    type = next;
    if (!nextCompressed) break;
  }

  const tc = ip.trafficClass;
  const dscp = tc >> 2;
  const ecn = tc & 3;
  const tf: Mode = ip.flowLabel === 0 ? (tc === 0 ? 3 : 2) : dscp === 0 ? 1 : 0;
  const hlimIdx = HLIM_VALUES.indexOf(ip.hopLimit as 1);
  const hlim = (hlimIdx > 0 ? hlimIdx : 0) as Mode;
  const s = chooseUnicast(ip.src, opts.src, contexts, true);
  const d = isMulticast(ip.dst) ? chooseMulticast(ip.dst, contexts) : chooseUnicast(ip.dst, opts.dst, contexts, false);
  const sci = s.stateful ? s.ctxId : 0;
  const dci = d.stateful ? d.ctxId : 0;
  const header: IphcHeader = {
    tf,
    ecn,
    dscp,
    flowLabel: ip.flowLabel,
    nextHeader: firstCompressed ? undefined : ip.nextHeader,
    hlim,
    hopLimit: ip.hopLimit,
    cid: sci || dci ? { sci, dci } : undefined,
    sac: s.stateful,
    sam: s.mode,
    srcInline: s.inline,
    m: isMulticast(ip.dst),
    dac: d.stateful,
    dam: d.mode,
    dstInline: d.inline,
  };
  const w = new ByteWriter(datagram.length);
  w.bytes(emitIphc(header));
  for (const part of nhcParts) w.bytes(part);
  const headerLength = w.length;
  w.bytes(payload.subarray(at));
  return ok({ bytes: w.finish(), headerLength, uncompressedHeaderLength: IPV6_HEADER_LEN + at, datagramSize: IPV6_HEADER_LEN + payload.length });
}

function unwrapLen(r: Result<number>): number {
  return r.ok ? r.value : 0;
}
