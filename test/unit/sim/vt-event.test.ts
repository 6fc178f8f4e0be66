// OpenThread's virtual-time event (examples/platforms/simulation,
// platform-simulation.h `struct Event`, packed): delay u64 LE, type u8,
// data length u16 LE, data. Vectors written from that layout by hand.
import { expect } from 'chai';
import { emitVtEvent, parseVtEvent, radioEventData, VtEventType } from '../../../sim/openthread/vt-event.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('sim/openthread/vt-event', () => {
  it('parses a sleep request: 284 ms, alarm, no data', () => {
    // 284000 µs = 0x45560; type 0; length 0.
    const ev = parseVtEvent(hex('60 55 04 00 00 00 00 00  00  00 00'));
    expect(ev).to.deep.equal({ ok: true, value: { delayUs: 284000n, type: VtEventType.alarm, data: new Uint8Array(0) } });
  });

  it('emits a radio event: delay 1 µs, channel 15 and a 5-byte immediate ACK (seq 0x2a, FCS)', () => {
    const data = radioEventData(15, hex('02 00 2a 00 00'));
    const bytes = emitVtEvent({ delayUs: 1n, type: VtEventType.radio, data });
    expect(Buffer.from(bytes).toString('hex')).to.equal('0100000000000000' + '01' + '0600' + '0f' + '02002a0000');
    const back = parseVtEvent(bytes);
    expect(back.ok && back.value.data).to.deep.equal(data);
  });

  it('says what is wrong with a short or truncated event', () => {
    const short = parseVtEvent(hex('00 00 00'));
    expect(short.ok || short.error).to.match(/shorter than its 11-byte header/);
    const cut = parseVtEvent(hex('00 00 00 00 00 00 00 00  01  05 00  0f 02'));
    expect(cut.ok || cut.error).to.match(/says 5 data bytes, 2 follow/);
  });
});
