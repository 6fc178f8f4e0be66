// A board under test, as suites use it: the Mesh API calls, its events and
// statuses with bench-time waits, and the rig's controls for this board.
import type { BenchClock } from '../bench/clock.ts';
import type { RigControls } from '../bench/controls.ts';
import type { Logger } from '../log/logger.ts';
import type { Role, StackKind } from '../rig/schema.ts';
import type { AppEvent, BoardDriver, BoardIdentity, BoardStatus, MeshEventRecord, PingRequest, PingResult, Timed, UdpPayload, UdpStats } from './driver.ts';
import { ErrorCode } from '../errors.ts';
import { EventLog } from './event-log.ts';

/** A board's clock against the bench clock: board t − offsetUs is bench time, within ± errorUs. */
export interface ClockOffset {
  offsetUs: number;
  errorUs: number;
}

/** Round trips an offset estimate takes; the tightest one wins (NTP's minimum-delay filter, RFC 5905 §10). */
const OFFSET_SAMPLES = 5;

/** How a board takes part in one network kind. */
export interface StackPart {
  roles: Role[];
  /** mbed-mesh-api keys this board is initialised with (network config + the rig's overrides). */
  config: Record<string, string>;
}

export interface BoardSpec {
  id: string;
  firmware: string;
  /** The network kinds the board offers on this rig. */
  stacks: Partial<Record<StackKind, StackPart>>;
}

/** A wait's bound, in bench seconds, and where in the board's event list it starts (an index from mark() or markApp()). */
export interface WaitOptions {
  withinS: number;
  fromIndex?: number;
}

export class BoardTimeoutError extends Error {
  readonly code = ErrorCode.BENCH_TIMEOUT;
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(message);
  }
}

export class Board {
  /** The mesh events the board reported; indexes (marks) never shift, old events are let go by forgetEvents(). */
  readonly events = new EventLog<MeshEventRecord>();
  /** What the board's applications reported: datagrams, finished bursts, the light. Indexed as `events`. */
  readonly appEvents = new EventLog<AppEvent>();
  identity: BoardIdentity | undefined;
  /** False after powerOff() until powerOn(): a case that leaves a board off must not cost the next one it. */
  powered = true;
  /** What a case is waiting for on this board right now, for progress lines. */
  waitingFor: string | undefined;
  /** The network kind the board was last initialised for. */
  stack: StackKind | undefined;
  /**
   * True from an initialise() with overrides or a configure() until the board boots
   * again: it may be on another channel or key than the rig's network config says.
   */
  configuredAway = false;
  boots = 0;
  private waiters = new Set<() => void>();
  /** Set when the run stops (a signal, the bench gone): every wait ends at once with it. */
  private stoppedBy: Error | undefined;

  constructor(
    readonly spec: BoardSpec,
    private driver: BoardDriver,
    private readonly clock: BenchClock,
    private readonly controls: RigControls,
    readonly log: Logger,
    /** Opens the board's port again after a power cycle and returns a fresh driver. */
    private readonly reopen: () => Promise<BoardDriver>,
    /** Wall ms a reset board gets to print its boot banner (a lab rig's boards: from its answerTimeoutS). */
    private readonly bootWaitMs = 10_000,
  ) {
    this.attach(driver);
  }

  get id(): string {
    return this.spec.id;
  }

  private attach(driver: BoardDriver): void {
    this.driver = driver;
    driver.onMeshEvent((e) => {
      this.events.push(e);
      this.log.debug({ event: e.event, status: e.status, t: e.t }, 'mesh event');
      for (const w of this.waiters) w();
    });
    driver.onAppEvent((e) => {
      this.appEvents.push(e);
      for (const w of this.waiters) w();
    });
    driver.onBoot(() => {
      this.boots++;
      this.configuredAway = false;
      for (const w of this.waiters) w();
    });
  }

  /**
   * The run is stopping (interrupted, or the bench went away): every wait of this
   * board, now and later, ends at once with `reason` instead of waiting out its bound.
   */
  stop(reason: Error): void {
    this.stoppedBy ??= reason;
    for (const w of this.waiters) w();
  }

  async identify(): Promise<BoardIdentity> {
    this.identity = await this.driver.identify();
    return this.identity;
  }

  /** MeshInterface::initialize with the rig's network config; `overrides` change keys for this call. */
  async init(stack: StackKind, overrides: Record<string, string> = {}): Promise<number> {
    const part = this.spec.stacks[stack];
    if (!part) throw new Error(`board ${this.id} takes no part in '${stack}' on this rig`);
    this.stack = stack;
    if (Object.keys(overrides).length > 0) this.configuredAway = true;
    return (await this.driver.meshInit(stack, { ...part.config, ...overrides })).value;
  }

  /** Whether the board offers `stack`, in one of `roles` when given. */
  serves(stack: StackKind, roles?: Role[]): boolean {
    const part = this.spec.stacks[stack];
    return part !== undefined && (!roles || part.roles.some((r) => roles.includes(r)));
  }

  async configure(keys: Record<string, string>): Promise<void> {
    this.configuredAway = true;
    await this.driver.meshConfig(keys);
  }

  /** Non-blocking connect(): the code Mbed returns at once, and the board time it answered. */
  connect(): Promise<Timed<number>> {
    return this.driver.connect();
  }

  disconnect(): Promise<Timed<number>> {
    return this.driver.disconnect();
  }

  async status(): Promise<BoardStatus> {
    return this.driver.status();
  }

  ipAddresses(): Promise<string[]> {
    return this.driver.ipAddresses();
  }

  /** Index into `events` to wait from ("after this point"): a `fromIndex` of the waits below. */
  mark(): number {
    return this.events.length;
  }

  /**
   * Waits up to `withinS` bench seconds for a mesh event matching `pred` at or after
   * index `fromIndex` of `events` (see mark()). Fails with what was seen instead.
   */
  waitForEvent(what: string, pred: (e: MeshEventRecord) => boolean, opts: WaitOptions): Promise<MeshEventRecord> {
    return this.waitIn(this.events, what, pred, opts, (seen) => (seen.length ? seen.map((x) => `${x.event}→${x.status}`).join(', ') : '(no mesh events)'));
  }

  /** Like waitForEvent, for application events (`fromIndex` indexes `appEvents`; see markApp()). */
  waitForApp<K extends AppEvent['kind']>(
    what: string,
    kind: K,
    pred: (e: Extract<AppEvent, { kind: K }>) => boolean,
    opts: WaitOptions,
  ): Promise<Extract<AppEvent, { kind: K }>> {
    const match = (e: AppEvent): e is Extract<AppEvent, { kind: K }> => e.kind === kind && pred(e as Extract<AppEvent, { kind: K }>);
    return this.waitIn(this.appEvents, what, match, opts, (seen) => (seen.length ? `${seen.length} application event(s): ${seen.slice(-5).map((e) => e.kind).join(', ')}` : '(no application events)')) as Promise<
      Extract<AppEvent, { kind: K }>
    >;
  }

  private async waitIn<E>(list: EventLog<E>, what: string, pred: (e: E) => boolean, opts: WaitOptions, describe: (seen: E[]) => string): Promise<E> {
    const since = opts.fromIndex ?? list.first;
    const found = () => list.slice(since).find(pred);
    const hit = found();
    if (hit) return hit;
    if (this.stoppedBy) throw this.stoppedBy;
    // What the wait may still find is kept until it ends.
    const release = list.hold(since);
    const start = await this.clock.now().catch((e: unknown) => {
      release();
      throw e;
    });
    const deadline = start + opts.withinS * 1e6;
    this.waitingFor = `${this.id}: ${what} (within ${opts.withinS} s of bench time)`;
    let timedOut = false;
    // The clock itself can fail (the sim's control channel closed): that ends the wait too.
    let clockFailed: Error | undefined;
    let wake: () => void = () => undefined;
    const waiter = () => wake();
    this.waiters.add(waiter);
    // The deadline is dropped once the wait ends: a lockstep clock runs bench time for every sleeper.
    const done = new AbortController();
    try {
      this.clock.sleepUntil(deadline, { signal: done.signal, wakeOnOutput: true }).then(
        () => {
          timedOut = true;
          wake();
        },
        (e: unknown) => {
          // Our own abort (the wait is over) is no failure of the clock.
          if (done.signal.aborted) return;
          clockFailed = e instanceof Error ? e : new Error(String(e));
          wake();
        },
      );
      for (;;) {
        const e = found();
        if (e) return e;
        if (this.stoppedBy) throw this.stoppedBy;
        if (clockFailed) throw new Error(`${this.id}: waiting for ${what}: ${clockFailed.message}`);
        if (timedOut) {
          // The serial line and the control channel are two pipes: the bench can reach the
          // deadline before we read an event the board sent in time. A request's answer comes
          // after every line sent before it, so one round trip (a no-op) drains them.
          await this.driver.boardTime().catch(() => undefined);
          const late = found();
          if (late) return late;
          throw new BoardTimeoutError(`${this.id}: no ${what} within ${opts.withinS} s of bench time`, what, describe(list.slice(since)));
        }
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      release();
      this.waiters.delete(waiter);
      this.waitingFor = undefined;
      done.abort();
    }
  }

  /** Index into `appEvents` to wait from. */
  markApp(): number {
    return this.appEvents.length;
  }

  /**
   * Lets go of the mesh and application events before the marks given (default: all
   * reported so far), keeping what a wait in progress may still find: the owner of the
   * run (a new case, a soak's finished window) says no reader will ask for them again.
   */
  forgetEvents(before: { events?: number; appEvents?: number } = {}): void {
    this.events.forget(before.events ?? this.events.length);
    this.appEvents.forget(before.appEvents ?? this.appEvents.length);
  }

  /**
   * The datagrams this board received from index `fromIndex` of `appEvents`: how many, and the most radio
   * hops one travelled among those whose firmware could count them (-1: none could).
   */
  hopsSince(fromIndex = this.appEvents.first): { datagrams: number; maxHops: number } {
    let datagrams = 0;
    let maxHops = -1;
    for (const e of this.appEvents.slice(fromIndex)) {
      if (e.kind !== 'udp' && e.kind !== 'light') continue;
      datagrams++;
      if (e.hops > maxHops) maxHops = e.hops;
    }
    return { datagrams, maxHops };
  }

  // --- UDP sockets and the light-control example (the app on the board).

  /** Opens a UDP socket; `result` is 0 or a negative nsapi_error_t. */
  async udpOpen(port: number, opts: { events?: boolean } = {}): Promise<{ result: number; socket?: number }> {
    return (await this.driver.udpOpen(port, opts.events ?? true)).value;
  }

  udpSend(socket: number, addr: string, port: number, payload: UdpPayload, hopLimit?: number): Promise<Timed<number>> {
    return this.driver.udpSend(socket, addr, port, payload, hopLimit);
  }

  udpBurst(socket: number, addr: string, port: number, length: number, count: number, intervalUs?: number): Promise<Timed<number>> {
    return this.driver.udpBurst(socket, addr, port, length, count, intervalUs);
  }

  udpStats(socket: number): Promise<UdpStats> {
    return this.driver.udpStats(socket);
  }

  async udpClose(socket: number): Promise<number> {
    return (await this.driver.udpClose(socket)).value;
  }

  lightPress(): Promise<Timed<{ result: number; state: boolean }>> {
    return this.driver.lightPress();
  }

  lightGet(): Promise<{ led: boolean; received: number; sent: number }> {
    return this.driver.lightGet();
  }

  /**
   * Pings `addr` from this board and waits for the result: round trips on this board's
   * own clock, so no other board's clock enters the figure. Throws if the board refuses.
   */
  async ping(addr: string, req: PingRequest, opts: { withinS: number }): Promise<PingResult> {
    const mark = this.markApp();
    const started = await this.driver.ping(addr, req);
    if (started.value !== 0) throw new Error(`${this.id}: ping ${addr} refused (nsapi ${started.value})`);
    const { kind: _kind, t: _t, ...result } = await this.waitForApp(`the end of a ping to ${addr}`, 'ping', () => true, { ...opts, fromIndex: mark });
    return result;
  }

  /**
   * How this board's clock stands against the bench clock, from agent round trips: each
   * sample brackets the board's \`t\` between two bench-clock readings; the one with the
   * shortest bracket is kept and half of it is the error bound (RFC 5905's offset and delay).
   */
  async clockOffset(): Promise<ClockOffset> {
    let best: ClockOffset | undefined;
    for (let i = 0; i < OFFSET_SAMPLES; i++) {
      const before = await this.clock.now();
      const t = await this.driver.boardTime();
      const after = await this.clock.now();
      const sample = { offsetUs: t - (before + after) / 2, errorUs: (after - before) / 2 };
      if (!best || sample.errorUs < best.errorUs) best = sample;
    }
    return best!;
  }

  waitForStatus(status: string | string[], opts: WaitOptions): Promise<MeshEventRecord> {
    const want = Array.isArray(status) ? status : [status];
    return this.waitForEvent(`status ${want.join(' or ')}`, (e) => want.includes(e.status), opts);
  }

  /** Hardware reset through the rig (reset pin / serial break / sim control), then the boot banner. */
  async reset(): Promise<void> {
    const boots = this.boots;
    await this.controls.reset(this.id);
    await this.waitForBoot(boots, this.bootWaitMs);
  }

  async powerOff(): Promise<void> {
    await this.controls.power(this.id, false);
    this.powered = false;
  }

  /** Power on and reopen the serial port (it went away with the power). */
  async powerOn(): Promise<void> {
    await this.controls.power(this.id, true);
    this.attach(await this.reopen());
    this.powered = true;
    await this.identify();
  }

  private async waitForBoot(bootsBefore: number, wallMs: number): Promise<void> {
    const until = Date.now() + wallMs;
    while (this.boots <= bootsBefore) {
      if (this.stoppedBy) throw this.stoppedBy;
      if (Date.now() > until) throw new Error(`${this.id}: no boot banner within ${wallMs} ms after reset`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        const w = () => {
          clearTimeout(t);
          this.waiters.delete(w);
          r();
        };
        this.waiters.add(w);
      });
    }
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
