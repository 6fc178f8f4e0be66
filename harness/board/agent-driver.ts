// The driver for firmware that speaks the agent protocol natively
// (meshbench's simulated firmware, or a lab's C++ agent).
import type { StackKind } from '../rig/schema.ts';
import type { AgentClient } from './agent-client.ts';
import type { MeshRouteView } from './hop-trace.ts';
import type { AppEvent, BoardDriver, BoardIdentity, BoardStatus, MeshEventRecord, PingRequest, Timed, UdpPayload, UdpStats } from './driver.ts';

function identityOf(args: Record<string, string>): BoardIdentity {
  return {
    firmware: args.firmware ?? 'unknown',
    version: args.version ?? 'unknown',
    protocol: args.protocol,
    eui64: args.eui64,
    stacks: (args.stacks ?? '').split(',').filter((s): s is StackKind => s === 'nd' || s === 'thread'),
    // Told by a firmware that knows its radio (our board on an RCP); any other value is no claim.
    ...(args.air === 'ieee802154' || args.air === 'no-airtime' ? { air: args.air } : {}),
  };
}

function int(args: Record<string, string>, key: string): number {
  const v = Number(args[key]);
  if (args[key] === undefined || !Number.isInteger(v)) throw new Error(`answer without an integer '${key}' (${JSON.stringify(args)})`);
  return v;
}

function appEventOf(name: 'udp' | 'udp.burst' | 'light' | 'ping', t: number, a: Record<string, string>): AppEvent {
  const n = (k: string): number => Number(a[k] ?? NaN);
  if (name === 'udp') return { kind: 'udp', t, socket: n('socket'), src: a.src ?? '', srcPort: n('sport'), length: n('len'), hops: n('hops'), head: a.head ?? '' };
  if (name === 'udp.burst') return { kind: 'udp.burst', t, socket: n('socket'), sent: n('sent'), failed: n('failed') };
  if (name === 'ping')
    return { kind: 'ping', t, sent: n('sent'), received: n('received'), rttMinUs: n('rtt_min_us'), rttP50Us: n('rtt_p50_us'), rttP99Us: n('rtt_p99_us'), rttMaxUs: n('rtt_max_us'), maxHops: n('max_hops') };
  return { kind: 'light', t, led: a.led === '1', from: a.from ?? '', hops: n('hops') };
}

/** `mesh.nexthop`'s answer (docs/agent-protocol.md "Routes"): `next=0x<rloc16>`, 0xfffe with no route. */
export function parseNextHopAnswer(args: Record<string, string>): number {
  const m = /^0x([0-9a-f]{4})$/i.exec(args.next ?? '');
  if (!m) throw new Error(`mesh.nexthop: answer without a 'next' RLOC16 (${JSON.stringify(args)})`);
  return parseInt(m[1]!, 16);
}

/** `mesh.status`'s `rloc16` (four hex digits, present while attached to a Thread partition); 0xfffe without one. */
export function rloc16OfStatus(details: Record<string, string>): number {
  return /^[0-9a-f]{4}$/i.test(details.rloc16 ?? '') ? parseInt(details.rloc16!, 16) : 0xfffe;
}

export class AgentDriver implements BoardDriver, MeshRouteView {
  readonly kind = 'agent';
  private readonly eventCbs: Array<(e: MeshEventRecord) => void> = [];
  private readonly bootCbs: Array<(i: Partial<BoardIdentity>) => void> = [];
  private readonly appCbs: Array<(e: AppEvent) => void> = [];

  constructor(readonly client: AgentClient) {
    client.listen({
      event: (e) => {
        if (e.name === 'mesh') {
          const rec: MeshEventRecord = { t: e.t, event: e.args.event ?? '?', status: e.args.status ?? '?', callback: e.args.callback === '1' };
          for (const cb of this.eventCbs) cb(rec);
        } else if (e.name === 'udp' || e.name === 'udp.burst' || e.name === 'light' || e.name === 'ping') {
          const app = appEventOf(e.name, e.t, e.args);
          for (const cb of this.appCbs) cb(app);
        } else if (e.name === 'boot') {
          for (const cb of this.bootCbs) cb(identityOf(e.args));
        }
      },
    });
  }

  async identify(): Promise<BoardIdentity> {
    return identityOf((await this.client.request('identify')).args);
  }

  private async result(command: string, args: Record<string, string> = {}): Promise<Timed<number>> {
    const r = await this.client.request(command, args);
    const value = Number(r.args.result);
    if (!Number.isInteger(value)) throw new Error(`${command}: answer without an integer result (${JSON.stringify(r.args)})`);
    return { value, t: r.t };
  }

  meshInit(stack: StackKind, config: Record<string, string>): Promise<Timed<number>> {
    return this.result('mesh.init', { stack, ...config });
  }
  async meshConfig(config: Record<string, string>): Promise<void> {
    await this.client.request('mesh.config', config);
  }
  connect(): Promise<Timed<number>> {
    return this.result('mesh.connect');
  }
  disconnect(): Promise<Timed<number>> {
    return this.result('mesh.disconnect');
  }
  async status(): Promise<BoardStatus> {
    const { args } = await this.client.request('mesh.status');
    const { status, t: _t, ...details } = args;
    return { status: status ?? 'unknown', details };
  }
  async ipAddresses(): Promise<string[]> {
    const { args } = await this.client.request('ip.addrs');
    return (args.addrs ?? '').split(',').filter((a) => a.length > 0);
  }
  async softReset(): Promise<void> {
    await this.client.request('reset');
  }
  onMeshEvent(cb: (e: MeshEventRecord) => void): void {
    this.eventCbs.push(cb);
  }
  async udpOpen(port: number, events: boolean): Promise<Timed<{ result: number; socket?: number }>> {
    const r = await this.client.request('udp.open', { port: String(port), events: events ? '1' : '0' });
    const result = int(r.args, 'result');
    return { value: { result, ...(r.args.socket !== undefined ? { socket: int(r.args, 'socket') } : {}) }, t: r.t };
  }
  udpSend(socket: number, addr: string, port: number, payload: UdpPayload, hopLimit?: number): Promise<Timed<number>> {
    const body: Record<string, string> = 'data' in payload ? { data: Buffer.from(payload.data).toString('hex') } : { len: String(payload.length) };
    return this.result('udp.send', { socket: String(socket), addr, port: String(port), ...body, ...(hopLimit !== undefined ? { hop_limit: String(hopLimit) } : {}) });
  }
  udpBurst(socket: number, addr: string, port: number, length: number, count: number, intervalUs = 0): Promise<Timed<number>> {
    return this.result('udp.burst', { socket: String(socket), addr, port: String(port), len: String(length), count: String(count), interval_us: String(intervalUs) });
  }
  async udpStats(socket: number): Promise<UdpStats> {
    const { args } = await this.client.request('udp.stats', { socket: String(socket) });
    return {
      rxPackets: int(args, 'rx_packets'),
      rxBytes: int(args, 'rx_bytes'),
      rxFirstT: int(args, 'rx_first_t'),
      rxLastT: int(args, 'rx_last_t'),
      maxHops: int(args, 'max_hops'),
      latP50Us: int(args, 'lat_p50_us'),
      latP99Us: int(args, 'lat_p99_us'),
      txPackets: int(args, 'tx_packets'),
      txFailed: int(args, 'tx_failed'),
    };
  }
  udpClose(socket: number): Promise<Timed<number>> {
    return this.result('udp.close', { socket: String(socket) });
  }
  async lightPress(): Promise<Timed<{ result: number; state: boolean }>> {
    const r = await this.client.request('light.press');
    return { value: { result: int(r.args, 'result'), state: r.args.state === '1' }, t: r.t };
  }
  async lightGet(): Promise<{ led: boolean; received: number; sent: number }> {
    const { args } = await this.client.request('light.get');
    return { led: args.led === '1', received: int(args, 'received'), sent: int(args, 'sent') };
  }
  onAppEvent(cb: (e: AppEvent) => void): void {
    this.appCbs.push(cb);
  }
  async boardTime(): Promise<number> {
    return (await this.client.request('noop')).t;
  }
  ping(addr: string, req: PingRequest): Promise<Timed<number>> {
    return this.result('ping', { addr, len: String(req.length), count: String(req.count), interval_us: String(req.intervalUs) });
  }
  // --- What the hop tracer asks (hop-trace.ts); a firmware without `mesh.nexthop` rejects it, and the tracer counts that as unknown.
  async rloc16(): Promise<number> {
    return rloc16OfStatus((await this.status()).details);
  }
  async nextHop(dest: number): Promise<number> {
    return parseNextHopAnswer((await this.client.request('mesh.nexthop', { dest: dest.toString(16).padStart(4, '0') })).args);
  }
  addresses(): Promise<string[]> {
    return this.ipAddresses();
  }
  onBoot(cb: (identity: Partial<BoardIdentity>) => void): void {
    this.bootCbs.push(cb);
  }
  close(): Promise<void> {
    return this.client.transport.close();
  }
}
