import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import {
  emitMleFrame,
  emitMleMessage,
  getMleTlv,
  mleAuxHeaderFor,
  mleCommandFromCode,
  mleTlv,
  parseMleFrame,
  parseMleMessage,
} from '../../../stack/wire/mle.ts';
import type { MleMessage } from '../../../stack/wire/mle.ts';

// Thread 1.1 §7.1.4 MLE vector (OpenThread tests/scripts/thread-cert/test_crypto.py):
// the plaintext of a leader's Advertisement.
const ADVERTISEMENT = hex(
  '04' + //                          command: Advertisement
    '00 02 0000' + //                Source Address TLV (0), len 2: RLOC16 0x0000
    '09 0b' + //                     Route64 TLV (9), len 11
    '8f' + //                          ID sequence 143
    '80 00 00 00 00 00 40 00' + //     router mask: router 0 (byte 0 bit 0x80), router 49 (byte 6 bit 0x40)
    '01' + //                          router 0: LQ out 0, LQ in 0, cost 1
    'f1' + //                          router 49: LQ out 3, LQ in 3, cost 1
    '0b 08' + //                     Leader Data TLV (11), len 8
    '655e0f83' + //                    partition ID 0x655e0f83
    '40' + //                          weighting 64
    'c7' + //                          data version 199
    '83' + //                          stable data version 131
    '31', //                           leader router ID 49
);

const ADVERTISEMENT_REPR: MleMessage = {
  command: 'advertisement',
  tlvs: [
    mleTlv('sourceAddress', 0x0000),
    mleTlv('route64', {
      idSequence: 0x8f,
      routes: [
        { routerId: 0, linkQualityOut: 0, linkQualityIn: 0, routeCost: 1 },
        { routerId: 49, linkQualityOut: 3, linkQualityIn: 3, routeCost: 1 },
      ],
    }),
    mleTlv('leaderData', {
      partitionId: 0x655e0f83,
      weighting: 64,
      dataVersion: 0xc7,
      stableDataVersion: 0x83,
      leaderRouterId: 49,
    }),
  ],
};

// The same Advertisement as sent: suite, aux header, ciphertext, MIC (same source).
const SECURED_ADVERTISEMENT = hex(
  '00' + //                    security suite 0: 802.15.4 security
    '15' + //                  security control: key ID mode 2, level 5
    '15 00 04 00' + //         frame counter 262165 (0x00040015), little-endian
    '00 00 00 00' + //         key source = key sequence 0, big-endian
    '01' + //                  key index (0 & 0x7f) + 1
    '9a5a9a5bba259c5e58a27e7574ef79bc4fa3f9aea834f6f237219360' + // encrypted command + TLVs
    'e1b5a253', //             MIC-32
);

describe('MLE message (Thread 1.1 §7.1.4 Advertisement vector)', () => {
  it('parses command and TLVs', () => {
    expect(unwrap(parseMleMessage(ADVERTISEMENT))).to.deep.equal(ADVERTISEMENT_REPR);
  });
  it('emits the same bytes', () => {
    expect(toHex(emitMleMessage(ADVERTISEMENT_REPR))).to.equal(toHex(ADVERTISEMENT));
  });
  it('gives typed access to TLVs', () => {
    const m = unwrap(parseMleMessage(ADVERTISEMENT));
    expect(getMleTlv(m, 'leaderData')?.leaderRouterId).to.equal(49);
    expect(getMleTlv(m, 'sourceAddress')).to.equal(0);
    expect(getMleTlv(m, 'route64')?.routes.map((r) => r.routerId)).to.deep.equal([0, 49]);
    expect(getMleTlv(m, 'challenge')).to.equal(undefined);
  });
});

describe('MLE UDP payload: suite byte and aux security header', () => {
  it('parses the secured Advertisement', () => {
    const f = unwrap(parseMleFrame(SECURED_ADVERTISEMENT));
    expect(f.suite).to.equal('ieee802154');
    if (f.suite !== 'ieee802154') return;
    expect(f.aux).to.deep.equal({
      securityLevel: 5,
      keyId: { mode: 2, keySequence: 0, keyIndex: 1 },
      frameCounter: 262165,
      controlReserved: 0,
    });
    expect(f.aux).to.deep.equal(mleAuxHeaderFor(0, 262165));
    expect(toHex(f.encrypted)).to.equal('9a5a9a5bba259c5e58a27e7574ef79bc4fa3f9aea834f6f237219360');
    expect(toHex(f.mic)).to.equal('e1b5a253');
  });
  it('emits the same bytes', () => {
    const frame = {
      suite: 'ieee802154' as const,
      aux: mleAuxHeaderFor(0, 262165),
      encrypted: hex('9a5a9a5bba259c5e58a27e7574ef79bc4fa3f9aea834f6f237219360'),
      mic: hex('e1b5a253'),
    };
    expect(toHex(emitMleFrame(frame))).to.equal(toHex(SECURED_ADVERTISEMENT));
  });
  it('keeps key sequence and key index apart (key source BE, index (seq & 0x7f) + 1)', () => {
    const bytes = hex(
      '00' + //          suite 0
        '15' + //        mode 2, level 5
        '01 00 00 00' + // frame counter 1
        '00 00 00 81' + // key sequence 129
        '02' + //        key index (129 & 0x7f) + 1 = 2
        'aabbccdd', //   MIC only: an empty body
    );
    const f = unwrap(parseMleFrame(bytes));
    expect(f.suite === 'ieee802154' && f.aux.keyId).to.deep.equal({ mode: 2, keySequence: 129, keyIndex: 2 });
    expect(toHex(emitMleFrame(f))).to.equal(toHex(bytes));
    expect(mleAuxHeaderFor(129, 1).keyId).to.deep.equal({ mode: 2, keySequence: 129, keyIndex: 2 });
  });
  it('round-trips an old key ID mode 1 header', () => {
    const bytes = hex('00' + '0d' + '07 00 00 00' + '01' + '04' + 'a1b2c3d4'); // mode 1, level 5, fc 7, index 1
    const f = unwrap(parseMleFrame(bytes));
    expect(f.suite === 'ieee802154' && f.aux.keyId).to.deep.equal({ mode: 1, keyIndex: 1 });
    expect(f.suite === 'ieee802154' && toHex(f.encrypted)).to.equal('04');
    expect(toHex(emitMleFrame(f))).to.equal(toHex(bytes));
  });
  it('passes suite 255 through in the clear', () => {
    const bytes = hex('ff' + '10' + '1a 00'); // suite 255, Discovery Request, empty Thread Discovery TLV
    const f = unwrap(parseMleFrame(bytes));
    expect(f).to.deep.equal({ suite: 'none', body: hex('10 1a 00') });
    expect(toHex(emitMleFrame(f))).to.equal(toHex(bytes));
    const m = unwrap(parseMleMessage(f.suite === 'none' ? f.body : new Uint8Array()));
    expect(m.command).to.equal('discoveryRequest');
    expect(getMleTlv(m, 'discovery')?.length).to.equal(0);
  });
  it('keeps an unknown suite', () => {
    const f = unwrap(parseMleFrame(hex('07 0102')));
    expect(f).to.deep.equal({ suite: 'unknown', code: 7, rest: hex('0102') });
    expect(toHex(emitMleFrame(f))).to.equal('070102');
  });
  it('reports truncation naming the field', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /security suite/],
      ['00 15 15 00', /aux security header/],
      ['00 15 15000400 0000', /key identifier/],
      ['00 15 15000400 00000000 01 e1b5a2', /MIC/],
    ];
    for (const [bytes, field] of cases) {
      const r = parseMleFrame(hex(bytes));
      expect(r.ok, bytes).to.equal(false);
      if (!r.ok) {
        expect(r.error.code).to.equal('truncated');
        expect(r.error.message).to.match(field);
      }
    }
  });
});

describe('MLE commands (OpenThread mle.hpp enum Command)', () => {
  it('names known codes and keeps unknown ones', () => {
    expect(mleCommandFromCode(9)).to.equal('parentRequest');
    expect(mleCommandFromCode(99)).to.equal('timeSync');
    expect(mleCommandFromCode(42)).to.deep.equal({ kind: 'unknown', code: 42 });
    const bytes = hex('2a' + '00 02 0400'); // unknown command 42, Source Address 0x0400
    const m = unwrap(parseMleMessage(bytes));
    expect(m.command).to.deep.equal({ kind: 'unknown', code: 42 });
    expect(toHex(emitMleMessage(m))).to.equal(toHex(bytes));
  });
});

// Hand-assembled from the TLV layouts of OpenThread mle_tlvs.hpp / mle_types.hpp,
// field by field: each vector is checked both ways.
describe('MLE TLV layouts (OpenThread mle_tlvs.hpp)', () => {
  it('Parent Request: Mode, Challenge, Scan Mask, Version', () => {
    const bytes = hex(
      '09' + //                      Parent Request
        '01 01 0f' + //              Mode: R S D N all set
        '03 08 0102030405060708' + // Challenge, 8 bytes
        '0e 01 80' + //              Scan Mask: routers only
        '12 02 0004', //             Version 4 (Thread 1.3)
    );
    const repr: MleMessage = {
      command: 'parentRequest',
      tlvs: [
        mleTlv('mode', { rxOnWhenIdle: true, secureDataRequests: true, fullThreadDevice: true, fullNetworkData: true, reserved: 0 }),
        mleTlv('challenge', hex('0102030405060708')),
        mleTlv('scanMask', { routers: true, endDevices: false, reserved: 0 }),
        mleTlv('version', 4),
      ],
    };
    expect(unwrap(parseMleMessage(bytes))).to.deep.equal(repr);
    expect(toHex(emitMleMessage(repr))).to.equal(toHex(bytes));
  });

  it('Parent Response: frame counters, Response, Link Margin, Connectivity (7 bytes)', () => {
    const bytes = hex(
      '0a' + //                          Parent Response
        '05 04 00000010' + //            Link-layer Frame Counter 16
        '08 04 00000020' + //            MLE Frame Counter 32
        '04 04 a1a2a3a4' + //            Response, 4 bytes
        '10 01 1e' + //                  Link Margin 30 dB
        '0f 07' + //                     Connectivity, 7 bytes
        'c0' + //                          parent priority bits 7–6 = 11: low (−1)
        '02 01 00' + //                    LQ3 2, LQ2 1, LQ1 0 neighbours
        '01 8f 03', //                     leader cost 1, ID sequence 143, active routers 3
    );
    const m = unwrap(parseMleMessage(bytes));
    expect(getMleTlv(m, 'linkFrameCounter')).to.equal(16);
    expect(getMleTlv(m, 'mleFrameCounter')).to.equal(32);
    expect(toHex(getMleTlv(m, 'response') ?? new Uint8Array())).to.equal('a1a2a3a4');
    expect(getMleTlv(m, 'linkMargin')).to.equal(30);
    expect(getMleTlv(m, 'connectivity')).to.deep.equal({
      parentPriority: -1,
      flagsReserved: 0,
      linkQuality3: 2,
      linkQuality2: 1,
      linkQuality1: 0,
      leaderCost: 1,
      idSequence: 0x8f,
      activeRouters: 3,
    });
    expect(toHex(emitMleMessage(m))).to.equal(toHex(bytes));
  });

  it('Connectivity (10 bytes) with SED buffer size and datagram count', () => {
    const bytes = hex('0a' + '0f 0a' + '40' + '030201' + '00 05 02' + '0500' + '01'); // prio high (01); SED 1280, 1
    const c = getMleTlv(unwrap(parseMleMessage(bytes)), 'connectivity');
    expect(c?.parentPriority).to.equal(1);
    expect(c?.sed).to.deep.equal({ bufferSize: 1280, datagramCount: 1 });
    expect(toHex(emitMleMessage(unwrap(parseMleMessage(bytes))))).to.equal(toHex(bytes));
  });

  it('Child ID Request: Timeout, Address Registration, TLV Request, Active Timestamp', () => {
    const bytes = hex(
      '0b' + //                                        Child ID Request
        '02 04 000000f0' + //                          Timeout 240 s
        '13 1a' + //                                   Address Registration, 26 bytes
        '80 1122334455667788' + //                       compressed, context 0, IID 1122334455667788
        '00 fd000db8000000000000000000000001' + //       full address fd00:db8::1
        '0d 03 0a 0c 09' + //                          TLV Request: Address16, Network Data, Route64
        '16 08 000000000001 0003', //                  Active Timestamp: 1 s, ticks 1, U set
    );
    const m = unwrap(parseMleMessage(bytes));
    expect(getMleTlv(m, 'timeout')).to.equal(240);
    expect(getMleTlv(m, 'addressRegistration')).to.deep.equal([
      { compressed: true, contextId: 0, iid: hex('1122334455667788') },
      { compressed: false, address: hex('fd000db8000000000000000000000001') },
    ]);
    expect(getMleTlv(m, 'tlvRequest')).to.deep.equal([10, 12, 9]);
    expect(getMleTlv(m, 'activeTimestamp')).to.deep.equal({ seconds: 1, ticks: 1, authoritative: true });
    expect(toHex(emitMleMessage(m))).to.equal(toHex(bytes));
  });

  it('Child ID Response pieces: Address16, Network Data (bytes), Channel, PAN ID, Status', () => {
    const bytes = hex(
      '0c' + //                 Child ID Response
        '0a 02 0401' + //       Address16 0x0401
        '0c 04 08 02 0000' + // Network Data: kept as bytes
        '14 03 00 000b' + //    Channel: page 0, channel 11
        '15 02 face' + //       PAN ID 0xface
        '11 01 01' + //         Status 1 (error)
        'f0 02 abcd', //        unknown TLV 240, kept
    );
    const m = unwrap(parseMleMessage(bytes));
    expect(getMleTlv(m, 'address16')).to.equal(0x0401);
    expect(toHex(getMleTlv(m, 'networkData') ?? new Uint8Array())).to.equal('08020000');
    expect(getMleTlv(m, 'channel')).to.deep.equal({ page: 0, channel: 11 });
    expect(getMleTlv(m, 'panId')).to.equal(0xface);
    expect(getMleTlv(m, 'status')).to.equal(1);
    expect(m.tlvs[5]).to.deep.equal({ type: 'unknown', code: 240, value: hex('abcd') });
    expect(toHex(emitMleMessage(m))).to.equal(toHex(bytes));
  });

  it('Timestamp seconds use all 48 bits', () => {
    const bytes = hex('08' + '17 08 123456789abc fffe'); // Pending Timestamp: seconds 0x123456789abc, ticks 0x7fff, U clear
    const t = getMleTlv(unwrap(parseMleMessage(bytes)), 'pendingTimestamp');
    expect(t).to.deep.equal({ seconds: 0x123456789abc, ticks: 0x7fff, authoritative: false });
    expect(toHex(emitMleMessage(unwrap(parseMleMessage(bytes))))).to.equal(toHex(bytes));
  });

  it('keeps reserved Mode bits', () => {
    const bytes = hex('0d' + '01 01 a9'); // Mode: bits 7 and 5 reserved, R set, N set
    const m = unwrap(parseMleMessage(bytes));
    expect(getMleTlv(m, 'mode')).to.deep.equal({
      rxOnWhenIdle: true,
      secureDataRequests: false,
      fullThreadDevice: false,
      fullNetworkData: true,
      reserved: 0xa0,
    });
    expect(toHex(emitMleMessage(m))).to.equal(toHex(bytes));
  });

  it('rejects a known TLV of the wrong size, naming it', () => {
    const cases: Array<[string, RegExp]> = [
      ['02 02 03 0000f0', /Timeout TLV: length 3, expected 4/],
      ['04 04 02 a1a2', /Response TLV: length 2, expected 4–8/],
      ['04 0b 07 0000000000 0000', /Leader Data TLV/],
      ['04 09 0a 00 c000000000000000 01', /Route64 TLV: router mask names more routers/],
      ['04 09 0b 00 8000000000000000 01 02', /Route64 TLV: 1 route bytes beyond/],
      ['0a 0f 08 0000000000000000', /Connectivity TLV: length 8, expected 7 or 10/],
      ['0b 13 0a 80 0102030405060708 00', /Address Registration TLV: entry 1/],
    ];
    for (const [bytes, why] of cases) {
      const r = parseMleMessage(hex(bytes));
      expect(r.ok, bytes).to.equal(false);
      if (!r.ok) {
        expect(r.error.code, bytes).to.equal('malformed');
        expect(r.error.message).to.match(why);
      }
    }
  });

  it('reports a TLV running past the end as truncated', () => {
    expect(parseMleMessage(hex('04 00 02 00')).ok).to.equal(false);
    expect(parseMleMessage(hex('04 00')).ok).to.equal(false);
    expect(parseMleMessage(hex('')).ok).to.equal(false);
  });
});
