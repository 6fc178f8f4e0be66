// The RCP board's wall-clock timers: events in time order, and the input a
// stalled host finds waiting handled before the timers that fell due meanwhile.
import { expect } from 'chai';
import { WallTimers } from '../../../host/wall-timers.ts';
import { socketPair, stall, type SocketPair } from './stall.ts';

/** Resolves once `fn` has been called: waits on the event itself, not on a guess of how long it takes. */
function called(): { fn: () => void; done: Promise<void> } {
  let fn = () => {};
  const done = new Promise<void>((resolve) => (fn = resolve));
  return { fn, done };
}

describe('host wall-clock timers', () => {
  let timers: WallTimers;
  let pair: SocketPair | undefined;

  beforeEach(() => (timers = new WallTimers(10)));
  afterEach(() => {
    timers.stop();
    pair?.close();
    pair = undefined;
  });

  it('runs events in time order (those scheduled once already due too), equal times in the order scheduled, not a cancelled one', async () => {
    const order: string[] = [];
    const last = called();
    const t = timers.now();
    timers.at(t + 30_000, () => {
      order.push('c');
      last.fn();
    });
    timers.at(t + 10_000, () => order.push('a'));
    timers.at(t + 10_000, () => order.push('b'));
    timers.at(t + 20_000, () => order.push('cancelled')).cancel();
    // The host may be taken off the processor between any two of these lines, and wake with all due.
    stall(5);
    timers.at(t + 5_000, () => order.push('due first, scheduled last'));
    await last.done;
    expect(order).to.deep.equal(['due first, scheduled last', 'a', 'b', 'c']);
  });

  it('a stalled host handles the input that arrived before a timer fell due ahead of that timer', async () => {
    pair = await socketPair();
    const { writer, reader } = pair;
    const order: string[] = [];
    const closed = called();
    reader.on('data', () => order.push('input'));
    // A window of 75 ms of bench time (7.5 ms of wall time at 10x): a Parent Response window at 10x.
    timers.at(timers.now() + 75_000, () => {
      order.push('window closed');
      closed.fn();
    });
    writer.write('parent response'); // in the reader's receive buffer when this returns: inside the window
    stall(100); // the host gets the processor back only after the window's end
    await closed.done;
    expect(order).to.deep.equal(['input', 'window closed']);
  });

  it('stop() drops what was due and schedules nothing more', async () => {
    const order: string[] = [];
    timers.at(timers.now() + 1_000, () => order.push('x'));
    stall(5);
    timers.stop();
    timers.at(timers.now(), () => order.push('y'));
    // Past the timers phase in which both were due, and the check phase after it.
    await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setImmediate(r));
    expect(order).to.deep.equal([]);
  });
});
