// The driver for boards running OpenThread's CLI (ot-cli-ftd): the board API
// mapped onto CLI commands, so the Thread suites run on OpenThread boards
// unchanged. The CLI's conventions (reference openthread-cli.md §4): each
// command is echoed after a "> " prompt, its output lines follow, then exactly
// one "Done" or "Error <n>: <Name>"; reset prints nothing; ping replies and UDP
// receives arrive asynchronously at any time. The Thread role is polled and
// mapped to the Mesh API's events and statuses (mbed-mesh-api.md §2).
import type { StackKind } from '../../rig/schema.ts';
import type { AppEvent, BoardDriver, BoardIdentity, BoardStatus, MeshEventRecord, Timed, UdpPayload, UdpStats } from '../driver.ts';
import { cliArg, OtCliError, type OtCli } from './ot-cli.ts';
import { OtSockets } from './ot-sockets.ts';

export { OtCli, OtCliError, OtCliGoneError, OtCliTimeoutError } from './ot-cli.ts';

/** mbed-mesh-api Thread keys → dataset fields (mbed-mesh-api.md §4). */
function datasetCommands(config: Record<string, string>): string[] {
  const out: string[] = [];
  const hex = (v: string) => v.replace(/^0x/i, '').toLowerCase();
  const key = config['thread-master-key'];
  if (key !== undefined) out.push(`dataset networkkey ${hex(key)}`);
  const panid = config['thread-config-panid'] ?? config.panid;
  if (panid !== undefined) out.push(`dataset panid 0x${Number(panid).toString(16).padStart(4, '0')}`);
  const channel = config['thread-config-channel'];
  if (channel !== undefined) out.push(`dataset channel ${Number(channel)}`);
  const ext = config['thread-config-extended-panid'];
  if (ext !== undefined) out.push(`dataset extpanid ${hex(ext)}`);
  const name = config['thread-config-network-name'];
  if (name !== undefined) out.push(`dataset networkname ${cliArg(name)}`);
  const ml = config['thread-config-ml-prefix'];
  if (ml !== undefined) {
    const h = hex(ml).padEnd(16, '0');
    const groups = [0, 4, 8, 12].map((i) => parseInt(h.slice(i, i + 4), 16).toString(16));
    out.push(`dataset meshlocalprefix ${groups.join(':')}::`);
  }
  return out;
}

const NSAPI_OK = 0;
const NSAPI_UNSUPPORTED = -3002;
const NSAPI_PARAMETER = -3003;
const NSAPI_DEVICE_ERROR = -3012;
const NSAPI_IS_CONNECTED = -3015;

type Role = 'disabled' | 'detached' | 'child' | 'router' | 'leader';

export interface OtDriverOptions {
  /** Wall ms between `state` polls while connected. */
  pollMs?: number;
  /**
   * Board time, µs. The CLI stamps nothing, so this is host time; boards of one
   * run share the bench's clock, so a generated payload's stamp is comparable
   * on the receiving board. Default: this process's monotonic clock.
   */
  clock?: () => number;
}

export class OpenThreadCliDriver implements BoardDriver {
  readonly kind = 'openthread-cli';
  private readonly eventCbs: Array<(e: MeshEventRecord) => void> = [];
  private readonly bootCbs: Array<(i: Partial<BoardIdentity>) => void> = [];
  private readonly sockets: OtSockets;
  private readonly clock: () => number;
  private poll: NodeJS.Timeout | undefined;
  private polling = false;
  private connected = false;
  private role: Role = 'disabled';
  private meshStatus = 'DISCONNECTED';
  private pendingConfig: Record<string, string> = {};
  private routerRole = true;

  constructor(
    readonly cli: OtCli,
    private readonly opts: OtDriverOptions = {},
  ) {
    this.clock = opts.clock ?? (() => Math.round(performance.now() * 1000));
    this.sockets = new OtSockets(cli, { clock: this.clock });
    cli.onAsync((line) => this.sockets.received(line));
  }

  private now(): number {
    return this.clock();
  }

  private emit(event: string, status: string, callback = true): void {
    this.meshStatus = status;
    const rec = { t: this.now(), event, status, callback };
    for (const cb of this.eventCbs) cb(rec);
  }

  async identify(): Promise<BoardIdentity> {
    const version = (await this.cli.command('version'))[0] ?? 'unknown';
    const eui64 = (await this.cli.command('eui64'))[0];
    return { firmware: 'openthread-cli', version, eui64, stacks: ['thread'] };
  }

  private async applyDataset(config: Record<string, string>, clear: boolean): Promise<number> {
    try {
      if (clear) await this.cli.command('dataset clear');
      else await this.cli.command('dataset init active').catch(() => this.cli.command('dataset clear'));
      for (const c of datasetCommands(config)) await this.cli.command(c);
      await this.cli.command('dataset commit active');
      const deviceType = config['thread-device-type'];
      const role = config.role;
      if (deviceType !== undefined || role !== undefined) {
        this.routerRole = !(deviceType?.includes('END_DEVICE') || role === 'end-device' || role === 'host');
        await this.cli.command(`routereligible ${this.routerRole ? 'enable' : 'disable'}`);
      }
      // The test frameworks shorten router promotion (reference §3.1, §5.3).
      if (config['router-selection-jitter'] !== undefined) await this.cli.command(`routerselectionjitter ${Number(config['router-selection-jitter'])}`);
      return NSAPI_OK;
    } catch (e) {
      if (e instanceof OtCliError && (e.otError === 7 || e.otError === 6)) return NSAPI_PARAMETER;
      if (e instanceof OtCliError) return NSAPI_DEVICE_ERROR;
      throw e;
    }
  }

  async meshInit(stack: StackKind, config: Record<string, string>): Promise<Timed<number>> {
    if (stack !== 'thread') return { value: NSAPI_UNSUPPORTED, t: this.now() };
    const value = await this.applyDataset(config, true);
    return { value, t: this.now() };
  }

  async meshConfig(config: Record<string, string>): Promise<void> {
    // Dataset setters give InvalidState while Thread runs: keep them for the next connect.
    this.pendingConfig = { ...this.pendingConfig, ...config };
  }

  async connect(): Promise<Timed<number>> {
    if (this.connected) return { value: NSAPI_IS_CONNECTED, t: this.now() };
    if (Object.keys(this.pendingConfig).length) {
      const r = await this.applyDataset(this.pendingConfig, false);
      this.pendingConfig = {};
      if (r !== NSAPI_OK) return { value: r, t: this.now() };
    }
    try {
      await this.cli.command('ifconfig up');
      await this.cli.command('thread start');
    } catch (e) {
      if (e instanceof OtCliError) return { value: NSAPI_DEVICE_ERROR, t: this.now() };
      throw e;
    }
    const t = this.now();
    this.connected = true;
    this.role = 'detached';
    this.emit('MESH_BOOTSTRAP_STARTED', 'CONNECTING');
    this.startPolling();
    // mesh-minimal starts its light control once connect() is under way.
    await this.sockets.startLight().catch(() => undefined);
    return { value: NSAPI_OK, t };
  }

  async disconnect(): Promise<Timed<number>> {
    this.stopPolling();
    try {
      await this.cli.command('thread stop');
    } catch (e) {
      if (e instanceof OtCliError) return { value: NSAPI_DEVICE_ERROR, t: this.now() };
      throw e;
    }
    const t = this.now();
    const was = this.connected;
    this.connected = false;
    this.role = 'disabled';
    if (was) this.emit('MESH_DISCONNECTED', 'DISCONNECTED');
    return { value: NSAPI_OK, t };
  }

  /** Whether an address is global in the Mesh API's sense: neither link-local nor mesh-local (RLOC/ALOC/ML-EID). */
  private async hasGlobal(addrs?: string[]): Promise<boolean> {
    const list = addrs ?? (await this.ipAddresses());
    let ml: string | undefined;
    try {
      const m = (await this.cli.command('dataset active')).find((l) => l.startsWith('Mesh Local Prefix:'));
      ml = m?.split(': ')[1]?.replace(/::\/64$/, '');
    } catch {
      /* no dataset */
    }
    return list.some((a) => !a.startsWith('fe80') && !(ml && a.startsWith(ml)) && !/^fd/i.test(a));
  }

  private async observe(role: Role): Promise<void> {
    if (role === this.role) return;
    const before = this.role;
    this.role = role;
    const up = (r: Role) => r === 'child' || r === 'router' || r === 'leader';
    if (up(role) && !up(before)) {
      const global = await this.hasGlobal();
      this.emit(global ? 'MESH_CONNECTED_GLOBAL' : 'MESH_CONNECTED_LOCAL', global ? 'GLOBAL_UP' : 'LOCAL_UP');
    } else if (!up(role) && up(before)) {
      // Lost the partition: the stack starts over, as Nanostack re-bootstraps.
      if (role === 'detached') this.emit('MESH_BOOTSTRAP_STARTED', 'CONNECTING');
      else this.emit('MESH_DISCONNECTED', 'DISCONNECTED');
    }
  }

  private startPolling(): void {
    this.stopPolling();
    const tick = async () => {
      if (this.polling || !this.connected) return;
      this.polling = true;
      try {
        const role = (await this.cli.command('state'))[0] as Role | undefined;
        if (role && this.connected) await this.observe(role);
      } catch {
        /* a reset or a gone port: the next call says so */
      } finally {
        this.polling = false;
      }
    };
    this.poll = setInterval(() => void tick(), this.opts.pollMs ?? 100);
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }

  async status(): Promise<BoardStatus> {
    const role = ((await this.cli.command('state'))[0] ?? 'disabled') as Role;
    if (this.connected) await this.observe(role);
    const details: Record<string, string> = { role, stack: 'thread' };
    if (role !== 'disabled') {
      details.rloc16 = `0x${(await this.cli.command('rloc16'))[0] ?? ''}`;
      const ds = await this.cli.command('dataset active').catch(() => [] as string[]);
      for (const l of ds) {
        const [k, v] = l.split(': ');
        if (k === 'Channel') details.channel = v ?? '';
        if (k === 'PAN ID') details.panid = v ?? '';
      }
      if (role !== 'detached') details.partition = (await this.cli.command('partitionid'))[0] ?? '';
    }
    const status = role === 'disabled' ? 'DISCONNECTED' : role === 'detached' ? 'CONNECTING' : this.meshStatus === 'GLOBAL_UP' ? 'GLOBAL_UP' : 'LOCAL_UP';
    return { status, details };
  }

  ipAddresses(): Promise<string[]> {
    return this.cli.command('ipaddr');
  }

  async softReset(): Promise<void> {
    this.stopPolling();
    await this.cli.silent('reset');
    const version = await this.cli.resync();
    // After reset: disabled, interface down, dataset kept, no autostart (reference §3.2);
    // the UDP socket and multicast groups live in RAM and are gone.
    this.sockets.forget();
    const was = this.connected;
    this.connected = false;
    this.role = 'disabled';
    if (was) this.emit('MESH_DISCONNECTED', 'DISCONNECTED', false);
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
    return Promise.resolve(this.sockets.stats(socket));
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
  }

  // --- Beyond the board API.

  /** `ping async`: resolves with the statistics line's counts (the CLI stays free meanwhile). */
  ping(ip: string, opts: { size?: number; count?: number; withinMs?: number } = {}): Promise<{ sent: number; received: number }> {
    return new Promise((resolve, reject) => {
      const stop = this.cli.onAsync((line) => {
        const m = /^(\d+) packets transmitted, (\d+) packets received\./.exec(line);
        if (!m) return;
        finish();
        resolve({ sent: Number(m[1]), received: Number(m[2]) });
      });
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`ping ${ip}: no statistics line within ${opts.withinMs ?? 10_000} ms`));
      }, opts.withinMs ?? 10_000);
      const finish = () => {
        clearTimeout(timer);
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
