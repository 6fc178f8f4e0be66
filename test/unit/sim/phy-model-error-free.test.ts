// The medium's shortcut for good links: from ERROR_FREE_SINR_DB up, a frame survives
// with probability exactly 1.0, which is what the Annex E formula gives in double
// precision anyway. The shortcut must change no result, so runs stay reproducible.
import { expect } from 'chai';
import { berFromSinrDb, bitsSuccess, ERROR_FREE_SINR_DB, PHY_HEADER_OCTETS } from '../../../sim/medium/phy-model.ts';
import { MAX_PSDU_LENGTH } from '../../../stack/wire/ieee802154.ts';

describe('sim/medium phy-model: the error-free shortcut', () => {
  it('from the threshold up, the formula itself gives exactly 1 for the longest frame', () => {
    const bits = 8 * (PHY_HEADER_OCTETS + MAX_PSDU_LENGTH);
    for (let db = ERROR_FREE_SINR_DB; db <= 60; db += 0.25) {
      const formula = Math.exp(bits * Math.log1p(-berFromSinrDb(db)));
      expect(formula, `${db} dB`).to.equal(1);
      expect(bitsSuccess(db, bits), `${db} dB`).to.equal(1);
    }
  });

  it('below it, success is still the formula (the cliff is untouched)', () => {
    for (const db of [-3, -1, 0, 1, 2, 4, 6]) {
      const bits = 8 * 50;
      expect(bitsSuccess(db, bits)).to.equal(Math.exp(bits * Math.log1p(-berFromSinrDb(db))));
      expect(bitsSuccess(db, bits)).to.be.below(1);
    }
  });
});
