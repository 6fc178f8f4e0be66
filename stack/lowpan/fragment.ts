// Splitting a compressed datagram into FRAG1/FRAGN frames (RFC 4944 §5.3). Sizes and
// offsets count bytes of the *uncompressed* datagram (RFC 6282 §2), so every fragment but
// the last covers a multiple of 8 uncompressed bytes, and FRAG1 carries all the
// compressed headers.
import type { Compressed } from '../wire/iphc.ts';
import { err, ok, type Result } from '../wire/result.ts';
import { emitFragHeader, FRAG1_HEADER_LEN, FRAGN_HEADER_LEN } from '../wire/sixlowpan.ts';

/** datagram_size is 11 bits (RFC 4944 §5.3). */
export const MAX_DATAGRAM_SIZE = 2047;

export interface FragmentOptions {
  /** Room for the 6LoWPAN payload in one MAC frame (after MAC header, security and FCS). */
  maxPayload: number;
  /** datagram_tag, the sender's per-datagram counter. */
  tag: number;
}

/** One frame's 6LoWPAN payload per element; a datagram that fits in one frame is returned unfragmented. */
export function fragmentDatagram(c: Compressed, opts: FragmentOptions): Result<Uint8Array[]> {
  if (c.bytes.length <= opts.maxPayload) return ok([c.bytes]);
  if (c.datagramSize > MAX_DATAGRAM_SIZE) return err('unsupported', `datagram size ${c.datagramSize} > ${MAX_DATAGRAM_SIZE}`);
  const room1 = opts.maxPayload - FRAG1_HEADER_LEN - c.headerLength;
  // Largest k ≤ room1 with (uncompressed header + k) a multiple of 8.
  const k = Math.floor((c.uncompressedHeaderLength + room1) / 8) * 8 - c.uncompressedHeaderLength;
  if (k < 0 || room1 < 0) return err('unsupported', `compressed headers (${c.headerLength} bytes) do not fit a first fragment of ${opts.maxPayload}`);
  const roomN = Math.floor((opts.maxPayload - FRAGN_HEADER_LEN) / 8) * 8;
  if (roomN <= 0) return err('unsupported', `max payload ${opts.maxPayload} leaves no room for FRAGN data`);

  const tag = opts.tag & 0xffff;
  const frames: Uint8Array[] = [];
  const first = c.headerLength + k;
  frames.push(concat(emitFragHeader({ kind: 'frag1', datagramSize: c.datagramSize, datagramTag: tag }), c.bytes.subarray(0, first)));
  let at = first; // in compressed bytes
  let offset = c.uncompressedHeaderLength + k; // in uncompressed bytes
  while (at < c.bytes.length) {
    const n = Math.min(roomN, c.bytes.length - at);
    const h = emitFragHeader({ kind: 'fragN', datagramSize: c.datagramSize, datagramTag: tag, datagramOffset: offset / 8 });
    frames.push(concat(h, c.bytes.subarray(at, at + n)));
    at += n;
    offset += n;
  }
  return ok(frames);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
