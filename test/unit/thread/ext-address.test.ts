// A Thread node sends from a random extended address drawn at boot, as OpenThread's
// Mac does (mac.cpp Mac::Mac, mac_types.cpp ExtAddress::GenerateRandom); a
// 6LoWPAN-ND node keeps its EUI-64 (RFC 6775 registers the EUI-64 in the ARO).
import { expect } from 'chai';
import { randomExtAddress } from '../../../stack/thread/ext-address.ts';
import { SeededRng } from '../../../stack/runtime.ts';
import { formatIpv6Address } from '../../../stack/wire/ipv6-address.ts';
import { toHex } from '../../../stack/wire/bytes.ts';
import { ndBed } from '../nd/bed.ts';
import { allInOnePartition, mle, S, threadBench } from './thread-bench.ts';

const hexOf = (b: Uint8Array) => toHex(b);

describe('Thread extended address', () => {
  it('is unicast and locally administered, from the rng: the same seed draws the same address, another seed another', () => {
    const draws = Array.from({ length: 64 }, (_, i) => randomExtAddress(new SeededRng(i + 1)));
    for (const a of draws) {
      expect(a).to.have.length(8);
      expect(a[0]! & 0x01, `${hexOf(a)} group bit`).to.equal(0);
      expect(a[0]! & 0x02, `${hexOf(a)} local bit`).to.equal(0x02);
    }
    expect(new Set(draws.map(hexOf)).size).to.equal(64);
    expect(hexOf(randomExtAddress(new SeededRng(7)))).to.equal(hexOf(randomExtAddress(new SeededRng(7))));
    // Every other bit is drawn: over 64 draws each bit but those two (0x03 of the first octet) took both values.
    for (let bit = 0; bit < 64; bit++) {
      if (bit === 6 || bit === 7) continue;
      const values = new Set(draws.map((a) => (a[bit >> 3]! >> (7 - (bit & 7))) & 1));
      expect(values.size, `bit ${bit}`).to.equal(2);
    }
  });

  it('a Thread node sends from it, not its EUI-64; its link-local address and neighbours\' tables use it; a new boot draws a new one', () => {
    const tb = threadBench({ seed: 41, ids: ['a', 'b'] });
    const [a, b] = [tb.node('a'), tb.node('b')];
    const extA = a.app.stack.mac.getExtAddress();
    const extB = b.app.stack.mac.getExtAddress();
    expect(hexOf(extA)).to.not.equal(hexOf(a.extAddress));
    expect(hexOf(extB)).to.not.equal(hexOf(b.extAddress));
    expect(hexOf(extA)).to.not.equal(hexOf(extB));
    expect(a.app.stack.env.eui64).to.deep.equal(a.extAddress); // the board's identity stays its EUI-64
    a.app.iface.connect();
    tb.runFor(8 * S);
    b.app.iface.connect();
    expect(tb.runUntil(() => allInOnePartition(tb), 60 * S)).to.equal(true);
    // Link-local IID = extended address with the U/L bit flipped (RFC 4944 §6, Thread's MLE source).
    const iid = extA.slice();
    iid[0] = iid[0]! ^ 0x02;
    expect(formatIpv6Address(mle(a.app).linkLocal)).to.equal(formatIpv6Address(Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...iid)));
    expect(mle(b.app).neighbourList().map((n) => n.ext)).to.include(hexOf(extA));
    expect(a.app.iface.details().ext_address).to.equal(hexOf(extA));
    // The same seed reproduces the draw (the sim stays deterministic).
    const again = threadBench({ seed: 41, ids: ['a', 'b'] });
    expect(hexOf(again.node('a').app.stack.mac.getExtAddress())).to.equal(hexOf(extA));
  });

  it('a 6LoWPAN-ND node keeps its EUI-64 as extended address', () => {
    const bed = ndBed(5, [{ id: 'br', x: 0, y: 0, role: 'border-router' }, { id: 'r', x: 40, y: 0 }]);
    for (const id of ['br', 'r']) expect(hexOf(bed.node(id).mac.getExtAddress())).to.equal(hexOf(bed.bed.node(id).extAddress));
  });
});
