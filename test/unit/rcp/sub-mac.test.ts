// The MAC on a radio with its own sub-MAC (an RCP): the frame, its retry budget
// and the outcome go through the sub-MAC; the MAC neither senses nor acknowledges
// itself; the radio is told our PAN ID and addresses whenever they change.
import { expect } from 'chai';
import { Mac } from '../../../stack/mac/mac.ts';
import type { Radio, RxInfo, SubMacTxRequest, SubMacTxStatus } from '../../../stack/phy.ts';
import { SeededRng } from '../../../stack/runtime.ts';
import { emitMacFrame } from '../../../stack/wire/ieee802154.ts';
import { EventQueue } from '../mac/fake-air.ts';

class FakeRcp implements Radio {
  channel = 11;
  sent: SubMacTxRequest[] = [];
  plain = 0;
  ccas = 0;
  filters: Array<{ panId: number; shortAddress: number; ext: string }> = [];
  answers: SubMacTxStatus[] = [];
  rx: ((psdu: Uint8Array, info: RxInfo) => void) | undefined;
  readonly subMac = {
    transmit: (req: SubMacTxRequest, done: (s: SubMacTxStatus) => void) => {
      this.sent.push(req);
      const status = this.answers.shift() ?? 'success';
      this.q.at(this.q.now() + 1000, () => done(status));
    },
    setAddressFilter: (f: { panId: number; shortAddress: number; extAddress: Uint8Array }) => this.filters.push({ panId: f.panId, shortAddress: f.shortAddress, ext: Buffer.from(f.extAddress).toString('hex') }),
  };
  constructor(private readonly q: EventQueue) {}
  getChannel() {
    return this.channel;
  }
  setChannel(c: number) {
    this.channel = c;
  }
  cca(done: (clear: boolean) => void) {
    this.ccas++;
    done(true);
  }
  transmit(_psdu: Uint8Array, done: () => void) {
    this.plain++;
    done();
  }
  onReceive(h: (psdu: Uint8Array, info: RxInfo) => void) {
    this.rx = h;
  }
  setRxOn() {}
}

const EXT = Uint8Array.from([0x18, 0xb4, 0x30, 0, 0, 0, 0, 2]);

describe('MAC on a sub-MAC radio (RCP)', () => {
  it('hands a unicast its retry budget and reports the sub-MAC outcome; never senses or sends by itself', () => {
    const q = new EventQueue();
    const radio = new FakeRcp(q);
    const mac = new Mac({ radio, timers: q, rng: new SeededRng(1), extAddress: EXT });
    mac.setPanId(0x0700);
    const results: string[] = [];
    radio.answers = ['success', 'no_ack'];
    mac.dataRequest({ dstPan: 0x0700, dst: { mode: 'short', short: 0x0400 }, srcMode: 'ext', payload: Uint8Array.of(1, 2, 3), ackRequest: true }, (s) => results.push(s));
    mac.dataRequest({ dstPan: 0x0700, dst: { mode: 'short', short: 0x0400 }, srcMode: 'ext', payload: Uint8Array.of(4), ackRequest: true }, (s) => results.push(s));
    q.runFor(100_000);
    expect(results).to.deep.equal(['success', 'no_ack']);
    expect(radio.sent.map((r) => [r.ackRequest, r.maxCsmaBackoffs, r.maxFrameRetries])).to.deep.equal([
      [true, 4, 3],
      [true, 4, 3],
    ]); // macMaxCSMABackoffs 4, macMaxFrameRetries 3 (IEEE 802.15.4-2006 Table 86 defaults)
    expect([radio.ccas, radio.plain]).to.deep.equal([0, 0]);
    const c = mac.counters;
    expect([c.txFrames, c.txNoAck, c.rxAcks]).to.deep.equal([2, 1, 1]);
  });

  it('does not acknowledge a frame to us (the radio has); tells the radio every address change, a scan\'s PAN ID too', () => {
    const q = new EventQueue();
    const radio = new FakeRcp(q);
    const mac = new Mac({ radio, timers: q, rng: new SeededRng(2), extAddress: EXT });
    mac.setPanId(0x0700);
    mac.setShortAddress(0x0401);
    const got: number[] = [];
    mac.onDataIndication((ind) => got.push(ind.payload[0]!));
    const frame = emitMacFrame({ type: 'data', framePending: false, ackRequest: true, panIdCompression: true, version: 0, seq: 9, dstPan: 0x0700, dst: { mode: 'short', short: 0x0401 }, src: { mode: 'short', short: 0x0400 }, payload: Uint8Array.of(42) });
    radio.rx!(frame, { rssiDbm: -20, sinrDb: 90, lqi: 0, channel: 11, startUs: 0, endUs: 1000 });
    q.runFor(10_000);
    expect(got).to.deep.equal([42]);
    expect([radio.sent.length, radio.plain, mac.counters.txAcks]).to.deep.equal([0, 0, 0]);
    mac.activeScan([12], 0, () => {});
    q.runFor(1_000_000);
    expect(radio.filters.map((f) => [f.panId, f.shortAddress])).to.deep.equal([
      [0xffff, 0xfffe], // construction
      [0x0700, 0xfffe],
      [0x0700, 0x0401],
      [0xffff, 0x0401], // the scan
      [0x0700, 0x0401], // restored
    ]);
    expect(radio.filters.every((f) => f.ext === '18b4300000000002')).to.equal(true);
  });
});
