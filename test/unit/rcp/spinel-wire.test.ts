// Byte vectors: the Spinel specification's packed-integer table (§7.2), RFC 1662's
// FCS check value, and frames captured from the real ot-rcp (OpenThread 5df29f74,
// simulation platform) on its stdout, as the bytes it wrote.
import { expect } from 'chai';
import { crc16X25, emitHdlc, HdlcSplitter, parseHdlc } from '../../../host/wire/hdlc.ts';
import {
  Cap,
  Cmd,
  emitPackedUint,
  emitPropPayload,
  emitRawRxFrame,
  emitRawTxRequest,
  emitSpinelFrame,
  parseCaps,
  parseLastStatus,
  parseNcpVersion,
  parsePackedUint,
  parsePropPayload,
  parseProtocolVersion,
  parseRawRxFrame,
  parseRawTxRequest,
  parseSpinelFrame,
  parseTxDone,
  Prop,
  Status,
  statusName,
} from '../../../host/wire/spinel.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function frameOf(wire: string): Uint8Array {
  const frames = new HdlcSplitter().push(hex(wire));
  expect(frames).to.have.length(1);
  const f = frames[0]!;
  if (!f.ok) throw new Error(f.error.message);
  return f.value;
}

describe('HDLC-lite (Spinel appendix A.1.1, RFC 1662)', () => {
  it('CRC-16/X.25 of "123456789" is 0x906E (RFC 1662 §C.2 parameters)', () => {
    expect(crc16X25(new TextEncoder().encode('123456789'))).to.equal(0x906e);
  });

  it('frames PROP_VALUE_GET NCP_VERSION as ot-rcp expects it: 7E 81 02 02 FCS(5E 80) 7E', () => {
    // Sent to ot-rcp, which answered it (the next vector): the FCS was accepted.
    expect(toHex(emitHdlc(hex('810202')))).to.equal('7e8102025e807e');
  });

  it('unframes ot-rcp\'s power-on LAST_STATUS and its version answer', () => {
    expect(toHex(frameOf('7e80060070ee747e'))).to.equal('80060070');
    const version = frameOf('7e8106024f50454e5448524541442f613363343166613b2053494d554c4154494f4e3b2044656320203320323032362031353a31323a333000b68b7e');
    expect(toHex(version.subarray(0, 3))).to.equal('810602');
  });

  it('escapes 0x7E 0x7D 0x11 0x13 0xF8 as 7D, byte ^ 0x20 (ot-rcp took this LADDR set)', () => {
    // 84 03 34 11 22 ... : the 0x11 of the address went out as 7D 31.
    expect(toHex(emitHdlc(hex('8403341122334455667788')))).to.equal('7e8403347d312233445566778882f47e');
    expect(toHex(frameOf('7e8403347d312233445566778882f47e'))).to.equal('8403341122334455667788');
    for (const b of [0x7e, 0x7d, 0x11, 0x13, 0xf8]) {
      const wire = emitHdlc(Uint8Array.of(0x80, b));
      expect(wire.subarray(1, wire.length - 1).includes(0x7e)).to.equal(false);
      expect(toHex(frameOf(toHex(wire)))).to.equal(toHex(Uint8Array.of(0x80, b)));
    }
  });

  it('reports a bad FCS, a short frame and an escape at the end as errors; noise before the first flag is dropped', () => {
    const bad = parseHdlc(hex('80060070ee75'));
    expect(bad.ok === false && bad.error.code).to.equal('checksum');
    const short = parseHdlc(hex('80ee'));
    expect(short.ok === false && short.error.code).to.equal('truncated');
    const esc = parseHdlc(hex('80067d'));
    expect(esc.ok === false && esc.error.code).to.equal('truncated');
    const s = new HdlcSplitter();
    expect(s.push(hex('0102037e8006'))).to.deep.equal([]);
    const out = s.push(hex('0070ee747e7e'));
    expect(out).to.have.length(1);
    expect(out[0]!.ok && toHex(out[0]!.value)).to.equal('80060070');
  });
});

describe('Spinel packed unsigned integers (§7.2 table)', () => {
  const table: Array<[number, string]> = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [129, '8101'],
    [1337, 'b90a'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [16385, '818001'],
    [2097151, 'ffff7f'],
  ];
  for (const [value, bytes] of table) {
    it(`${value} ⇄ ${bytes}`, () => {
      expect(toHex(emitPackedUint(value))).to.equal(bytes);
      const p = parsePackedUint(hex(bytes));
      expect(p.ok && p.value).to.deep.equal({ value, length: bytes.length / 2 });
    });
  }
  it('refuses more than 21 bits and a fourth byte', () => {
    expect(() => emitPackedUint(2097152)).to.throw(RangeError);
    const p = parsePackedUint(hex('ffffff7f'));
    expect(p.ok === false && p.error.code).to.equal('malformed');
    const t = parsePackedUint(hex('ff'));
    expect(t.ok === false && t.error.code).to.equal('truncated');
  });
});

describe('Spinel frames and properties, against ot-rcp answers', () => {
  it('header: flag 10, IID, TID; PROP_VALUE_IS LAST_STATUS RESET_POWER_ON (unsolicited, TID 0)', () => {
    const f = parseSpinelFrame(hex('80060070'));
    expect(f.ok).to.equal(true);
    if (!f.ok) return;
    expect([f.value.iid, f.value.tid, f.value.command]).to.deep.equal([0, 0, Cmd.PROP_VALUE_IS]);
    const p = parsePropPayload(f.value.payload);
    expect(p.ok && p.value.key).to.equal(Prop.LAST_STATUS);
    const st = p.ok ? parseLastStatus(p.value.value) : undefined;
    expect(st?.ok && st.value).to.equal(Status.RESET_POWER_ON);
    expect(statusName(0x70)).to.equal('RESET_POWER_ON');
    const bad = parseSpinelFrame(hex('400600'));
    expect(bad.ok).to.equal(false);
  });

  it('emits GET/SET/INSERT/REMOVE with a TID and packed keys above 127 (MAC_SRC_MATCH_SHORT_ADDRESSES = 0x1304 → 84 26)', () => {
    expect(toHex(emitSpinelFrame({ iid: 0, tid: 1, command: Cmd.PROP_VALUE_GET, payload: emitPropPayload({ key: Prop.NCP_VERSION, value: new Uint8Array() }) }))).to.equal('810202');
    expect(toHex(emitSpinelFrame({ iid: 0, tid: 9, command: Cmd.PROP_VALUE_INSERT, payload: emitPropPayload({ key: Prop.MAC_SRC_MATCH_SHORT_ADDRESSES, value: hex('0200') }) }))).to.equal('890484260200');
    expect(toHex(emitSpinelFrame({ iid: 0, tid: 10, command: Cmd.PROP_VALUE_REMOVE, payload: emitPropPayload({ key: Prop.MAC_SRC_MATCH_SHORT_ADDRESSES, value: hex('0200') }) }))).to.equal('8a0584260200');
    expect(toHex(emitSpinelFrame({ iid: 0, tid: 12, command: Cmd.PROP_VALUE_GET, payload: emitPropPayload({ key: Prop.RADIO_CAPS, value: new Uint8Array() }) }))).to.equal('8c028b24');
    // ot-rcp answered those: INSERTED (7), REMOVED (8) with the same TID, and RADIO_CAPS = 0x7F.
    for (const [wire, cmd] of [['890784260200', Cmd.PROP_VALUE_INSERTED], ['8a0884260200', Cmd.PROP_VALUE_REMOVED]] as const) {
      const f = parseSpinelFrame(hex(wire));
      expect(f.ok && [f.value.command, parsePropPayload(f.value.payload).ok]).to.deep.equal([cmd, true]);
    }
    const caps = parseSpinelFrame(hex('8c068b247f'));
    const cp = caps.ok ? parsePropPayload(caps.value.payload) : undefined;
    expect(cp?.ok && [caps.ok && caps.value.tid, cp.value.key, toHex(cp.value.value)]).to.deep.equal([12, Prop.RADIO_CAPS, '7f']);
  });

  it('reads ot-rcp\'s NCP_VERSION, PROTOCOL_VERSION 4.3 and CAPS', () => {
    const v = parsePropPayload(hex('024f50454e5448524541442f613363343166613b2053494d554c4154494f4e3b2044656320203320323032362031353a31323a333000'));
    const s = v.ok ? parseNcpVersion(v.value.value) : undefined;
    expect(s?.ok && s.value).to.match(/^OPENTHREAD\/.*; SIMULATION; /);
    const pv = parseProtocolVersion(hex('0403'));
    expect(pv.ok && pv.value).to.deep.equal({ major: 4, minor: 3 });
    // CAPS = 05 0C 18 22 81 04 40 41 86 04: 0x81 0x04 is 513 (MAC_RAW), 0x22 is 34 (CONFIG_RADIO).
    const caps = parseCaps(hex('0c18228104404186 04'));
    expect(caps.ok && caps.value).to.deep.equal([12, 24, Cap.CONFIG_RADIO, Cap.MAC_RAW, Cap.RCP_API_VERSION, 65, 518]);
  });

  it('a frame ot-rcp received: PSDU, RSSI −20 dBm, channel 22, timestamp, and the MAC-data struct it adds when it secures frames', () => {
    const frame = parseSpinelFrame(
      hex(
        '8006713f0041d8543412ffff06890216cb6555fe7f3b02f04d4c4d4ce9f400150000000000000000015541b7647f7c5a0e222e9a57dc0935746e48d6a41fc28396a81816ec8000000a001600554393780100000001000005000000000000',
      ),
    );
    expect(frame.ok).to.equal(true);
    if (!frame.ok) return;
    const prop = parsePropPayload(frame.value.payload);
    expect(prop.ok && prop.value.key).to.equal(Prop.STREAM_RAW);
    if (!prop.ok) return;
    const rx = parseRawRxFrame(prop.value.value);
    expect(rx.ok).to.equal(true);
    if (!rx.ok) return;
    expect(rx.value.psdu.length).to.equal(63);
    // FCF 41 D8: data frame, PAN ID compression, short destination, extended source; PAN 0x1234 to 0xFFFF.
    expect(toHex(rx.value.psdu.subarray(0, 7))).to.equal('41d8543412ffff');
    expect([rx.value.rssiDbm, rx.value.noiseFloorDbm, rx.value.flags, rx.value.channel, rx.value.lqi, rx.value.receiveError]).to.deep.equal([-20, -128, 0, 22, 0, 0]);
    expect(rx.value.timestampUs).to.equal(0x0178934355n); // 55 43 93 78 01 00 00 00, little-endian µs
    // Our emitter writes the same fields (without the MAC-data struct, which only an RCP sends).
    expect(toHex(emitRawRxFrame(rx.value))).to.equal(toHex(prop.value.value).slice(0, -14));
  });

  it('transmit: a STREAM_RAW set ot-rcp accepted; its done with no ACK frame, with an empty ACK (broadcast) and NO_ACK', () => {
    // ot-rcp accepted the first five fields alone (a beacon request, answered OK below); the
    // rest say the header and security are done (RadioSpinel::Transmit's full field list).
    const req = emitRawTxRequest({
      psdu: hex('030801ffffffff070000'),
      channel: 11,
      maxCsmaBackoffs: 4,
      maxFrameRetries: 3,
      csmaCa: true,
      headerUpdated: true,
      isRetransmission: false,
      securityProcessed: true,
      txDelay: 0,
      txDelayBaseTime: 0,
      rxChannelAfterTxDone: 11,
    });
    expect(toHex(req)).to.equal('0a00030801ffffffff0700000b040301' + '01' + '00' + '01' + '00000000' + '00000000' + '0b');
    const back = parseRawTxRequest(req);
    expect(back.ok && [back.value.maxFrameRetries, back.value.securityProcessed]).to.deep.equal([3, true]);
    expect(parseRawTxRequest(hex('0a00030801ffffffff0700000b040301')).ok, 'the short form is not a full request').to.equal(false);
    // Broadcast beacon request: OK, no frame pending, header not updated, and an ACK of zero length.
    const ok = parseTxDone(hex('000000000000800000' + '0a000000000000000000000001000005000000000000'));
    expect(ok.ok && [ok.value.status, ok.value.framePending, ok.value.ack?.psdu.length]).to.deep.equal([Status.OK, false, 0]);
    // Unicast, ACK requested, nobody there: NO_ACK (17).
    const noAck = parseTxDone(hex('110000'));
    expect(noAck.ok && [noAck.value.status, noAck.value.ack]).to.deep.equal([Status.NO_ACK, undefined]);
    const trunc = parseTxDone(hex(''));
    expect(trunc.ok).to.equal(false);
  });
});
