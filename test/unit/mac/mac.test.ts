import { expect } from 'chai';
import { Mac, type MacFrameEvent } from '../../../stack/mac/mac.ts';
import type { MacDataIndication, MacDataRequest, MacTxStatus, PanDescriptor } from '../../../stack/mac/api.ts';
import { ACK_WAIT_US, LIFS_US, SIFS_US, TURNAROUND_US, UNIT_BACKOFF_US, scanDurationUs } from '../../../stack/mac/constants.ts';
import { NANOSTACK_TX_POLICY } from '../../../stack/nd/params.ts';
import { SeededRng } from '../../../stack/runtime.ts';
import { hex } from '../../../stack/wire/bytes.ts';
import { parseMacFrame } from '../../../stack/wire/ieee802154.ts';
import { CCA_US, EventQueue, FakeAir, type FakeRadio } from './fake-air.ts';

const PAN = 0x1234;
const EXT_A = hex('00124b0000000001');
const EXT_B = hex('00124b0000000002');

interface Node {
  mac: Mac;
  radio: FakeRadio;
  rx: MacDataIndication[];
}

function bench(seed = 1) {
  const q = new EventQueue();
  const air = new FakeAir(q);
  const rng = new SeededRng(seed);
  const node = (name: string, ext: Uint8Array, short: number, channel = 11): Node => {
    const radio = air.radio(name, channel);
    const mac = new Mac({ radio, timers: q, rng: rng.fork(), extAddress: ext });
    mac.setPanId(PAN);
    mac.setShortAddress(short);
    const rx: MacDataIndication[] = [];
    mac.onDataIndication((ind) => rx.push(ind));
    return { mac, radio, rx };
  };
  return { q, air, node };
}

const toB = (payload = hex('01 02 03'), ackRequest = true): MacDataRequest => ({
  dstPan: PAN,
  dst: { mode: 'short', short: 2 },
  srcMode: 'short',
  payload,
  ackRequest,
});

function request(n: Node, req: MacDataRequest): MacTxStatus[] {
  const out: MacTxStatus[] = [];
  n.mac.dataRequest(req, (s) => out.push(s));
  return out;
}

describe('IEEE 802.15.4-2006 MAC', () => {
  describe('§7.5.6.4 acknowledgement', () => {
    it('the ACK starts aTurnaroundTime (192 µs) after the data frame ends, with the same seq', () => {
      const { q, node } = bench();
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      const status = request(a, toB());
      q.runFor(50_000);
      expect(status).to.deep.equal(['success']);
      const data = a.radio.txCalls[0]!;
      const ack = b.radio.txCalls[0]!;
      expect(ack.t - data.end).to.equal(TURNAROUND_US);
      const ackFrame = parseMacFrame(ack.psdu);
      const dataFrame = parseMacFrame(data.psdu);
      expect(ackFrame.ok && ackFrame.value.type).to.equal('ack');
      expect(ackFrame.ok && dataFrame.ok && ackFrame.value.seq === dataFrame.value.seq).to.equal(true);
      expect(b.radio.ccaCalls).to.have.length(0); // no CSMA-CA before an ACK
      expect(b.rx).to.have.length(1);
      expect(b.rx[0]!.payload).to.deep.equal(hex('01 02 03'));
      expect(b.rx[0]!.src).to.deep.equal({ mode: 'short', short: 1 });
      expect(a.mac.counters.rxAcks).to.equal(1);
    });

    it('reports NO_ACK after 1 + macMaxFrameRetries = 4 attempts, each with a fresh CSMA-CA after macAckWaitDuration', () => {
      const { q, node } = bench(7);
      const a = node('a', EXT_A, 1);
      const status = request(a, toB()); // nobody is there
      q.runFor(200_000);
      expect(status).to.deep.equal(['no_ack']);
      const tx = a.radio.txCalls;
      expect(tx).to.have.length(4);
      expect(a.mac.counters).to.include({ txFrames: 4, txRetries: 3, txNoAck: 1 });
      for (let i = 1; i < tx.length; i++) {
        // The retry's CCA starts ACK wait + backoff (BE back to macMinBE: 0…7 periods) after the previous end.
        const cca = a.radio.ccaCalls.find((c) => c.t > tx[i - 1]!.end)!;
        const backoff = cca.t - (tx[i - 1]!.end + ACK_WAIT_US);
        expect(backoff % UNIT_BACKOFF_US).to.equal(0);
        expect(backoff / UNIT_BACKOFF_US).to.be.within(0, 7);
        expect(tx[i]!.t).to.equal(cca.t + CCA_US + TURNAROUND_US);
        expect(tx[i]!.psdu).to.deep.equal(tx[0]!.psdu); // same frame, same seq
      }
    });

    it("under Nanostack's policy a retransmission after the n-th missing ACK backs off at BE = min(macMinBE + n, macMaxBE): 0…15, then 0…31", () => {
      const maxK = [0, 0, 0, 0];
      for (let seed = 1; seed <= 64; seed++) {
        const { q, node } = bench(seed);
        const a = node('a', EXT_A, 1);
        a.mac.setTxPolicy(NANOSTACK_TX_POLICY);
        const status = request(a, toB()); // nobody is there
        q.runFor(300_000);
        expect(status).to.deep.equal(['no_ack']);
        const tx = a.radio.txCalls;
        expect(tx).to.have.length(4);
        for (let i = 1; i < tx.length; i++) {
          const cca = a.radio.ccaCalls.find((c) => c.t > tx[i - 1]!.end)!;
          const k = (cca.t - (tx[i - 1]!.end + ACK_WAIT_US)) / UNIT_BACKOFF_US;
          expect(Number.isInteger(k)).to.equal(true);
          expect(k).to.be.within(0, 2 ** Math.min(3 + i, 5) - 1);
          maxK[i] = Math.max(maxK[i]!, k);
        }
      }
      // Over 64 runs the wider windows are used: the standard's retransmission never waits more than 7.
      expect(maxK[1]).to.be.greaterThan(7);
      expect(maxK[2]).to.be.greaterThan(15);
      expect(maxK[3]).to.be.greaterThan(15);
    });

    it('retransmits over a lossy link until acknowledged, delivering once', () => {
      const { q, air, node } = bench(3);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      let lost = 0;
      air.drop = (from) => from === a.radio && lost++ < 2;
      const status = request(a, toB());
      q.runFor(100_000);
      expect(status).to.deep.equal(['success']);
      expect(a.radio.txCalls).to.have.length(3);
      expect(a.mac.counters.txRetries).to.equal(2);
      expect(b.rx).to.have.length(1);
    });

    it('rejects a duplicate (lost ACK) yet acknowledges it again', () => {
      const { q, air, node } = bench(4);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      let acksLost = 0;
      air.drop = (from) => from === b.radio && acksLost++ < 1;
      const status = request(a, toB());
      q.runFor(100_000);
      expect(status).to.deep.equal(['success']);
      expect(a.radio.txCalls).to.have.length(2);
      expect(b.radio.txCalls).to.have.length(2); // two ACKs
      expect(b.rx).to.have.length(1);
      expect(b.mac.counters.rxDuplicates).to.equal(1);
    });

    it('a new frame with the next seq from the same source is not a duplicate', () => {
      const { q, node } = bench(5);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      request(a, toB(hex('01')));
      request(a, toB(hex('02')));
      q.runFor(100_000);
      expect(b.rx.map((r) => r.payload[0])).to.deep.equal([1, 2]);
      expect(b.mac.counters.rxDuplicates).to.equal(0);
    });

    it('a broadcast is sent with AR = 0 and completes without waiting for an ACK', () => {
      const { q, node } = bench(6);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      const status = request(a, { ...toB(), dst: { mode: 'short', short: 0xffff } });
      let doneAt = -1;
      a.mac.dataRequest({ ...toB(), dst: { mode: 'short', short: 0xffff } }, () => (doneAt = q.now()));
      q.runFor(100_000);
      expect(status).to.deep.equal(['success']);
      const f = parseMacFrame(a.radio.txCalls[0]!.psdu);
      expect(f.ok && f.value.ackRequest).to.equal(false);
      expect(b.radio.txCalls).to.have.length(0);
      expect(doneAt).to.equal(a.radio.txCalls[1]!.end);
      expect(b.rx).to.have.length(2);
    });
  });

  describe('§7.5.1.4 unslotted CSMA-CA', () => {
    it('waits random(0…2^macMinBE − 1) backoff periods before the first CCA, then turnaround, then sends', () => {
      const seen = new Set<number>();
      for (let seed = 1; seed <= 64; seed++) {
        const { q, node } = bench(seed);
        const a = node('a', EXT_A, 1);
        q.runFor(1000);
        const t0 = q.now();
        request(a, toB(hex('00'), false));
        q.runFor(10_000);
        const cca = a.radio.ccaCalls[0]!;
        const k = (cca.t - t0) / UNIT_BACKOFF_US;
        expect(Number.isInteger(k)).to.equal(true);
        expect(k).to.be.within(0, 7);
        seen.add(k);
        expect(a.radio.txCalls[0]!.t).to.equal(cca.t + CCA_US + TURNAROUND_US);
      }
      expect(seen.size).to.equal(8); // the whole range is used
    });

    it('grows BE by one per busy CCA up to macMaxBE, and reports CHANNEL_ACCESS_FAILURE after 5 busy CCAs', () => {
      const maxK = [0, 0, 0, 0, 0];
      for (let seed = 1; seed <= 64; seed++) {
        const { q, air, node } = bench(seed);
        const a = node('a', EXT_A, 1);
        air.jammed.add(11);
        const t0 = q.now();
        const status = request(a, toB());
        q.runFor(100_000);
        expect(status).to.deep.equal(['channel_access_failure']);
        const ccas = a.radio.ccaCalls;
        expect(ccas).to.have.length(5); // NB = 0…4, NB = 5 > macMaxCSMABackoffs
        expect(a.radio.txCalls).to.have.length(0);
        expect(a.mac.counters.txChannelAccessFailure).to.equal(1);
        let prevEnd = t0;
        ccas.forEach((c, nb) => {
          const k = (c.t - prevEnd) / UNIT_BACKOFF_US;
          expect(Number.isInteger(k)).to.equal(true);
          // BE = min(3 + NB, 5): 0…7, 0…15, then 0…31.
          expect(k).to.be.within(0, 2 ** Math.min(3 + nb, 5) - 1);
          maxK[nb] = Math.max(maxK[nb]!, k);
          prevEnd = c.t + CCA_US;
        });
      }
      // Over 64 runs, the larger windows are actually used.
      expect(maxK[1]).to.be.greaterThan(7);
      expect(maxK[2]).to.be.greaterThan(15);
      expect(maxK[4]).to.be.greaterThan(15);
    });

    it('with retryOnChannelAccessFailure (OpenThread SubMac) a failed CSMA-CA uses up a frame retry and starts a fresh one', () => {
      const { q, air, node } = bench(7);
      const a = node('a', EXT_A, 1);
      a.mac.retryOnChannelAccessFailure = true;
      air.jammed.add(11);
      const status = request(a, toB());
      q.runFor(500_000);
      expect(status).to.deep.equal(['channel_access_failure']);
      // 1 + macMaxFrameRetries attempts, 5 busy CCAs each.
      expect(a.radio.ccaCalls).to.have.length(4 * 5);
      expect(a.mac.counters.txChannelAccessFailure).to.equal(4);
      expect(a.radio.txCalls).to.have.length(0);
      // Unjammed before the last attempt, the frame goes out on it.
      const b2 = bench(7);
      const c = b2.node('a', EXT_A, 1);
      c.mac.retryOnChannelAccessFailure = true;
      b2.air.jammed.add(11);
      request(c, toB());
      for (let t = 0; t < 500_000 && c.mac.counters.txChannelAccessFailure < 3; t += 100) b2.q.runFor(100);
      b2.air.jammed.delete(11);
      b2.q.runFor(100_000);
      expect(c.radio.txCalls.length).to.be.greaterThan(0);
    });
  });

  describe('§7.5.1.3 interframe spacing', () => {
    it('waits LIFS after a long frame and SIFS after a short one before the next CSMA-CA', () => {
      const { q, node } = bench(8);
      const a = node('a', EXT_A, 1);
      request(a, toB(new Uint8Array(40), false)); // MPDU 51 bytes > 18: LIFS
      request(a, toB(hex('01'), false)); // MPDU 12 bytes: SIFS
      request(a, toB(hex('02'), false));
      q.runFor(100_000);
      const [t1, t2] = a.radio.txCalls;
      const cca2 = a.radio.ccaCalls[1]!;
      const cca3 = a.radio.ccaCalls[2]!;
      expect((cca2.t - (t1!.end + LIFS_US)) % UNIT_BACKOFF_US).to.equal(0);
      expect(cca2.t).to.be.at.least(t1!.end + LIFS_US);
      expect((cca3.t - (t2!.end + SIFS_US)) % UNIT_BACKOFF_US).to.equal(0);
      expect(cca3.t).to.be.at.least(t2!.end + SIFS_US);
    });
  });

  describe('transmit queue', () => {
    it('keeps one frame in flight and calls each done once, in order', () => {
      const { q, node } = bench(9);
      const a = node('a', EXT_A, 1);
      node('b', EXT_B, 2);
      const order: string[] = [];
      for (const id of ['x', 'y', 'z']) a.mac.dataRequest(toB(), (s) => order.push(`${id}:${s}`));
      expect(a.mac.pending).to.equal(3);
      q.runFor(100_000);
      expect(order).to.deep.equal(['x:success', 'y:success', 'z:success']);
      const tx = a.radio.txCalls;
      for (let i = 1; i < tx.length; i++) expect(tx[i]!.t).to.be.greaterThan(tx[i - 1]!.end);
      expect(a.mac.pending).to.equal(0);
    });

    it('refuses a frame longer than 127 bytes without sending, after dataRequest returns', () => {
      const { q, node } = bench(10);
      const a = node('a', EXT_A, 1);
      const status = request(a, toB(new Uint8Array(117))); // 9 + 2 + 117 > 127 with PAN ID compression: 11 + 117 = 128
      expect(status).to.deep.equal([]);
      q.runFor(10_000);
      expect(status).to.deep.equal(['frame_too_long']);
      expect(a.radio.calls).to.have.length(0);
      const fits = request(a, toB(new Uint8Array(116), false));
      q.runFor(20_000);
      expect(fits).to.deep.equal(['success']);
      expect(a.radio.txCalls[0]!.psdu.length).to.equal(127);
    });

    it('refuses to send from a short address the node does not have', () => {
      const { q, node } = bench(10);
      const a = node('a', EXT_A, 0xfffe);
      const status = request(a, toB());
      q.runFor(1000);
      expect(status).to.deep.equal(['invalid_parameter']);
    });
  });

  describe('§7.5.6.2 reception filtering', () => {
    const cases: Array<[string, Partial<MacDataRequest>, boolean]> = [
      ['our short address', {}, true],
      ['another short address', { dst: { mode: 'short', short: 3 } }, false],
      ['the broadcast address', { dst: { mode: 'short', short: 0xffff } }, true],
      ['our extended address', { dst: { mode: 'ext', ext: EXT_B } }, true],
      ['another extended address', { dst: { mode: 'ext', ext: hex('00124b00000000ff') } }, false],
      ['another PAN', { dstPan: 0x4321 }, false],
      ['the broadcast PAN', { dstPan: 0xffff, dst: { mode: 'short', short: 0xffff } }, true],
    ];
    for (const [name, change, delivered] of cases) {
      it(`${delivered ? 'accepts' : 'drops'} a data frame to ${name}`, () => {
        const { q, node } = bench(11);
        const a = node('a', EXT_A, 1);
        const b = node('b', EXT_B, 2);
        request(a, { ...toB(), ackRequest: false, ...change });
        q.runFor(20_000);
        expect(b.rx).to.have.length(delivered ? 1 : 0);
        expect(b.mac.counters.rxFiltered).to.equal(delivered ? 0 : 1);
      });
    }
    it('after setExtAddress accepts frames to the new extended address only, and sends from it', () => {
      const { q, node } = bench(14);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 0xfffe);
      const NEW_B = hex('12b4300000000abc');
      b.mac.setExtAddress(NEW_B);
      expect(b.mac.getExtAddress()).to.deep.equal(NEW_B);
      request(a, { ...toB(), ackRequest: false, dst: { mode: 'ext', ext: EXT_B } });
      request(a, { ...toB(), ackRequest: false, dst: { mode: 'ext', ext: NEW_B } });
      q.runFor(40_000);
      expect(b.rx).to.have.length(1);
      expect(b.mac.counters.rxFiltered).to.equal(1);
      request(b, { dstPan: PAN, dst: { mode: 'short', short: 1 }, srcMode: 'ext', payload: hex('01'), ackRequest: false });
      q.runFor(20_000);
      expect(a.rx.map((r) => (r.src.mode === 'ext' ? Buffer.from(r.src.ext).toString('hex') : r.src.mode))).to.deep.equal(['12b4300000000abc']);
      expect(() => b.mac.setExtAddress(hex('0102'))).to.throw(RangeError);
    });
    it('does not acknowledge a frame it filtered out', () => {
      const { q, node } = bench(12);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      const status = request(a, { ...toB(), dst: { mode: 'short', short: 3 } });
      q.runFor(200_000);
      expect(status).to.deep.equal(['no_ack']);
      expect(b.radio.txCalls).to.have.length(0);
    });
    it('reports a frame with a bad FCS as malformed', () => {
      const { q, air, node } = bench(13);
      const b = node('b', EXT_B, 2);
      const events: MacFrameEvent[] = [];
      b.mac.onFrame((e) => events.push(e));
      const raw = air.radio('raw');
      raw.transmit(hex('41 88 01 34 12 02 00 01 00 AA 00 00'), () => {});
      q.runFor(5_000);
      expect(b.mac.counters.rxMalformed).to.equal(1);
      expect(events[0]!.error).to.match(/^checksum/);
    });
  });

  describe('§7.6.3.2 secured data frames', () => {
    it('hands the header through the aux security header to the caller, sends what it returns, and indicates it still secured', () => {
      const { q, node } = bench(18);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      const seen: Uint8Array[] = [];
      const status = request(a, {
        ...toB(hex('01 02 03')),
        security: {
          header: { level: 5, keyId: { mode: 1, index: 1 }, frameCounter: 9 },
          secure: (header, payload) => {
            seen.push(header.slice());
            return Uint8Array.from([...payload].reverse().concat([0xa1, 0xa2, 0xa3, 0xa4]));
          },
        },
      });
      q.runFor(100_000);
      expect(status).to.deep.equal(['success']);
      const psdu = a.radio.txCalls[0]!.psdu;
      expect(seen).to.have.length(1);
      // FCF 2, seq 1, dst PAN 2, dst 2, src 2 (PAN ID compressed), aux header 6 (control, counter, key index).
      expect(seen[0]).to.deep.equal(psdu.subarray(0, 15));
      expect(psdu[3 + 6]).to.equal(0x0d); // security control: level 5, key id mode 1
      const ind = b.rx[0]!;
      expect(ind.security).to.deep.equal({ level: 5, keyId: { mode: 1, index: 1 }, frameCounter: 9 });
      expect(ind.payload).to.deep.equal(hex('03 02 01 a1 a2 a3 a4'));
      expect(ind.psdu).to.deep.equal(psdu);
    });
  });

  describe('observer hook', () => {
    it('sees every frame sent and received, ACKs and retransmissions included', () => {
      const { q, air, node } = bench(14);
      const a = node('a', EXT_A, 1);
      node('b', EXT_B, 2);
      let lost = 0;
      air.drop = (from) => from === a.radio && lost++ < 1;
      const events: MacFrameEvent[] = [];
      a.mac.onFrame((e) => events.push(e));
      request(a, toB());
      q.runFor(100_000);
      expect(events.map((e) => `${e.direction}:${e.frame?.type}:${e.attempt ?? ''}`)).to.deep.equal(['tx:data:1', 'tx:data:2', 'rx:ack:']);
    });
  });

  describe('§7.5.2.1.2 active scan and beacon responder', () => {
    it('collects one PAN descriptor per coordinator with RSSI, LQI and payload, then restores channel and PAN', () => {
      const { q, node } = bench(15);
      const c1 = node('c1', hex('00124b00000000c1'), 0x0000, 15);
      const c2 = node('c2', hex('00124b00000000c2'), 0xfffe, 20);
      c1.mac.setPanCoordinator(true);
      c1.mac.setBeaconPayload(hex('04 01 aa'));
      c2.mac.setPanId(0xbeef);
      c2.mac.setBeaconPayload(hex('04 00 bb'));
      const silent = node('s', hex('00124b00000000c3'), 0x0001, 20); // no beacon payload: does not answer
      const x = node('x', hex('00124b0000000099'), 0xfffe, 11);
      x.mac.setPanId(0x7777);
      x.radio.rssi.set('c1', -70); // as heard by x
      x.radio.rssi.set('c2', -55);
      let pans: PanDescriptor[] | undefined;
      const t0 = q.now();
      x.mac.activeScan([15, 20, 25], 3, (p) => (pans = p));
      q.runFor(3 * scanDurationUs(3) - 1);
      expect(pans).to.equal(undefined);
      q.runFor(100_000);
      expect(pans).to.have.length(2);
      const [p1, p2] = pans!;
      expect(p1).to.deep.equal({
        channel: 15,
        panId: PAN,
        coord: { mode: 'short', short: 0 },
        panCoordinator: true,
        associationPermit: true,
        beaconPayload: hex('04 01 aa'),
        rssiDbm: -70,
        lqi: 200,
      });
      expect(p2).to.deep.include({ channel: 20, panId: 0xbeef, panCoordinator: false, rssiDbm: -55 });
      expect(p2!.coord).to.deep.equal({ mode: 'ext', ext: hex('00124b00000000c2') });
      expect(x.mac.getChannel()).to.equal(11);
      expect(x.mac.getPanId()).to.equal(0x7777);
      // One beacon request per channel, each followed by the dwell time.
      const requests = x.radio.txCalls;
      expect(requests).to.have.length(3);
      expect(requests[1]!.t - requests[0]!.end).to.be.at.least(scanDurationUs(3));
      expect(requests[0]!.t - t0).to.be.lessThan(8 * UNIT_BACKOFF_US + CCA_US + TURNAROUND_US);
      // The coordinators answered with CSMA-CA: a CCA before each beacon.
      const beacon = c1.radio.txCalls[0]!;
      expect(c1.radio.ccaCalls.at(-1)!.t + CCA_US + TURNAROUND_US).to.equal(beacon.t);
      expect(silent.radio.txCalls).to.have.length(0);
    });

    it('queues data requests behind a scan and sends them on the restored channel', () => {
      const { q, node } = bench(16);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      const scans: PanDescriptor[][] = [];
      a.mac.activeScan([12], 0, (p) => scans.push(p));
      const status = request(a, toB());
      q.runFor(200_000);
      expect(scans).to.have.length(1);
      expect(status).to.deep.equal(['success']);
      expect(b.rx).to.have.length(1);
      expect(a.radio.channel).to.equal(11);
    });

    it('drops data frames while scanning', () => {
      const { q, node } = bench(17);
      const a = node('a', EXT_A, 1);
      const b = node('b', EXT_B, 2);
      b.mac.activeScan([11, 11], 6, () => {});
      q.runFor(2000);
      request(a, toB(hex('01'), false));
      q.runFor(20_000);
      expect(b.rx).to.have.length(0);
      expect(b.mac.counters.rxFiltered).to.be.at.least(1);
    });
  });
});
