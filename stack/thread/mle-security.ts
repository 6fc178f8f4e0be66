// MLE message security (OpenThread `Mle::ProcessMessageSecurity`, `mle.cpp`):
// - key: the MLE key of the key sequence in the aux header (key ID mode 2);
// - nonce: sender extended address ‖ frame counter (BE) ‖ security level 5;
//   the receiver takes the sender's extended address from the source IPv6
//   address's IID with the U/L bit (0x02 of its first byte) flipped back;
// - AAD: source IPv6 (16) ‖ destination IPv6 (16) ‖ aux header (10); the suite
//   byte is not authenticated;
// - encrypted: the command byte and TLVs; a 4-byte MIC follows.
import { ccmStarDecrypt, ccmStarEncrypt } from '../mac/ccm.ts';
import { ccmNonce } from '../mac/frame-security.ts';
import {
  MLE_SECURITY_LEVEL,
  emitMleAuxHeader,
  emitMleFrame,
  emitMleMessage,
  mleAuxHeaderFor,
  parseMleFrame,
  parseMleMessage,
} from '../wire/mle.ts';
import type { MleMessage } from '../wire/mle.ts';
import { err, ok } from '../wire/result.ts';
import type { Result } from '../wire/result.ts';

const MLE_MIC_LENGTH = 4; // level 5, ENC-MIC-32

/**
 * The extended address behind an IPv6 interface identifier (RFC 4944 §6: the IID
 * is the EUI-64 with the U/L bit inverted), in EUI-64 order.
 */
export function extAddressFromIpv6(address: Uint8Array): Uint8Array {
  if (address.length !== 16) throw new RangeError(`IPv6 address must be 16 bytes, got ${address.length}`);
  const ext = address.slice(8, 16);
  ext[0] = (ext[0] ?? 0) ^ 0x02;
  return ext;
}

export function mleNonce(senderExtAddress: Uint8Array, frameCounter: number): Uint8Array {
  return ccmNonce(senderExtAddress, frameCounter, MLE_SECURITY_LEVEL);
}

export function mleAad(source: Uint8Array, destination: Uint8Array, auxHeader: Uint8Array): Uint8Array {
  if (source.length !== 16 || destination.length !== 16) throw new RangeError('MLE AAD: IPv6 addresses must be 16 bytes');
  const aad = new Uint8Array(32 + auxHeader.length);
  aad.set(source, 0);
  aad.set(destination, 16);
  aad.set(auxHeader, 32);
  return aad;
}

export interface SecureMleParams {
  /** IPv6 source address of the UDP datagram (the sender's link-local address). */
  source: Uint8Array;
  destination: Uint8Array;
  keySequence: number;
  /** The sender's MLE frame counter for this message. */
  frameCounter: number;
  /** MLE key of `keySequence`. */
  mleKey: Uint8Array;
  /** Defaults to the one behind the source IID; a receiver can only ever use that one. */
  senderExtAddress?: Uint8Array;
}

/** Secures an MLE message: returns the UDP payload (suite 0, aux header, ciphertext, MIC). */
export function secureMle(message: MleMessage | Uint8Array, p: SecureMleParams): Uint8Array {
  const body = message instanceof Uint8Array ? message : emitMleMessage(message);
  const aux = mleAuxHeaderFor(p.keySequence, p.frameCounter);
  const nonce = mleNonce(p.senderExtAddress ?? extAddressFromIpv6(p.source), p.frameCounter);
  const secured = ccmStarEncrypt(p.mleKey, nonce, mleAad(p.source, p.destination, emitMleAuxHeader(aux)), body, MLE_MIC_LENGTH);
  return emitMleFrame({
    suite: 'ieee802154',
    aux,
    encrypted: secured.subarray(0, secured.length - MLE_MIC_LENGTH),
    mic: secured.subarray(secured.length - MLE_MIC_LENGTH),
  });
}

/** MLE key for a key sequence, or undefined when the receiver will not use that sequence. */
export type MleKeyLookup = (keySequence: number) => Uint8Array | undefined;

export type UnsecuredMle =
  | {
      secured: true;
      keySequence: number;
      keyIndex: number;
      frameCounter: number;
      senderExtAddress: Uint8Array;
      message: MleMessage;
    }
  /** Suite 255: the caller accepts this only for Discovery Request/Response. */
  | { secured: false; message: MleMessage };

/**
 * Verifies and decrypts an MLE UDP payload. Replay checks (key sequence and frame
 * counter per neighbour) are the caller's, after this succeeds: see replay.ts.
 */
export function unsecureMle(
  payload: Uint8Array,
  source: Uint8Array,
  destination: Uint8Array,
  mleKeyFor: MleKeyLookup,
): Result<UnsecuredMle> {
  const frame = parseMleFrame(payload);
  if (!frame.ok) return frame;
  const f = frame.value;
  if (f.suite === 'unknown') return err('unsupported', `MLE security suite ${f.code}`);
  if (f.suite === 'none') {
    const message = parseMleMessage(f.body);
    return message.ok ? ok({ secured: false, message: message.value }) : message;
  }
  const { aux } = f;
  // Current OpenThread accepts key ID mode 2 only (`Mle::HandleUdpReceive`).
  if (aux.keyId.mode !== 2) return err('unsupported', `MLE aux header: key ID mode ${aux.keyId.mode}, expected 2`);
  if (aux.securityLevel !== MLE_SECURITY_LEVEL) return err('unsupported', `MLE aux header: security level ${aux.securityLevel}, expected 5`);
  // The key index is not checked against the sequence: the key source names the
  // key, and the MIC covers the whole aux header anyway.
  const { keySequence, keyIndex } = aux.keyId;
  const key = mleKeyFor(keySequence);
  if (key === undefined) return err('security', `MLE key sequence ${keySequence}: no key`);
  const senderExtAddress = extAddressFromIpv6(source);
  const secured = new Uint8Array(f.encrypted.length + f.mic.length);
  secured.set(f.encrypted, 0);
  secured.set(f.mic, f.encrypted.length);
  const aad = mleAad(source, destination, emitMleAuxHeader(aux));
  const body = ccmStarDecrypt(key, mleNonce(senderExtAddress, aux.frameCounter), aad, secured, MLE_MIC_LENGTH);
  if (!body.ok) return err('security', 'MLE MIC: authentication failed');
  const message = parseMleMessage(body.value);
  if (!message.ok) return message;
  return ok({ secured: true, keySequence, keyIndex, frameCounter: aux.frameCounter, senderExtAddress, message: message.value });
}
