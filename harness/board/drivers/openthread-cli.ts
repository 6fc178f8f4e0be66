// The driver for boards running OpenThread's CLI (ot-cli-ftd): the board API
// mapped onto CLI commands, so the Thread suites run on OpenThread boards
// unchanged. The CLI's conventions (reference openthread-cli.md §4): each
// command is echoed after a "> " prompt, its output lines follow, then exactly
// one "Done" or "Error <n>: <Name>"; reset prints nothing; ping replies and UDP
// receives arrive asynchronously at any time. The Thread role is polled and
// mapped to the Mesh API's events and statuses (mbed-mesh-api.md §2).
// Configuration keys → commands: ot-config.ts; sockets and light: ot-sockets.ts.
import type { StackKind } from '../../rig/schema.ts';
import type { AppEvent, BoardDriver, BoardIdentity, BoardStatus, MeshEventRecord, PingRequest, Timed, UdpPayload, UdpStats } from '../driver.ts';
import { OtCliError, type OtCli } from './ot-cli.ts';
import { hostOtClock, type OtClock } from './ot-clock.ts';
import { datasetCommands, modeOf, parseFields, parseTable, plainValue, prefix64 } from './ot-config.ts';
import type { Hops } from './ot-hops.ts';
import { OtSockets } from './ot-sockets.ts';
import { isLinkLocalAddress } from '../ipv6-address.ts';
import { Nsapi, type ConnectionStatus, type MeshEventName } from '../../../protocol/mesh.ts';

export { OtCli, OtCliError, OtCliGoneError, OtCliTimeoutError } from './ot-cli.ts';

/** The hop limit echo requests and replies leave with (OpenThread's and Nanostack's default, 64). */
const PING_ORIGIN_HOP_LIMIT = 64;

type Role = 'disabled' | 'detached' | 'child' | 'router' | 'leader';
const isUp = (r: Role) => r === 'child' || r === 'router' || r === 'leader';

export interface OtDriverOptions {
  /**
   * The clock the driver stamps, polls and waits on (ot-clock.ts): the bench clock on a
   * simulated bench. Without it, this host's clock (`clock` at `speed`).
   */
  time?: OtClock;
  /** µs of the driver's clock between polls of the role (and, every few polls, of addresses or attach attempts) while connected. */
  pollUs?: number;
  /** Wall ms between polls, on this host's clock (without `time`). */
  pollMs?: number;
  /**
   * Board time, µs, without `time`. The CLI stamps nothing, so this is host time; boards
   * of one run share the bench's clock, so a generated payload's stamp is comparable
   * on the receiving board. Default: this process's monotonic clock.
   */
  clock?: () => number;
  /** Bench seconds per wall second of `clock` (a host-process board run faster than real time). */
  speed?: number;
  /** The air the radio is on, when the bench knows better than the build (a simulation build on the simulated bench's medium). */
  air?: 'ieee802154' | 'no-airtime';
  /** How many radio hops a datagram from `src` travelled to this board (-1 when the CLI cannot tell), and whether that was inferred. */
  hops?: (src: string) => Promise<Hops>;
  /** Random in [0, 1), for the light's re-advertisement delay (a simulated bench draws it from its seed). */
  random?: () => number;
}

export class OpenThreadCliDriver implements BoardDriver {
  readonly kind = 'openthread-cli';
  private readonly eventCbs: Array<(e: MeshEventRecord) => void> = [];
  private readonly bootCbs: Array<(i: Partial<BoardIdentity>) => void> = [];
  private readonly pingCbs: Array<(e: AppEvent) => void> = [];
  private readonly sockets: OtSockets;
  private readonly time: OtClock;
  private readonly pollUs: number;
  private poll: AbortController | undefined;
  private refreshing: Promise<void> | undefined;
  private connected = false;
  private role: Role = 'disabled';
  private global = false;
  private meshStatus = 'DISCONNECTED';
  private pendingConfig: Record<string, string> = {};
  /** The config the board was last initialised with (for the border router's prefix). */
  private config: Record<string, string> = {};
  private mlPrefix: string | undefined;
  private prefixRegistered = false;
  /** `Attach Attempts` when Thread was started, and the failures reported since. */
  private attach = { base: 0, reported: 0 };

  constructor(
    readonly cli: OtCli,
    private readonly opts: OtDriverOptions = {},
  ) {
    this.time = opts.time ?? hostOtClock(opts.clock, opts.speed);
    // The CLI's own waits (a silent command's settling, the hop probe's ping) run on it too.
    cli.clock = this.time;
    const hostSpeed = opts.time ? 1 : (opts.speed ?? 1);
    this.pollUs = opts.pollUs ?? (opts.pollMs ?? 50) * 1000 * hostSpeed;
    this.sockets = new OtSockets(cli, { clock: this.time, hops: opts.hops, attached: () => this.connected && isUp(this.role), ...(opts.random ? { random: opts.random } : {}) });
    cli.onAsync((line) => this.sockets.received(line));
    // A closed port is a dead session: a reopened one gets a new driver.
    cli.transport.onClose(() => {
      this.stopPolling();
      this.sockets.stop();
    });
  }

  private now(): number {
    return this.time.nowUs();
  }

  private emit(event: MeshEventName, status: ConnectionStatus, callback = true): void {
    this.meshStatus = status;
    const rec = { t: this.now(), event, status, callback };
    for (const cb of this.eventCbs) cb(rec);
  }

  async identify(): Promise<BoardIdentity> {
    const version = (await this.cli.command('version'))[0] ?? 'unknown';
    const eui64 = (await this.cli.command('eui64'))[0];
    return { firmware: 'openthread-cli', version, eui64, stacks: ['thread'], air: this.opts.air ?? airOf(version) };
  }

  /** Writes the dataset (from scratch, or over the active one) and the device's mode; an nsapi_error_t. */
  private async applyConfig(config: Record<string, string>, fromScratch: boolean): Promise<number> {
    let commands: string[];
    try {
      commands = datasetCommands(config, fromScratch);
    } catch {
      return Nsapi.PARAMETER; // a value the CLI cannot be given
    }
    try {
      if (fromScratch) await this.cli.command('dataset clear');
      else await this.cli.command('dataset init active').catch(() => this.cli.command('dataset clear'));
      for (const c of commands) await this.cli.command(c);
      await this.cli.command('dataset commit active');
      const mode = modeOf(config);
      if (mode) {
        await this.cli.command(`mode ${mode.mode}`);
        if (mode.routerEligible) await this.cli.command('routereligible enable');
      }
      // The test frameworks shorten router promotion (reference §3.1, §5.3).
      if (config['router-selection-jitter'] !== undefined) await this.cli.command(`routerselectionjitter ${Number(plainValue('router-selection-jitter', config['router-selection-jitter']))}`);
      this.mlPrefix = undefined;
      return Nsapi.OK;
    } catch (e) {
      if (e instanceof OtCliError && (e.otError === 7 || e.otError === 6)) return Nsapi.PARAMETER;
      if (e instanceof OtCliError) return Nsapi.DEVICE_ERROR;
      throw e;
    }
  }

  async meshInit(stack: StackKind, config: Record<string, string>): Promise<Timed<number>> {
    if (stack !== 'thread') return { value: Nsapi.UNSUPPORTED, t: this.now() };
    this.config = { ...config };
    this.pendingConfig = {};
    await this.wipeSettings();
    const value = await this.applyConfig(config, true);
    return { value, t: this.now() };
  }

  /**
   * initialize() with a static link configuration starts from that
   * configuration alone. OpenThread keeps its network info (role, RLOC16,
   * partition, frame counters) in its settings across a restart and first
   * tries to restore it (a former leader stays detached ~20-30 s before it
   * re-attaches, reference §3.2), so the settings are wiped (`factoryreset`,
   * which prints nothing and restarts the CLI) before the dataset is written.
   */
  private async wipeSettings(): Promise<void> {
    this.stopPolling();
    await this.cli.silent('factoryreset', 50_000);
    // The simulation restarts in milliseconds, a board in well under a second: ask often.
    await this.cli.resync(10_000, 300);
    this.sockets.forget();
    this.connected = false;
    this.role = 'disabled';
    this.global = false;
    this.meshStatus = 'DISCONNECTED';
    this.prefixRegistered = false;
  }

  /**
   * New keys for the next bootstrap attempt. While the board is connecting or
   * up, Thread is stopped, the dataset rewritten and Thread started again at
   * once (dataset setters give InvalidState while Thread runs, reference §3.2);
   * to the application this is no disconnect, so no event is reported.
   */
  async meshConfig(config: Record<string, string>): Promise<void> {
    this.config = { ...this.config, ...config };
    if (!this.connected) {
      this.pendingConfig = { ...this.pendingConfig, ...config };
      return;
    }
    this.stopPolling();
    await this.cli.command('thread stop');
    const r = await this.applyConfig(config, false);
    if (r !== Nsapi.OK) throw new Error(`mesh config: the CLI refused the new keys (nsapi ${r})`);
    await this.startThread();
    this.role = 'detached';
    this.startPolling();
  }

  private async startThread(): Promise<void> {
    this.attach = { base: await this.attachAttempts(), reported: 0 };
    await this.cli.command('ifconfig up');
    await this.cli.command('thread start');
    this.prefixRegistered = false;
  }

  async connect(): Promise<Timed<number>> {
    // Mbed's ThreadInterface: IS_CONNECTED when up, ALREADY while its tasklet is still bootstrapping.
    if (this.connected) return { value: isUp(this.role) ? Nsapi.IS_CONNECTED : Nsapi.ALREADY, t: this.now() };
    if (Object.keys(this.pendingConfig).length) {
      const r = await this.applyConfig(this.pendingConfig, false);
      this.pendingConfig = {};
      if (r !== Nsapi.OK) return { value: r, t: this.now() };
    }
    try {
      await this.startThread();
    } catch (e) {
      if (e instanceof OtCliError) return { value: Nsapi.DEVICE_ERROR, t: this.now() };
      throw e;
    }
    const t = this.now();
    this.connected = true;
    this.role = 'detached';
    this.global = false;
    this.emit('MESH_BOOTSTRAP_STARTED', 'CONNECTING');
    this.startPolling();
    // mesh-minimal starts its light control once connect() is under way.
    await this.sockets.startLight().catch(() => undefined);
    return { value: Nsapi.OK, t };
  }

  async disconnect(): Promise<Timed<number>> {
    // The Mesh API's tasklet refuses to disconnect what is not connected (mbed-mesh-api.md §1).
    if (!this.connected) return { value: Nsapi.DEVICE_ERROR, t: this.now() };
    this.stopPolling();
    try {
      await this.cli.command('thread stop');
    } catch (e) {
      if (e instanceof OtCliError) return { value: Nsapi.DEVICE_ERROR, t: this.now() };
      throw e;
    }
    const t = this.now();
    this.connected = false;
    this.role = 'disabled';
    this.global = false;
    this.emit('MESH_DISCONNECTED', 'DISCONNECTED');
    return { value: Nsapi.OK, t };
  }

  private async meshLocalPrefix(): Promise<string | undefined> {
    if (this.mlPrefix === undefined) {
      const fields = parseFields(await this.cli.command('dataset active').catch(() => [] as string[]));
      this.mlPrefix = fields['Mesh Local Prefix'];
    }
    return this.mlPrefix;
  }

  /** Whether the board holds a global address in the Mesh API's sense: neither link-local nor mesh-local (RLOC/ALOC/ML-EID). */
  private async hasGlobal(addrs: string[]): Promise<boolean> {
    const ml = await this.meshLocalPrefix();
    const mlNet = ml ? net64(ml) : undefined;
    return addrs.some((a) => !isLinkLocalAddress(a) && net64(a) !== mlNet);
  }

  /** Attach Attempts from `counters mle` (MLE counters, reference §4). */
  private async attachAttempts(): Promise<number> {
    const fields = parseFields(await this.cli.command('counters mle').catch(() => [] as string[]));
    return Number(fields['Attach Attempts'] ?? 0);
  }

  /**
   * Reads the role (and, every few polls, addresses or attach attempts) and
   * reports what changed as the Mesh API would: up → LOCAL_UP or GLOBAL_UP,
   * a global address coming or going, a partition lost → CONNECTING, and each
   * failed attach attempt (a new one started while detached) →
   * MESH_BOOTSTRAP_FAILED. One at a time: the poll and status() share it.
   */
  private refresh(full: boolean): Promise<void> {
    this.refreshing ??= this.observe(full).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async observe(full: boolean): Promise<void> {
    if (!this.connected) return;
    const role = ((await this.cli.command('state'))[0] ?? 'disabled') as Role;
    if (!this.connected) return;
    const before = this.role;
    this.role = role;
    if (isUp(role)) {
      if (!isUp(before) || full) {
        const global = await this.hasGlobal(await this.cli.command('ipaddr'));
        if (!isUp(before)) {
          this.global = global;
          this.emit(global ? 'MESH_CONNECTED_GLOBAL' : 'MESH_CONNECTED_LOCAL', global ? 'GLOBAL_UP' : 'LOCAL_UP');
        } else if (global !== this.global) {
          this.global = global;
          this.emit(global ? 'MESH_CONNECTED_GLOBAL' : 'MESH_CONNECTED_LOCAL', global ? 'GLOBAL_UP' : 'LOCAL_UP');
        }
      }
      await this.registerPrefix();
    } else if (isUp(before)) {
      // Lost the partition: the stack starts over, as Nanostack re-bootstraps. A detached
      // node has already begun its next attach attempt, and counted it.
      this.global = false;
      const attempts = await this.attachAttempts();
      this.attach = { base: role === 'detached' ? Math.max(0, attempts - 1) : attempts, reported: 0 };
      if (role === 'detached') this.emit('MESH_BOOTSTRAP_STARTED', 'CONNECTING');
      else this.emit('MESH_DISCONNECTED', 'DISCONNECTED');
    } else if (role === 'detached' && full) {
      const failed = (await this.attachAttempts()) - this.attach.base - 1 - this.attach.reported;
      for (let i = 0; i < failed; i++) this.emit('MESH_BOOTSTRAP_FAILED', 'CONNECTING');
      if (failed > 0) this.attach.reported += failed;
    }
  }

  /** A border router's on-mesh prefix with SLAAC (`prefix add <p> paros`, `netdata register`), once attached. */
  private async registerPrefix(): Promise<void> {
    if (this.prefixRegistered) return;
    const raw = this.config['border-router-prefix'];
    const p = raw === undefined ? undefined : prefix64(raw);
    this.prefixRegistered = true;
    if (!p) return;
    await this.cli.command(`prefix add ${p} paros`);
    await this.cli.command('netdata register');
  }

  /**
   * Polls every `pollUs` of the driver's clock. A background sleep: on a lockstep bench
   * the poll runs only while something else runs bench time (a suite's wait), at the
   * bench times it is due, so a run of a seed polls at the same bench times every time.
   */
  private startPolling(): void {
    this.stopPolling();
    const stop = new AbortController();
    this.poll = stop;
    void (async () => {
      for (let polls = 0; !stop.signal.aborted; polls++) {
        // On a grid of the clock's time: every board's poll falls due at once, and one stop of bench time serves them all.
        const now = this.time.nowUs();
        try {
          await this.time.sleepUs((Math.floor(now / this.pollUs) + 1) * this.pollUs - now, { signal: stop.signal, background: true });
        } catch {
          if (stop.signal.aborted) return;
          // The clock cancelled its sleeps (a case cut by its timeout): poll on.
          await new Promise((r) => setTimeout(r, 10));
        }
        if (stop.signal.aborted) return;
        // Every fourth poll also looks at addresses (up) or attach attempts (detached).
        await this.refresh(polls % 4 === 0).catch(() => undefined); // a reset or a gone port: the next call says so
      }
    })();
  }

  private stopPolling(): void {
    this.poll?.abort();
    this.poll = undefined;
  }

  /** The Mesh API status, and what the CLI tells of the board's place in the network (names as the simulated firmware's). */
  async status(): Promise<BoardStatus> {
    await this.refresh(true);
    const role = ((await this.cli.command('state'))[0] ?? 'disabled') as Role;
    const details: Record<string, string> = { role, stack: 'thread' };
    const ds = parseFields(await this.cli.command('dataset active').catch(() => [] as string[]));
    if (ds.Channel) details.channel = ds.Channel;
    if (ds['PAN ID']) details.panid = ds['PAN ID'];
    details.ext_address = (await this.cli.command('extaddr'))[0] ?? '';
    if (isUp(role)) {
      details.rloc16 = (await this.cli.command('rloc16'))[0] ?? '';
      details.partition_id = (await this.cli.command('partitionid'))[0] ?? '';
      const leader = parseFields(await this.cli.command('leaderdata').catch(() => [] as string[]));
      if (leader['Leader Router ID']) details.leader_router_id = leader['Leader Router ID'];
      const mleid = (await this.cli.command('ipaddr mleid').catch(() => [] as string[]))[0];
      if (mleid) details.mleid = mleid;
      const neighbours = parseTable(await this.cli.command('neighbor table'));
      details.neighbours = String(neighbours.filter((n) => n.Role === 'R').length);
      details.children = String(neighbours.filter((n) => n.Role === 'C').length);
      if (role === 'child') {
        const parent = parseFields(await this.cli.command('parent').catch(() => [] as string[]));
        if (parent.Rloc) details.parent = parent.Rloc;
      }
    }
    const status = !this.connected ? 'DISCONNECTED' : isUp(role) ? this.meshStatus : 'CONNECTING';
    return { status, details };
  }

  /**
   * The interface's addresses. Stopped, OpenThread keeps the SLAAC addresses of
   * the last network data it saw (Utils::Slaac updates them only when network
   * data changes; `ipaddr del` refuses them, Error 37 Rejected, seen on
   * ot-cli-ftd), though it can use none of them. Nanostack removes every
   * address but the link-local one when the interface goes down, so a
   * disconnected board reports only its link-local addresses.
   */
  async ipAddresses(): Promise<string[]> {
    const all = await this.cli.command('ipaddr');
    return this.connected ? all : all.filter(isLinkLocalAddress);
  }

  async softReset(): Promise<void> {
    this.stopPolling();
    await this.cli.silent('reset');
    await this.rebooted();
  }

  /**
   * The board restarted (the `reset` command, a reset by the rig, a new
   * process): wait for the CLI to answer, forget what it forgot, report the boot.
   */
  async rebooted(withinMs?: number): Promise<void> {
    this.stopPolling();
    const version = await this.cli.resync(withinMs);
    // After reset: disabled, interface down, dataset kept, no autostart (reference §3.2);
    // the UDP socket, multicast groups and local network data live in RAM and are gone.
    this.sockets.forget();
    this.connected = false;
    this.role = 'disabled';
    this.global = false;
    this.meshStatus = 'DISCONNECTED';
    for (const cb of this.bootCbs) cb({ firmware: 'openthread-cli', version, stacks: ['thread'] });
  }

  // --- The board API's sockets and light (ot-sockets.ts).

  udpOpen(port: number, events: boolean): Promise<Timed<{ result: number; socket?: number }>> {
    return this.sockets.open(port, events);
  }
  udpSend(socket: number, addr: string, port: number, payload: UdpPayload, hopLimit?: number): Promise<Timed<number>> {
    return this.sockets.send(socket, addr, port, payload, hopLimit);
  }
  udpBurst(socket: number, addr: string, port: number, length: number, count: number, intervalUs?: number): Promise<Timed<number>> {
    return this.sockets.burst(socket, addr, port, length, count, intervalUs);
  }
  udpStats(socket: number): Promise<UdpStats> {
    return this.sockets.stats(socket);
  }
  udpClose(socket: number): Promise<Timed<number>> {
    return this.sockets.close(socket);
  }
  lightPress(): Promise<Timed<{ result: number; state: boolean }>> {
    return this.sockets.press();
  }
  lightGet(): Promise<{ led: boolean; received: number; sent: number }> {
    return Promise.resolve(this.sockets.lightState());
  }
  onAppEvent(cb: (e: AppEvent) => void): void {
    this.sockets.onAppEvent(cb);
    this.pingCbs.push(cb);
  }

  /** The CLI stamps nothing: its board time is this host's clock. */
  boardTime(): Promise<number> {
    return Promise.resolve(this.now());
  }

  /**
   * The CLI's own ping (`ping async <ip> <size> <count> <interval s> <hoplimit> <timeout s>`,
   * reference openthread-cli.md §4): each reply line gives its round trip on the board
   * (`time=<ms>`) and the hop limit it arrived with (`hlim=`), from which its hops are
   * counted (the replier sends with 64, as OpenThread and Nanostack do); the statistics line
   * ends it with a `ping` app event.
   */
  async ping(addr: string, req: PingRequest): Promise<Timed<number>> {
    const rtts: number[] = [];
    let maxHops = -1;
    const stop = this.cli.onAsync((line) => {
      const reply = /^\d+ bytes from \S+: icmp_seq=\d+ hlim=(\d+) time=(\d+)ms/.exec(line);
      if (reply) {
        rtts.push(Number(reply[2]) * 1000);
        maxHops = Math.max(maxHops, PING_ORIGIN_HOP_LIMIT - Number(reply[1]) + 1);
        return;
      }
      const done = /^(\d+) packets transmitted, (\d+) packets received/.exec(line);
      if (!done) return;
      stop();
      const sorted = rtts.slice().sort((a, b) => a - b);
      const pct = (p: number) => (sorted.length === 0 ? -1 : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!);
      const e: AppEvent = { kind: 'ping', t: this.now(), sent: Number(done[1]), received: Number(done[2]), rttMinUs: sorted[0] ?? -1, rttP50Us: pct(50), rttP99Us: pct(99), rttMaxUs: sorted[sorted.length - 1] ?? -1, maxHops };
      // One IP hop may be several radio hops inside a partition: those the routers' forwarding tells (ot-hops.ts).
      const radioHops = maxHops === 1 && this.opts.hops ? this.opts.hops(addr).catch(() => undefined) : Promise.resolve(undefined);
      void radioHops.then((h) => {
        if (h && h.hops > 1) e.maxHops = h.hops;
        for (const cb of this.pingCbs) cb(e);
      });
    });
    const intervalS = (req.intervalUs / 1e6).toFixed(3);
    try {
      await this.cli.command(`ping async ${addr} ${req.length} ${req.count} ${intervalS} ${PING_ORIGIN_HOP_LIMIT} 3`);
      return { value: Nsapi.OK, t: this.now() };
    } catch (e) {
      stop();
      if (e instanceof OtCliError) return { value: Nsapi.NO_ADDRESS, t: this.now() };
      throw e;
    }
  }

  // --- Beyond the board API.

  /** `ping async`: resolves with the statistics line's counts (the CLI stays free meanwhile); `withinMs` of the driver's clock. */
  pingCounts(ip: string, opts: { size?: number; count?: number; withinMs?: number } = {}): Promise<{ sent: number; received: number }> {
    return new Promise((resolve, reject) => {
      const stop = this.cli.onAsync((line) => {
        const m = /^(\d+) packets transmitted, (\d+) packets received\./.exec(line);
        if (!m) return;
        finish();
        resolve({ sent: Number(m[1]), received: Number(m[2]) });
      });
      const deadline = new AbortController();
      this.time.sleepUs((opts.withinMs ?? 10_000) * 1000, { signal: deadline.signal, wakeOnOutput: true }).then(
        () => {
          finish();
          reject(new Error(`ping ${ip}: no statistics line within ${opts.withinMs ?? 10_000} ms`));
        },
        () => undefined,
      );
      const finish = () => {
        deadline.abort();
        stop();
      };
      this.cli.command(`ping async ${ip} ${opts.size ?? 8} ${opts.count ?? 1}`).catch((e: Error) => {
        finish();
        reject(e);
      });
    });
  }

  onMeshEvent(cb: (e: MeshEventRecord) => void): void {
    this.eventCbs.push(cb);
  }
  onBoot(cb: (identity: Partial<BoardIdentity>) => void): void {
    this.bootCbs.push(cb);
  }
  async close(): Promise<void> {
    this.stopPolling();
    this.sockets.stop();
    await this.cli.transport.close();
  }
}

/**
 * The air from `version`'s platform field (`OPENTHREAD/<git>; <PLATFORM>; <date>`,
 * otGetVersionString): SIMULATION is OpenThread's POSIX simulation, whose radio
 * is a UDP broadcast among the nodes with no airtime (its README; measured:
 * ~190 kbit/s of UDP goodput between two nodes); any other platform drives a
 * real 802.15.4 radio.
 */
export function airOf(version: string): 'ieee802154' | 'no-airtime' | undefined {
  const platform = version.split(';')[1]?.trim();
  if (!platform) return undefined;
  return platform === 'SIMULATION' ? 'no-airtime' : 'ieee802154';
}

/** The /64 of an address or prefix, as eight hex digits per group joined (for comparing networks). */
function net64(addr: string): string {
  const text = addr.replace(/\/\d+$/, '').toLowerCase();
  const [head = '', tail] = text.split('::');
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(Math.max(0, 8 - hs.length - ts.length)).fill('0'), ...ts];
  return groups
    .slice(0, 4)
    .map((g) => g.padStart(4, '0'))
    .join(':');
}
