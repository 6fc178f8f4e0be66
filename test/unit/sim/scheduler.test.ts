import { expect } from 'chai';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import { SeededRng } from '../../../stack/runtime.ts';

describe('sim/medium/scheduler', () => {
  it('runs events in time order, equal times in scheduling order', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(30, () => seen.push('c'));
    s.at(10, () => seen.push('a1'));
    s.at(20, () => seen.push('b'));
    s.at(10, () => seen.push('a2'));
    s.at(10, () => seen.push('a3'));
    s.runUntil(100);
    expect(seen).to.deep.equal(['a1', 'a2', 'a3', 'b', 'c']);
    expect(s.now()).to.equal(100);
    expect(s.eventCount).to.equal(5);
  });

  it('clamps past times to now and rounds up to whole microseconds', () => {
    const s = new Scheduler(1000);
    const at: number[] = [];
    s.at(5, () => at.push(s.now()));
    s.at(1000.2, () => at.push(s.now()));
    s.runUntil(2000);
    expect(at).to.deep.equal([1000, 1001]);
  });

  it('cancels without running, and nextEventAt skips cancelled events', () => {
    const s = new Scheduler();
    let ran = 0;
    const t = s.at(10, () => ran++);
    s.at(20, () => ran++);
    t.cancel();
    t.cancel();
    expect(s.nextEventAt()).to.equal(20);
    expect(s.pending).to.equal(1);
    expect(s.runNext()).to.equal(true);
    expect(s.runNext()).to.equal(false);
    expect(ran).to.equal(1);
    expect(s.now()).to.equal(20);
  });

  it('runs events scheduled by events, up to and including the horizon', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(s.now());
      s.after(100, tick);
    };
    s.at(0, tick);
    s.runUntil(300);
    expect(seen).to.deep.equal([0, 100, 200, 300]);
    expect(s.nextEventAt()).to.equal(400);
  });

  it('runWhileNot stops as soon as the condition holds, or at the limit', () => {
    const s = new Scheduler();
    let n = 0;
    for (let i = 1; i <= 10; i++) s.at(i * 10, () => n++);
    expect(s.runWhileNot(() => n >= 3, 1000)).to.equal(true);
    expect(s.now()).to.equal(30);
    expect(s.runWhileNot(() => n >= 100, 75)).to.equal(false);
    expect(s.now()).to.equal(75);
    expect(n).to.equal(7);
  });

  it('keeps heap order under heavy random scheduling and cancellation', () => {
    const s = new Scheduler();
    const rng = new SeededRng(7);
    const fired: Array<[number, number]> = [];
    const timers = [];
    for (let i = 0; i < 20_000; i++) {
      const at = rng.int(5000);
      const seq = i;
      timers.push({ seq, at, t: s.at(at, () => fired.push([s.now(), seq])) });
    }
    const cancelled = new Set<number>();
    for (const t of timers) {
      if (rng.next() < 0.6) {
        t.t.cancel();
        cancelled.add(t.seq);
      }
    }
    s.runUntil(10_000);
    expect(fired.length).to.equal(20_000 - cancelled.size);
    for (const [, seq] of fired) expect(cancelled.has(seq)).to.equal(false);
    for (let i = 1; i < fired.length; i++) {
      const [ta, sa] = fired[i - 1]!;
      const [tb, sb] = fired[i]!;
      expect(ta < tb || (ta === tb && sa < sb), `order at ${i}`).to.equal(true);
    }
  });

  it('handles on the order of 10^6 events per second', function () {
    const s = new Scheduler();
    const n = 500_000;
    let count = 0;
    // 64 self-rescheduling timers, like idle nodes, plus a cancelled timer per event (ACK-wait style).
    for (let k = 0; k < 64; k++) {
      const step = 100 + k;
      const fire = (): void => {
        count++;
        s.after(10_000, () => undefined).cancel();
        if (count < n) s.after(step, fire);
      };
      s.at(k, fire);
    }
    const t0 = performance.now();
    while (count < n && s.runNext());
    const seconds = (performance.now() - t0) / 1000;
    const rate = n / seconds;
    this.test!.title += ` (${(rate / 1e6).toFixed(2)} M events/s)`;
    expect(rate).to.be.greaterThan(5e5);
  });
});
