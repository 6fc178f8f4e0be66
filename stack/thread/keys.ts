// Thread key derivation and the key sequence window.
//
// Every node derives its MAC and MLE keys from the network key and a 32-bit key
// sequence, so a key rotation is just a new sequence number: no keys travel on air.
import { createHmac } from 'node:crypto';

export const NETWORK_KEY_LENGTH = 16;

export interface ThreadKeys {
  keySequence: number;
  /** MLE key: HMAC output bytes 0–15 (Thread 1.1 §7.1.4). */
  mleKey: Uint8Array;
  /** MAC key: HMAC output bytes 16–31 (Thread 1.1 §7.1.4). */
  macKey: Uint8Array;
}

// Thread 1.1 §7.1.4: HMAC-SHA256(network key, key sequence BE32 ‖ "Thread").
const KEY_DERIVATION_LABEL = new TextEncoder().encode('Thread');

export function deriveThreadKeys(networkKey: Uint8Array, keySequence: number): ThreadKeys {
  if (networkKey.length !== NETWORK_KEY_LENGTH) throw new RangeError(`network key must be ${NETWORK_KEY_LENGTH} bytes`);
  const seq = new Uint8Array(4);
  new DataView(seq.buffer).setUint32(0, keySequence >>> 0, false);
  const hmac = createHmac('sha256', networkKey).update(seq).update(KEY_DERIVATION_LABEL).digest();
  const out = new Uint8Array(hmac);
  return { keySequence: keySequence >>> 0, mleKey: out.slice(0, 16), macKey: out.slice(16, 32) };
}

/**
 * Key index carried in MAC and MLE aux headers: (sequence & 0x7f) + 1, so it is
 * never 0 and a receiver can tell seq−1/seq/seq+1 apart from the index alone.
 */
export function keyIndexOf(keySequence: number): number {
  return (keySequence & 0x7f) + 1;
}

/**
 * Holds the network key and the current key sequence, and keeps the keys of
 * seq−1, seq and seq+1 derived: those are the ones a neighbour may still use
 * (or already use) around a rotation, so MAC receive looks them up by key index.
 */
export class KeyManager {
  private networkKey: Uint8Array;
  private sequence: number;
  private cache = new Map<number, ThreadKeys>();

  constructor(networkKey: Uint8Array, keySequence = 0) {
    if (networkKey.length !== NETWORK_KEY_LENGTH) throw new RangeError(`network key must be ${NETWORK_KEY_LENGTH} bytes`);
    this.networkKey = networkKey.slice();
    this.sequence = keySequence >>> 0;
    this.refill();
  }

  get keySequence(): number {
    return this.sequence;
  }

  /** The caller decides when to switch (guard time, authoritative messages); this only re-derives. */
  setKeySequence(keySequence: number): void {
    this.sequence = keySequence >>> 0;
    this.refill();
  }

  setNetworkKey(networkKey: Uint8Array): void {
    if (networkKey.length !== NETWORK_KEY_LENGTH) throw new RangeError(`network key must be ${NETWORK_KEY_LENGTH} bytes`);
    this.networkKey = networkKey.slice();
    this.cache.clear();
    this.refill();
  }

  get current(): ThreadKeys {
    return this.keysFor(this.sequence);
  }

  get keyIndex(): number {
    return keyIndexOf(this.sequence);
  }

  /** Keys for any sequence: from the window if cached, else derived on the spot (not cached). */
  keysFor(keySequence: number): ThreadKeys {
    const seq = keySequence >>> 0;
    return this.cache.get(seq) ?? deriveThreadKeys(this.networkKey, seq);
  }

  /**
   * MAC receive with key ID mode 1 names only a key index: find it among
   * seq−1, seq and seq+1. Undefined when the index is outside the window.
   */
  macKeyForIndex(keyIndex: number): ThreadKeys | undefined {
    for (const keys of this.cache.values()) if (keyIndexOf(keys.keySequence) === keyIndex) return keys;
    return undefined;
  }

  private refill(): void {
    const wanted = [this.sequence - 1, this.sequence, this.sequence + 1]
      .filter((s) => s >= 0 && s <= 0xffffffff);
    for (const seq of [...this.cache.keys()]) if (!wanted.includes(seq)) this.cache.delete(seq);
    for (const seq of wanted) if (!this.cache.has(seq)) this.cache.set(seq, deriveThreadKeys(this.networkKey, seq));
  }
}
