// Bench time as suites see it. On the simulated bench the medium owns time
// (speed factor or max); in a lab it is the wall clock. Suites express every
// bound through this, never setTimeout.
import type { ControlClient } from '../sim/control-client.ts';

export interface BenchClock {
  /** Bench time now, µs. */
  now(): Promise<number>;
  /** Resolves when bench time reaches t (µs). */
  sleepUntil(t: number): Promise<number>;
  /** Bench seconds per wall second, for wall-clock backstops; Infinity for 'max'. */
  readonly speed: number;
}

export class SimClock implements BenchClock {
  constructor(
    private readonly control: ControlClient,
    readonly speed: number,
  ) {}
  async now(): Promise<number> {
    return (await this.control.call({ op: 'clock' })).nowUs;
  }
  async sleepUntil(t: number): Promise<number> {
    return (await this.control.call({ op: 'sleepUntil', t })).nowUs;
  }
}

/**
 * A lab's bench time: wall time since the bench came up, µs, times the rig's
 * speed (1 for real boards; N for host-process boards run N times faster
 * than real time).
 */
export class WallClock implements BenchClock {
  private readonly origin = performance.now();
  constructor(readonly speed = 1) {}
  now(): Promise<number> {
    return Promise.resolve(this.nowUs());
  }
  /** The same, at once: drivers stamp host-side events with it. */
  nowUs(): number {
    return Math.round((performance.now() - this.origin) * 1000 * this.speed);
  }
  async sleepUntil(t: number): Promise<number> {
    // A timer may fire up to a millisecond before performance.now() says it is due
    // (libuv keeps loop time in whole ms), so wait again until the deadline has passed.
    for (let now = this.nowUs(); now < t; now = this.nowUs()) {
      const wait = Math.max(1, (t - now) / 1000 / this.speed);
      // Unref'd: a board's wait ends early when its event comes, and its deadline must not hold the process.
      await new Promise((r) => setTimeout(r, wait).unref());
    }
    return this.nowUs();
  }
}
