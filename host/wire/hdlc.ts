// HDLC-lite framing of a Spinel byte stream (Spinel specification, appendix A.1.1;
// RFC 1662 §4): a frame is its bytes followed by a 16-bit FCS, escaped, between
// 0x7E flags. The FCS is CRC-16/X.25 (RFC 1662 §C.2: reflected 0x1021, initial
// 0xFFFF, final XOR 0xFFFF; check("123456789") = 0x906E), sent low byte first.
import { err, ok, type Result } from '../../stack/wire/result.ts';

export const HDLC_FLAG = 0x7e;
export const HDLC_ESCAPE = 0x7d;
/** Bytes sent escaped: the flag, the escape, XON/XOFF (RFC 1662 §7.1 default ACCM) and 0xF8, as OpenThread's HDLC encoder does. */
const ESCAPED = new Set([HDLC_FLAG, HDLC_ESCAPE, 0x11, 0x13, 0xf8]);
/** The FCS of a frame followed by its own FCS (RFC 1662 §C.2 "good final FCS"). */
const GOOD_FCS = 0xf0b8;

export function crc16X25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] ?? 0;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc ^ 0xffff;
}

/** One frame on the wire: flag, escaped bytes and FCS, flag. */
export function emitHdlc(frame: Uint8Array): Uint8Array {
  const fcs = crc16X25(frame);
  const raw = [...frame, fcs & 0xff, fcs >> 8];
  const out: number[] = [HDLC_FLAG];
  for (const b of raw) {
    if (ESCAPED.has(b)) out.push(HDLC_ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  out.push(HDLC_FLAG);
  return Uint8Array.from(out);
}

/** The bytes between two flags, unescaped and checked; the FCS is removed. */
export function parseHdlc(escaped: Uint8Array): Result<Uint8Array> {
  const out: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const b = escaped[i]!;
    if (b === HDLC_FLAG) return err('malformed', `flag byte inside a frame at offset ${i}`);
    if (b === HDLC_ESCAPE) {
      const next = escaped[++i];
      if (next === undefined) return err('truncated', 'frame ends in an escape byte');
      out.push(next ^ 0x20);
    } else out.push(b);
  }
  if (out.length < 3) return err('truncated', `frame of ${out.length} bytes is shorter than an FCS and one byte`);
  const bytes = Uint8Array.from(out);
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  if (crc !== GOOD_FCS) {
    const got = bytes[bytes.length - 2]! | (bytes[bytes.length - 1]! << 8);
    return err('checksum', `FCS 0x${got.toString(16).padStart(4, '0')} does not match 0x${crc16X25(bytes, 0, bytes.length - 2).toString(16).padStart(4, '0')}`);
  }
  return ok(bytes.subarray(0, bytes.length - 2));
}

/**
 * Splits a byte stream into frames. Bytes before the first flag, empty frames
 * (flag after flag) and frames that fail their FCS are reported, not thrown:
 * a serial line starts mid-frame and can garble bytes.
 */
export class HdlcSplitter {
  private buf: number[] = [];
  private synced = false;

  push(chunk: Uint8Array): Array<Result<Uint8Array>> {
    const out: Array<Result<Uint8Array>> = [];
    for (const b of chunk) {
      if (b !== HDLC_FLAG) {
        if (this.synced) this.buf.push(b);
        continue;
      }
      if (this.synced && this.buf.length > 0) out.push(parseHdlc(Uint8Array.from(this.buf)));
      this.buf = [];
      this.synced = true;
    }
    return out;
  }
}
