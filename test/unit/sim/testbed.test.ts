import { expect } from 'chai';
import { createTestbed, defaultExtAddress } from '../../../sim/testbed.ts';
import { toHex } from '../../../stack/wire/bytes.ts';

describe('sim/testbed', () => {
  const topology = { kind: 'matrix' as const, lossDb: { a: { b: 60 } }, defaultLossDb: 200 };

  it('attaches every node with a radio, an EUI-64, its own rng and the shared bench clock', () => {
    const tb = createTestbed({ seed: 1, topology, nodes: [{ id: 'a' }, { id: 'b', channel: 15, extAddress: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }] });
    expect(tb.nodes.map((n) => n.id)).to.deep.equal(['a', 'b']);
    expect(toHex(tb.node('a').extAddress)).to.equal('00124b0000000001');
    expect(toHex(tb.node('b').extAddress)).to.equal('0102030405060708');
    expect(tb.node('b').radio.getChannel()).to.equal(15);
    expect(tb.node('a').timers).to.equal(tb.scheduler);
    expect(tb.node('a').rng.next()).to.not.equal(tb.node('b').rng.next());
    expect(toHex(defaultExtAddress(299))).to.equal('00124b000000012c');
    expect(() => tb.node('zz')).to.throw(/no node zz/);
  });

  it('builds each node\'s software with a factory', () => {
    const tb = createTestbed({
      seed: 2,
      topology,
      nodes: [{ id: 'a' }, { id: 'b' }],
      build: (env) => {
        const got: number[] = [];
        env.radio.onReceive((psdu) => got.push(psdu.length));
        return { id: env.id, got, eui: toHex(env.eui64) };
      },
    });
    expect(tb.node('b').app.eui).to.equal('00124b0000000002');
    tb.node('a').radio.transmit(Uint8Array.of(2, 0, 0x2a, 0xe0, 0x3b), () => undefined);
    tb.runFor(1000);
    expect(tb.node('b').app.got).to.deep.equal([5]);
  });

  it('runUntil stops when the predicate holds, or gives up after the limit', () => {
    const tb = createTestbed({ seed: 3, topology, nodes: [{ id: 'a' }, { id: 'b' }] });
    let got = 0;
    tb.node('b').radio.onReceive(() => got++);
    tb.scheduler.at(5000, () => tb.node('a').radio.transmit(Uint8Array.of(2, 0, 0x2a, 0xe0, 0x3b), () => undefined));
    expect(tb.runUntil(() => got > 0, 1_000_000)).to.equal(true);
    expect(tb.scheduler.now()).to.equal(5352);
    expect(tb.runUntil(() => got > 1, 1000)).to.equal(false);
    expect(tb.scheduler.now()).to.equal(6352);
  });

  it('is deterministic per seed: node rng streams repeat', () => {
    const draw = (seed: number) => {
      const tb = createTestbed({ seed, topology, nodes: [{ id: 'a' }, { id: 'b' }] });
      return tb.nodes.map((n) => n.rng.next());
    };
    expect(draw(7)).to.deep.equal(draw(7));
    expect(draw(7)).to.not.deep.equal(draw(8));
  });
});
