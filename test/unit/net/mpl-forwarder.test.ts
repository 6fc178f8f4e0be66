// 6LoWPAN-ND's MPL forwarder as Nanostack runs it (source/MPL/mpl.c, Service_Libs/Trickle/
// trickle.c): a new message is sent on only at Trickle times, on 50 ms ticks (a router: 3
// intervals of 11 ticks, k = 1; the border router: 3 of 10 ticks, k = 20); control messages
// name what a node holds and restart what a neighbour lacks.
import { expect } from 'chai';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import {
  BORDER_ROUTER_DOMAIN,
  bufferedMessageLifetime,
  MPL_TICK,
  MplForwarder,
  multicastSetParameters,
  RFC7731_CONTROL_TRICKLE,
  RFC7731_DATA_TRICKLE,
  RFC7731_DOMAIN,
  type MplDomainParameters,
} from '../../../stack/net/mpl-forwarder.ts';
import { MS, SECOND, SeededRng } from '../../../stack/runtime.ts';
import { ipv6, ipv6Equal, type Ipv6Address } from '../../../stack/wire/ipv6-address.ts';
import { NextHeader, type Ipv6Packet } from '../../../stack/wire/ipv6.ts';
import type { MplSeedInfo } from '../../../stack/wire/mpl-control.ts';

const SEED = ipv6('fd00:db8::15');
const NEIGHBOUR = ipv6('fe80::2');

function data(hopLimit = 9): Ipv6Packet {
  return { trafficClass: 0, flowLabel: 0, nextHeader: NextHeader.udp, hopLimit, src: SEED, dst: ipv6('ff15::810a:64d1'), payload: new Uint8Array(28) };
}

interface Node {
  clock: Scheduler;
  mpl: MplForwarder;
  sent: number[];
  controls: Array<{ at: number; seeds: MplSeedInfo[]; src: Ipv6Address | undefined }>;
}

function node(seed: number, own: Ipv6Address[] = [], parameters: MplDomainParameters = RFC7731_DOMAIN): Node {
  const clock = new Scheduler(10 * SECOND + 1234);
  const sent: number[] = [];
  const controls: Node['controls'] = [];
  const mpl = new MplForwarder({
    timers: clock,
    rng: new SeededRng(seed),
    transmit: () => sent.push(clock.now()),
    sendControl: (seeds, src) => controls.push({ at: clock.now(), seeds, src }),
    isOwn: (a) => own.some((x) => ipv6Equal(x, a)),
    parameters: () => parameters,
  });
  return { clock, mpl, sent, controls };
}

describe('MPL forwarder (Nanostack mpl.c, RFC 7731)', () => {
  it('the data Trickle is 512 ms rounded up to 11 ticks of 50 ms, k = 1, 3 expirations; control: Imax 5 min, 10 expirations', () => {
    expect(MPL_TICK).to.equal(50 * MS);
    expect(RFC7731_DATA_TRICKLE).to.deep.equal({ imin: 11, imax: 11, k: 1, expirations: 3 });
    expect(RFC7731_CONTROL_TRICKLE).to.deep.equal({ imin: 11, imax: 6000, k: 1, expirations: 10 });
    expect(RFC7731_DOMAIN.seedSetEntryLifetimeS).to.equal(1800);
    expect(bufferedMessageLifetime(RFC7731_DOMAIN)).to.equal(60 * SECOND);
  });

  it("the border router's multicast_set_parameters(10, 0, 20, 3, 75): data 10 ticks, k = 20, 3 expirations; seeds 22 s, messages 5.5 s", () => {
    expect(BORDER_ROUTER_DOMAIN.data).to.deep.equal({ imin: 10, imax: 10, k: 20, expirations: 3 });
    expect(BORDER_ROUTER_DOMAIN.control).to.deep.equal(RFC7731_CONTROL_TRICKLE);
    // 4 × (10 × 3 + 75) = 420 ticks, (420 + 20) / 20 = 22 s; a quarter of it in tenths: 55.
    expect(BORDER_ROUTER_DOMAIN.seedSetEntryLifetimeS).to.equal(22);
    expect(bufferedMessageLifetime(BORDER_ROUTER_DOMAIN)).to.equal(5500 * MS);
    // Doublings stop at the 16-bit tick limit.
    expect(multicastSetParameters(10, 3, 1, 2, 0).data.imax).to.equal(80);
    expect(multicastSetParameters(40_000, 2, 1, 2, 0).data.imax).to.equal(0xffff);
  });

  it('k = 20 (the border router): copies heard do not cancel its 3 sends, at [5, 9] ticks of each 10-tick interval', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const n = node(seed, [], BORDER_ROUTER_DOMAIN);
      const heard = n.clock.now();
      n.mpl.message(data(), 7, { seeding: false, forward: true });
      for (let i = 0; i < 5; i++) expect(n.mpl.message(data(), 7, { seeding: false, forward: true })).to.equal('duplicate');
      n.clock.runUntil(heard + 5 * SECOND);
      expect(n.sent, `seed ${seed}`).to.have.length(3);
      const mod = (a: number): number => ((a % MPL_TICK) + MPL_TICK) % MPL_TICK;
      const start = heard - mod(heard - n.sent[0]!);
      n.sent.forEach((t, i) => {
        const ticks = (t - start - i * 10 * MPL_TICK) / MPL_TICK;
        expect(Number.isInteger(ticks) && ticks >= 5 && ticks <= 9, `seed ${seed}: copy ${i} at ${ticks} ticks into its interval`).to.equal(true);
      });
    }
  });

  it('sends a new message on never at reception, once in each of 3 intervals at [5, 10] ticks, on its own tick grid', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const n = node(seed);
      const heard = n.clock.now();
      expect(n.mpl.message(data(), 7, { seeding: false, forward: true })).to.equal('buffered');
      n.clock.runUntil(heard + 5 * SECOND);
      expect(n.sent, `seed ${seed}`).to.have.length(3);
      // Every copy falls on one 50 ms grid; the first interval starts at its tick at or before reception.
      const mod = (a: number): number => ((a % MPL_TICK) + MPL_TICK) % MPL_TICK;
      const start = heard - mod(heard - n.sent[0]!);
      n.sent.forEach((t, i) => {
        const ticks = (t - start - i * 11 * MPL_TICK) / MPL_TICK;
        expect(Number.isInteger(ticks) && ticks >= 5 && ticks <= 10, `seed ${seed}: copy ${i} at ${ticks} ticks into its interval`).to.equal(true);
      });
      expect(n.sent[0]! - heard, 'never at reception').to.be.at.least(4 * MPL_TICK);
    }
  });

  it('k = 1: a copy heard before its time cancels that interval only; copies are duplicates', () => {
    const n = node(3);
    n.mpl.message(data(), 7, { seeding: false, forward: true });
    expect(n.mpl.message(data(), 7, { seeding: false, forward: true })).to.equal('duplicate');
    n.clock.runUntil(n.clock.now() + 5 * SECOND);
    expect(n.sent).to.have.length(2);
  });

  it('a node that does not forward remembers the message by MinSequence and never sends it', () => {
    const n = node(4);
    expect(n.mpl.message(data(1), 7, { seeding: false, forward: false })).to.equal('accepted');
    expect(n.mpl.message(data(1), 7, { seeding: false, forward: false })).to.equal('duplicate');
    expect(n.mpl.message(data(1), 6, { seeding: false, forward: false }), 'below MinSequence').to.equal('duplicate');
    expect(n.mpl.message(data(1), 8, { seeding: false, forward: false })).to.equal('accepted');
    n.clock.runUntil(n.clock.now() + 10 * SECOND);
    expect(n.sent).to.deep.equal([]);
  });

  it('a neighbour whose control message lacks a message we hold gets it again, after our Trickle had stopped', () => {
    const n = node(5);
    n.mpl.message(data(), 7, { seeding: false, forward: true });
    n.clock.runUntil(n.clock.now() + 3 * SECOND);
    expect(n.sent).to.have.length(3);
    const asked = n.clock.now();
    n.mpl.controlMessage([], NEIGHBOUR); // it knows no seed at all
    n.clock.runUntil(asked + 3 * SECOND);
    expect(n.sent).to.have.length(6); // a fresh data Trickle: 3 intervals again
    expect(n.sent[3]! - asked).to.be.within(4 * MPL_TICK, 11 * MPL_TICK);
    // Naming it in its buffered set (or past it by MinSequence) asks for nothing.
    const later = n.clock.now();
    n.mpl.controlMessage([{ minSequence: 7, seedId: SEED, buffered: [7] }], NEIGHBOUR);
    n.mpl.controlMessage([{ minSequence: 8, seedId: SEED, buffered: [] }], NEIGHBOUR);
    n.clock.runUntil(later + 3 * SECOND);
    expect(n.sent).to.have.length(6);
  });

  it('a control message naming a message we lack makes us send ours within Imin: our seeds, MinSequence and what we hold', () => {
    const n = node(6);
    n.mpl.message(data(), 200, { seeding: false, forward: true });
    n.mpl.message(data(), 202, { seeding: false, forward: true });
    const at = n.clock.now();
    n.mpl.controlMessage([{ minSequence: 200, seedId: SEED, buffered: [200, 201, 202] }], NEIGHBOUR);
    n.clock.runUntil(at + 11 * MPL_TICK);
    expect(n.controls).to.have.length(1);
    expect(n.controls[0]!.src).to.equal(undefined);
    expect(n.controls[0]!.seeds).to.deep.equal([{ minSequence: 200, seedId: SEED, buffered: [200, 202] }]);
  });

  it('a seed names itself by the source address (S = 0); a buffered message is dropped 60 s after it came, MinSequence past it', () => {
    const n = node(7, [SEED]);
    n.mpl.message(data(10), 42, { seeding: true, forward: true });
    n.mpl.controlMessage([{ minSequence: 0, seedId: ipv6('fd00:db8::99'), buffered: [0] }], NEIGHBOUR);
    n.clock.runUntil(n.clock.now() + 11 * MPL_TICK);
    expect(n.controls[0]!.src && ipv6Equal(n.controls[0]!.src, SEED)).to.equal(true);
    expect(n.controls[0]!.seeds).to.deep.equal([{ minSequence: 42, seedId: new Uint8Array(0), buffered: [42] }]);
    n.clock.runUntil(n.clock.now() + bufferedMessageLifetime(RFC7731_DOMAIN) + 2 * SECOND);
    const before = n.controls.length;
    n.mpl.controlMessage([{ minSequence: 0, seedId: ipv6('fd00:db8::98'), buffered: [0] }], NEIGHBOUR);
    n.clock.runUntil(n.clock.now() + 11 * MPL_TICK);
    expect(n.controls.slice(before).at(-1)!.seeds).to.deep.equal([{ minSequence: 43, seedId: new Uint8Array(0), buffered: [] }]);
    expect(n.mpl.message(data(9), 42, { seeding: false, forward: true }), 'an old copy').to.equal('duplicate');
  });
});
