// The MAC on the simulated medium (no PTYs): the same checks as on the fake air,
// now with real airtime, CCA energy, collisions and RSSI from the path loss.
import { expect } from 'chai';
import { Mac, type MacFrameEvent } from '../../../stack/mac/mac.ts';
import type { MacDataIndication, MacTxStatus, PanDescriptor } from '../../../stack/mac/api.ts';
import { TURNAROUND_US } from '../../../stack/mac/constants.ts';
import { createTestbed } from '../../../sim/testbed.ts';

const PAN = 0xface;

function macBench(seed: number, channels: Record<string, number> = {}) {
  const ids = ['a', 'b', 'c'];
  return createTestbed<{ mac: Mac; rx: MacDataIndication[]; frames: MacFrameEvent[] }>({
    seed,
    topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 60 },
    nodes: ids.map((id) => ({ id, channel: channels[id] ?? 11 })),
    build: (env) => {
      const mac = new Mac({ radio: env.radio, timers: env.timers, rng: env.rng, extAddress: env.eui64 });
      mac.setPanId(PAN);
      mac.setShortAddress(ids.indexOf(env.id) + 1);
      const rx: MacDataIndication[] = [];
      const frames: MacFrameEvent[] = [];
      mac.onDataIndication((ind) => rx.push(ind));
      mac.onFrame((e) => frames.push(e));
      return { mac, rx, frames };
    },
  });
}

describe('IEEE 802.15.4-2006 MAC on the simulated medium', () => {
  it('two MACs exchange acknowledged frames both ways, each delivered once, ACKs 192 µs after the data', () => {
    const tb = macBench(42);
    const a = tb.node('a').app;
    const b = tb.node('b').app;
    const statuses: MacTxStatus[] = [];
    for (let i = 0; i < 20; i++) {
      const payload = Uint8Array.of(i, 0xaa);
      a.mac.dataRequest({ dstPan: PAN, dst: { mode: 'short', short: 2 }, srcMode: 'short', payload, ackRequest: true }, (s) => statuses.push(s));
      b.mac.dataRequest({ dstPan: PAN, dst: { mode: 'ext', ext: tb.node('a').extAddress }, srcMode: 'ext', payload, ackRequest: true }, (s) => statuses.push(s));
    }
    tb.runFor(2_000_000);
    expect(statuses).to.have.length(40);
    expect(statuses.every((s) => s === 'success')).to.equal(true);
    expect(b.rx.map((r) => r.payload[0])).to.deep.equal([...Array(20).keys()]);
    expect(a.rx.map((r) => r.payload[0])).to.deep.equal([...Array(20).keys()]);
    // Every ACK b sent started aTurnaroundTime after the end of the data frame it answers.
    const events = b.frames;
    let acks = 0;
    events.forEach((e, i) => {
      if (e.direction !== 'tx' || e.frame?.type !== 'ack') return;
      const data = events.slice(0, i).reverse().find((d) => d.direction === 'rx' && d.frame?.type === 'data');
      expect(data?.frame?.seq).to.equal(e.frame.seq);
      expect(e.timeUs - data!.info!.endUs).to.equal(TURNAROUND_US);
      acks++;
    });
    expect(acks).to.be.at.least(20);
  });

  it('an active scan finds the coordinator on another channel, with the RSSI the medium gives', () => {
    const tb = macBench(7, { c: 15 });
    const a = tb.node('a').app;
    const c = tb.node('c').app;
    c.mac.setPanCoordinator(true);
    c.mac.setBeaconPayload(Uint8Array.of(4, 1, 0x6d));
    let pans: PanDescriptor[] | undefined;
    a.mac.activeScan([11, 15, 20], 3, (p) => (pans = p));
    tb.runUntil(() => pans !== undefined, 1_000_000);
    expect(pans).to.have.length(1);
    expect(pans![0]).to.deep.include({ channel: 15, panId: PAN, panCoordinator: true });
    expect(pans![0]!.beaconPayload).to.deep.equal(Uint8Array.of(4, 1, 0x6d));
    expect(pans![0]!.rssiDbm).to.be.closeTo(tb.medium.rxPowerDbm('c', 'a'), 0.5);
    expect(a.mac.getChannel()).to.equal(11);
  });

  it('reports CHANNEL_ACCESS_FAILURE on a jammed channel', () => {
    const tb = macBench(9);
    tb.medium.jam(11, -50);
    const statuses: MacTxStatus[] = [];
    tb.node('a').app.mac.dataRequest({ dstPan: PAN, dst: { mode: 'short', short: 2 }, srcMode: 'short', payload: Uint8Array.of(1), ackRequest: true }, (s) =>
      statuses.push(s),
    );
    tb.runFor(200_000);
    expect(statuses).to.deep.equal(['channel_access_failure']);
  });
});
