// IEEE 802.15.4 frame security (CCM*), bytes in and bytes out, so the frame
// codec can call it without this file knowing the frame layout.
//
// IEEE 802.15.4-2006 §7.6.3.2 (outgoing frame security):
// - a (authenticated only) = MHR through the aux security header, plus, for
//   a MAC command frame, the command identifier; for levels 1–3 also the payload;
// - m (encrypted) = the payload, for levels 4–7;
// - nonce = source extended address ‖ frame counter (BE) ‖ security level (§7.6.3.2, Annex B.4.1.2).
import { ccmStarDecrypt, ccmStarEncrypt } from './ccm.ts';
import type { MicLength } from './ccm.ts';
import { err, ok } from '../wire/result.ts';
import type { Result } from '../wire/result.ts';

/** IEEE 802.15.4-2006 Table 95: levels 0–7; bit 2 = encryption, bits 1–0 = MIC size. */
export type SecurityLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Thread secures MAC frames at level 5, ENC-MIC-32, key ID mode 1 (OpenThread `mac_frame.hpp`, `KeyManager`). */
export const THREAD_MAC_SECURITY_LEVEL: SecurityLevel = 5;

const MIC_LENGTHS: readonly MicLength[] = [0, 4, 8, 16]; // Table 95, indexed by level & 3

export function micLengthOf(level: SecurityLevel): MicLength {
  return MIC_LENGTHS[level & 3] ?? 0;
}

export function encrypts(level: SecurityLevel): boolean {
  return (level & 4) !== 0;
}

/**
 * CCM* nonce: extended address (8) ‖ frame counter (4, big-endian) ‖ level (1).
 * `extAddress` is in EUI-64 order (most significant byte first), as printed by
 * `extaddr`; the frame carries it reversed (little-endian), so a caller reading
 * it from the MHR must reverse it first.
 */
export function ccmNonce(extAddress: Uint8Array, frameCounter: number, level: number): Uint8Array {
  if (extAddress.length !== 8) throw new RangeError(`extended address must be 8 bytes, got ${extAddress.length}`);
  const nonce = new Uint8Array(13);
  nonce.set(extAddress, 0);
  new DataView(nonce.buffer).setUint32(8, frameCounter >>> 0, false);
  nonce[12] = level & 0xff;
  return nonce;
}

export interface MacSecurityParams {
  /** The MAC key (for Thread, `ThreadKeys.macKey` of the key index's sequence). */
  key: Uint8Array;
  /** Sender's extended address, EUI-64 order. */
  extAddress: Uint8Array;
  frameCounter: number;
  securityLevel: SecurityLevel;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Secures a frame's payload. `header` is every byte authenticated but sent in
 * the clear: the MHR through the aux security header (and the command ID of a
 * command frame). Returns what follows the header on air, FCS excluded: the
 * (encrypted, for levels 4–7) payload ‖ MIC.
 */
export function secureMacPayload(header: Uint8Array, payload: Uint8Array, p: MacSecurityParams): Uint8Array {
  const level = p.securityLevel;
  if (level === 0) return payload.slice();
  const nonce = ccmNonce(p.extAddress, p.frameCounter, level);
  const mic = micLengthOf(level);
  if (encrypts(level)) return ccmStarEncrypt(p.key, nonce, header, payload, mic);
  // Levels 1–3: the payload is authenticated in the clear, the MIC follows it.
  const tag = ccmStarEncrypt(p.key, nonce, concat(header, payload), new Uint8Array(0), mic);
  return concat(payload, tag);
}

/** Reverses `secureMacPayload`: `secured` is what follows `header`, FCS excluded. */
export function unsecureMacPayload(header: Uint8Array, secured: Uint8Array, p: MacSecurityParams): Result<Uint8Array> {
  const level = p.securityLevel;
  if (level === 0) return ok(secured.slice());
  const nonce = ccmNonce(p.extAddress, p.frameCounter, level);
  const mic = micLengthOf(level);
  if (secured.length < mic) return err('truncated', `MAC frame MIC: need ${mic} bytes, got ${secured.length}`);
  if (encrypts(level)) return ccmStarDecrypt(p.key, nonce, header, secured, mic);
  const payload = secured.subarray(0, secured.length - mic);
  const checked = ccmStarDecrypt(p.key, nonce, concat(header, payload), secured.subarray(secured.length - mic), mic);
  return checked.ok ? ok(payload.slice()) : checked;
}
