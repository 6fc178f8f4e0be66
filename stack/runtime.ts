// What the stack gets from its host instead of a clock, timers and randomness.
// The stack never reads a wall clock and never schedules with setTimeout: in the
// sim process and in many-node tests the medium's discrete-event scheduler owns
// bench time, so every backoff and timeout lands on its exact microsecond.
//
// Callbacks only, no Promises, inside stack/: a discrete-event loop runs events
// synchronously, and a microtask would run after the loop yields, i.e. at the
// wrong bench time.

/** Bench time in microseconds. */
export type Micros = number;

export interface Timer {
  cancel(): void;
}

export interface Timers {
  now(): Micros;
  /** Calls `fn` at absolute bench time `at` (clamped to now). Equal times run in the order scheduled. */
  at(at: Micros, fn: () => void): Timer;
}

export function after(timers: Timers, delay: Micros, fn: () => void): Timer {
  return timers.at(timers.now() + delay, fn);
}

export const MS = 1000;
export const SECOND = 1_000_000;

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/**
 * Seeded PRNG (mulberry32): small, fast and good enough for backoffs, jitter and
 * channel noise. A run is reproducible from its seed.
 */
export class SeededRng implements Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An independent stream derived from this one, e.g. one per node. */
  fork(): SeededRng {
    return new SeededRng(Math.floor(this.next() * 4294967296));
  }
}
