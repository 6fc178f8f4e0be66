// The soak benchmark's RSS figure: a leak raises the second half's peak; a warm-up in the
// first windows or a collector's sawtooth does not.
import { expect } from 'chai';
import { peakGrowthPercent } from '../../bench/soak.ts';

describe('soak benchmark: RSS peak growth', () => {
  it('is 0 for a heap that warms up and then saws between the same peaks', () => {
    expect(peakGrowthPercent([100, 120, 140, 150, 130, 150, 135, 150])).to.equal(0);
  });

  it('shows a steady climb', () => {
    expect(peakGrowthPercent([100, 105, 110, 115, 120, 125])).to.be.closeTo(((125 - 110) / 110) * 100, 1e-9);
  });

  it('has no figure with fewer than two windows', () => {
    expect(Number.isNaN(peakGrowthPercent([100]))).to.equal(true);
  });
});
