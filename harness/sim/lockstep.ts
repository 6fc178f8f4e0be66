// Lockstep bench time, the harness's half (docs/sim-control.md "Lockstep"). The
// sim's clock stands still until this asks it to run, and it asks only while
// someone in the harness sleeps on the bench clock (a deadline, a wait for an
// event); a waiter for an event lets bench time run only to just after the next
// thing a board says. Serial bytes are counted both ways: each request tells the
// sim how many bytes the harness wrote to each board (the sim hands exactly those
// to the boards, at the bench time it stands at), and each answer says how many
// each board wrote, which this reads in full and passes on, board by board in id
// order, before anything else happens. So a command lands at the bench time the
// suite sent it, and what the harness sees and when in bench time is the same on
// every run of a seed, whatever the wall clock, the kernel or --speed did.
import type { SerialCounts } from '../../protocol/sim-control.ts';
import type { BenchClock, SleepOptions } from '../bench/clock.ts';
import type { Transport } from '../board/transport.ts';
import type { ControlClient, ControlReply } from './control-client.ts';

interface Sleeper {
  t: number;
  seq: number;
  wake: boolean;
  background: boolean;
  resolve(now: number): void;
  reject(e: unknown): void;
}

export class LockstepClock implements BenchClock {
  private benchUs = 0;
  private readonly ports = new Map<string, GatedTransport>();
  /** Per board, the bytes the sim said it wrote since the port was attached. */
  private readonly expected = new Map<string, number>();
  private readonly attaching = new Map<string, GatedTransport>();
  private sleepers: Sleeper[] = [];
  private seq = 0;
  private stepping: Promise<void> | undefined;
  private kickQueued = false;
  private failure: unknown;

  constructor(
    private readonly control: ControlClient,
    /** Bench seconds per wall second at most, for wall-clock backstops; Infinity for 'max'. */
    readonly speed: number,
    private readonly warn: (msg: string) => void = () => undefined,
    /** How long an answer waits, wall time, for board output it says was written. */
    private readonly outputWaitMs = 5000,
  ) {
    control.useSync({ outgoing: () => this.outgoing(), incoming: (r) => this.incoming(r) });
  }

  /**
   * Bench time as last told, at once (drivers that stamp host-side: the OpenThread CLI).
   * The harness acts between advances, when that is bench time now.
   */
  nowUs(): number {
    return this.benchUs;
  }

  /** Bench time now; while bench time is running, the time it stops at. */
  async now(): Promise<number> {
    while (this.stepping) await this.stepping;
    return this.benchUs;
  }

  sleepUntil(t: number, opts: SleepOptions = {}): Promise<number> {
    const { signal } = opts;
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => {
        const i = this.sleepers.indexOf(sleeper);
        if (i < 0) return;
        this.sleepers.splice(i, 1);
        reject(signal!.reason);
      };
      // The listener goes with the sleep: a poll sleeps again and again on one signal.
      const settle = <T>(fn: (v: T) => void) => (v: T) => {
        signal?.removeEventListener('abort', onAbort);
        fn(v);
      };
      const sleeper: Sleeper = { t, seq: this.seq++, wake: opts.wakeOnOutput ?? false, background: opts.background ?? false, resolve: settle(resolve), reject: settle(reject) };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.kick();
    });
  }

  /**
   * Every sleeper rejects with `reason`, and an advance under way ends where bench time
   * has got to (the sim's 'halt'): a case cut by its timeout may be asleep for an hour of
   * bench time, and the hooks after it need the clock now. Bench time from here on is
   * not what a rerun of the seed gives, as a timeout is a wall-clock event.
   */
  async cancelSleeps(reason: Error): Promise<void> {
    for (const s of this.sleepers.splice(0)) s.reject(reason);
    if (this.stepping === undefined) return;
    await this.control.call({ op: 'halt' }).catch(() => undefined);
    await this.now();
  }

  /**
   * Wraps a board's serial port so its bytes are counted and passed on in step with bench
   * time. `answersAfterSync`: the board answers from a process of its own (an OpenThread
   * node), which the sim lets handle the bytes at a sync point; so bytes written to it are
   * first synced alone (`clock`) and its answer read, before any bench time runs.
   */
  gate(board: string, inner: Transport, opts: { answersAfterSync?: boolean } = {}): GatedTransport {
    return new GatedTransport(board, inner, this, opts.answersAfterSync ?? false);
  }

  /** @internal the port was opened: the sim starts counting both ways from here. */
  async attach(port: GatedTransport): Promise<void> {
    this.attaching.set(port.board, port);
    try {
      await this.control.call({ op: 'attach', board: port.board });
    } finally {
      this.attaching.delete(port.board);
    }
  }

  /** @internal the harness wrote to a board: a sync point must follow, so the bytes reach it. */
  noteWrite(): void {
    this.kick();
  }

  /** @internal */
  noteData(): void {
    this.dataArrived?.();
  }

  private dataArrived: (() => void) | undefined;

  private kick(): void {
    if (this.kickQueued) return;
    this.kickQueued = true;
    // After the turn's promise chains have run: what a suite does in reaction to an event
    // (a command, another wait) happens at the bench time the event came.
    setImmediate(() => {
      this.kickQueued = false;
      this.step();
    });
  }

  private step(): void {
    if (this.stepping || this.failure) return;
    const unsent = [...this.ports.values()].filter((p) => p.written !== p.sentWritten);
    const running = this.sleepers.some((s) => !s.background);
    if (!running && unsent.length === 0) return;
    let call: Promise<unknown>;
    if (!running || unsent.some((p) => p.answersAfterSync)) {
      call = this.control.call({ op: 'clock' });
    } else {
      // Background sleepers do not run bench time, but it stops for them on the way.
      let until = Infinity;
      let wake = false;
      for (const s of this.sleepers) {
        if (s.t < until) until = s.t;
        if (s.wake) wake = true;
      }
      call = until <= this.benchUs ? Promise.resolve() : this.control.call({ op: 'advance', until, wake });
    }
    this.stepping = call.then(
      () => {
        this.stepping = undefined;
        this.wakeDue();
        this.kick();
      },
      (e: unknown) => {
        this.stepping = undefined;
        this.failure = e;
        for (const s of this.sleepers.splice(0)) s.reject(e);
      },
    );
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.t <= this.benchUs).sort((a, b) => a.t - b.t || a.seq - b.seq);
    if (due.length === 0) return;
    this.sleepers = this.sleepers.filter((s) => s.t > this.benchUs);
    for (const s of due) s.resolve(this.benchUs);
  }

  private outgoing(): SerialCounts | undefined {
    let counts: SerialCounts | undefined;
    for (const p of this.ports.values()) {
      if (p.written === p.sentWritten) continue;
      (counts ??= {})[p.board] = p.written;
      p.sentWritten = p.written;
    }
    return counts;
  }

  private async incoming(reply: ControlReply): Promise<void> {
    if (reply.nowUs > this.benchUs) this.benchUs = reply.nowUs;
    if (reply.attached !== undefined) {
      const port = this.attaching.get(String(reply.attached));
      if (port) {
        this.ports.set(port.board, port);
        this.expected.delete(port.board);
      }
    }
    if (reply.out) for (const [board, n] of Object.entries(reply.out)) this.expected.set(board, n);
    const short = () => [...this.expected].filter(([board, n]) => {
      const p = this.ports.get(board);
      return p !== undefined && p.isOpen && p.received < n;
    });
    if (short().length > 0) {
      const until = Date.now() + this.outputWaitMs;
      while (short().length > 0 && Date.now() < until) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 20);
          this.dataArrived = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.dataArrived = undefined;
      }
      for (const [board, n] of short()) this.warn(`lockstep: ${n - this.ports.get(board)!.received} byte(s) from ${board} did not arrive within ${this.outputWaitMs} ms`);
    }
    for (const board of [...this.expected.keys()].sort()) this.ports.get(board)?.release(this.expected.get(board)!);
  }
}

/**
 * A board's serial port on a lockstep bench: writes are counted (the next request
 * carries the count), and what the board sent is held until an answer of the sim
 * says it belongs to the bench time reached.
 */
export class GatedTransport implements Transport {
  written = 0;
  /** @internal what the last request told the sim. */
  sentWritten = 0;
  received = 0;
  private released = 0;
  private held: Uint8Array[] = [];
  private readonly dataCbs: Array<(b: Uint8Array) => void> = [];

  constructor(
    readonly board: string,
    private readonly inner: Transport,
    private readonly clock: LockstepClock,
    /** @internal see LockstepClock.gate */
    readonly answersAfterSync = false,
  ) {
    inner.onData((bytes) => {
      this.held.push(bytes);
      this.received += bytes.length;
      clock.noteData();
    });
  }

  get path(): string {
    return this.inner.path;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  async open(): Promise<void> {
    await this.inner.open();
    this.written = this.sentWritten = this.received = this.released = 0;
    this.held = [];
    await this.clock.attach(this);
  }

  write(data: string | Uint8Array): Promise<void> {
    this.written += data.length; // a string goes out as latin1, one byte per char
    this.clock.noteWrite();
    return this.inner.write(data);
  }

  onData(cb: (bytes: Uint8Array) => void): void {
    this.dataCbs.push(cb);
  }

  onClose(cb: (why: string) => void): void {
    this.inner.onClose(cb);
  }

  sendBreak(ms: number): Promise<void> {
    return this.inner.sendBreak(ms);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** @internal passes on what the board wrote, up to `upTo` bytes since attach. */
  release(upTo: number): void {
    while (this.released < upTo && this.held.length > 0) {
      const chunk = this.held[0]!;
      const take = Math.min(chunk.length, upTo - this.released);
      if (take === chunk.length) this.held.shift();
      else this.held[0] = chunk.subarray(take);
      this.released += take;
      const part = chunk.subarray(0, take);
      for (const cb of this.dataCbs) cb(part);
    }
  }
}
