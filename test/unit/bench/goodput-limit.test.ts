// The benchmark's analytic goodput limit against the worked figures of the reference
// (ieee802154-6lowpan.md §9), and a short goodput run of the stack against it: the
// smoke test of `npm run bench` (the full benchmark is not part of npm test).
import { expect } from 'chai';
import { measureGoodput } from '../../bench/goodput.ts';
import { datagramFrames, frameCycleUs, goodputLimit, largestSingleFramePayload, THREAD_FRAMING } from '../../bench/limit.ts';

describe('bench: analytic goodput limit and a short goodput run', function () {
  it('§9: one 127-byte frame with its ACK and LIFS holds the channel 6880 µs on average', function () {
    expect(frameCycleUs(127)).to.equal(6880);
  });

  it('§9: ext/ext addressing, ports inline: 95-byte UDP payload in one frame, 110.5 kbit/s', function () {
    expect(largestSingleFramePayload()).to.equal(95);
    expect(datagramFrames(95)).to.deep.equal([127]);
    expect(goodputLimit(95).limitKbps).to.be.closeTo(110.5, 0.05);
  });

  it('§9: 1232-byte UDP payload, ext/ext: FRAG1 88 data bytes, 11 full FRAGN of 96 and a last of 88, 87 936 µs, 112.1 kbit/s', function () {
    expect(datagramFrames(1232)).to.deep.equal([...Array<number>(12).fill(124), 116]);
    const limit = goodputLimit(1232);
    expect(limit.datagramUs).to.equal(87_936);
    expect(limit.limitKbps).to.be.closeTo(112.1, 0.05);
  });

  it('Thread framing (short addresses, security level 5 key id mode 1, inline IIDs): 81-byte payload in one frame; 1232 bytes in FRAG1 of 72, 12 FRAGN of 96 and a last of 8', function () {
    expect(largestSingleFramePayload(THREAD_FRAMING)).to.equal(81);
    expect(datagramFrames(81, THREAD_FRAMING)).to.deep.equal([127]);
    expect(datagramFrames(1232, THREAD_FRAMING)).to.deep.equal([...Array<number>(13).fill(122), 34]);
  });

  it('the stack sends the frames the limit assumes and lands within 15 % below it (not above, beyond sampling), on both network kinds', function () {
    for (const [name, network, payloadBytes, datagrams] of [
      ['single-frame', 'nd', 95, 300],
      ['fragmented', 'nd', 1232, 25],
      ['thread-single-frame', 'thread', 81, 300],
      ['thread-fragmented', 'thread', 1232, 25],
    ] as const) {
      const g = measureGoodput({ name, network, payloadBytes, datagrams, seeds: [7] });
      expect(g.framesAsAssumed, `${name}: sent ${g.psdu}, the limit assumes ${g.limitPsdu}`).to.equal(true);
      // Alone on the air ND never retries; a Thread receiver's own MLE traffic can take a backoff slot now and then.
      if (network === 'nd') expect(g.retries, name).to.equal(0);
      else expect(g.retries, `${name}: ${g.retries} retries of ${g.frames} frames`).to.be.at.most(Math.ceil(0.01 * g.frames));
      expect(g.measuredKbps, name).to.be.at.least(0.85 * g.limitKbps);
      expect(g.measuredKbps, name).to.be.at.most(g.limitKbps + 3 * g.samplingSdKbps);
    }
  });
});
