import { expect } from 'chai';
import { MemorySink } from '../../../sim/capture/capture.ts';
import { Medium, type CcaMode, type MediumRadio, type TransmissionRecord } from '../../../sim/medium/medium.ts';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import type { Topology } from '../../../sim/medium/topology.ts';
import { createTestbed } from '../../../sim/testbed.ts';
import type { RxInfo } from '../../../stack/phy.ts';
import { SeededRng } from '../../../stack/runtime.ts';
import { hex } from '../../../stack/wire/bytes.ts';

// Reference §5 worked example: a 33-byte data frame (link-local UDP "ping"), FCS correct per tshark.
const DATA_FRAME = hex('61 CC 07 CD AB 06 05 04 00 00 4B 12 00 03 02 01 00 00 4B 12 00 7F 33 F3 12 A1 6C 70 69 6E 67 7D 28');
// Reference §3: ACK seq 0x2A.
const ACK_FRAME = hex('02 00 2A E0 3B');

function matrix(lossDb: Record<string, Record<string, number>>, defaultLossDb = 200): Topology {
  return { kind: 'matrix', lossDb, defaultLossDb };
}

interface Rig {
  scheduler: Scheduler;
  medium: Medium;
  radios: Record<string, MediumRadio>;
  rx: Record<string, Array<{ psdu: Uint8Array; info: RxInfo; at: number }>>;
  records: TransmissionRecord[];
}

function rig(ids: string[], topology: Topology, opts: { seed?: number; sensitivityDbm?: number; ccaMode?: CcaMode } = {}): Rig {
  const scheduler = new Scheduler();
  const medium = new Medium({
    scheduler,
    rng: new SeededRng(opts.seed ?? 1),
    topology,
    ...(opts.sensitivityDbm !== undefined ? { sensitivityDbm: opts.sensitivityDbm } : {}),
    ...(opts.ccaMode ? { ccaMode: opts.ccaMode } : {}),
  });
  const radios: Record<string, MediumRadio> = {};
  const rx: Rig['rx'] = {};
  for (const id of ids) {
    const r = medium.attach(id);
    radios[id] = r;
    rx[id] = [];
    r.onReceive((psdu, info) => rx[id]!.push({ psdu, info, at: scheduler.now() }));
  }
  const records: TransmissionRecord[] = [];
  medium.observe((r) => records.push(r));
  return { scheduler, medium, radios, rx, records };
}

function outcome(rec: TransmissionRecord | undefined, node: string) {
  return rec?.receivers.find((r) => r.node === node);
}

describe('sim/medium', () => {
  describe('§6.5.2 timing: delivery at the frame end', () => {
    it('delivers a 33-byte PSDU after (6 + 33) × 32 = 1248 µs with RSSI = TX power − path loss', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      let doneAt = -1;
      r.scheduler.at(1000, () => r.radios.a!.transmit(DATA_FRAME, () => (doneAt = r.scheduler.now())));
      r.scheduler.runUntil(10_000);
      expect(doneAt).to.equal(2248);
      expect(r.rx.b).to.have.length(1);
      const got = r.rx.b![0]!;
      expect(Array.from(got.psdu)).to.deep.equal(Array.from(DATA_FRAME));
      expect(got.at).to.equal(2248);
      expect(got.info).to.include({ startUs: 1000, endUs: 2248, channel: 11, rssiDbm: -60 });
      expect(got.info.sinrDb).to.be.closeTo(-60 - (-101), 1e-9);
      expect(got.info.lqi).to.equal(255);
      expect(r.rx.a).to.have.length(0);
    });

    it('only radios on the same channel hear a frame (§6.1.2.1)', () => {
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 60, c: 60 } }));
      r.radios.c!.setChannel(12);
      r.radios.a!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(1000);
      expect(r.rx.b).to.have.length(1);
      expect(r.rx.c).to.have.length(0);
      expect(outcome(r.records[0], 'c')).to.equal(undefined);
    });

    it('refuses channels outside 11..26 and PSDUs over aMaxPHYPacketSize', () => {
      const r = rig(['a'], matrix({}));
      expect(() => r.radios.a!.setChannel(27)).to.throw(RangeError);
      expect(() => r.radios.a!.transmit(new Uint8Array(128), () => undefined)).to.throw(RangeError);
    });
  });

  describe('collisions and the capture effect', () => {
    it('two overlapping frames at equal power are both lost', () => {
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 60, c: 200 }, c: { b: 60 } }));
      r.radios.a!.transmit(DATA_FRAME, () => undefined);
      r.scheduler.at(300, () => r.radios.c!.transmit(DATA_FRAME, () => undefined));
      r.scheduler.runUntil(10_000);
      expect(r.rx.b).to.have.length(0);
      expect(outcome(r.records[0], 'b')?.status).to.equal('corrupted');
      expect(outcome(r.records[1], 'b')?.status).to.equal('busy');
    });

    it('a much stronger frame survives a weak overlapping one (capture)', () => {
      // a is 30 dB stronger at b than c.
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 50, c: 200 }, c: { b: 80 } }));
      for (let i = 0; i < 50; i++) {
        const t = i * 10_000;
        r.scheduler.at(t, () => r.radios.a!.transmit(DATA_FRAME, () => undefined));
        r.scheduler.at(t + 100, () => r.radios.c!.transmit(DATA_FRAME, () => undefined));
      }
      r.scheduler.runUntil(600_000);
      expect(r.rx.b).to.have.length(50);
      expect(r.rx.b!.every((x) => x.info.rssiDbm === -50)).to.equal(true);
      expect(r.rx.b![0]!.info.sinrDb).to.be.closeTo(30, 0.1);
    });

    it('a receiver locked onto a weak frame misses a stronger one that starts later', () => {
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 50, c: 200 }, c: { b: 95 } }));
      r.radios.c!.transmit(DATA_FRAME, () => undefined);
      r.scheduler.at(200, () => r.radios.a!.transmit(DATA_FRAME, () => undefined));
      r.scheduler.runUntil(10_000);
      expect(r.rx.b).to.have.length(0);
      expect(outcome(r.records[1], 'b')?.status).to.equal('busy');
    });

    it('interference from a frame below sensitivity still counts', () => {
      // c is too weak for b to sync to (−100.2 dBm) but about as strong as the wanted −99 dBm signal.
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 99, c: 200 }, c: { b: 100.2 } }), { sensitivityDbm: -100 });
      r.radios.c!.transmit(DATA_FRAME, () => undefined);
      r.radios.a!.transmit(DATA_FRAME, () => undefined);
      r.scheduler.runUntil(10_000);
      expect(outcome(r.records[0], 'b')?.status).to.equal('below-sensitivity');
      expect(outcome(r.records[1], 'b')?.status).to.equal('corrupted');
    });

    it('hidden terminal: c cannot sense a, transmits, and b loses a\'s frame', () => {
      // a and c both reach b; a and c do not hear each other at all.
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 60, c: 200 }, c: { b: 60 } }));
      const cClear: boolean[] = [];
      for (let i = 0; i < 20; i++) {
        const t = i * 10_000;
        r.scheduler.at(t, () => r.radios.a!.transmit(DATA_FRAME, () => undefined));
        r.scheduler.at(t + 200, () =>
          r.radios.c!.cca((clear) => {
            cClear.push(clear);
            if (clear) r.radios.c!.transmit(DATA_FRAME, () => undefined);
          }),
        );
      }
      r.scheduler.runUntil(300_000);
      expect(cClear).to.deep.equal(new Array(20).fill(true));
      expect(r.rx.b).to.have.length(0);
      const fromA = r.records.filter((x) => x.sender === 'a');
      expect(fromA.map((x) => outcome(x, 'b')?.status)).to.deep.equal(new Array(20).fill('corrupted'));

      // Control: once a and c hear each other, c's CCA finds the channel busy.
      const r2 = rig(['a', 'b', 'c'], matrix({ a: { b: 60, c: 60 }, c: { b: 60 } }));
      let clear2: boolean | undefined;
      r2.radios.a!.transmit(DATA_FRAME, () => undefined);
      r2.scheduler.at(200, () => r2.radios.c!.cca((c) => (clear2 = c)));
      r2.scheduler.runUntil(10_000);
      expect(clear2).to.equal(false);
      expect(r2.rx.b).to.have.length(1);
    });
  });

  describe('§6.9.9 CCA (energy above the threshold, or a carrier above sensitivity, over 128 µs)', () => {
    it('is busy during a transmission and clear after it', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      const results: Array<[number, boolean]> = [];
      const cca = (at: number): void => {
        r.scheduler.at(at, () => r.radios.b!.cca((clear) => results.push([at, clear])));
      };
      r.radios.a!.transmit(DATA_FRAME, () => undefined); // on air 0..1248
      cca(500);
      cca(1200); // window overlaps the last 48 µs
      cca(1248); // starts as the frame ends
      cca(2000);
      r.scheduler.runUntil(10_000);
      expect(results).to.deep.equal([
        [500, false],
        [1200, false],
        [1248, true],
        [2000, true],
      ]);
    });

    it('senses a frame that starts inside the window', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      let clear: boolean | undefined;
      r.radios.b!.cca((c) => (clear = c));
      r.scheduler.at(127, () => r.radios.a!.transmit(ACK_FRAME, () => undefined));
      r.scheduler.runUntil(1000);
      expect(clear).to.equal(false);
    });

    it('mode 1 compares the summed power with the threshold (−75 dBm by default)', () => {
      // Each of a and c alone arrives at −78 dBm (clear); together −74.99 dBm (busy).
      const r = rig(['a', 'b', 'c'], matrix({ a: { b: 78, c: 200 }, c: { b: 78 } }), { ccaMode: 'energy' });
      const results: boolean[] = [];
      r.radios.a!.transmit(DATA_FRAME, () => undefined);
      r.radios.b!.cca((c) => results.push(c));
      r.scheduler.runUntil(5000);
      r.radios.a!.transmit(DATA_FRAME, () => undefined);
      r.radios.c!.transmit(DATA_FRAME, () => undefined);
      r.radios.b!.cca((c) => results.push(c));
      r.scheduler.runUntil(10_000);
      expect(results).to.deep.equal([true, false]);
    });

    it('§6.9.9 modes: a frame below the energy threshold but above sensitivity is busy to modes 2 and 3 only', () => {
      // a arrives at b at −91 dBm: decodable (sensitivity −100), far below the −75 dBm threshold.
      const sensed = (ccaMode: CcaMode): boolean | undefined => {
        const r = rig(['a', 'b'], matrix({ a: { b: 91 } }), { ccaMode });
        let clear: boolean | undefined;
        r.radios.a!.transmit(DATA_FRAME, () => undefined);
        r.scheduler.at(300, () => r.radios.b!.cca((c) => (clear = c)));
        r.scheduler.runUntil(5000);
        return clear;
      };
      expect(sensed('energy'), 'mode 1').to.equal(true);
      expect(sensed('carrier'), 'mode 2').to.equal(false);
      expect(sensed('carrier-or-energy'), 'mode 3 (OR)').to.equal(false);
      expect(new Medium({ scheduler: new Scheduler(), rng: new SeededRng(1), topology: matrix({}) }).ccaMode, 'default').to.equal('carrier-or-energy');
    });

    it('mode 2 does not sense a jammer (no 802.15.4 carrier); modes 1 and 3 do', () => {
      const clearUnderJam = (ccaMode: CcaMode): boolean | undefined => {
        const r = rig(['a'], matrix({}), { ccaMode });
        let clear: boolean | undefined;
        r.medium.jam(11, -60);
        r.radios.a!.cca((c) => (clear = c));
        r.scheduler.runUntil(1000);
        return clear;
      };
      expect([clearUnderJam('energy'), clearUnderJam('carrier'), clearUnderJam('carrier-or-energy')]).to.deep.equal([false, true, false]);
    });

    it('senses a jammer, and a partitioned radio senses nothing', () => {
      const r = rig(['a', 'b'], matrix({}));
      const results: boolean[] = [];
      r.medium.jam(11, -60);
      r.radios.a!.cca((c) => results.push(c));
      r.scheduler.runUntil(1000);
      r.medium.setPartitioned('a', true);
      r.radios.a!.cca((c) => results.push(c));
      r.scheduler.runUntil(2000);
      r.medium.setPartitioned('a', false);
      r.medium.jam(11, null);
      r.radios.a!.cca((c) => results.push(c));
      r.scheduler.runUntil(3000);
      expect(results).to.deep.equal([false, true, true]);
    });
  });

  describe('Annex E SINR cliff: PER over many frames matches the reference table', () => {
    // 127-byte PSDU (133-byte PPDU) against noise only: noise floor −111 + NF 10 = −101 dBm.
    const cases: Array<[number, number]> = [
      [-2, 0.996],
      [-1, 0.71],
      [0, 0.16],
      [1, 0.014],
    ];
    for (const [sinrDb, per] of cases) {
      it(`SINR ${sinrDb} dB → PER ≈ ${per}`, () => {
        const loss = 101 - sinrDb; // 0 dBm − loss = −101 + SINR
        const r = rig(['a', 'b'], matrix({ a: { b: loss } }), { seed: 42, sensitivityDbm: -120 });
        const frame = new Uint8Array(127).fill(0x5a);
        const trials = 2000;
        for (let i = 0; i < trials; i++) r.scheduler.at(i * 5000, () => r.radios.a!.transmit(frame, () => undefined));
        r.scheduler.runUntil(trials * 5000);
        const measured = 1 - r.rx.b!.length / trials;
        expect(measured).to.be.closeTo(per, 0.035);
      });
    }

    it('a jammer is interference: SINR 0 dB against a −80 dBm jammer → PER ≈ 0.16', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 80 } }), { seed: 43 });
      r.medium.jam(11, -80);
      const frame = new Uint8Array(127).fill(0xa5);
      for (let i = 0; i < 2000; i++) r.scheduler.at(i * 5000, () => r.radios.a!.transmit(frame, () => undefined));
      r.scheduler.runUntil(2000 * 5000);
      const per = 1 - r.rx.b!.length / 2000;
      expect(per).to.be.closeTo(0.16, 0.035);
      expect(r.rx.b![0]!.info.sinrDb).to.be.closeTo(0, 0.05);
    });
  });

  describe('rig controls', () => {
    it('partition: a partitioned node hears nothing and is heard by nobody', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      r.medium.setPartitioned('b', true);
      r.radios.a!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(1000);
      r.radios.b!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(2000);
      expect(r.rx.a).to.have.length(0);
      expect(r.rx.b).to.have.length(0);
      r.medium.setPartitioned('b', false);
      r.radios.a!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(3000);
      expect(r.rx.b).to.have.length(1);
    });

    it('extra attenuation applies to both directions and can be removed', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      r.medium.setExtraAttenuation('a', 'b', 45); // −105 dBm, below sensitivity
      expect(r.medium.rxPowerDbm('b', 'a')).to.equal(-105);
      r.radios.a!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(1000);
      expect(r.rx.b).to.have.length(0);
      expect(outcome(r.records[0], 'b')).to.include({ status: 'below-sensitivity', rssiDbm: -105 });
      r.medium.setExtraAttenuation('b', 'a', 0);
      r.radios.b!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(2000);
      expect(r.rx.a).to.have.length(1);
      expect(r.rx.a![0]!.info.rssiDbm).to.equal(-60);
    });

    it('a transmitting radio does not receive; one that starts sending mid-frame aborts the reception', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      r.radios.b!.transmit(DATA_FRAME, () => undefined);
      r.scheduler.at(100, () => r.radios.a!.transmit(ACK_FRAME, () => undefined));
      r.scheduler.runUntil(5000);
      expect(r.rx.b).to.have.length(0);
      expect(outcome(r.records.find((x) => x.sender === 'a'), 'b')?.status).to.equal('transmitting');
      r.radios.a!.transmit(DATA_FRAME, () => undefined);
      r.scheduler.at(5500, () => r.radios.b!.transmit(ACK_FRAME, () => undefined));
      r.scheduler.runUntil(10_000);
      expect(r.rx.b).to.have.length(0);
      expect(outcome(r.records.at(-1), 'b')?.status).to.equal('aborted');
    });

    it('power off: a receiver hears nothing; a sender\'s frame is cut short without its done callback', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      r.radios.b!.setPowered(false);
      r.radios.a!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(1000);
      expect(r.rx.b).to.have.length(0);
      r.radios.b!.setPowered(true);
      let done = false;
      r.radios.a!.transmit(DATA_FRAME, () => (done = true));
      r.scheduler.at(1500, () => r.radios.a!.setPowered(false));
      r.scheduler.runUntil(5000);
      expect(done).to.equal(false);
      expect(r.rx.b).to.have.length(0);
      const last = r.records.at(-1)!;
      expect(last).to.include({ truncated: true, endUs: 1500 });
      expect(outcome(last, 'b')?.status).to.equal('aborted');
    });

    it('rx off: the radio is deaf', () => {
      const r = rig(['a', 'b'], matrix({ a: { b: 60 } }));
      r.radios.b!.setRxOn(false);
      r.radios.a!.transmit(ACK_FRAME, () => undefined);
      r.scheduler.runUntil(1000);
      expect(r.rx.b).to.have.length(0);
      expect(outcome(r.records[0], 'b')?.status).to.equal('rx-off');
    });
  });

  describe('log-distance topology', () => {
    it('PL(d) = PL(1 m) + 10·n·log10(d): 0 dBm, n = 3, 40 dB → −85 dBm at 31.6 m', () => {
      const scheduler = new Scheduler();
      const medium = new Medium({
        scheduler,
        rng: new SeededRng(1),
        topology: { kind: 'positions', positions: { a: { x: 0, y: 0 }, b: { x: 31.6227766, y: 0 } }, exponent: 3, refLossDb: 40, shadowingSigmaDb: 0 },
      });
      medium.attach('a');
      medium.attach('b');
      expect(medium.rxPowerDbm('a', 'b')).to.be.closeTo(-85, 1e-6);
    });

    it('shadowing is drawn once per link, symmetric, and the same from the same seed', () => {
      const positions = { a: { x: 0, y: 0 }, b: { x: 10, y: 0 }, c: { x: 0, y: 10 } };
      const losses = (seed: number, order: Array<[string, string]>): number[] => {
        const medium = new Medium({
          scheduler: new Scheduler(),
          rng: new SeededRng(seed),
          topology: { kind: 'positions', positions, exponent: 3, refLossDb: 40, shadowingSigmaDb: 6 },
        });
        for (const id of ['a', 'b', 'c']) medium.attach(id);
        const got = new Map(order.map(([x, y]) => [`${x}${y}`, medium.linkLossDb(x, y)]));
        return ['ab', 'ac', 'bc'].map((k) => got.get(k)!);
      };
      const one = losses(5, [['a', 'b'], ['a', 'c'], ['b', 'c']]);
      const two = losses(5, [['b', 'c'], ['a', 'c'], ['a', 'b']]);
      expect(one).to.deep.equal(two);
      const m = new Medium({ scheduler: new Scheduler(), rng: new SeededRng(5), topology: { kind: 'positions', positions, exponent: 3, refLossDb: 40, shadowingSigmaDb: 6 } });
      m.attach('a');
      m.attach('b');
      expect(m.linkLossDb('a', 'b')).to.equal(m.linkLossDb('b', 'a'));
      expect(one[0]).to.not.equal(70); // shadowing moved it off the 70 dB of 10 m
      expect(losses(6, [['a', 'b'], ['a', 'c'], ['b', 'c']])).to.not.deep.equal(one);
    });
  });

  describe('determinism', () => {
    function randomTraffic(seed: number): Uint8Array {
      const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
      const positions = Object.fromEntries(ids.map((id, i) => [id, { x: i * 12, y: (i % 2) * 7 }]));
      const tb = createTestbed({
        seed,
        topology: { kind: 'positions', positions, exponent: 3, refLossDb: 40, shadowingSigmaDb: 4 },
        nodes: ids.map((id) => ({ id })),
      });
      const sink = new MemorySink();
      tb.capture.start(sink);
      for (const n of tb.nodes) {
        // Unslotted-CSMA-like senders with random gaps, so frames collide now and then.
        const send = (): void => {
          n.radio.cca((clear) => {
            if (clear && !n.radio.isTransmitting()) {
              n.radio.transmit(DATA_FRAME, () => undefined);
            }
            n.timers.at(n.timers.now() + 500 + n.rng.int(5000), send);
          });
        };
        n.timers.at(n.rng.int(2000), send);
      }
      tb.runFor(2_000_000);
      tb.capture.stop();
      return sink.bytes();
    }

    it('the same seed gives the same capture bytes; another seed does not', () => {
      const a = randomTraffic(1234);
      const b = randomTraffic(1234);
      const c = randomTraffic(4321);
      expect(a.length).to.be.greaterThan(24 + 1000 * 16);
      expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
      expect(Buffer.from(a).equals(Buffer.from(c))).to.equal(false);
    });
  });
});
