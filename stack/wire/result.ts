// Parse results are values, never exceptions: a garbled frame from the air is
// normal input, not a bug.
//
// Every format in stack/wire (and host/wire) has one shape:
// - `parseX(bytes, ...context): Result<X>` for a unit that fills its bytes; a header
//   that other bytes follow answers `Result<{ header: X; length: number }>`, length
//   being the bytes it took. Context (addresses for a checksum, a code read by the
//   caller) comes after the bytes.
// - `emitX(x, ...context): Uint8Array` for a unit; `emitX(x, w: ByteWriter): void` for
//   a part written inside an enclosing message (option lists, RPL bodies).
// - `xLength(x): number` where a caller needs the size before emitting.
// Unknown codes parse to an explicit unknown case; emit throws a RangeError only on
// a value that cannot be written (a caller's bug, never bytes from the air).

export type WireErrorCode = 'truncated' | 'malformed' | 'unsupported' | 'checksum' | 'security';

export interface WireError {
  code: WireErrorCode;
  /** What was wrong, naming the field. */
  message: string;
}

export type Result<T, E = WireError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = (code: WireErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

/** For code that has already validated its input (tests, emitters fed by parsers). */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}
