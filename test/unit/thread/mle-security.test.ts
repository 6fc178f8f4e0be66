import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import { getMleTlv, mleTlv } from '../../../stack/wire/mle.ts';
import { KeyManager } from '../../../stack/thread/keys.ts';
import { extAddressFromIpv6, mleNonce, secureMle, unsecureMle } from '../../../stack/thread/mle-security.ts';

// Thread 1.1 §7.1.4 MLE vector (asserted by OpenThread tests/scripts/thread-cert/test_crypto.py).
const NETWORK_KEY = hex('00112233445566778899aabbccddeeff');
const SRC = hex('fe80 0000 0000 0000 0235 cc94 d77a 07e8'); // fe80::235:cc94:d77a:7e8
const DST = hex('ff02 0000 0000 0000 0000 0000 0000 0002'); // ff02::2
const FRAME_COUNTER = 262165;
const PLAINTEXT = hex(
  '04' + //                                Advertisement
    '0002 0000' + //                       Source Address 0x0000
    '090b 8f 8000000000004000 01f1' + //   Route64: ID seq 143, routers 0 and 49
    '0b08 655e0f83 40 c7 83 31', //        Leader Data: partition 0x655e0f83, weight 64, versions, leader 49
);
const SECURED = hex(
  '00' + //                   security suite 0
    '15' + //                 security control: key ID mode 2, level 5
    '15000400' + //           frame counter 262165, LE
    '00000000' + //           key sequence 0, BE
    '01' + //                 key index 1
    '9a5a9a5bba259c5e58a27e7574ef79bc4fa3f9aea834f6f237219360' + // ciphertext
    'e1b5a253', //            MIC
);

const keys = new KeyManager(NETWORK_KEY, 0);
const lookup = (seq: number) => (seq <= keys.keySequence + 1 ? keys.keysFor(seq).mleKey : undefined);

describe('Thread 1.1 §7.1.4 MLE security vector', () => {
  it('takes the nonce address from the source IID with the U/L bit flipped', () => {
    expect(toHex(extAddressFromIpv6(SRC))).to.equal('0035cc94d77a07e8');
    // 00 35 cc 94 d7 7a 07 e8   sender ext address
    // 00 04 00 15               frame counter 262165, big-endian
    // 05                        security level 5
    expect(toHex(mleNonce(extAddressFromIpv6(SRC), FRAME_COUNTER))).to.equal('0035cc94d77a07e8' + '00040015' + '05');
  });

  it('encrypts the Advertisement to the vector ciphertext and MIC', () => {
    const out = secureMle(PLAINTEXT, {
      source: SRC,
      destination: DST,
      keySequence: 0,
      frameCounter: FRAME_COUNTER,
      mleKey: keys.current.mleKey,
    });
    expect(toHex(out)).to.equal(toHex(SECURED));
  });

  it('decrypts the vector to the plaintext Advertisement', () => {
    const r = unwrap(unsecureMle(SECURED, SRC, DST, lookup));
    expect(r.secured).to.equal(true);
    if (!r.secured) return;
    expect(r.keySequence).to.equal(0);
    expect(r.keyIndex).to.equal(1);
    expect(r.frameCounter).to.equal(FRAME_COUNTER);
    expect(toHex(r.senderExtAddress)).to.equal('0035cc94d77a07e8');
    expect(r.message.command).to.equal('advertisement');
    expect(getMleTlv(r.message, 'leaderData')?.partitionId).to.equal(0x655e0f83);
  });

  it('fails the MIC for any flipped bit after the suite byte', () => {
    for (let i = 1; i < SECURED.length; i++) {
      const bad = SECURED.slice();
      bad[i] = (bad[i] ?? 0) ^ (1 << i % 8);
      const r = unsecureMle(bad, SRC, DST, lookup);
      expect(r.ok, `byte ${i}`).to.equal(false);
    }
    // Byte 0 is the suite: flipping it changes the meaning, never yields a message.
    const bad = SECURED.slice();
    bad[0] = 0x01;
    expect(unsecureMle(bad, SRC, DST, lookup).ok).to.equal(false);
  });

  it('fails the MIC when an address in the AAD differs', () => {
    const otherDst = hex('ff02 0000 0000 0000 0000 0000 0000 0001');
    const r = unsecureMle(SECURED, SRC, otherDst, lookup);
    expect(!r.ok && r.error.code).to.equal('security');
    const otherSrc = SRC.slice();
    otherSrc[15] = 0xe9;
    expect(unsecureMle(SECURED, otherSrc, DST, lookup).ok).to.equal(false);
  });

  it('fails with the wrong network key, and without a key for the sequence', () => {
    const wrong = new KeyManager(hex('ffeeddccbbaa99887766554433221100'), 0);
    const r = unsecureMle(SECURED, SRC, DST, (s) => wrong.keysFor(s).mleKey);
    expect(!r.ok && r.error.message).to.match(/MIC/);
    const none = unsecureMle(SECURED, SRC, DST, () => undefined);
    expect(!none.ok && none.error.message).to.match(/key sequence 0/);
  });
});

describe('MLE security round trip', () => {
  it('secures and opens a Parent Request under key sequence 2', () => {
    const km = new KeyManager(NETWORK_KEY, 2);
    const src = hex('fe80 0000 0000 0000 1234 5678 9abc def0');
    const message = {
      command: 'parentRequest' as const,
      tlvs: [
        mleTlv('mode', { rxOnWhenIdle: true, secureDataRequests: false, fullThreadDevice: true, fullNetworkData: true, reserved: 0 }),
        mleTlv('challenge', hex('0011223344556677')),
        mleTlv('scanMask', { routers: true, endDevices: true, reserved: 0 }),
        mleTlv('version', 5),
      ],
    };
    const payload = secureMle(message, { source: src, destination: DST, keySequence: 2, frameCounter: 7, mleKey: km.current.mleKey });
    // suite 0, control 0x15, frame counter 7 LE, key sequence 2 BE, key index 3
    expect(toHex(payload.subarray(0, 11))).to.equal('00' + '15' + '07000000' + '00000002' + '03');
    const r = unwrap(unsecureMle(payload, src, DST, (s) => km.keysFor(s).mleKey));
    expect(r.secured && r.keySequence).to.equal(2);
    expect(r.message).to.deep.equal(message);
    expect(toHex(r.secured ? r.senderExtAddress : new Uint8Array())).to.equal('1034 5678 9abc def0'.replace(/ /g, ''));
  });

  it('opens suite 255 in the clear and leaves the policy to the caller', () => {
    const r = unwrap(unsecureMle(hex('ff 10 1a00'), SRC, DST, lookup));
    expect(r).to.deep.equal({ secured: false, message: { command: 'discoveryRequest', tlvs: [{ type: 'discovery', value: new Uint8Array() }] } });
  });

  it('refuses key ID mode 1 and other levels', () => {
    const mode1 = hex('00' + '0d' + '15000400' + '01' + '9a5a9a5b' + 'e1b5a253');
    expect(unsecureMle(mode1, SRC, DST, lookup)).to.deep.include({ ok: false });
    const r = unsecureMle(mode1, SRC, DST, lookup);
    expect(!r.ok && r.error.code).to.equal('unsupported');
    const level6 = hex('00' + '16' + '15000400' + '00000000' + '01' + '00'.repeat(8));
    const r6 = unsecureMle(level6, SRC, DST, lookup);
    expect(!r6.ok && r6.error.message).to.match(/security level 6/);
  });
});
