import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { deriveThreadKeys, KeyManager, keyIndexOf } from '../../../stack/thread/keys.ts';

// Thread 1.1 §7.1.4 test vectors (also asserted by OpenThread's
// tests/scripts/thread-cert/test_crypto.py): network key 00112233…eeff.
const NETWORK_KEY = hex('00112233445566778899aabbccddeeff');
const VECTORS: Array<[seq: number, mle: string, mac: string]> = [
  [0, '5445f4158fd75912175809f8b57a66a4', 'de89c53af382b421e0fde5a9bae3bef0'],
  [1, '8f4cd1a27d95c07d12db8974bd615c13', '9be0d1af7bd87350deabcdd07febb9d5'],
  [2, '016e2ab8ec88879687a72e0a357ecf2a', '564109e9d2aad7f723ec3b96110eefa3'],
];

describe('Thread 1.1 §7.1.4 key derivation', () => {
  for (const [seq, mle, mac] of VECTORS) {
    it(`derives the MLE and MAC keys of key sequence ${seq}`, () => {
      const keys = deriveThreadKeys(NETWORK_KEY, seq);
      expect(toHex(keys.mleKey)).to.equal(mle);
      expect(toHex(keys.macKey)).to.equal(mac);
      expect(keys.keySequence).to.equal(seq);
    });
  }

  it('rejects a network key of the wrong size', () => {
    expect(() => deriveThreadKeys(new Uint8Array(15), 0)).to.throw(RangeError);
  });
});

describe('key index = (key sequence & 0x7f) + 1', () => {
  it('maps sequences onto 1..128', () => {
    expect(keyIndexOf(0)).to.equal(1);
    expect(keyIndexOf(1)).to.equal(2);
    expect(keyIndexOf(127)).to.equal(128);
    expect(keyIndexOf(128)).to.equal(1);
    expect(keyIndexOf(0xffffffff)).to.equal(128);
  });
});

describe('KeyManager', () => {
  it('holds the current sequence and its keys', () => {
    const km = new KeyManager(NETWORK_KEY, 1);
    expect(km.keySequence).to.equal(1);
    expect(km.keyIndex).to.equal(2);
    expect(toHex(km.current.mleKey)).to.equal(VECTORS[1]?.[1]);
  });

  it('finds seq−1, seq and seq+1 by key index, and nothing else', () => {
    const km = new KeyManager(NETWORK_KEY, 1);
    expect(toHex(km.macKeyForIndex(1)?.macKey ?? new Uint8Array())).to.equal(VECTORS[0]?.[2]);
    expect(toHex(km.macKeyForIndex(2)?.macKey ?? new Uint8Array())).to.equal(VECTORS[1]?.[2]);
    expect(toHex(km.macKeyForIndex(3)?.macKey ?? new Uint8Array())).to.equal(VECTORS[2]?.[2]);
    expect(km.macKeyForIndex(4)).to.equal(undefined);
  });

  it('has no seq−1 at sequence 0', () => {
    const km = new KeyManager(NETWORK_KEY, 0);
    expect(km.macKeyForIndex(128)).to.equal(undefined);
    expect(km.macKeyForIndex(2)?.keySequence).to.equal(1);
  });

  it('moves the window when the sequence changes', () => {
    const km = new KeyManager(NETWORK_KEY, 0);
    km.setKeySequence(2);
    expect(km.macKeyForIndex(1)).to.equal(undefined);
    expect(km.macKeyForIndex(2)?.keySequence).to.equal(1);
    expect(km.macKeyForIndex(4)?.keySequence).to.equal(3);
    expect(toHex(km.current.macKey)).to.equal(VECTORS[2]?.[2]);
  });

  it('derives keys outside the window on request', () => {
    const km = new KeyManager(NETWORK_KEY, 100);
    expect(toHex(km.keysFor(0).mleKey)).to.equal(VECTORS[0]?.[1]);
  });

  it('re-derives everything for a new network key', () => {
    const km = new KeyManager(hex('ffeeddccbbaa99887766554433221100'), 0);
    expect(toHex(km.current.mleKey)).to.not.equal(VECTORS[0]?.[1]);
    km.setNetworkKey(NETWORK_KEY);
    expect(toHex(km.current.mleKey)).to.equal(VECTORS[0]?.[1]);
    expect(toHex(km.macKeyForIndex(2)?.macKey ?? new Uint8Array())).to.equal(VECTORS[1]?.[2]);
  });
});
