// Bench time as suites see it. On the simulated bench the medium owns time and
// runs it in lockstep with the harness (harness/sim/lockstep.ts), or free at a
// speed for a spec without lockstep; in a lab it is the wall clock. Suites express every bound through this,
// never setTimeout.
import type { ControlClient } from '../sim/control-client.ts';

export interface SleepOptions {
  /** Ends the sleep early (it rejects with the signal's reason): a wait whose event came needs its deadline no more. */
  signal?: AbortSignal;
  /**
   * The sleeper waits for something a board will say, not just for the time: on a lockstep
   * bench, bench time then stops soon after any board writes, so the harness sees it at the
   * bench time it happened (harness/sim/lockstep.ts).
   */
  wakeOnOutput?: boolean;
  /**
   * The sleeper does not run bench time itself (a driver's poll): on a lockstep bench it
   * wakes when others' sleeps take bench time to t, and bench time stops there for it.
   * Elsewhere a sleep like any other.
   */
  background?: boolean;
}

export interface BenchClock {
  /** Bench time now, µs. */
  now(): Promise<number>;
  /** Resolves when bench time reaches t (µs). */
  sleepUntil(t: number, opts?: SleepOptions): Promise<number>;
  /** Bench seconds per wall second, for wall-clock backstops; Infinity for 'max'. */
  readonly speed: number;
  /**
   * Ends every sleep under way: each rejects with `reason`. For a case cut by its timeout,
   * whose code still sleeps: its sleep must not hold bench time from the next case.
   */
  cancelSleeps(reason: Error): Promise<void>;
}

/** The sleeps under way, each ended by its own controller (cancelSleeps). */
class Sleeps {
  private readonly live = new Set<AbortController>();

  /** A signal that aborts with `outer` or on cancel(), and its release once the sleep is over. */
  open(outer: AbortSignal | undefined): { signal: AbortSignal; close(): void } {
    const c = new AbortController();
    this.live.add(c);
    const signal = outer ? AbortSignal.any([outer, c.signal]) : c.signal;
    return { signal, close: () => this.live.delete(c) };
  }

  cancel(reason: Error): void {
    for (const c of this.live) c.abort(reason);
    this.live.clear();
  }
}

export class SimClock implements BenchClock {
  private latestUs = 0;
  private latestWallMs = performance.now();
  private lastGivenUs = 0;
  private refresh: NodeJS.Timeout | undefined;
  private readonly sleeps = new Sleeps();

  constructor(
    private readonly control: ControlClient,
    readonly speed: number,
  ) {}
  async now(): Promise<number> {
    return this.seen((await this.control.call({ op: 'clock' })).nowUs);
  }
  async sleepUntil(t: number, opts: SleepOptions = {}): Promise<number> {
    opts.signal?.throwIfAborted();
    const { signal, close } = this.sleeps.open(opts.signal);
    let onAbort = () => undefined as void;
    try {
      // The sim answers at t whatever happens here; an aborted sleep just stops listening.
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      return this.seen((await Promise.race([this.control.call({ op: 'sleepUntil', t }), aborted])).nowUs);
    } finally {
      signal.removeEventListener('abort', onAbort);
      close();
    }
  }

  cancelSleeps(reason: Error): Promise<void> {
    this.sleeps.cancel(reason);
    return Promise.resolve();
  }

  /**
   * Bench time now without a round trip, for drivers that stamp events host-side
   * (the OpenThread CLI prints no time): the last time the sim told, moved on by
   * the wall time since at the bench's speed (at 'max', the last time told; the
   * clock asks every `everyMs` once tracking is on).
   */
  nowUs(): number {
    const ahead = Number.isFinite(this.speed) ? (performance.now() - this.latestWallMs) * 1000 * this.speed : 0;
    this.lastGivenUs = Math.max(this.lastGivenUs, Math.round(this.latestUs + ahead));
    return this.lastGivenUs;
  }

  /** Keeps nowUs() fresh by asking the sim every `everyMs` of wall time. */
  track(everyMs = 5): void {
    if (this.refresh) return;
    this.refresh = setInterval(() => void this.now().catch(() => this.untrack()), everyMs);
    this.refresh.unref();
  }

  untrack(): void {
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = undefined;
  }

  private seen(nowUs: number): number {
    if (nowUs >= this.latestUs) {
      this.latestUs = nowUs;
      this.latestWallMs = performance.now();
    }
    return nowUs;
  }
}

/**
 * A lab's bench time: wall time since the bench came up, µs, times the rig's
 * speed (1 for real boards; N for host-process boards run N times faster
 * than real time).
 */
export class WallClock implements BenchClock {
  private readonly origin = performance.now();
  private readonly sleeps = new Sleeps();
  constructor(readonly speed = 1) {}
  cancelSleeps(reason: Error): Promise<void> {
    this.sleeps.cancel(reason);
    return Promise.resolve();
  }
  now(): Promise<number> {
    return Promise.resolve(this.nowUs());
  }
  /** The same, at once: drivers stamp host-side events with it. */
  nowUs(): number {
    return Math.round((performance.now() - this.origin) * 1000 * this.speed);
  }
  async sleepUntil(t: number, opts: SleepOptions = {}): Promise<number> {
    const { signal, close } = this.sleeps.open(opts.signal);
    try {
      return await this.sleepFor(t, signal);
    } finally {
      close();
    }
  }

  private async sleepFor(t: number, signal: AbortSignal): Promise<number> {
    // A timer may fire up to a millisecond before performance.now() says it is due
    // (libuv keeps loop time in whole ms), so wait again until the deadline has passed.
    for (let now = this.nowUs(); now < t; now = this.nowUs()) {
      signal.throwIfAborted();
      const wait = Math.max(1, (t - now) / 1000 / this.speed);
      // Unref'd: a board's wait ends early when its event comes, and its deadline must not hold the process.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait).unref();
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return this.nowUs();
  }
}
