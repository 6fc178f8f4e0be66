// The stack's Timers on the wall clock, for a board that is not in the sim: one
// setTimeout for the earliest event, events in (time, order scheduled). `speed`
// runs the clock that many times faster than the wall, to match an RCP built for
// OpenThread's simulation started with --time-speed.
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
    const e: Entry = { at: Math.max(at, this.now()), seq: this.seq++, fn, dead: false };
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
    this.queue.length = 0;
  }

  private arm(): void {
    if (this.stopped) return;
    const first = this.queue[0];
    if (!first) return;
    if (this.handle && first.at >= this.armedFor) return;
    if (this.handle) clearTimeout(this.handle);
    this.armedFor = first.at;
    const waitMs = Math.max(0, (first.at - this.now()) / 1000 / this.speed);
    this.handle = setTimeout(() => this.run(), waitMs);
  }

  private run(): void {
    this.handle = undefined;
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
