import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySink, frameMeta } from '../../../sim/capture/capture.ts';
import {
  LINKTYPE_IEEE802_15_4_TAP,
  TapFcsType,
  pcapGlobalHeader,
  pcapRecord,
  tapFrame,
} from '../../../sim/capture/pcap.ts';
import type { TransmissionRecord } from '../../../sim/medium/medium.ts';
import { createTestbed } from '../../../sim/testbed.ts';
import { hex, toHex } from '../../../stack/wire/bytes.ts';

// Written by hand from pcap-savefile(5) and the IEEE 802.15.4 TAP specification
// (v1.1 §2–3), then decoded with tshark 4.0.17: "Arrival Time 00:00:01.234567",
// "FCS type: ITU-T CRC16 (1)", "Channel assignment: Page: Default (0), Number: 11",
// "RSS: -60.00 dBm", "Link Quality Indicator: 200", "IEEE 802.15.4 Ack, Sequence Number: 42".
const GLOBAL_HEADER = hex(
  [
    'd4 c3 b2 a1', // magic 0xa1b2c3d4 written little endian: µs timestamps
    '02 00 04 00', // version 2.4
    '00 00 00 00', // thiszone 0
    '00 00 00 00', // sigfigs 0
    'ff ff 00 00', // snaplen 65535
    '1b 01 00 00', // linktype 283 (IEEE802_15_4_TAP)
  ].join(' '),
);
const ACK_RECORD = hex(
  [
    '01 00 00 00 47 94 03 00', // ts_sec 1, ts_usec 234567
    '29 00 00 00 29 00 00 00', // incl_len 41, orig_len 41
    '00 00 24 00', // TAP version 0, reserved 0, header length 36
    '00 00 01 00 01 00 00 00', // TLV 0 FCS type, length 1: 1 = CRC-16, 3 bytes padding
    '03 00 03 00 0b 00 00 00', // TLV 3 channel assignment, length 3: channel 11 (u16), page 0, padding
    '01 00 04 00 00 00 70 c2', // TLV 1 RSS, length 4: float32 -60.0 dBm
    '0a 00 01 00 c8 00 00 00', // TLV 10 LQI, length 1: 200, padding
    '02 00 2a e0 3b', // PSDU: ACK seq 0x2A with its FCS 0x3BE0 (reference §3)
  ].join(' '),
);

describe('sim/capture/pcap', () => {
  it('pcap-savefile(5) global header, byte by byte', () => {
    expect(toHex(pcapGlobalHeader(LINKTYPE_IEEE802_15_4_TAP), ' ')).to.equal(toHex(GLOBAL_HEADER, ' '));
  });

  it('record header + IEEE 802.15.4 TAP header (FCS, channel, RSS, LQI TLVs) + PSDU, byte by byte', () => {
    const frame = tapFrame({ fcsType: TapFcsType.Crc16, channel: 11, page: 0, rssiDbm: -60, lqi: 200 }, hex('02 00 2a e0 3b'));
    expect(toHex(pcapRecord(1_234_567, frame), ' ')).to.equal(toHex(ACK_RECORD, ' '));
  });

  it('leaves out the RSS and LQI TLVs when unknown (TAP length 20)', () => {
    const frame = tapFrame({ fcsType: TapFcsType.Crc16, channel: 26 }, hex('02 00 2a e0 3b'));
    expect(toHex(frame.subarray(0, 20), ' ')).to.equal(
      // version, reserved, length 20 | FCS TLV | channel TLV: 26 = 0x1a
      '00 00 14 00 00 00 01 00 01 00 00 00 03 00 03 00 1a 00 00 00',
    );
  });

  describe('captures of the medium', () => {
    const DATA_FRAME = hex('61 CC 07 CD AB 06 05 04 00 00 4B 12 00 03 02 01 00 00 4B 12 00 7F 33 F3 12 A1 6C 70 69 6E 67 7D 28');

    function bench() {
      return createTestbed({
        seed: 3,
        topology: { kind: 'matrix', lossDb: { a: { b: 70, c: 95 }, b: { c: 200 } }, defaultLossDb: 200 },
        nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      });
    }

    it('writes one record per frame, stamped with bench time, to a file between start and stop', () => {
      const tb = bench();
      const dir = mkdtempSync(join(tmpdir(), 'meshbench-pcap-'));
      try {
        const path = join(dir, 'case.pcap');
        tb.runFor(2_500_000); // before start: not captured
        tb.node('a').radio.transmit(DATA_FRAME, () => undefined);
        tb.runFor(10_000);
        tb.capture.start(path);
        tb.node('a').radio.transmit(DATA_FRAME, () => undefined);
        tb.runFor(10_000);
        tb.capture.stop();
        tb.node('a').radio.transmit(DATA_FRAME, () => undefined);
        tb.runFor(10_000);
        const bytes = new Uint8Array(readFileSync(path));
        expect(toHex(bytes.subarray(0, 24))).to.equal(toHex(GLOBAL_HEADER));
        const rec = bytes.subarray(24);
        const v = new DataView(rec.buffer, rec.byteOffset);
        expect(v.getUint32(0, true)).to.equal(2); // 2.510000 s
        expect(v.getUint32(4, true)).to.equal(510_000);
        expect(v.getUint32(8, true)).to.equal(36 + 33);
        expect(rec.length).to.equal(16 + 36 + 33);
        expect(v.getFloat32(16 + 4 + 8 + 8 + 4, true)).to.equal(-70); // strongest receiver that got it: b
        expect(toHex(rec.subarray(16 + 36))).to.equal(toHex(DATA_FRAME));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a viewpoint capture holds only what that node received, with its RSSI', () => {
      const tb = bench();
      const sink = new MemorySink();
      tb.capture.start(sink, { viewpoint: 'c' });
      tb.node('a').radio.transmit(DATA_FRAME, () => undefined); // c hears it at −95 dBm
      tb.runFor(10_000);
      tb.node('b').radio.transmit(DATA_FRAME, () => undefined); // c cannot hear b
      tb.runFor(10_000);
      tb.capture.stop();
      expect(sink.closed).to.equal(true);
      expect(tb.capture.frames).to.equal(1);
      const bytes = sink.bytes();
      expect(bytes.length).to.equal(24 + 16 + 36 + 33);
      expect(new DataView(bytes.buffer).getFloat32(24 + 16 + 24, true)).to.equal(-95);
    });

    it('frameMeta leaves out frames cut short by a power loss', () => {
      const rec: TransmissionRecord = { id: 0, sender: 'a', channel: 11, txPowerDbm: 0, startUs: 0, endUs: 10, psdu: DATA_FRAME, truncated: true, receivers: [] };
      expect(frameMeta(rec)).to.equal(undefined);
      expect(frameMeta({ ...rec, truncated: false })).to.deep.equal({ fcsType: 1, channel: 11, page: 0 });
    });
  });
});
