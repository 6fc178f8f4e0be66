// The stack's Timers on the wall clock, for a board that is not in the sim: one
// setTimeout for the earliest event, events in (time, order scheduled). `speed`
// runs the clock that many times faster than the wall, to match an RCP built for
// OpenThread's simulation started with --time-speed.
//
// Due events run after the input that is waiting: a host that was descheduled (a busy
// machine) wakes with both a timer overdue and the RCP's frames in its pipe, and Node
// runs timers before it reads. A Parent Response that came within its window would
// then be read after the window closed, and dropped for the next request's challenge.
import type { Micros, Timer, Timers } from '../stack/runtime.ts';

interface Entry {
  at: Micros;
  seq: number;
  fn: () => void;
  dead: boolean;
}

export class WallTimers implements Timers {
  private readonly t0 = performance.now();
  private readonly queue: Entry[] = [];
  private seq = 0;
  private handle: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(
    readonly speed = 1,
    /** Called with whatever a timer callback threw; the board logs it and goes on. */
    private readonly onError: (e: unknown) => void = (e) => {
      throw e;
    },
  ) {
    if (!(speed > 0)) throw new RangeError(`time speed ${speed} must be positive`);
  }

  now(): Micros {
    return Math.floor((performance.now() - this.t0) * 1000 * this.speed);
  }

  at(at: Micros, fn: () => void): Timer {
    // Not clamped to now(): wall time moves on while synchronous code runs (a busy host takes
    // the processor away anywhere), so two events due in the past would otherwise run in the
    // order they were scheduled, not the order they were due. A past event runs at once.
    const e: Entry = { at, seq: this.seq++, fn, dead: false };
    // Binary search for the first entry later than e (equal times keep scheduling order).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid]!.at <= e.at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, e);
    this.arm();
    return { cancel: () => (e.dead = true) };
  }

  /** Drops every pending event and schedules no more. */
  stop(): void {
    this.stopped = true;
    if (this.handle) clearTimeout(this.handle);
    if (this.immediate) clearImmediate(this.immediate);
    this.queue.length = 0;
  }

  private arm(): void {
    if (this.stopped || this.immediate) return; // a run is on its way; it arms again after
    const first = this.queue[0];
    if (!first) return;
    if (this.handle && first.at >= this.armedFor) return;
    if (this.handle) clearTimeout(this.handle);
    this.armedFor = first.at;
    const waitMs = Math.max(0, (first.at - this.now()) / 1000 / this.speed);
    this.handle = setTimeout(() => {
      this.handle = undefined;
      // setImmediate runs after the event loop's poll for input; a timer's callback runs before it.
      this.immediate = setImmediate(() => this.run());
    }, waitMs);
  }

  private run(): void {
    this.immediate = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    while (!this.stopped && this.queue.length > 0 && this.queue[0]!.at <= now) {
      const e = this.queue.shift()!;
      if (e.dead) continue;
      try {
        e.fn();
      } catch (err) {
        this.onError(err);
      }
    }
    this.arm();
  }
}
