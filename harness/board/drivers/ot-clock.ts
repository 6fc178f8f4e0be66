// The clock the OpenThread CLI driver stamps, polls and waits on. The CLI prints
// no time, so the driver keeps it host-side: on a simulated bench that is the
// bench clock (a lockstep bench moves only while someone sleeps on it, so a
// wall-clock timer there would land at whatever bench time the wall clock
// happened to meet); on a lab board it is this host's clock. The driver cannot
// tell which it runs on: it takes the clock it is given.
import type { BenchClock, SleepOptions } from '../../bench/clock.ts';

export interface OtClock {
  /** Now, µs. */
  nowUs(): number;
  /** Resolves `us` later on this clock; rejects with the signal's reason when it aborts. */
  sleepUs(us: number, opts?: SleepOptions): Promise<void>;
}

/** A bench clock that can also tell its time at once (the lockstep and wall clocks can). */
export type StampingClock = BenchClock & { nowUs(): number };

export function benchOtClock(clock: StampingClock): OtClock {
  return {
    nowUs: () => clock.nowUs(),
    sleepUs: async (us, opts) => {
      await clock.sleepUntil(clock.nowUs() + Math.max(0, us), opts);
    },
  };
}

/**
 * This host's clock: `nowUs` (default: the process's monotonic clock), which runs
 * `speed` times faster than the wall clock (a host-process board run faster than real
 * time), so a sleep of `us` takes us / speed of wall time.
 */
export function hostOtClock(nowUs: () => number = () => Math.round(performance.now() * 1000), speed = 1): OtClock {
  return {
    nowUs,
    sleepUs: (us, opts = {}) =>
      new Promise<void>((resolve, reject) => {
        const { signal } = opts;
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal!.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.max(0, us / 1000 / speed));
        // A background wait (a poll) must not keep the process alive.
        if (opts.background) timer.unref();
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
