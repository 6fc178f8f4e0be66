// Runs the bench clock against the wall clock: `speed` bench seconds per wall
// second, or 'max' (as fast as events can run). It runs the scheduler in
// slices from the Node event loop and yields between them, so serial ports
// and the control channel keep being served. When the events due cannot all
// run in time, bench time falls behind the wall; that lag is measured and
// reported, never hidden (DESIGN.md "Time").
import type { Micros } from '../stack/runtime.ts';
import type { Scheduler } from './medium/scheduler.ts';

export type Speed = number | 'max';

export interface LagReport {
  /** How far bench time is behind where the speed factor says it should be. */
  lagUs: Micros;
  maxLagUs: Micros;
  benchUs: Micros;
}

export interface PacerOptions {
  speed: Speed;
  /**
   * Wall-clock budget of one slice before yielding to I/O, ms (default 1). A serial
   * request or control call that arrives mid-slice waits for the slice to end, so this
   * is the latency the harness sees from a busy sim (at 'max', always busy); yielding
   * costs a few µs, so short slices cost no measurable speed (test/bench, docs/benchmarks.md).
   */
  sliceMs?: number;
  /** Longest sleep while idle, ms, so external input is picked up promptly (default 10). */
  maxSleepMs?: number;
  /** Called while behind by more than `lagThresholdUs`, at most once per `lagReportIntervalMs`, and once when caught up again. */
  onLag?: (report: LagReport) => void;
  lagThresholdUs?: Micros;
  lagReportIntervalMs?: number;
  /** Wall clock in ms (default performance.now); injectable for tests. */
  wallClock?: () => number;
  /** Uniform in [0, 1), for placing input at 'max' (see catchUp); default Math.random. */
  random?: () => number;
}

export interface PacerStats {
  /** 'idle' on a lockstep bench between advances. */
  state: 'idle' | 'running' | 'paused' | 'stopped';
  speed: Speed;
  benchUs: Micros;
  lagUs: Micros;
  maxLagUs: Micros;
  /** Events run by the scheduler while this pacer drove it. */
  events: number;
  slices: number;
}

export class Pacer {
  private speed: Speed;
  private readonly sliceMs: number;
  private readonly maxSleepMs: number;
  private readonly lagThresholdUs: Micros;
  private readonly lagReportIntervalMs: number;
  private readonly wall: () => number;
  private readonly onLag: ((r: LagReport) => void) | undefined;
  private state: PacerStats['state'] = 'idle';
  private anchorWallMs = 0;
  private anchorBenchUs = 0;
  private lagUs = 0;
  private maxLagUs = 0;
  private events = 0;
  private slices = 0;
  private lastLagReportMs = -Infinity;
  private reportedBehind = false;
  /** 'max' only: how much bench time the last slice covered (see catchUpMax). */
  private maxSliceSpanUs = 0;
  private readonly random: () => number;
  private pending: { cancel(): void } | undefined;
  private stopWaiters: Array<() => void> = [];
  /** Lockstep: the advance under way (see advance()). */
  private step: Step | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    opts: PacerOptions,
  ) {
    this.speed = checkSpeed(opts.speed);
    this.sliceMs = opts.sliceMs ?? 1;
    this.maxSleepMs = opts.maxSleepMs ?? 10;
    this.lagThresholdUs = opts.lagThresholdUs ?? 50_000;
    this.lagReportIntervalMs = opts.lagReportIntervalMs ?? 1000;
    this.wall = opts.wallClock ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    this.onLag = opts.onLag;
  }

  start(): void {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw new Error('a stopped pacer cannot be restarted');
    this.state = 'running';
    this.anchor();
    this.schedule(0);
  }

  /** Freezes bench time; resume() continues from where it stopped, without trying to make up the pause. */
  pause(): void {
    if (this.state !== 'running') return;
    this.catchUp();
    this.state = 'paused';
    this.cancelPending();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.start();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.cancelPending();
    const step = this.step;
    this.step = undefined;
    step?.reject(new Error('the bench stopped'));
    for (const w of this.stopWaiters.splice(0)) w();
  }

  /** Runs a slice soon: the clock was held and is free again (Scheduler.hold). */
  kick(): void {
    if (this.step) this.schedule(0, () => this.stepTick());
    if (this.state !== 'running') return;
    this.schedule(0);
  }

  /**
   * Lockstep (a pacer never start()ed): runs bench time up to `untilUs` and resolves with
   * bench time then. With `wake`, the advance ends early, at the first multiple of
   * `quantumUs` after a board wrote to its port (noteOutput()): the harness is waiting for
   * something a board says, and acts on it at that bench time, whatever the wall clock
   * did meanwhile. Which events run is decided by bench time alone; the wall clock only
   * paces them at a numeric speed. Events run in slices, yielding to I/O between them.
   */
  advance(untilUs: Micros, opts: { wake: boolean; quantumUs: Micros; originUs?: Micros }): Promise<Micros> {
    if (this.state === 'running' || this.state === 'paused') throw new Error('advance() is for a lockstep bench; this pacer runs free');
    if (this.state === 'stopped') return Promise.reject(new Error('the bench stopped'));
    if (this.step) return Promise.reject(new Error('an advance is already under way'));
    if (!(opts.quantumUs >= 1)) throw new RangeError(`quantum must be ≥ 1 µs, got ${opts.quantumUs}`);
    if (!(untilUs > this.scheduler.now())) return Promise.resolve(this.scheduler.now());
    return new Promise((resolve, reject) => {
      this.step = {
        untilUs,
        stopAtUs: Infinity,
        wake: opts.wake,
        quantumUs: opts.quantumUs,
        originUs: opts.originUs ?? 0,
        anchorWallMs: this.wall(),
        anchorBenchUs: this.scheduler.now(),
        resolve,
        reject,
      };
      this.schedule(0, () => this.stepTick());
    });
  }

  /** Ends the advance under way, if any, at the bench time it has reached. */
  halt(): void {
    const s = this.step;
    if (!s) return;
    this.step = undefined;
    s.resolve(this.scheduler.now());
  }

  /** A board wrote to its port: an advance that may wake the harness ends at the next quantum boundary. */
  noteOutput(): void {
    const s = this.step;
    if (!s || !s.wake || s.stopAtUs !== Infinity) return;
    const since = this.scheduler.now() - s.originUs;
    s.stopAtUs = s.originUs + (Math.floor(since / s.quantumUs) + 1) * s.quantumUs;
  }

  private stepTick(): void {
    this.pending = undefined;
    const s = this.step;
    if (!s) return;
    // A board in a process of its own holds the clock while it works; kick() resumes us.
    if (this.scheduler.held) return;
    this.slices++;
    const sched = this.scheduler;
    const deadline = this.wall() + this.sliceMs;
    const before = sched.eventCount;
    const paced = this.speed !== 'max';
    const speed = this.speed === 'max' ? Infinity : this.speed;
    const wallLimit = () => (paced ? s.anchorBenchUs + Math.floor((this.wall() - s.anchorWallMs) * 1000 * speed) : Infinity);
    let limit = Math.min(s.untilUs, wallLimit());
    let ranOut = false;
    for (;;) {
      for (let i = 0; i < 64; i++) {
        const next = sched.nextEventAt();
        // stopAtUs moves when an event makes a board print: read it again each event.
        if (next === undefined || next > Math.min(limit, s.stopAtUs)) {
          ranOut = true;
          break;
        }
        sched.runNext();
      }
      if (ranOut || this.wall() >= deadline) break;
      limit = Math.min(s.untilUs, wallLimit());
    }
    this.events += sched.eventCount - before;
    const end = Math.min(s.untilUs, s.stopAtUs);
    if (ranOut) {
      const to = Math.min(limit, s.stopAtUs);
      if (to > sched.now()) sched.runUntil(to);
      if (sched.now() >= end) {
        this.step = undefined;
        if (paced) this.noteLag(0);
        s.resolve(sched.now());
        return;
      }
    }
    if (!ranOut) {
      if (paced) this.noteLag(Math.max(0, wallLimit() - sched.now()));
      this.schedule(0, () => this.stepTick());
      return;
    }
    // Paced and ahead of the wall clock: sleep until the next event (or the end) is due.
    const next = Math.min(sched.nextEventAt() ?? Infinity, end);
    const waitMs = (next - wallLimit()) / 1000 / speed;
    this.schedule(Math.min(this.maxSleepMs, Math.max(0, waitMs)), () => this.stepTick());
  }

  /** Resolves once stop() has been called. */
  stopped(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  setSpeed(speed: Speed): void {
    if (this.state === 'running') this.catchUp();
    this.speed = checkSpeed(speed);
    this.anchor();
  }

  /** Bench time the wall clock says it should be now (the bench's own time in 'max' mode or when not running). */
  targetUs(): Micros {
    if (this.state !== 'running' || this.speed === 'max') return this.scheduler.now();
    return this.anchorBenchUs + Math.floor((this.wall() - this.anchorWallMs) * 1000 * this.speed);
  }

  /**
   * Brings bench time up to the wall clock now, synchronously (within one
   * slice budget). Call before scheduling an event from external input (a
   * serial byte, a control request) so it lands at the right bench time
   * (at 'max', see catchUpMax).
   */
  catchUp(): void {
    if (this.state !== 'running') return;
    if (this.speed === 'max') this.catchUpMax();
    else this.runSlice();
  }

  /**
   * At 'max' no wall clock says what bench time it is between two slices. Landing input
   * at the time of the last event run would put every input of one I/O turn on the same
   * microsecond, right behind whatever ran last: a harness starting periodic traffic on
   * several boards would lock them in phase with each other and with the traffic already
   * running, and they would collide every period. Input arrived at some unknown moment
   * while a slice ran, so each lands a random share of one slice's bench span later
   * (events due before then run first): apart from each other, and from the events.
   * The span is what a slice of the nominal budget covers (a slice stretched by a
   * garbage collection would make the harness wait for as long again).
   */
  private catchUpMax(): void {
    const target = this.scheduler.now() + Math.floor(this.random() * this.maxSliceSpanUs);
    if (target <= this.scheduler.now()) return;
    // No wall budget here: at most one slice's span of events, which the last slice ran in its budget.
    const before = this.scheduler.eventCount;
    this.runEvents(target, Infinity);
    this.scheduler.runUntil(target);
    this.events += this.scheduler.eventCount - before;
  }

  stats(): PacerStats {
    return {
      state: this.state,
      speed: this.speed,
      benchUs: this.scheduler.now(),
      lagUs: this.lagUs,
      maxLagUs: this.maxLagUs,
      events: this.events,
      slices: this.slices,
    };
  }

  private anchor(): void {
    this.anchorWallMs = this.wall();
    this.anchorBenchUs = this.scheduler.now();
    this.maxSliceSpanUs = 0;
  }

  /** Runs events due at or before `target` until the wall clock passes `deadline`; true when none are left. */
  private runEvents(target: Micros, deadline: number): boolean {
    const sched = this.scheduler;
    for (;;) {
      // Check the wall clock every batch of events, not every event: reading it costs more than an idle event.
      for (let i = 0; i < 64; i++) {
        const next = sched.nextEventAt();
        if (next === undefined || next > target) return true;
        sched.runNext();
      }
      if (this.wall() >= deadline) return false;
    }
  }

  /** Runs due events for at most one slice budget; returns true when bench time reached its target. */
  private runSlice(): boolean {
    this.slices++;
    const sched = this.scheduler;
    const deadline = this.wall() + this.sliceMs;
    const target = this.speed === 'max' ? Infinity : this.targetUs();
    const before = sched.eventCount;
    const startUs = sched.now();
    const caughtUp = this.runEvents(target, deadline);
    this.events += sched.eventCount - before;
    if (this.speed === 'max') {
      // Scaled to the nominal budget: slices overrun it by up to one batch of events, or a GC pause.
      const wallMs = this.wall() - (deadline - this.sliceMs);
      this.maxSliceSpanUs = (sched.now() - startUs) * Math.min(1, this.sliceMs / Math.max(wallMs, 1e-3));
      return caughtUp;
    }
    if (caughtUp && target > sched.now()) sched.runUntil(target);
    // Measured against where the wall clock says we should be now, after the slice: a slice
    // that reached its starting target but took longer than the time it covered is behind too.
    const nowTarget = this.targetUs();
    const next = sched.nextEventAt();
    const behind = !caughtUp || (next !== undefined && next <= nowTarget);
    this.noteLag(behind ? Math.max(0, nowTarget - sched.now()) : 0);
    return caughtUp;
  }

  private noteLag(lagUs: Micros): void {
    this.lagUs = lagUs;
    if (lagUs > this.maxLagUs) this.maxLagUs = lagUs;
    if (!this.onLag) return;
    const now = this.wall();
    if (lagUs > this.lagThresholdUs) {
      if (now - this.lastLagReportMs >= this.lagReportIntervalMs) {
        this.lastLagReportMs = now;
        this.reportedBehind = true;
        this.onLag({ lagUs, maxLagUs: this.maxLagUs, benchUs: this.scheduler.now() });
      }
    } else if (this.reportedBehind && lagUs === 0) {
      this.reportedBehind = false;
      this.onLag({ lagUs: 0, maxLagUs: this.maxLagUs, benchUs: this.scheduler.now() });
    }
  }

  private tick(): void {
    this.pending = undefined;
    if (this.state !== 'running') return;
    const caughtUp = this.runSlice();
    if (this.state !== 'running') return; // an event stopped or paused us
    if (this.speed === 'max') {
      // Nothing scheduled: sleep until external input can have added something.
      this.schedule(this.scheduler.nextEventAt() === undefined ? this.maxSleepMs : 0);
      return;
    }
    if (!caughtUp) {
      this.schedule(0);
      return;
    }
    const next = this.scheduler.nextEventAt();
    const waitMs = next === undefined ? this.maxSleepMs : (next - this.targetUs()) / 1000 / this.speed;
    this.schedule(Math.min(this.maxSleepMs, Math.max(0, waitMs)));
  }

  private schedule(delayMs: number, run: () => void = () => this.tick()): void {
    this.cancelPending();
    if (delayMs <= 0) {
      const h = setImmediate(run);
      this.pending = { cancel: () => clearImmediate(h) };
    } else {
      const h = setTimeout(run, delayMs);
      this.pending = { cancel: () => clearTimeout(h) };
    }
  }

  private cancelPending(): void {
    this.pending?.cancel();
    this.pending = undefined;
  }
}

interface Step {
  untilUs: Micros;
  /** Where an advance that may wake the harness ends, once a board has printed. */
  stopAtUs: Micros;
  wake: boolean;
  quantumUs: Micros;
  /** The quantum grid counts from here. */
  originUs: Micros;
  anchorWallMs: number;
  anchorBenchUs: Micros;
  resolve(nowUs: Micros): void;
  reject(e: Error): void;
}

function checkSpeed(speed: Speed): Speed {
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) {
    throw new RangeError(`speed must be a positive number or 'max', got ${String(speed)}`);
  }
  return speed;
}
