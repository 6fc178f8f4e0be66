// At speed 'max', where does external input land in bench time? Not on the last event
// run: boards started in one I/O turn would all share that microsecond and lock in
// phase with whatever periodic activity ran last (docs/benchmarks.md).
import { expect } from 'chai';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import { Pacer } from '../../../sim/pacer.ts';
import { SECOND } from '../../../stack/runtime.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sim/pacer at max: where input lands', () => {
  it('each input of one I/O turn lands at its own time, apart from the periodic events and from each other', async () => {
    const scheduler = new Scheduler();
    // Sparse periodic activity: one event every 10 bench seconds, like a board's traffic.
    const period = 10 * SECOND;
    const tick = (): void => void scheduler.after(period, tick);
    scheduler.at(0, tick);
    const pacer = new Pacer(scheduler, { speed: 'max' });
    pacer.start();
    try {
      await sleep(30);
      // Three inputs read in one turn of the event loop (no slice runs in between).
      const landed: number[] = [];
      for (let i = 0; i < 3; i++) {
        pacer.catchUp();
        landed.push(scheduler.now());
      }
      expect(new Set(landed).size, `landed at ${landed.join(', ')}`).to.equal(3);
      for (const t of landed) expect(t % period, `input at ${t} µs sits on a periodic event`).to.not.equal(0);
    } finally {
      pacer.stop();
    }
  });

  it('the share of a slice is drawn from the injected source, and events due before it run first', async () => {
    const scheduler = new Scheduler();
    const ran: number[] = [];
    const tick = (): void => {
      ran.push(scheduler.now());
      scheduler.after(1000, tick);
    };
    scheduler.at(0, tick);
    const pacer = new Pacer(scheduler, { speed: 'max', random: () => 0.999999 });
    pacer.start();
    try {
      await sleep(20);
      const before = scheduler.now();
      pacer.catchUp();
      const after = scheduler.now();
      expect(after).to.be.greaterThan(before);
      // Every event due up to the input's time has run, none after it.
      expect(ran.at(-1)!).to.be.at.most(after);
      expect(scheduler.nextEventAt()!).to.be.greaterThan(after);
    } finally {
      pacer.stop();
    }
  });
});
