// 6LoWPAN dispatch and the headers that precede the compressed IPv6 header: mesh
// (RFC 4944 §5.2), broadcast (LOWPAN_BC0, §11.1) and fragmentation (§5.3). Order on the
// wire: mesh → broadcast → fragment → IPv6 dispatch (RFC 4944 §5).
import { ByteReader, ByteWriter } from './bytes.ts';
import type { LinkAddress } from './ipv6-address.ts';
import { err, ok, type Result } from './result.ts';

/** RFC 4944 §5.1 dispatch values, with RFC 6282 §3.1's IPHC range. */
export const Dispatch = {
  ipv6: 0x41,
  hc1: 0x42,
  bc0: 0x50,
  /** 011xxxxx */
  iphcMask: 0xe0,
  iphc: 0x60,
  /** 10xxxxxx */
  meshMask: 0xc0,
  mesh: 0x80,
  /** 11000xxx / 11100xxx */
  fragMask: 0xf8,
  frag1: 0xc0,
  fragN: 0xe0,
} as const;

export type DispatchKind = 'nalp' | 'ipv6' | 'hc1' | 'bc0' | 'iphc' | 'mesh' | 'frag1' | 'fragN' | 'reserved';

export function classifyDispatch(byte: number): DispatchKind {
  if ((byte & 0xc0) === 0x00) return 'nalp'; // 00xxxxxx: not a LoWPAN frame
  if ((byte & Dispatch.iphcMask) === Dispatch.iphc) return 'iphc';
  if (byte === Dispatch.ipv6) return 'ipv6';
  if (byte === Dispatch.hc1) return 'hc1';
  if (byte === Dispatch.bc0) return 'bc0';
  if ((byte & Dispatch.meshMask) === Dispatch.mesh) return 'mesh';
  if ((byte & Dispatch.fragMask) === Dispatch.frag1) return 'frag1';
  if ((byte & Dispatch.fragMask) === Dispatch.fragN) return 'fragN';
  return 'reserved';
}

// ---------------------------------------------------------------------------------------
// Fragmentation header (RFC 4944 §5.3)

export const FRAG1_HEADER_LEN = 4;
export const FRAGN_HEADER_LEN = 5;

export type FragHeader =
  | { kind: 'frag1'; datagramSize: number; datagramTag: number }
  /** `datagramOffset` is in units of 8 octets of the uncompressed datagram. */
  | { kind: 'fragN'; datagramSize: number; datagramTag: number; datagramOffset: number };

export function parseFragHeader(bytes: Uint8Array): Result<{ header: FragHeader; length: number }> {
  const kind = bytes.length ? classifyDispatch(bytes[0]!) : 'nalp';
  if (kind !== 'frag1' && kind !== 'fragN') return err('malformed', 'fragment dispatch: not FRAG1/FRAGN');
  const length = kind === 'frag1' ? FRAG1_HEADER_LEN : FRAGN_HEADER_LEN;
  if (bytes.length < length) return err('truncated', `fragment header: ${bytes.length} bytes, need ${length}`);
  const r = new ByteReader(bytes);
  const datagramSize = r.u16be() & 0x07ff;
  const datagramTag = r.u16be();
  if (kind === 'frag1') return ok({ header: { kind, datagramSize, datagramTag }, length });
  return ok({ header: { kind, datagramSize, datagramTag, datagramOffset: r.u8() }, length });
}

export function emitFragHeader(h: FragHeader): Uint8Array {
  const w = new ByteWriter(FRAGN_HEADER_LEN);
  w.u16be(((h.kind === 'frag1' ? Dispatch.frag1 : Dispatch.fragN) << 8) | (h.datagramSize & 0x07ff)).u16be(h.datagramTag);
  if (h.kind === 'fragN') w.u8(h.datagramOffset);
  return w.finish();
}

// ---------------------------------------------------------------------------------------
// Mesh addressing header (RFC 4944 §5.2): 10 V F HopsLeft(4), originator, final destination.
// V/F = 1 → 16-bit short address, 0 → EUI-64. Hops Left 0xF escapes to an 8-bit
// "Deep Hops Left" byte that follows (decoded so by tshark 4.0, field 6lowpan.mesh.hops8).

export interface MeshHeader {
  hopsLeft: number;
  originator: LinkAddress;
  final: LinkAddress;
}

const DEEP_HOPS = 0x0f;

export function meshHeaderLength(h: MeshHeader): number {
  const a = (l: LinkAddress): number => (l.mode === 'short' ? 2 : 8);
  return 1 + (h.hopsLeft >= DEEP_HOPS ? 1 : 0) + a(h.originator) + a(h.final);
}

export function parseMeshHeader(bytes: Uint8Array): Result<{ header: MeshHeader; length: number }> {
  if (!bytes.length || classifyDispatch(bytes[0]!) !== 'mesh') return err('malformed', 'mesh dispatch: not 10xxxxxx');
  const b = bytes[0]!;
  const v = (b & 0x20) !== 0;
  const f = (b & 0x10) !== 0;
  const deep = (b & 0x0f) === DEEP_HOPS;
  const length = 1 + (deep ? 1 : 0) + (v ? 2 : 8) + (f ? 2 : 8);
  if (bytes.length < length) return err('truncated', `mesh header: ${bytes.length} bytes, need ${length}`);
  const r = new ByteReader(bytes);
  r.u8();
  const hopsLeft = deep ? r.u8() : b & 0x0f;
  const addr = (short: boolean): LinkAddress => (short ? { mode: 'short', short: r.u16be() } : { mode: 'ext', ext: r.take(8).slice() });
  const originator = addr(v);
  const final = addr(f);
  return ok({ header: { hopsLeft, originator, final }, length });
}

export function emitMeshHeader(h: MeshHeader): Uint8Array {
  const w = new ByteWriter(meshHeaderLength(h));
  const deep = h.hopsLeft >= DEEP_HOPS;
  w.u8(Dispatch.mesh | (h.originator.mode === 'short' ? 0x20 : 0) | (h.final.mode === 'short' ? 0x10 : 0) | (deep ? DEEP_HOPS : h.hopsLeft));
  if (deep) w.u8(h.hopsLeft);
  for (const a of [h.originator, h.final]) {
    if (a.mode === 'short') w.u16be(a.short);
    else w.bytes(a.ext);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------
// Broadcast header LOWPAN_BC0 (RFC 4944 §11.1): dispatch 0x50, 8-bit sequence number.

export function parseBc0(bytes: Uint8Array): Result<{ sequence: number; length: 2 }> {
  if (bytes[0] !== Dispatch.bc0) return err('malformed', 'broadcast dispatch: not 0x50');
  if (bytes.length < 2) return err('truncated', 'broadcast header: need 2 bytes');
  return ok({ sequence: bytes[1]!, length: 2 });
}

export function emitBc0(sequence: number): Uint8Array {
  return Uint8Array.of(Dispatch.bc0, sequence & 0xff);
}

// ---------------------------------------------------------------------------------------

/** The headers in front of the IPv6 dispatch of one frame, peeled in RFC 4944 §5 order. */
export interface LowpanFrame {
  mesh?: MeshHeader;
  bc0?: number;
  frag?: FragHeader;
  /** What follows: an IPv6 dispatch (IPHC or 0x41) for unfragmented frames and FRAG1, raw datagram bytes for FRAGN. */
  rest: Uint8Array;
}

export function parseLowpanFrame(bytes: Uint8Array): Result<LowpanFrame> {
  const out: LowpanFrame = { rest: bytes };
  let at = 0;
  const next = (): DispatchKind => (at < bytes.length ? classifyDispatch(bytes[at]!) : 'nalp');
  if (next() === 'mesh') {
    const m = parseMeshHeader(bytes.subarray(at));
    if (!m.ok) return m;
    out.mesh = m.value.header;
    at += m.value.length;
  }
  if (next() === 'bc0') {
    const b = parseBc0(bytes.subarray(at));
    if (!b.ok) return b;
    out.bc0 = b.value.sequence;
    at += b.value.length;
  }
  const k = next();
  if (k === 'frag1' || k === 'fragN') {
    const f = parseFragHeader(bytes.subarray(at));
    if (!f.ok) return f;
    out.frag = f.value.header;
    at += f.value.length;
  }
  out.rest = bytes.subarray(at);
  if (out.frag?.kind !== 'fragN') {
    const d = next();
    if (d !== 'iphc' && d !== 'ipv6') return err('unsupported', `6lowpan dispatch: ${d} (0x${(bytes[at] ?? 0).toString(16)})`);
  }
  return ok(out);
}
