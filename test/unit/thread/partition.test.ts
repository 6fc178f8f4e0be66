// MleRouter::ComparePartitions as thread.md §1 states it: the higher Leader Data
// weighting wins; then a non-singleton beats a singleton; then the higher Partition ID.
import { expect } from 'chai';
import { comparePartitions, isRouterRloc16, rloc16OfRouter, routerIdOf } from '../../../stack/thread/mle-engine.ts';
import type { LeaderData } from '../../../stack/wire/mle.ts';

const ld = (partitionId: number, weighting = 64): LeaderData => ({ partitionId, weighting, dataVersion: 0, stableDataVersion: 0, leaderRouterId: 0 });

describe('partition comparison (thread.md §1 "Merging")', () => {
  it('weighting first, even against a non-singleton with a higher ID', () => {
    expect(comparePartitions(true, ld(1, 65), false, ld(9, 64))).to.equal(1);
    expect(comparePartitions(false, ld(9, 64), true, ld(1, 65))).to.equal(-1);
  });
  it('then a non-singleton beats a singleton whatever the IDs', () => {
    expect(comparePartitions(false, ld(1), true, ld(9))).to.equal(1);
    expect(comparePartitions(true, ld(9), false, ld(1))).to.equal(-1);
  });
  it('then the higher partition ID; equal partitions compare equal', () => {
    expect(comparePartitions(false, ld(0xfffffffe), false, ld(5))).to.equal(1);
    expect(comparePartitions(true, ld(5), true, ld(6))).to.equal(-1);
    expect(comparePartitions(false, ld(7), false, ld(7))).to.equal(0);
  });
});

describe('RLOC16 (thread.md §5)', () => {
  it('router ID << 10 | child ID; child ID 0 is the router itself', () => {
    expect(rloc16OfRouter(18)).to.equal(0x4800);
    expect(routerIdOf(0xb002)).to.equal(44);
    expect(isRouterRloc16(0x4800)).to.equal(true);
    expect(isRouterRloc16(0x4801)).to.equal(false);
  });
});
