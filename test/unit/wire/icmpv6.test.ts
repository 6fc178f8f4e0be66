// ICMPv6 vectors: laid out by hand from the RFC figures, checksums filled in from tshark
// 4.0.17's "should be" value, then re-decoded by tshark ("Checksum Status: Good", fields as
// quoted below).
import { expect } from 'chai';
import { ByteWriter, hex, toHex } from '../../../stack/wire/bytes.ts';
import { emitIcmpv6, parseIcmpv6, type Icmpv6Message } from '../../../stack/wire/icmpv6.ts';
import { ipv6 } from '../../../stack/wire/ipv6-address.ts';
import { emitNdOptions, parseNdOptions } from '../../../stack/wire/ndp.ts';
import { unwrap } from '../../../stack/wire/result.ts';

const EUI = hex('00124b0000010203');
const HOST = ipv6('2001:db8:1::212:4b00:1:203');
const BR = ipv6('2001:db8:1::1');

function vector(src: string, dst: string, bytes: Uint8Array, expected: Icmpv6Message): void {
  const s = ipv6(src);
  const d = ipv6(dst);
  const m = unwrap(parseIcmpv6(bytes, s, d));
  expect(m).to.deep.equal(expected);
  expect(toHex(emitIcmpv6(m, s, d))).to.equal(toHex(bytes));
}

describe('wire/icmpv6', () => {
  it('RFC 4443 §4.1 echo request', () => {
    vector('fe80::1', 'fe80::2', hex('80 00 91ae 1234 0001 70696e67'), // type 128, code 0, checksum, id 0x1234, seq 1, "ping"
      { kind: 'echoRequest', identifier: 0x1234, sequence: 1, data: hex('70696e67') });
  });

  it('rejects a bad checksum and a short message', () => {
    const r = parseIcmpv6(hex('80 00 91af 1234 0001 70696e67'), ipv6('fe80::1'), ipv6('fe80::2'));
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.error.code).to.equal('checksum');
    expect(parseIcmpv6(hex('80 00'), ipv6('fe80::1'), ipv6('fe80::2')).ok).to.equal(false);
  });

  it('RFC 4861 §4.1 router solicitation with an RFC 4944 §8 SLLAO (EUI-64)', () => {
    vector('fe80::212:4b00:1:203', 'ff02::2',
      hex('85 00 dff8 00000000' + //                 RS, checksum, reserved
        '01 02 00124b0000010203 000000000000'), //   SLLAO type 1, length 2, EUI-64, 6 bytes padding
      { kind: 'rs', options: [{ kind: 'sllao', link: { mode: 'ext', ext: EUI } }] });
  });

  it('RFC 4861 §4.2 router advertisement with PIO, RFC 6775 §4.2 6CO and §4.3 ABRO', () => {
    vector('fe80::1', 'fe80::212:4b00:1:203',
      hex('86 00 7eeb' +
        '40 00 0708 00000000 00000000' + //              cur hop limit 64, flags 0, router lifetime 1800, reachable 0, retrans 0
        '03 04 40 40 00278d00 00093a80 00000000' + //    PIO: len 4, /64, A, valid 2592000, preferred 604800, reserved
        '20010db8000100000000000000000000' + //          prefix 2001:db8:1::
        '22 02 40 11 0000 2710 20010db800010000' + //    6CO: len 2, context length 64, C=1 CID=1, reserved, lifetime 10000, 64-bit prefix
        '23 03 0005 0000 2710' + //                      ABRO: len 3, version low 5, high 0, valid lifetime 10000
        '20010db8000100000000000000000001'), //          6LBR 2001:db8:1::1
      {
        kind: 'ra', curHopLimit: 64, managed: false, other: false, otherFlags: 0, routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
        options: [
          { kind: 'prefixInfo', prefixLength: 64, onLink: false, autonomous: true, routerAddress: false, validLifetime: 2592000, preferredLifetime: 604800, prefix: ipv6('2001:db8:1::') },
          { kind: 'sixCo', contextLength: 64, compression: true, cid: 1, validLifetime: 10000, prefix: ipv6('2001:db8:1::') },
          { kind: 'abro', version: 5, validLifetime: 10000, borderRouter: BR },
        ],
      });
  });

  it('RFC 4861 §4.6.2 prefix information keeps the L flag and RFC 6275 §7.2 R flag through a round trip', () => {
    const bytes = hex('03 04 40 a0 ffffffff ffffffff 00000000 20010db8000100000000000000000001'); // L, R; infinite lifetimes
    const [pio] = unwrap(parseNdOptions(bytes));
    expect(pio).to.deep.equal({ kind: 'prefixInfo', prefixLength: 64, onLink: true, autonomous: false, routerAddress: true, validLifetime: 0xffffffff, preferredLifetime: 0xffffffff, prefix: BR });
    const w = new ByteWriter();
    emitNdOptions([pio!], w);
    expect(toHex(w.finish())).to.equal(toHex(bytes));
  });

  it('RFC 6775 §5.5 registration: NS with ARO (§4.1) and SLLAO', () => {
    vector('2001:db8:1::212:4b00:1:203', 'fe80::1',
      hex('87 00 c42f 00000000' +
        '20010db80001000002124b0000010203' + //       target
        '21 02 00 000000 000a 00124b0000010203' + //  ARO: len 2, status 0 (tshark: Success), reserved, lifetime 10 (×60 s), EUI-64
        '01 02 00124b0000010203 000000000000'), //    SLLAO
      {
        kind: 'ns', target: HOST,
        options: [
          { kind: 'aro', status: 0, registrationLifetime: 10, eui64: EUI },
          { kind: 'sllao', link: { mode: 'ext', ext: EUI } },
        ],
      });
  });

  it('RFC 6775 §5.5 registration answer: NA (S flag) with ARO status 1, duplicate', () => {
    vector('fe80::1', '2001:db8:1::212:4b00:1:203',
      hex('88 00 d057 40000000' + //                  NA, flags R=0 S=1 O=0
        '20010db80001000002124b0000010203' +
        '21 02 01 000000 000a 00124b0000010203'), //  ARO status 1 (tshark: Duplicate Exists)
      { kind: 'na', router: false, solicited: true, override: false, target: HOST, options: [{ kind: 'aro', status: 1, registrationLifetime: 10, eui64: EUI }] });
  });

  it('RFC 6775 §4.4 duplicate address request (157) and confirmation (158)', () => {
    const body = '000a 00124b0000010203 20010db80001000002124b0000010203'; // lifetime 10, EUI-64, registered address
    vector('2001:db8:1::2', '2001:db8:1::1', hex(`9d 00 3d3d 00 00 ${body}`), // DAR, status 0, reserved
      { kind: 'dar', status: 0, registrationLifetime: 10, eui64: EUI, registeredAddress: HOST });
    vector('2001:db8:1::1', '2001:db8:1::2', hex(`9e 00 3b3d 01 00 ${body}`), // DAC, status 1 (duplicate)
      { kind: 'dac', status: 1, registrationLifetime: 10, eui64: EUI, registeredAddress: HOST });
  });

  it('RFC 7731 §4.3 MPL control message (159) with §4.4 seed infos', () => {
    vector('fe80::1', 'ff02::fc',
      hex('9f 00 f839' +
        '05 04 a0' + //                                        min-seqno 5, bm-len 1 S=0 (the source is the seed), bits 0 and 2: 5, 7
        'fe 07 20010db8000100000000000000000002 c0'), //       min-seqno 254, bm-len 1 S=3, 128-bit seed id, bits 0 and 1: 254, 255
      {
        kind: 'mplControl',
        seeds: [
          { minSequence: 5, seedId: new Uint8Array(0), buffered: [5, 7] },
          { minSequence: 254, seedId: ipv6('2001:db8:1::2'), buffered: [254, 255] },
        ],
      });
    // A seed holding nothing has no bitmap (bm-len 0); a sequence past 255 wraps (serial arithmetic).
    const body = (m: Icmpv6Message): string => toHex(emitIcmpv6(m, ipv6('fe80::1'), ipv6('ff02::fc'))).slice(8);
    expect(body({ kind: 'mplControl', seeds: [{ minSequence: 9, seedId: hex('abcd'), buffered: [] }] })).to.equal('0901abcd');
    expect(body({ kind: 'mplControl', seeds: [{ minSequence: 250, seedId: new Uint8Array(0), buffered: [3] }] })).to.equal('fa080040'); // 3 is 250 + 9: bit 9, two octets
    expect(body({ kind: 'mplControl', seeds: [] })).to.equal('');
    // A seed info cut short is an error, not a shorter list.
    const cut = parseIcmpv6(hex('9f 00 0000 05 04'), ipv6('fe80::1'), ipv6('ff02::fc'), { verify: false });
    expect(cut.ok).to.equal(false);
  });

  it('RFC 6550 §6.2 DIS with Pad1 and PadN', () => {
    vector('fe80::212:4b00:1:203', 'ff02::1a', hex('9b 00 1706 00 00 00 01 01 00'), // flags, reserved, Pad1, PadN len 1
      { kind: 'rpl', rpl: { kind: 'dis', flags: 0, options: [{ kind: 'pad1' }, { kind: 'padN', length: 1 }] } });
  });

  it('RFC 6550 §6.3 DIO with DODAG configuration (§6.7.6) and prefix information (§6.7.10)', () => {
    vector('fe80::1', 'ff02::1a',
      hex('9b 01 39d4' +
        '1e f0 0100 88 0a 00 00' + //                 instance 30, version 240, rank 256, G=1 MOP=1 Prf=0, DTSN 10, flags, reserved
        '20010db8000100000000000000000001' + //       DODAGID
        '04 0e 00 14 0c 0a 0800 0100 0000 00 1e 003c' + // config: A=0 PCS=0, doublings 20, Imin 12, k 10, MaxRankInc 2048, MinHopRankInc 256, OCP 0, res, lifetime 30, unit 60
        '08 1e 40 40 00278d00 00093a80 00000000' + //  prefix info: len 30, /64, A, valid, preferred, reserved
        '20010db8000100000000000000000000'),
      {
        kind: 'rpl',
        rpl: {
          kind: 'dio', instanceId: 30, version: 240, rank: 256, grounded: true, mop: 1, preference: 0, dtsn: 10, flags: 0, dodagId: BR,
          options: [
            { kind: 'dodagConfig', flags: 0, authentication: false, pathControlSize: 0, dioIntervalDoublings: 20, dioIntervalMin: 12, dioRedundancy: 10, maxRankIncrease: 2048, minHopRankIncrease: 256, ocp: 0, defaultLifetime: 30, lifetimeUnit: 60 },
            { kind: 'prefixInfo', prefixLength: 64, onLink: false, autonomous: true, routerAddress: false, validLifetime: 2592000, preferredLifetime: 604800, prefix: ipv6('2001:db8:1::') },
          ],
        },
      });
  });

  it('RFC 6550 §6.4 non-storing DAO: K flag, target (§6.7.7) and transit with parent (§6.7.8)', () => {
    vector('2001:db8:1::212:4b00:1:203', '2001:db8:1::1',
      hex('9b 02 e430 1e 80 00 05' + //               instance 30, K=1 D=0, reserved, sequence 5
        '05 12 00 80 20010db80001000002124b0000010203' + // target: len 18, flags, /128, address
        '06 14 00 00 01 1e 20010db8000100000000000000000001'), // transit: len 20, E=0, path control 0, path seq 1, lifetime 30, parent
      {
        kind: 'rpl',
        rpl: {
          kind: 'dao', instanceId: 30, ackRequested: true, flags: 0, daoSequence: 5,
          options: [
            { kind: 'target', flags: 0, prefixLength: 128, prefix: HOST },
            { kind: 'transit', external: false, pathControl: 0, pathSequence: 1, pathLifetime: 30, parent: BR },
          ],
        },
      });
  });

  it('RFC 6550 §6.5 DAO-ACK with DODAGID', () => {
    vector('2001:db8:1::1', '2001:db8:1::212:4b00:1:203', hex('9b 03 68e3 1e 80 05 00 20010db8000100000000000000000001'), // instance, D=1, seq 5, status 0, DODAGID
      { kind: 'rpl', rpl: { kind: 'daoAck', instanceId: 30, daoSequence: 5, status: 0, dodagId: BR, options: [] } });
  });

  it('keeps unknown types, RPL codes and options as raw bytes', () => {
    const s = ipv6('fe80::1');
    const d = ipv6('fe80::2');
    for (const m of [
      { kind: 'unknown', type: 1, code: 4, body: hex('00000000 6000') },
      { kind: 'rpl', rpl: { kind: 'unknown', code: 0x8a, body: hex('0102') } },
      { kind: 'rpl', rpl: { kind: 'dis', flags: 0, options: [{ kind: 'unknown', type: 0x07, data: hex('1e00 20010db8000100000000000000000001 f0') }] } },
      { kind: 'rs', options: [{ kind: 'unknown', type: 14, data: hex('010203040506') }] },
    ] as Icmpv6Message[]) {
      expect(unwrap(parseIcmpv6(emitIcmpv6(m, s, d), s, d))).to.deep.equal(m);
    }
  });
});
