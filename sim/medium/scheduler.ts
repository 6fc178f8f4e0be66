// The bench clock: a discrete-event scheduler in integer microseconds. Every
// board's timers, every frame's start and end, every CCA window is an event
// here, so backoffs and interframe spaces land on their exact microsecond
// (DESIGN.md "Time").
//
// A binary min-heap ordered by (time, scheduling sequence): equal times run in
// the order they were scheduled. Cancelling marks the event dead in O(1); dead
// events are dropped when they reach the top, and the heap is rebuilt when
// they outnumber the live ones, so MAC timers that are almost always
// cancelled (ACK waits) cost no O(n) removals and do not pile up.
//
// A hold stops the clock: a board that runs in a process of its own (an
// OpenThread virtual-time node) holds it while it handles an event, so no
// later event runs before what it sends back is on the bench.
import type { Micros, Timer, Timers } from '../../stack/runtime.ts';

class Event implements Timer {
  dead = false;
  constructor(
    readonly at: Micros,
    readonly seq: number,
    public fn: (() => void) | undefined,
    private readonly owner: Scheduler,
  ) {}
  cancel(): void {
    if (this.dead) return;
    this.dead = true;
    this.fn = undefined;
    this.owner.noteCancelled();
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class Scheduler implements Timers {
  private heap: Event[] = [];
  private nowUs: Micros;
  private seq = 0;
  private cancelled = 0;
  private holds = 0;
  private readonly releaseListeners: Array<() => void> = [];
  /** Events run so far (cancelled ones excluded). */
  eventCount = 0;

  constructor(startUs: Micros = 0) {
    this.nowUs = startUs;
  }

  now(): Micros {
    return this.nowUs;
  }

  /** Runs `fn` at bench time `at`, clamped to now and rounded up to a whole microsecond. */
  at(at: Micros, fn: () => void): Timer {
    if (!Number.isFinite(at)) throw new RangeError(`event time must be finite, got ${at}`);
    const t = Math.max(this.nowUs, Math.ceil(at));
    const ev = new Event(t, this.seq++, fn, this);
    this.push(ev);
    return ev;
  }

  after(delay: Micros, fn: () => void): Timer {
    return this.at(this.nowUs + delay, fn);
  }

  /**
   * Stops the clock until the returned function is called (once; further calls do
   * nothing). While any hold is on, no event runs and time does not advance.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0) for (const l of this.releaseListeners.slice()) l();
    };
  }

  get held(): boolean {
    return this.holds > 0;
  }

  /** Called whenever the last hold is released (a pacer resumes at once). */
  onRelease(listener: () => void): void {
    this.releaseListeners.push(listener);
  }

  /** Live events still to run. */
  get pending(): number {
    return this.heap.length - this.cancelled;
  }

  /** Time of the next live event, or undefined when there is none (or the clock is held). */
  nextEventAt(): Micros | undefined {
    if (this.holds > 0) return undefined;
    this.dropDeadTop();
    return this.heap[0]?.at;
  }

  /** Runs the next event (advancing the clock to it). False when there was none. */
  runNext(): boolean {
    if (this.holds > 0) return false;
    this.dropDeadTop();
    const ev = this.heap[0];
    if (!ev) return false;
    this.pop();
    this.nowUs = ev.at;
    const fn = ev.fn;
    ev.fn = undefined;
    ev.dead = true;
    this.eventCount++;
    if (fn) fn();
    return true;
  }

  /**
   * Runs every event at or before `t` (including those they schedule), then
   * leaves the clock at `t`. Returns how many events ran.
   */
  runUntil(t: Micros): number {
    const start = this.eventCount;
    for (;;) {
      const next = this.nextEventAt();
      if (next === undefined || next > t) break;
      this.runNext();
    }
    if (t > this.nowUs && this.holds === 0) this.nowUs = Math.floor(t);
    return this.eventCount - start;
  }

  /** Runs events until `stop()` says so (checked before each), or none are left before `limitUs`. True if stopped. */
  runWhileNot(stop: () => boolean, limitUs: Micros): boolean {
    for (;;) {
      if (stop()) return true;
      const next = this.nextEventAt();
      if (next === undefined || next > limitUs) {
        if (this.holds > 0) return stop();
        if (limitUs > this.nowUs) this.nowUs = Math.floor(limitUs);
        return stop();
      }
      this.runNext();
    }
  }

  /** @internal called by a cancelled event. */
  noteCancelled(): void {
    this.cancelled++;
    if (this.cancelled > 1024 && this.cancelled * 2 > this.heap.length) this.compact();
  }

  private dropDeadTop(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || !top.dead) return;
      this.pop();
      this.cancelled--;
    }
  }

  private compact(): void {
    const live = this.heap.filter((e) => !e.dead);
    this.heap = live;
    this.cancelled = 0;
    for (let i = (live.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private push(ev: Event): void {
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(ev, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const h = this.heap;
    const n = h.length;
    const ev = h[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = h[l]!;
      if (r < n && before(h[r]!, child)) {
        c = r;
        child = h[r]!;
      }
      if (!before(child, ev)) break;
      h[i] = child;
      i = c;
    }
    h[i] = ev;
  }
}
