import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { ccmStarDecrypt, ccmStarEncrypt } from '../../../stack/mac/ccm.ts';
import { ccmNonce, micLengthOf, secureMacPayload, unsecureMacPayload } from '../../../stack/mac/frame-security.ts';
import type { MacSecurityParams } from '../../../stack/mac/frame-security.ts';

// IEEE 802.15.4-2006 Annex C.2: key C0 C1 … CF, sender acde480000000001, frame counter 5.
const KEY = hex('c0c1c2c3c4c5c6c7c8c9cacbcccdcecf');
const SENDER = hex('acde480000000001'); // EUI-64 order; on air reversed: 01 00 00 00 00 48 de ac

const params = (securityLevel: MacSecurityParams['securityLevel']): MacSecurityParams => ({
  key: KEY,
  extAddress: SENDER,
  frameCounter: 5,
  securityLevel,
});

describe('IEEE 802.15.4-2006 Annex C.2 CCM* nonce', () => {
  it('is ext address ‖ frame counter BE ‖ level (C.2.1.3)', () => {
    // ac de 48 00 00 00 00 01  source ext address
    // 00 00 00 05              frame counter 5, big-endian
    // 02                       security level 2
    expect(toHex(ccmNonce(SENDER, 5, 2))).to.equal('acde480000000001' + '00000005' + '02');
  });
});

describe('IEEE 802.15.4-2006 Annex C.2.1 beacon frame, level 2 (MIC-64, no encryption)', () => {
  const header = hex(
    '08 d0' + //                    FCF 0xd008: beacon, security enabled, 2006, src ext
      '84' + //                     sequence number
      '21 43' + //                  source PAN 0x4321
      '01 00 00 00 00 48 de ac' + // source ext address acde480000000001 (LE)
      '02' + //                     security control: level 2, key ID mode 0
      '05 00 00 00', //             frame counter 5 (LE)
  );
  const payload = hex(
    '55 cf' + //       superframe specification
      '00' + //        GTS
      '00' + //        pending addresses
      '51 52 53 54', // beacon payload
  );
  const secured = hex('55 cf 00 00 51 52 53 54' + '22 3b c1 ec 84 1a b5 53'); // payload in clear ‖ MIC-64

  it('secures: payload in the clear followed by the MIC', () => {
    expect(toHex(secureMacPayload(header, payload, params(2)))).to.equal(toHex(secured));
  });
  it('unsecures and verifies', () => {
    const r = unsecureMacPayload(header, secured, params(2));
    expect(r.ok && toHex(r.value)).to.equal(toHex(payload));
  });
  it('fails on a flipped bit in the authenticated payload', () => {
    const bad = secured.slice();
    bad[6] = (bad[6] ?? 0) ^ 0x01;
    const r = unsecureMacPayload(header, bad, params(2));
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.error.code).to.equal('security');
  });
});

describe('IEEE 802.15.4-2006 Annex C.2.2 data frame, level 4 (ENC, no MIC)', () => {
  const header = hex(
    '69 dc' + //                    FCF 0xdc69: data, security, ack request, PAN ID compression, dst/src ext
      '84' + //                     sequence number
      '21 43' + //                  destination PAN 0x4321
      '02 00 00 00 00 48 de ac' + // destination ext acde480000000002 (LE)
      '01 00 00 00 00 48 de ac' + // source ext acde480000000001 (LE)
      '04' + //                     security control: level 4, key ID mode 0
      '05 00 00 00', //             frame counter 5 (LE)
  );
  const payload = hex('61 62 63 64'); // "abcd"
  const secured = hex('d4 3e 02 2b'); //  encrypted payload, no MIC

  it('encrypts with the counter-mode fallback', () => {
    expect(toHex(secureMacPayload(header, payload, params(4)))).to.equal(toHex(secured));
  });
  it('decrypts', () => {
    const r = unsecureMacPayload(header, secured, params(4));
    expect(r.ok && toHex(r.value)).to.equal(toHex(payload));
  });
});

describe('IEEE 802.15.4-2006 Annex C.2.3 MAC command frame, level 6 (ENC-MIC-64)', () => {
  const header = hex(
    '2b dc' + //                    FCF 0xdc2b: command, security, ack request, dst/src ext
      '84' + //                     sequence number
      '21 43' + //                  destination PAN 0x4321
      '02 00 00 00 00 48 de ac' + // destination ext acde480000000002 (LE)
      'ff ff' + //                  source PAN 0xffff
      '01 00 00 00 00 48 de ac' + // source ext acde480000000001 (LE)
      '06' + //                     security control: level 6, key ID mode 0
      '05 00 00 00' + //            frame counter 5 (LE)
      '01', //                      command ID (association request): authenticated, not encrypted
  );
  const payload = hex('ce'); // capability information
  const secured = hex('d8' + '4f de 52 90 61 f9 c6 f1'); // encrypted payload ‖ MIC-64

  it('secures', () => {
    expect(toHex(secureMacPayload(header, payload, params(6)))).to.equal(toHex(secured));
  });
  it('unsecures', () => {
    const r = unsecureMacPayload(header, secured, params(6));
    expect(r.ok && toHex(r.value)).to.equal('ce');
  });
  it('fails on a flipped header bit, a flipped MIC bit, the wrong counter or the wrong key', () => {
    const badHeader = header.slice();
    badHeader[2] = 0x85;
    expect(unsecureMacPayload(badHeader, secured, params(6)).ok).to.equal(false);
    const badMic = secured.slice();
    badMic[8] = (badMic[8] ?? 0) ^ 0x80;
    expect(unsecureMacPayload(header, badMic, params(6)).ok).to.equal(false);
    expect(unsecureMacPayload(header, secured, { ...params(6), frameCounter: 6 }).ok).to.equal(false);
    expect(unsecureMacPayload(header, secured, { ...params(6), key: new Uint8Array(16) }).ok).to.equal(false);
  });
  it('reports a frame shorter than its MIC as truncated', () => {
    const r = unsecureMacPayload(header, hex('d8 4f de'), params(6));
    expect(!r.ok && r.error.code).to.equal('truncated');
  });
});

describe('level 0 passes the payload through', () => {
  it('in both directions', () => {
    expect(toHex(secureMacPayload(new Uint8Array(3), hex('0102'), params(0)))).to.equal('0102');
    const r = unsecureMacPayload(new Uint8Array(3), hex('0102'), params(0));
    expect(r.ok && toHex(r.value)).to.equal('0102');
  });
});

describe('CCM* MIC lengths', () => {
  it('maps levels to 0/4/8/16 bytes (IEEE 802.15.4-2006 Table 95)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((l) => micLengthOf(l as 0))).to.deep.equal([0, 4, 8, 16, 0, 4, 8, 16]);
  });

  it('round-trips a 16-byte MIC and rejects a tampered one', () => {
    const nonce = ccmNonce(SENDER, 9, 7);
    const aad = hex('0102030405');
    const plain = hex('000102030405060708090a0b0c0d0e0f10');
    const secured = ccmStarEncrypt(KEY, nonce, aad, plain, 16);
    expect(secured.length).to.equal(plain.length + 16);
    const r = ccmStarDecrypt(KEY, nonce, aad, secured, 16);
    expect(r.ok && toHex(r.value)).to.equal(toHex(plain));
    const bad = secured.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    expect(ccmStarDecrypt(KEY, nonce, aad, bad, 16).ok).to.equal(false);
    expect(ccmStarDecrypt(KEY, nonce, hex('0102030406'), secured, 16).ok).to.equal(false);
  });

  it('throws on a key or nonce of the wrong size (a caller bug, not bad input)', () => {
    expect(() => ccmStarEncrypt(new Uint8Array(15), new Uint8Array(13), new Uint8Array(), new Uint8Array(), 4)).to.throw(RangeError);
    expect(() => ccmStarEncrypt(KEY, new Uint8Array(12), new Uint8Array(), new Uint8Array(), 4)).to.throw(RangeError);
  });
});
