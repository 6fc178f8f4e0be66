// A hold stops the bench clock while a board in a process of its own (an
// OpenThread virtual-time node) handles an event: nothing runs and time does
// not move until the last hold is released.
import { expect } from 'chai';
import { Scheduler } from '../../../sim/medium/scheduler.ts';

describe('sim/medium/scheduler: holds', () => {
  it('runs nothing and keeps the clock while held; runs on once every hold is released', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    s.at(10, () => seen.push(s.now()));
    s.at(20, () => seen.push(s.now()));
    const a = s.hold();
    const b = s.hold();
    expect(s.nextEventAt()).to.equal(undefined);
    expect(s.runNext()).to.equal(false);
    s.runUntil(100);
    expect(s.now()).to.equal(0);
    expect(seen).to.deep.equal([]);
    a();
    a(); // a second call of one release does nothing
    expect(s.held).to.equal(true);
    s.runUntil(100);
    expect(seen).to.deep.equal([]);
    b();
    s.runUntil(100);
    expect(seen).to.deep.equal([10, 20]);
    expect(s.now()).to.equal(100);
  });

  it('stops between events when one of them takes a hold, and says when it is free again', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    let release: (() => void) | undefined;
    let released = 0;
    s.onRelease(() => released++);
    s.at(10, () => {
      seen.push('first');
      release = s.hold();
    });
    s.at(10, () => seen.push('second'));
    s.at(30, () => seen.push('third'));
    expect(s.runWhileNot(() => false, 50)).to.equal(false);
    expect(seen).to.deep.equal(['first']);
    expect(s.now()).to.equal(10);
    // Scheduled while held: lands at now or later, runs after the release.
    s.at(5, () => seen.push(`late@${s.now()}`));
    release!();
    expect(released).to.equal(1);
    s.runUntil(50);
    expect(seen).to.deep.equal(['first', 'second', 'late@10', 'third']);
  });
});
