import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import { crc16Kermit } from '../../../stack/wire/crc.ts';
import { emitMacFrame, macFrameLayout, macFrameLength, parseMacFrame, parseMacFrameWithoutFcs, type MacFrame } from '../../../stack/wire/ieee802154.ts';

// Vectors marked "reference" are the verified examples of the project's 802.15.4
// reference notes (§3, §5). Vectors marked "tshark" were decoded field by field
// by TShark 4.0.17 (text2pcap -l 195, LINKTYPE_IEEE802_15_4_WITHFCS), which
// reported each FCS "Correct" and the fields as annotated.

const EXT_A = hex('00124b0000010203'); // natural order; on air 03 02 01 00 00 4b 12 00
const EXT_B = hex('00124b0000040506');

function parsed(bytes: Uint8Array): MacFrame {
  const r = parseMacFrame(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Both directions: parse → repr, emit(repr) → the same bytes, and macFrameLength agrees. */
function vector(name: string, bytes: Uint8Array, repr: MacFrame): void {
  describe(name, () => {
    it('parses to the expected repr', () => {
      expect(parsed(bytes)).to.deep.equal(repr);
    });
    it('emits the same bytes, FCS included', () => {
      expect(toHex(emitMacFrame(repr))).to.equal(toHex(bytes));
      expect(macFrameLength(repr)).to.equal(bytes.length);
    });
  });
}

const plain = { framePending: false, ackRequest: false, panIdCompression: false, version: 0 as const };

describe('IEEE 802.15.4-2006 §7.2.1.9 FCS (CRC-16/KERMIT)', () => {
  it('has the catalogue check value 0x2189 for "123456789"', () => {
    expect(crc16Kermit(new TextEncoder().encode('123456789'))).to.equal(0x2189);
  });
  it('rejects a frame whose FCS does not match', () => {
    const r = parseMacFrame(hex('02 00 2A E0 3C'));
    expect(!r.ok && r.error.code).to.equal('checksum');
  });
});

describe('IEEE 802.15.4-2006 §7.2.2.3 acknowledgement frame', () => {
  vector(
    'ACK, seq 0x2A (reference)',
    hex(
      '02 00' + //  FCF 0x0002: type ACK, no pending, no AR, no addresses, version 0
        '2A' + //   sequence number 42
        'E0 3B', // FCS 0x3BE0, low byte first
    ),
    { ...plain, seq: 0x2a, dst: { mode: 'none' }, src: { mode: 'none' }, type: 'ack' },
  );
  vector(
    'ACK with frame pending, seq 0x2A (reference)',
    hex(
      '12 00' + //  FCF 0x0012: type ACK, frame pending
        '2A' + //   sequence number 42
        '75 BE', // FCS 0xBE75
    ),
    { ...plain, framePending: true, seq: 0x2a, dst: { mode: 'none' }, src: { mode: 'none' }, type: 'ack' },
  );
  it('refuses bytes after an ACK MHR', () => {
    const mpdu = hex('02 00 2A 00');
    const r = parseMacFrameWithoutFcs(mpdu);
    expect(!r.ok && r.error.code).to.equal('malformed');
  });
});

describe('IEEE 802.15.4-2006 §7.3.7 beacon request command', () => {
  vector(
    'beacon request, seq 1 (reference)',
    hex(
      '03 08' + //  FCF 0x0803: type command, dst short, version 0, no src
        '01' + //   sequence number 1
        'FF FF' + // dst PAN 0xFFFF (broadcast)
        'FF FF' + // dst short 0xFFFF (broadcast)
        '07' + //   command id 0x07 beacon request
        '13 2D', // FCS 0x2D13
    ),
    { ...plain, seq: 1, dstPan: 0xffff, dst: { mode: 'short', short: 0xffff }, src: { mode: 'none' }, type: 'command', command: { name: 'beacon_request' } },
  );
});

describe('IEEE 802.15.4-2006 §7.2.2.2 data frame', () => {
  vector(
    'data, ext/ext, PAN ID compression, 6LoWPAN payload (reference §5)',
    hex(
      '61 CC' + //                   FCF 0xCC61: data, AR, PAN ID compression, dst ext, version 0, src ext
        '07' + //                    sequence number 7
        'CD AB' + //                 dst PAN 0xABCD (source PAN elided)
        '06 05 04 00 00 4B 12 00' + // dst 00:12:4b:00:00:04:05:06 (reversed)
        '03 02 01 00 00 4B 12 00' + // src 00:12:4b:00:00:01:02:03 (reversed)
        '7F 33 F3 12 A1 6C' + //       IPHC + NHC UDP (opaque here)
        '70 69 6E 67' + //             "ping"
        '7D 28', //                    FCS 0x287D
    ),
    {
      ...plain,
      ackRequest: true,
      panIdCompression: true,
      seq: 7,
      dstPan: 0xabcd,
      dst: { mode: 'ext', ext: EXT_B },
      src: { mode: 'ext', ext: EXT_A },
      type: 'data',
      payload: hex('7F 33 F3 12 A1 6C 70 69 6E 67'),
    },
  );
});

describe('IEEE 802.15.4-2006 §7.2.2.1 beacon frame', () => {
  vector(
    'beacon-less PAN coordinator, short source, payload (tshark)',
    hex(
      '00 80' + //              FCF 0x8000: beacon, no dst, version 2003, src short
        '42' + //               sequence number (BSN) 66
        'CD AB' + //            src PAN 0xABCD
        '00 00' + //            src short 0x0000
        'FF CF' + //            superframe 0xCFFF: BO 15, SO 15, final CAP slot 15, BLE 0, PAN coordinator, association permit
        '00' + //               GTS spec: 0 descriptors, GTS permit false
        '00' + //               pending addresses: 0 short, 0 long
        '04 01 6D 65 73 68' + // beacon payload
        '54 4C', //             FCS 0x4C54
    ),
    {
      ...plain,
      seq: 0x42,
      dst: { mode: 'none' },
      srcPan: 0xabcd,
      src: { mode: 'short', short: 0 },
      type: 'beacon',
      beacon: {
        superframe: { beaconOrder: 15, superframeOrder: 15, finalCapSlot: 15, batteryLifeExtension: false, panCoordinator: true, associationPermit: true },
        gtsPermit: false,
        gts: [],
        pendingShort: [],
        pendingExt: [],
        payload: hex('04 01 6D 65 73 68'),
      },
    },
  );
  vector(
    'beacon with a GTS and pending short and long addresses (tshark)',
    hex(
      '00 C0' + //                   FCF 0xC000: beacon, no dst, version 2003, src long
        '10' + //                    sequence number 16
        '34 12' + //                 src PAN 0x1234
        '03 02 01 00 00 4B 12 00' + // src 00:12:4b:00:00:01:02:03
        '46 4A' + //                 superframe 0x4A46: BO 6, SO 4, final CAP slot 10, PAN coordinator
        '81' + //                    GTS spec: 1 descriptor, GTS permit true
        '01' + //                    GTS directions: slot 1 receive-only
        '01 00 1E' + //              GTS: address 0x0001, start slot 14, length 1
        '11' + //                    pending addresses: 1 short and 1 long
        '02 00' + //                 pending short 0x0002
        '06 05 04 00 00 4B 12 00' + // pending long 00:12:4b:00:00:04:05:06
        'AA BB' + //                 beacon payload
        '82 1B', //                  FCS 0x1B82
    ),
    {
      ...plain,
      seq: 0x10,
      dst: { mode: 'none' },
      srcPan: 0x1234,
      src: { mode: 'ext', ext: EXT_A },
      type: 'beacon',
      beacon: {
        superframe: { beaconOrder: 6, superframeOrder: 4, finalCapSlot: 10, batteryLifeExtension: false, panCoordinator: true, associationPermit: false },
        gtsPermit: true,
        gts: [{ short: 1, startSlot: 14, length: 1, receive: true }],
        pendingShort: [2],
        pendingExt: [EXT_B],
        payload: hex('AA BB'),
      },
    },
  );
});

describe('IEEE 802.15.4-2006 §7.3 MAC command frames', () => {
  vector(
    '§7.3.1 association request (tshark)',
    hex(
      '23 C8' + //                   FCF 0xC823: command, AR, dst short, version 2003, src long
        '33' + //                    sequence number 51
        'CD AB' + //                 dst PAN 0xABCD
        '00 00' + //                 dst 0x0000
        'FF FF' + //                 src PAN 0xFFFF
        '03 02 01 00 00 4B 12 00' + // src 00:12:4b:00:00:01:02:03
        '01' + //                    command id: association request
        '8E' + //                    capability: FFD, mains, RX on when idle, allocate address
        '1E 9B', //                  FCS 0x9B1E
    ),
    {
      ...plain,
      ackRequest: true,
      seq: 0x33,
      dstPan: 0xabcd,
      dst: { mode: 'short', short: 0 },
      srcPan: 0xffff,
      src: { mode: 'ext', ext: EXT_A },
      type: 'command',
      command: {
        name: 'association_request',
        capability: { alternatePanCoordinator: false, ffd: true, mainsPowered: true, rxOnWhenIdle: true, securityCapable: false, allocateAddress: true },
      },
    },
  );
  vector(
    '§7.3.8 coordinator realignment with channel page, version 2006 (tshark)',
    hex(
      '03 D8' + //                   FCF 0xD803: command, dst short, version 2006, src long
        '21' + //                    sequence number 33
        'FF FF FF FF' + //           dst PAN 0xFFFF, dst 0xFFFF
        '34 12' + //                 src PAN 0x1234
        '03 02 01 00 00 4B 12 00' + // src 00:12:4b:00:00:01:02:03
        '08' + //                    command id: coordinator realignment
        'CD AB' + //                 PAN ID 0xABCD
        '00 00' + //                 coordinator short address 0x0000
        '0F' + //                    logical channel 15
        'FF FF' + //                 short address 0xFFFF
        '00' + //                    channel page 0
        '9A 53', //                  FCS 0x539A
    ),
    {
      ...plain,
      version: 1,
      seq: 0x21,
      dstPan: 0xffff,
      dst: { mode: 'short', short: 0xffff },
      srcPan: 0x1234,
      src: { mode: 'ext', ext: EXT_A },
      type: 'command',
      command: { name: 'coordinator_realignment', panId: 0xabcd, coordShort: 0, channel: 15, shortAddress: 0xffff, channelPage: 0 },
    },
  );
  vector(
    'a command id unknown to 2006 is kept (tshark: "Unsupported Command ID" 0x1b)',
    hex(
      '43 DC' + //                   FCF 0xDC43: command, PAN ID compression, dst long, version 2006, src long
        '09' + //                    sequence number 9
        'CD AB' + //                 dst PAN 0xABCD
        '06 05 04 00 00 4B 12 00' + // dst 00:12:4b:00:00:04:05:06
        '03 02 01 00 00 4B 12 00' + // src 00:12:4b:00:00:01:02:03
        '1B' + //                    command id 0x1B
        '00 00 00 00 FF FF FF FF 7F 04 AA BB' + // 12 bytes of content
        '95 A8', //                  FCS 0xA895
    ),
    {
      ...plain,
      panIdCompression: true,
      version: 1,
      seq: 9,
      dstPan: 0xabcd,
      dst: { mode: 'ext', ext: EXT_B },
      src: { mode: 'ext', ext: EXT_A },
      type: 'command',
      command: { name: 'unknown', id: 0x1b, content: hex('00 00 00 00 FF FF FF FF 7F 04 AA BB') },
    },
  );
  it('refuses a known command with the wrong content length, naming it', () => {
    const r = parseMacFrameWithoutFcs(hex('03 08 01 FF FF FF FF 07 00'));
    expect(!r.ok && r.error.message).to.match(/beacon_request/);
  });
});

describe('IEEE 802.15.4-2006 §7.6.2 auxiliary security header', () => {
  vector(
    'level 5 (ENC-MIC-32), key id mode 1, as Thread uses (tshark)',
    hex(
      '69 D8' + //                   FCF 0xD869: data, security, AR, PAN ID compression, dst short, version 2006, src long
        '05' + //                    sequence number 5
        'CE FA' + //                 dst PAN 0xFACE
        '00 1C' + //                 dst 0x1C00
        '03 02 01 00 00 4B 12 00' + // src 00:12:4b:00:00:01:02:03
        '0D' + //                    security control: level 5, key id mode 1
        '02 01 00 00' + //           frame counter 258
        '01' + //                    key index 1
        'DE AD BE EF' + //           encrypted payload (opaque)
        '01 02 03 04' + //           MIC-32
        'BB C2', //                  FCS 0xC2BB
    ),
    {
      ...plain,
      ackRequest: true,
      panIdCompression: true,
      version: 1,
      seq: 5,
      dstPan: 0xface,
      dst: { mode: 'short', short: 0x1c00 },
      src: { mode: 'ext', ext: EXT_A },
      security: { level: 5, keyId: { mode: 1, index: 1 }, frameCounter: 258 },
      type: 'data',
      payload: hex('DE AD BE EF 01 02 03 04'),
    },
  );
  vector(
    'level 1 (MIC-32), key id mode 2, 4-byte key source (tshark)',
    hex(
      '49 98' + //        FCF 0x9849: data, security, PAN ID compression, dst short, version 2006, src short
        '77' + //         sequence number 119
        '34 12' + //      dst PAN 0x1234
        '01 00' + //      dst 0x0001
        '02 00' + //      src 0x0002
        '11' + //         security control: level 1, key id mode 2
        '04 03 02 01' + // frame counter 16909060 (0x01020304)
        '00 00 00 01' + // key source
        '05' + //         key index 5
        '68 69' + //      payload "hi" in the clear
        'AA BB CC DD' + // MIC-32
        'E3 4C', //       FCS 0x4CE3
    ),
    {
      ...plain,
      panIdCompression: true,
      version: 1,
      seq: 0x77,
      dstPan: 0x1234,
      dst: { mode: 'short', short: 1 },
      src: { mode: 'short', short: 2 },
      security: { level: 1, keyId: { mode: 2, source: hex('00 00 00 01'), index: 5 }, frameCounter: 0x01020304 },
      type: 'data',
      payload: hex('68 69 AA BB CC DD'),
    },
  );
  const mode3 = hex(
    '49 9C' + //                     FCF 0x9C49: data, security, PAN ID compression, dst long, version 2006, src short
      '78' + //                      sequence number 120
      '34 12' + //                   dst PAN 0x1234
      '06 05 04 00 00 4B 12 00' + // dst 00:12:4b:00:00:04:05:06
      '02 00' + //                   src 0x0002
      '1E' + //                      security control: level 6 (ENC-MIC-64), key id mode 3
      '00 00 00 00' + //             frame counter 0
      '01 02 03 04 05 06 07 08' + // key source 0x0102030405060708
      'FF' + //                      key index 0xFF
      '11 22' + //                   encrypted payload
      'A1 A2 A3 A4 A5 A6 A7 A8' + // MIC-64
      '60 C3', //                    FCS 0xC360
  );
  const mode3Repr: MacFrame = {
    ...plain,
    panIdCompression: true,
    version: 1,
    seq: 0x78,
    dstPan: 0x1234,
    dst: { mode: 'ext', ext: EXT_B },
    src: { mode: 'short', short: 2 },
    security: { level: 6, keyId: { mode: 3, source: hex('01 02 03 04 05 06 07 08'), index: 0xff }, frameCounter: 0 },
    type: 'data',
    payload: hex('11 22 A1 A2 A3 A4 A5 A6 A7 A8'),
  };
  vector('level 6 (ENC-MIC-64), key id mode 3, 8-byte key source (tshark)', mode3, mode3Repr);

  it('§7.6.3.2 layout: header through the aux header, then the private payload, then the FCS', () => {
    // MHR 15 bytes (FCF 2, seq 1, PAN 2, dst 8, src 2), aux header 14 bytes (1 + 4 + 8 + 1).
    expect(macFrameLayout(mode3Repr)).to.deep.equal({ auxSecurityOffset: 15, headerEnd: 29, privateStart: 29, fcsOffset: 39 });
  });
  it('a secured command keeps its id in the clear and its content opaque', () => {
    const f: MacFrame = {
      ...plain,
      version: 1,
      seq: 1,
      dstPan: 0x1234,
      dst: { mode: 'short', short: 0 },
      panIdCompression: true,
      src: { mode: 'short', short: 5 },
      security: { level: 5, keyId: { mode: 1, index: 1 }, frameCounter: 7 },
      type: 'command',
      command: { name: 'secured', id: 0x04, content: hex('01 02 03 04') },
    };
    const bytes = emitMacFrame(f);
    expect(parsed(bytes)).to.deep.equal(f);
    const layout = macFrameLayout(f);
    expect(bytes[layout.headerEnd]).to.equal(0x04); // the command id is the open payload field
    expect(layout.privateStart).to.equal(layout.headerEnd + 1);
  });
});

describe('IEEE 802.15.4-2006 §7.2.1 frame control edge cases', () => {
  it('keeps a reserved frame type (§7.2.1.1.1 Table 79) as unknown, round-tripping', () => {
    const mpdu = hex('05 00 01 AA'); // FCF type 5, seq 1, one byte
    const r = parseMacFrameWithoutFcs(mpdu);
    expect(r.ok && r.value).to.deep.include({ type: 'unknown', typeCode: 5 });
    if (r.ok) expect(toHex(emitMacFrame(r.value).subarray(0, 4))).to.equal(toHex(mpdu));
  });
  it('refuses the reserved addressing mode 1 (§7.2.1.1.6), naming the field', () => {
    const r = parseMacFrameWithoutFcs(hex('01 04 01 00 00'));
    expect(!r.ok && r.error.message).to.match(/destination addressing mode/);
  });
  it('reports a truncated destination address, naming it', () => {
    const r = parseMacFrameWithoutFcs(hex('41 88 01 CD AB 01'));
    expect(!r.ok && r.error.code).to.equal('truncated');
    expect(!r.ok && r.error.message).to.match(/destination/);
  });
  it('refuses a PSDU longer than aMaxPHYPacketSize', () => {
    const r = parseMacFrame(new Uint8Array(128));
    expect(!r.ok && r.error.code).to.equal('malformed');
  });
  it('refuses frame version 2 (2015 PAN ID rules) as unsupported', () => {
    const r = parseMacFrameWithoutFcs(hex('41 a8 01 cd ab 01 00 02 00'));
    expect(!r.ok && r.error.code).to.equal('unsupported');
  });
});
