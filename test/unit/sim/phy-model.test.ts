import { expect } from 'chai';
import {
  MAX_AIRTIME_US,
  airtimeUs,
  berFromSinrDb,
  channelFrequencyMhz,
  isValidChannel,
  lqiFromSinrDb,
  packetErrorRate,
} from '../../../sim/medium/phy-model.ts';

describe('sim/medium/phy-model', () => {
  describe('IEEE 802.15.4-2006 §6.5.2 airtime: (6 + PSDU) × 32 µs at 250 kbit/s', () => {
    it('ACK (5-byte MPDU, 11-byte PPDU) is 352 µs', () => expect(airtimeUs(5)).to.equal(352));
    it('aMaxPHYPacketSize (127-byte PSDU) is 4256 µs', () => {
      expect(airtimeUs(127)).to.equal(4256);
      expect(MAX_AIRTIME_US).to.equal(4256);
    });
    it('the 33-byte reference data frame is 1248 µs', () => expect(airtimeUs(33)).to.equal(1248));
  });

  it('§6.1.2.1 channels 11..26 at 2405 + 5(k − 11) MHz', () => {
    expect(channelFrequencyMhz(11)).to.equal(2405);
    expect(channelFrequencyMhz(26)).to.equal(2480);
    expect(isValidChannel(10)).to.equal(false);
    expect(isValidChannel(27)).to.equal(false);
    expect(isValidChannel(11.5)).to.equal(false);
  });

  describe('Annex E.4.1.7 BER and PER (reference table, 133-byte PPDU)', () => {
    // SINR dB → [BER, PER] from the reference table.
    const table: Array<[number, number, number]> = [
      [-3, 1.6e-2, 1],
      [-2, 5.2e-3, 0.996],
      [-1, 1.1e-3, 0.71],
      [0, 1.6e-4, 0.16],
      [1, 1.3e-5, 0.014],
      [2, 5.1e-7, 5e-4],
    ];
    for (const [sinr, ber, per] of table) {
      it(`SINR ${sinr} dB: BER ≈ ${ber}, PER ≈ ${per}`, () => {
        expect(berFromSinrDb(sinr)).to.be.closeTo(ber, ber * 0.06);
        expect(packetErrorRate(sinr, 127)).to.be.closeTo(per, Math.max(per * 0.05, 0.005));
      });
    }
    it('tends to 0.5 at very low SINR and to 0 at high SINR', () => {
      expect(berFromSinrDb(-40)).to.be.closeTo(0.5, 1e-3);
      expect(berFromSinrDb(10)).to.be.below(1e-30);
    });
  });

  it('§6.9.8 LQI is monotonic in SINR and spans 0..255', () => {
    let last = -1;
    for (let s = -10; s <= 30; s += 0.5) {
      const lqi = lqiFromSinrDb(s);
      expect(lqi).to.be.at.least(last);
      last = lqi;
    }
    expect(lqiFromSinrDb(-10)).to.equal(0);
    expect(lqiFromSinrDb(30)).to.equal(255);
  });
});
