// Parse results are values, never exceptions: a garbled frame from the air is
// normal input, not a bug.

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
