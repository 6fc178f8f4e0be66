import { expect } from 'chai';
import { ReplayGuard } from '../../../stack/mac/replay.ts';

// Rules of OpenThread Mle::HandleUdpReceive / ProcessKeySequence (mle.cpp).
describe('replay protection per neighbour', () => {
  const A = '0035cc94d77a07e8';
  let guard: ReplayGuard;
  beforeEach(() => {
    guard = new ReplayGuard();
    guard.establish(A, { keySequence: 5, mleFrameCounter: 100, linkFrameCounter: 1000 });
  });

  it('accepts the next expected counter and anything above, and moves on', () => {
    expect(guard.admit(A, 'mle', 5, 100)).to.deep.equal({ accept: true, neighbour: 'known', keySequenceAdopted: false });
    expect(guard.admit(A, 'mle', 5, 150).accept).to.equal(true);
    expect(guard.get(A)?.mleFrameCounter).to.equal(151);
  });

  it('drops a repeated or lower counter under the same key sequence as a duplicate', () => {
    guard.admit(A, 'mle', 5, 120);
    expect(guard.admit(A, 'mle', 5, 120)).to.deep.equal({ accept: false, reason: 'duplicate' });
    expect(guard.admit(A, 'mle', 5, 99)).to.deep.equal({ accept: false, reason: 'duplicate' });
    expect(guard.counters.droppedDuplicate).to.equal(2);
    expect(guard.get(A)?.mleFrameCounter).to.equal(121);
  });

  it('keeps MLE and link counters apart', () => {
    expect(guard.admit(A, 'link', 5, 1000).accept).to.equal(true);
    expect(guard.admit(A, 'mle', 5, 100).accept).to.equal(true);
    expect(guard.admit(A, 'link', 5, 999).accept).to.equal(false);
    expect(guard.get(A)).to.deep.equal({ keySequence: 5, mleFrameCounter: 101, linkFrameCounter: 1001 });
  });

  it('adopts a higher key sequence and resets the counters', () => {
    expect(guard.admit(A, 'mle', 6, 3)).to.deep.equal({ accept: true, neighbour: 'known', keySequenceAdopted: true });
    expect(guard.get(A)).to.deep.equal({ keySequence: 6, mleFrameCounter: 4, linkFrameCounter: 0 });
    // A low link counter is fine now: the sender reset its counters on the switch.
    expect(guard.admit(A, 'link', 6, 0).accept).to.equal(true);
    expect(guard.counters.keySequenceAdopted).to.equal(1);
  });

  it('drops a lower key sequence, whatever the counter', () => {
    expect(guard.admit(A, 'mle', 4, 10_000)).to.deep.equal({ accept: false, reason: 'staleKeySequence' });
    expect(guard.admit(A, 'link', 4, 10_000).accept).to.equal(false);
    expect(guard.counters.droppedStaleKeySequence).to.equal(2);
    expect(guard.get(A)?.keySequence).to.equal(5);
  });

  it('passes unknown neighbours without tracking them', () => {
    expect(guard.admit('1122334455667788', 'mle', 0, 0)).to.deep.equal({ accept: true, neighbour: 'unknown' });
    expect(guard.get('1122334455667788')).to.equal(undefined);
    expect(guard.counters.unknownNeighbour).to.equal(1);
  });

  it('check() changes nothing', () => {
    expect(guard.check(A, 'mle', 6, 0).accept).to.equal(true);
    expect(guard.check(A, 'mle', 5, 1).accept).to.equal(false);
    expect(guard.get(A)).to.deep.equal({ keySequence: 5, mleFrameCounter: 100, linkFrameCounter: 1000 });
    expect(guard.counters).to.deep.equal({
      accepted: 0,
      unknownNeighbour: 0,
      keySequenceAdopted: 0,
      droppedDuplicate: 0,
      droppedStaleKeySequence: 0,
    });
  });

  it('forgets a removed neighbour', () => {
    guard.remove(A);
    expect(guard.admit(A, 'mle', 0, 0)).to.deep.equal({ accept: true, neighbour: 'unknown' });
  });

  it('accepts the last counter value 0xffffffff once', () => {
    expect(guard.admit(A, 'mle', 5, 0xffffffff).accept).to.equal(true);
    expect(guard.admit(A, 'mle', 5, 0xffffffff).accept).to.equal(false);
  });
});
