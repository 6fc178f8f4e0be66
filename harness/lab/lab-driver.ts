// One lab board as a run sees it: a driver that stays the same object while
// the controls reopen the board's port underneath (a power cycle, a host
// process started again), and that guards the board's health. A call that
// finds the board not answering (a timeout, a port gone) sets recovery going
// (reset, then power cycle, LabControls.ensureAnswering); the call fails with
// what happened, and a board that could not be brought back is unhealthy for
// the rest of the run: every later call fails at once with the reason.
import { AgentDriver } from '../board/agent-driver.ts';
import type { AppEvent, BoardDriver, BoardIdentity, BoardStatus, MeshEventRecord, PingRequest, Timed, UdpPayload, UdpStats } from '../board/driver.ts';
import { OpenThreadCliDriver, type OtCli } from '../board/drivers/openthread-cli.ts';
import { hopsFrom, otRouteView } from '../board/drivers/ot-hops.ts';
import type { MeshRouteView } from '../board/hop-trace.ts';
import type { StackKind } from '../rig/schema.ts';
import type { Health, LabControls } from './controls.ts';
import type { BoardLink } from './probe.ts';
import { codeOf, ErrorCode } from '../errors.ts';
import { LinkGoneError, LinkTimeoutError } from '../board/link-errors.ts';

/** Errors that mean "the board does not answer", not "the board said no". */
const notAnswering = (e: unknown): boolean => e instanceof LinkTimeoutError || e instanceof LinkGoneError || codeOf(e) === ErrorCode.PORT_CLOSED || codeOf(e) === ErrorCode.PORT_WRITE;

export class BoardUnhealthyError extends Error {
  readonly code = ErrorCode.BOARD_UNHEALTHY;
}

export class BoardNotAnsweringError extends Error {
  readonly code = ErrorCode.BOARD_NOT_ANSWERING;
  constructor(
    message: string,
    readonly health: Health,
  ) {
    super(message);
  }
}

export interface LabDriverOptions {
  /** Board time, µs (the bench's clock), for drivers that stamp time host-side. */
  clock: () => number;
  /** Bench seconds per wall second. */
  speed: number;
  /** The run's boards that tell their routes (OpenThread CLIs and agent boards): who sent a datagram, and the hops it took (hop-trace.ts). */
  routePeers?: () => MeshRouteView[];
  /** How long a restarted board gets to answer, wall ms. */
  answerMs: number;
  /** Something worth a line in the run log. */
  note?: (text: string) => void;
}

export class LabBoardDriver implements BoardDriver {
  private inner!: BoardDriver;
  private meshCbs: Array<(e: MeshEventRecord) => void> = [];
  private appCbs: Array<(e: AppEvent) => void> = [];
  private bootCbs: Array<(i: Partial<BoardIdentity>) => void> = [];
  private recovering: Promise<Health> | undefined;
  /** Settles when the board on the current link has answered after a restart (rejects if it never does). */
  ready: Promise<void> = Promise.resolve();
  /** Powered off on purpose: calls fail as they will, without recovery. */
  poweredOff = false;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly controls: LabControls,
    private readonly opts: LabDriverOptions,
  ) {
    this.relink(controls.link(id), false);
    controls.onLinkChange((board, link) => {
      if (board === id && !this.closed) this.relink(link, true);
    });
  }

  get kind(): string {
    return this.inner.kind;
  }

  /** The driver that speaks the board's firmware on its current link. */
  get current(): BoardDriver {
    return this.inner;
  }

  /** The OpenThread CLI session, for a board that runs one. */
  get otCli(): OtCli | undefined {
    return this.inner instanceof OpenThreadCliDriver ? this.inner.cli : undefined;
  }

  /** What the hop tracer asks of this board, as its firmware on the current link answers it. */
  get routeView(): MeshRouteView | undefined {
    if (this.inner instanceof OpenThreadCliDriver) return otRouteView(this.inner.cli);
    return this.inner instanceof AgentDriver ? this.inner : undefined;
  }

  private relink(link: BoardLink, restarted: boolean): void {
    const cli = link.cli;
    const d: BoardDriver = cli
      ? new OpenThreadCliDriver(cli, { clock: this.opts.clock, speed: this.opts.speed, hops: (src) => hopsFrom(src, cli, this.opts.routePeers?.() ?? []) })
      : new AgentDriver(link.agent!);
    d.onMeshEvent((e) => this.meshCbs.forEach((cb) => cb(e)));
    d.onAppEvent((e) => this.appCbs.forEach((cb) => cb(e)));
    d.onBoot((i) => this.bootCbs.forEach((cb) => cb(i)));
    this.inner = d;
    // The CLI prints no banner: a board started again is known to have booted when it answers.
    if (restarted && d instanceof OpenThreadCliDriver) {
      this.ready = d.rebooted(this.opts.answerMs);
      this.ready.catch((e: Error) => this.opts.note?.(`${this.id}: no answer after the restart: ${e.message}`));
    } else this.ready = Promise.resolve();
  }

  /** The CLI board was reset in place (serial break, flasher): resynchronise and report the boot. */
  async resetInPlace(): Promise<void> {
    if (this.inner instanceof OpenThreadCliDriver) await this.inner.rebooted(this.opts.answerMs);
  }

  /** For a Board that reattaches after a power cycle: its callbacks are registered again. */
  forgetListeners(): void {
    this.meshCbs = [];
    this.appCbs = [];
    this.bootCbs = [];
  }

  private unhealthy(): BoardUnhealthyError | undefined {
    const h = this.controls.healthOf(this.id);
    return h.healthy ? undefined : new BoardUnhealthyError(h.reason ?? `${this.id} is unhealthy`);
  }

  /** Runs a call on the current driver; a board that does not answer is recovered, and the call fails saying so. */
  private async guard<T>(what: string, call: (d: BoardDriver) => Promise<T>): Promise<T> {
    const sick = this.unhealthy();
    if (sick) throw sick;
    try {
      return await call(this.inner);
    } catch (e) {
      if (this.poweredOff || this.closed || !notAnswering(e)) throw e;
      this.recovering ??= this.controls.ensureAnswering(this.id).finally(() => (this.recovering = undefined));
      const health = await this.recovering;
      const first = (e as Error).message;
      if (!health.healthy) throw new BoardNotAnsweringError(`${this.id}: ${what}: ${first}; ${health.reason ?? 'unhealthy'}`, health);
      const how = health.steps.length ? `it answers again after ${health.steps.join(', then ')}` : 'it answers again';
      this.opts.note?.(`${this.id}: ${what} failed (${first}); ${how}`);
      throw new BoardNotAnsweringError(`${this.id}: ${what}: ${first}; ${how} (its state is lost)`, health);
    }
  }

  identify(): Promise<BoardIdentity> {
    return this.guard('identify', (d) => d.identify());
  }
  meshInit(stack: StackKind, config: Record<string, string>): Promise<Timed<number>> {
    return this.guard('mesh init', (d) => d.meshInit(stack, config));
  }
  meshConfig(config: Record<string, string>): Promise<void> {
    return this.guard('mesh config', (d) => d.meshConfig(config));
  }
  connect(): Promise<Timed<number>> {
    return this.guard('connect', (d) => d.connect());
  }
  disconnect(): Promise<Timed<number>> {
    return this.guard('disconnect', (d) => d.disconnect());
  }
  status(): Promise<BoardStatus> {
    return this.guard('status', (d) => d.status());
  }
  ipAddresses(): Promise<string[]> {
    return this.guard('ip addresses', (d) => d.ipAddresses());
  }
  softReset(): Promise<void> {
    return this.guard('soft reset', (d) => d.softReset());
  }
  udpOpen(port: number, events: boolean): Promise<Timed<{ result: number; socket?: number }>> {
    return this.guard('udp open', (d) => d.udpOpen(port, events));
  }
  udpSend(socket: number, addr: string, port: number, payload: UdpPayload, hopLimit?: number): Promise<Timed<number>> {
    return this.guard('udp send', (d) => d.udpSend(socket, addr, port, payload, hopLimit));
  }
  udpBurst(socket: number, addr: string, port: number, length: number, count: number, intervalUs?: number): Promise<Timed<number>> {
    return this.guard('udp burst', (d) => d.udpBurst(socket, addr, port, length, count, intervalUs));
  }
  udpStats(socket: number): Promise<UdpStats> {
    return this.guard('udp stats', (d) => d.udpStats(socket));
  }
  udpClose(socket: number): Promise<Timed<number>> {
    return this.guard('udp close', (d) => d.udpClose(socket));
  }
  lightPress(): Promise<Timed<{ result: number; state: boolean }>> {
    return this.guard('light press', (d) => d.lightPress());
  }
  lightGet(): Promise<{ led: boolean; received: number; sent: number }> {
    return this.guard('light get', (d) => d.lightGet());
  }
  boardTime(): Promise<number> {
    return this.guard('noop', (d) => d.boardTime());
  }
  ping(addr: string, req: PingRequest): Promise<Timed<number>> {
    return this.guard('ping', (d) => d.ping(addr, req));
  }
  onMeshEvent(cb: (e: MeshEventRecord) => void): void {
    this.meshCbs.push(cb);
  }
  onAppEvent(cb: (e: AppEvent) => void): void {
    this.appCbs.push(cb);
  }
  onBoot(cb: (identity: Partial<BoardIdentity>) => void): void {
    this.bootCbs.push(cb);
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }
}
