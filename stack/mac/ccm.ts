// AES-128-CCM* as IEEE 802.15.4 and Thread use it: 13-byte nonce (so L = 2),
// MIC of 0, 4, 8 or 16 bytes.
//
// node:crypto's aes-128-ccm does CCM with a MIC of 4–16 bytes. CCM* adds the
// encryption-only case (MIC length 0, 802.15.4 security level 4), which plain
// CCM cannot express; for it we run the CCM* counter mode ourselves on
// aes-128-ctr. CCM* with M = 0 is exactly CTR over the payload with counter
// blocks A_i = flags(L−1) ‖ nonce ‖ i, starting at i = 1 (IEEE 802.15.4-2006
// Annex B.4.1.3; A_0 only ever encrypts the MIC).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { err, ok } from '../wire/result.ts';
import type { Result } from '../wire/result.ts';

export type MicLength = 0 | 4 | 8 | 16;

export const CCM_KEY_LENGTH = 16;
export const CCM_NONCE_LENGTH = 13;

function checkArgs(key: Uint8Array, nonce: Uint8Array, micLength: number): void {
  if (key.length !== CCM_KEY_LENGTH) throw new RangeError(`CCM* key must be ${CCM_KEY_LENGTH} bytes, got ${key.length}`);
  if (nonce.length !== CCM_NONCE_LENGTH) throw new RangeError(`CCM* nonce must be ${CCM_NONCE_LENGTH} bytes, got ${nonce.length}`);
  if (![0, 4, 8, 16].includes(micLength)) throw new RangeError(`CCM* MIC length must be 0, 4, 8 or 16, got ${micLength}`);
}

/** Counter-mode keystream XOR starting at A_1 (encryption and decryption are the same). */
function ctrFromA1(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  const a1 = new Uint8Array(16);
  a1[0] = 0x01; // flags: Adata = 0, M' = 0, L' = L − 1 = 1
  a1.set(nonce, 1);
  a1[15] = 0x01; // counter i = 1
  const c = createCipheriv('aes-128-ctr', key, a1);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** Encrypts `plaintext`, authenticating `aad` too; returns ciphertext ‖ MIC. */
export function ccmStarEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  micLength: MicLength,
): Uint8Array {
  checkArgs(key, nonce, micLength);
  if (micLength === 0) return ctrFromA1(key, nonce, plaintext);
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: micLength });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  const out = new Uint8Array(body.length + micLength);
  out.set(body, 0);
  out.set(c.getAuthTag(), body.length);
  return out;
}

/**
 * Reverses `ccmStarEncrypt`: `secured` is ciphertext ‖ MIC. A MIC that does not
 * verify is a `security` error value, not an exception: forged or corrupted
 * frames are ordinary input.
 */
export function ccmStarDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  secured: Uint8Array,
  micLength: MicLength,
): Result<Uint8Array> {
  checkArgs(key, nonce, micLength);
  if (secured.length < micLength) return err('truncated', `CCM* MIC: need ${micLength} bytes, got ${secured.length}`);
  if (micLength === 0) return ok(ctrFromA1(key, nonce, secured));
  const body = secured.subarray(0, secured.length - micLength);
  const mic = secured.subarray(secured.length - micLength);
  const d = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: micLength });
  d.setAuthTag(mic);
  d.setAAD(aad, { plaintextLength: body.length });
  try {
    const plain = Buffer.concat([d.update(body), d.final()]);
    return ok(new Uint8Array(plain));
  } catch {
    return err('security', 'CCM* MIC: authentication failed');
  }
}
