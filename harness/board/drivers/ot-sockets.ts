// The board API's UDP sockets and the light-control example, mapped onto the
// OpenThread CLI's one UDP socket (`udp open|bind|send|close`, reference
// openthread-cli.md §4). The CLI has a single socket, so the sockets of the
// board API share it: it is bound to the port a socket asked for, else to the
// light-control port while the example runs, else left to an ephemeral port.
// Counters, latency and bursts are kept here, driver-side, from the lines the
// CLI prints. The receive line tells nothing of the route a datagram took: hops
// come from a resolver that pings the sender and reads the reply's hop limit,
// or the boards' tables where that cannot tell (ot-hops.ts), or are reported
// unknown (-1).
import type { AppEvent, Timed, UdpPayload, UdpStats } from '../driver.ts';
import { cliArg, OT_CLI_MAX_LINE, OtCliError, type OtCli } from './ot-cli.ts';
import { parseFields } from './ot-config.ts';
import type { OtClock } from './ot-clock.ts';
import type { Hops } from './ot-hops.ts';
import { LIGHT_GROUP, LIGHT_PORT, lightMessage, parseLightText } from '../../../protocol/light-control.ts';
import { Nsapi } from '../../../protocol/mesh.ts';


/** How long a burst waits for room in the board's message pool before it counts a datagram failed (wall ms). */
const BURST_ROOM_WAIT_US = 2_000_000;
/**
 * Datagrams of a burst the board holds at once. A burst that filled OpenThread's send
 * queue whenever it had room lost datagrams the CLI had taken (measured on
 * ot-cli-ftd-vt, THRU-TH-001: 2 of 100 fragmented datagrams never went on air, though
 * the air lost no frame), as its queue management drops what waited too long; two in
 * flight keep the radio busy (the next one's first fragment is queued while the last
 * ones of the previous go out) and none waits long.
 */
const BURST_IN_FLIGHT = 2;
/** How often a burst asks whether a datagram has left: the one still queued holds the radio longer (a 127-byte frame's exchange is about 6.9 ms, suites/support/airtime.ts). */
const BURST_POLL_US = 5000;

/**
 * A generated payload: "mb<seq>:<send time µs>;" then OpenThread's own filler
 * pattern (0-9A-Za-z, as `udp send -s` writes it). Printable, so the receiving
 * CLI prints it whole (it prints a payload as a C string).
 */
export function generatedPayload(length: number, seq: number, tUs: number): string {
  let text = `mb${seq}:${Math.round(tUs)};`.slice(0, length);
  const filler = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  for (let i = 0; text.length < length; i++) text += filler[i % filler.length];
  return text;
}
const STAMP = /^mb(\d+):(\d+);/;

/** A UDP receive line: "<n> bytes from <ip> <port> <text>" (src/cli/cli_udp.cpp, HandleUdpReceive). */
export function parseUdpLine(line: string): { length: number; src: string; srcPort: number; text: string } | undefined {
  const m = /^(\d+) bytes from (\S+) (\d+)(?: (.*))?$/.exec(line);
  return m ? { length: Number(m[1]), src: m[2]!, srcPort: Number(m[3]), text: m[4] ?? '' } : undefined;
}

/** The payload argument of `udp send`: text (one CLI argument, escaped) when printable, else hex. */
function payloadArgs(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1');
  if (bytes.length > 0 && /^[\x20-\x7e]*$/.test(text)) return `-t ${cliArg(text)}`;
  return `-x ${Buffer.from(bytes).toString('hex')}`;
}

function nsapiOf(e: unknown): number {
  if (!(e instanceof OtCliError)) throw e;
  // Error numbering: src/core/common/error.cpp (reference §4).
  switch (e.otError) {
    case 3: // NoBufs
      return Nsapi.NO_MEMORY;
    case 4: // NoRoute
    case 16: // Detached
      return Nsapi.NO_CONNECTION;
    case 6: // Parse
    case 7: // InvalidArgs
      return Nsapi.PARAMETER;
    default:
      return Nsapi.DEVICE_ERROR;
  }
}

interface Socket {
  id: number;
  /** The port asked for; 0: any. */
  port: number;
  events: boolean;
  nextSeq: number;
  bursting: boolean;
  closed: boolean;
  rxPackets: number;
  rxBytes: number;
  rxFirstT: number;
  rxLastT: number;
  maxHops: number;
  maxHopsInferred: boolean;
  latenciesUs: number[];
  txPackets: number;
  txFailed: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return -1;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface OtSocketsOptions {
  /** Board time (the stamp a generated payload carries and the time of every event); pacing, retries and the light's re-advertisement run on it. */
  clock: OtClock;
  /** Hops a datagram from `src` travelled (-1 when it cannot be told), and whether they were inferred. */
  hops?: (src: string) => Promise<Hops>;
  /** Whether the board is attached: Nanostack refuses a send with no source address (NO_ADDRESS). */
  attached?: () => boolean;
  /** Random in [0, 1) for the light's re-advertisement delay. */
  random?: () => number;
  maxLine?: number;
}

export class OtSockets {
  private readonly sockets = new Map<number, Socket>();
  private nextId = 1;
  /** What the CLI's one socket is doing: closed, open (ephemeral port), or bound to a port. */
  private cliSocket: { open: boolean; port?: number } = { open: false };
  private light = { running: false, state: false, led: false, received: 0, sent: 0, self: '', readvertise: undefined as AbortController | undefined };
  private readonly appCbs: Array<(e: AppEvent) => void> = [];
  /** Receives are handled in order, each after its hops are known. */
  private inbound: Promise<void> = Promise.resolve();
  /** Hops per source, when last told (µs of the clock): a stream's datagrams share their route. */
  private readonly hopCache = new Map<string, { hops: Hops; at: number }>();

  constructor(
    private readonly cli: OtCli,
    private readonly opts: OtSocketsOptions,
  ) {}

  onAppEvent(cb: (e: AppEvent) => void): void {
    this.appCbs.push(cb);
  }

  private emit(e: AppEvent): void {
    for (const cb of this.appCbs) cb(e);
  }

  private now(): number {
    return this.opts.clock.nowUs();
  }

  private async hopsFrom(src: string): Promise<Hops> {
    const unknown = { hops: -1, inferred: false };
    if (!this.opts.hops) return unknown;
    const now = this.now();
    const hit = this.hopCache.get(src);
    if (hit && now - hit.at < (hit.hops.hops < 0 ? 250_000 : 10_000_000)) return hit.hops;
    const hops = await this.opts.hops(src).catch(() => unknown);
    // A stream that fills the sender's queue leaves no room for its echo reply: the count
    // measured from that sender a moment ago (its datagrams share their route) still holds.
    if ((hops.hops < 0 || hops.inferred) && hit && !hit.hops.inferred && hit.hops.hops >= 0 && this.now() - hit.at < 60_000_000) return hit.hops;
    this.hopCache.set(src, { hops, at: this.now() });
    return hops;
  }

  /** The port the CLI socket should be bound to: a socket's own port, else the light's, else any. */
  private wantedPort(): number | undefined {
    for (const s of this.sockets.values()) if (s.port !== 0) return s.port;
    return this.light.running ? LIGHT_PORT : undefined;
  }

  /** Brings the CLI socket to what the open sockets and the light need. */
  private async sync(): Promise<void> {
    const needed = this.sockets.size > 0 || this.light.running;
    const port = this.wantedPort();
    if (!needed) {
      if (this.cliSocket.open) await this.cli.command('udp close');
      this.cliSocket = { open: false };
      return;
    }
    if (this.cliSocket.open && this.cliSocket.port === port) return;
    // Rebinding an open socket: close and open again, so the old port is free at once.
    if (this.cliSocket.open) await this.cli.command('udp close');
    this.cliSocket = { open: false };
    await this.cli.command('udp open');
    this.cliSocket = { open: true };
    if (port !== undefined) {
      await this.cli.command(`udp bind :: ${port}`);
      this.cliSocket.port = port;
    }
  }

  /** The CLI forgot its socket and groups (reset, a new process). */
  forget(): void {
    this.cliSocket = { open: false };
    this.stopLight();
    for (const s of this.sockets.values()) s.closed = true;
    this.sockets.clear();
  }

  async open(port: number, events: boolean): Promise<Timed<{ result: number; socket?: number }>> {
    const t = this.now();
    if (!Number.isInteger(port) || port < 0 || port > 65535) return { value: { result: Nsapi.PARAMETER }, t };
    if (port !== 0) {
      // One CLI socket: a second bound port, or the light's port while the example runs, cannot be had.
      if (port === LIGHT_PORT && this.light.running) return { value: { result: Nsapi.PARAMETER }, t };
      if ([...this.sockets.values()].some((s) => s.port !== 0)) return { value: { result: Nsapi.NO_SOCKET }, t };
    }
    const s: Socket = { id: this.nextId++, port, events, nextSeq: 0, bursting: false, closed: false, rxPackets: 0, rxBytes: 0, rxFirstT: 0, rxLastT: 0, maxHops: -1, maxHopsInferred: false, latenciesUs: [], txPackets: 0, txFailed: 0 };
    this.sockets.set(s.id, s);
    try {
      await this.sync();
    } catch (e) {
      this.sockets.delete(s.id);
      return { value: { result: nsapiOf(e) }, t: this.now() };
    }
    return { value: { result: 0, socket: s.id }, t: this.now() };
  }

  async close(id: number): Promise<Timed<number>> {
    const s = this.sockets.get(id);
    if (!s) return { value: Nsapi.NO_SOCKET, t: this.now() };
    s.closed = true;
    this.sockets.delete(id);
    try {
      await this.sync();
    } catch (e) {
      return { value: nsapiOf(e), t: this.now() };
    }
    return { value: 0, t: this.now() };
  }

  /** One `udp send`; the bytes sent or a negative nsapi_error_t. */
  private async sendBytes(addr: string, port: number, payload: string): Promise<number> {
    // Detached, OpenThread takes the datagram and drops it later; Nanostack's sendto()
    // finds no source address and says so (NSAPI_ERROR_NO_ADDRESS, udp-socket.ts's mapping).
    if (this.opts.attached && !this.opts.attached() && !/^(fe80|ff02):/i.test(addr)) return Nsapi.NO_ADDRESS;
    const line = `udp send ${addr} ${port} ${payload}`;
    if (line.length > (this.opts.maxLine ?? OT_CLI_MAX_LINE)) return Nsapi.PARAMETER;
    try {
      await this.cli.command(line);
      return 0;
    } catch (e) {
      return nsapiOf(e);
    }
  }

  /** The `udp send` argument for a generated payload: stamped text when it fits on a line, else `-s` (unstamped). */
  private generated(s: Socket, addr: string, port: number, length: number, seq = s.nextSeq++): string {
    const text = generatedPayload(length, seq, this.now());
    const fits = `udp send ${addr} ${port} -t ${text}`.length <= (this.opts.maxLine ?? OT_CLI_MAX_LINE);
    return fits ? `-t ${text}` : `-s ${length}`;
  }

  async send(id: number, addr: string, port: number, payload: UdpPayload, hopLimit?: number): Promise<Timed<number>> {
    const s = this.sockets.get(id);
    if (!s) return { value: Nsapi.NO_SOCKET, t: this.now() };
    // `udp send` takes no hop limit: the CLI sends with the stack's default.
    if (hopLimit !== undefined) return { value: Nsapi.UNSUPPORTED, t: this.now() };
    const length = 'data' in payload ? payload.data.length : payload.length;
    if (!Number.isInteger(length) || length < 1 || length > 1280) return { value: Nsapi.PARAMETER, t: this.now() };
    const arg = 'data' in payload ? payloadArgs(payload.data) : this.generated(s, addr, port, length);
    const t = this.now();
    const r = await this.sendBytes(addr, port, arg);
    if (r === 0) s.txPackets++;
    else s.txFailed++;
    return { value: r === 0 ? length : r, t };
  }

  /** Starts a paced loop of generated datagrams; a `udp.burst` event ends it. */
  async burst(id: number, addr: string, port: number, length: number, count: number, intervalUs = 0): Promise<Timed<number>> {
    const s = this.sockets.get(id);
    const t = this.now();
    if (!s) return { value: Nsapi.NO_SOCKET, t };
    if (s.bursting) return { value: Nsapi.BUSY, t };
    if (!Number.isInteger(length) || length < 1 || length > 1280 || !Number.isInteger(count) || count < 1 || intervalUs < 0) return { value: Nsapi.PARAMETER, t };
    s.bursting = true;
    void this.runBurst(s, addr, port, length, count, intervalUs);
    return { value: 0, t };
  }

  private async runBurst(s: Socket, addr: string, port: number, length: number, count: number, intervalUs: number): Promise<void> {
    let sent = 0;
    let failed = 0;
    const start = this.now();
    try {
      const txBase = await this.ipTxDone();
      for (let i = 0; i < count && !s.closed; i++) {
        const wait = start + i * intervalUs - this.now();
        if (wait > 0) await this.opts.clock.sleepUs(wait);
        if (txBase !== undefined && i >= BURST_IN_FLIGHT) await this.untilLeft(txBase, i - BURST_IN_FLIGHT + 1);
        let r: number;
        try {
          r = await this.sendQueued(s, addr, port, length);
        } catch {
          r = Nsapi.DEVICE_ERROR; // the port went away: the rest fail too
        }
        if (r === 0) {
          sent++;
          s.txPackets++;
        } else {
          failed++;
          s.txFailed++;
        }
      }
    } finally {
      s.bursting = false;
      this.emit({ kind: 'udp.burst', t: this.now(), socket: s.id, sent, failed });
    }
  }

  /** IPv6 messages the board has finished sending, well or not (`counters ip`: TxSuccess + TxFailed); undefined when it does not say. */
  private async ipTxDone(): Promise<number | undefined> {
    const f = parseFields(await this.cli.command('counters ip').catch(() => [] as string[]));
    if (f.TxSuccess === undefined || f.TxFailed === undefined) return undefined;
    return Number(f.TxSuccess) + Number(f.TxFailed);
  }

  /** Waits until `n` messages have left since `base` (within BURST_ROOM_WAIT_US; other traffic counts too). */
  private async untilLeft(base: number, n: number): Promise<void> {
    const until = this.now() + BURST_ROOM_WAIT_US;
    for (;;) {
      const done = await this.ipTxDone();
      if (done === undefined || done - base >= n || this.now() >= until) return;
      await this.opts.clock.sleepUs(BURST_POLL_US);
    }
  }

  /**
   * One datagram of a burst. Back to back means the next goes when the board
   * has room for it: OpenThread's CLI returns at once with the datagram queued
   * and says NoBufs while its message pool is full, so that is retried until
   * the radio has drained some (within BURST_ROOM_WAIT_US), as the simulated
   * firmware sends the next when the previous has left the radio.
   */
  private async sendQueued(s: Socket, addr: string, port: number, length: number): Promise<number> {
    const seq = s.nextSeq++;
    const until = this.now() + BURST_ROOM_WAIT_US;
    for (;;) {
      const r = await this.sendBytes(addr, port, this.generated(s, addr, port, length, seq));
      if (r !== Nsapi.NO_MEMORY || this.now() > until || s.closed) return r;
      await this.opts.clock.sleepUs(2000);
    }
  }

  async stats(id: number): Promise<UdpStats> {
    await this.inbound;
    const s = this.sockets.get(id);
    if (!s) throw new Error(`udp.stats: no socket ${id}`);
    const lat = [...s.latenciesUs].sort((a, b) => a - b);
    return {
      rxPackets: s.rxPackets,
      rxBytes: s.rxBytes,
      rxFirstT: s.rxFirstT,
      rxLastT: s.rxLastT,
      maxHops: s.maxHops,
      maxHopsInferred: s.maxHopsInferred,
      latP50Us: percentile(lat, 50),
      latP99Us: percentile(lat, 99),
      txPackets: s.txPackets,
      txFailed: s.txFailed,
    };
  }

  /** A UDP receive line from the CLI: to the socket bound to the CLI socket's port, or to the light. */
  received(line: string): boolean {
    const d = parseUdpLine(line);
    if (!d) return false;
    // Where it goes is decided now (the binding may change while hops are looked up).
    const t = this.now();
    const port = this.cliSocket.port;
    const light = port === LIGHT_PORT && this.light.running ? parseLightText(d.text) : undefined;
    const s = light === undefined ? [...this.sockets.values()].find((x) => x.port === port && port !== undefined) : undefined;
    if (light === undefined && !s) return true;
    if (s) {
      s.rxPackets++;
      s.rxBytes += d.length;
      if (s.rxPackets === 1) s.rxFirstT = t;
      s.rxLastT = t;
      const stamp = STAMP.exec(d.text);
      if (stamp) s.latenciesUs.push(Math.max(0, t - Number(stamp[2])));
    }
    this.inbound = this.inbound.then(async () => {
      const { hops, inferred } = await this.hopsFrom(d.src);
      if (light !== undefined) return this.heard(light, d.src, t, hops, inferred);
      if (!s) return;
      if (hops > s.maxHops || (hops === s.maxHops && inferred)) {
        s.maxHops = hops;
        s.maxHopsInferred = inferred;
      }
      if (s.events) {
        const head = Buffer.from(d.text.slice(0, 16), 'latin1').toString('hex');
        this.emit({ kind: 'udp', t, socket: s.id, src: d.src, srcPort: d.srcPort, length: d.length, hops, ...(inferred ? { hopsInferred: true } : {}), head });
      }
    });
    return true;
  }

  // --- the light-control example

  /** Starts the example after connect, as mesh-minimal does: its port and group (protocol/light-control.ts). */
  async startLight(): Promise<void> {
    if (this.light.running) return;
    try {
      await this.cli.command(`ipmaddr add ${LIGHT_GROUP}`);
    } catch (e) {
      if (!(e instanceof OtCliError && e.otError === 24)) throw e; // 24 Already: still subscribed
    }
    this.light.running = true;
    await this.sync();
    this.light.self = (await this.cli.command('ipaddr mleid').catch(() => [] as string[]))[0] ?? '';
  }

  private stopLight(): void {
    this.light.readvertise?.abort();
    this.light.readvertise = undefined;
    this.light.running = false;
  }

  /** The button: toggle, multicast the state; the example's LED follows when its own message is heard. */
  async press(): Promise<Timed<{ result: number; state: boolean }>> {
    const t = this.now();
    // Without the example's socket, sendto() has no socket (as on the simulated firmware).
    if (!this.light.running || this.cliSocket.port !== LIGHT_PORT) return { value: { result: Nsapi.NO_SOCKET, state: this.light.state }, t };
    this.light.state = !this.light.state;
    const result = await this.sendLight();
    return { value: { result, state: this.light.state }, t };
  }

  private async sendLight(): Promise<number> {
    this.light.sent++;
    const r = await this.sendBytes(LIGHT_GROUP, LIGHT_PORT, payloadArgs(lightMessage(this.light.state)));
    // Nanostack hands a group member its own multicast back and the example's LED
    // follows it; OpenThread's `udp send` does not loop back (no multicast loop in
    // its message info), so the app's side of that is played here.
    if (r === 0) this.heard(this.light.state, this.light.self, this.now(), 0);
    return r === 0 ? 20 : r;
  }

  private heard(on: boolean, from: string, t: number, hops: number, inferred = false): void {
    this.light.received++;
    this.light.state = on;
    this.light.led = on;
    this.emit({ kind: 'light', t, led: on, from, hops, ...(inferred ? { hopsInferred: true } : {}) });
    // Every message re-arms the re-advertisement, 30 + rand() % 30 s later (mbed-mesh-api.md §5).
    this.light.readvertise?.abort();
    const delayS = 30 + Math.floor((this.opts.random ?? Math.random)() * 30);
    const timer = new AbortController();
    this.light.readvertise = timer;
    // In the background: the example's timer fires when bench time gets there, and runs none itself.
    this.opts.clock.sleepUs(delayS * 1e6, { signal: timer.signal, background: true }).then(
      () => {
        if (this.light.readvertise !== timer) return;
        this.light.readvertise = undefined;
        if (this.light.running) void this.sendLight().catch(() => undefined);
      },
      () => undefined,
    );
  }

  lightState(): { led: boolean; received: number; sent: number } {
    return { led: this.light.led, received: this.light.received, sent: this.light.sent };
  }

  stop(): void {
    this.stopLight();
    for (const s of this.sockets.values()) s.closed = true;
  }
}
