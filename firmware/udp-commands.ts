// The agent's UDP commands (docs/agent-protocol.md "UDP"): sockets on the mesh interface
// numbered by the agent, sends of given or generated payloads, bursts the board paces
// itself (so a lab measures goodput without the serial line in the loop), receive
// counters with hop counts and latencies, an event per datagram on request, and
// multicast group membership per socket.
import type { Args } from '../protocol/agent.ts';
import type { MeshInterface } from '../stack/mesh/mesh-interface.ts';
import type { MeshUdpSocket } from '../stack/mesh/udp-socket.ts';
import { Nsapi } from '../protocol/mesh.ts';
import type { ReceivedDatagram } from '../stack/net/datagram.ts';
import type { Timers } from '../stack/runtime.ts';
import { hex, toHex } from '../stack/wire/bytes.ts';
import { formatIpv6Address, isMulticast, parseIpv6Address, type Ipv6Address } from '../stack/wire/ipv6-address.ts';
import { AgentError, intArg, onlyKeys, type Handler } from './agent-error.ts';
import { emitGeneratedPayload, GENERATED_HEADER_LENGTH, parseGeneratedPayload } from './generated-payload.ts';

/** Sockets open at once (Nanostack's SOCKET_MAX, NS_INTERFACE_SOCKETS_MAX = 16 in NanostackInterface.cpp). */
export const MAX_OPEN_SOCKETS = 16;
/** Latency samples kept per socket for the percentiles; later datagrams still count otherwise. */
const MAX_LATENCY_SAMPLES = 65536;
/** Bytes of a received payload shown in a `udp` event. */
const HEAD_BYTES = 16;
/** Largest generated payload: anything longer is refused by the stack anyway (1280 − 40 − 8). */
const MAX_GENERATED = 65535;

export interface AppHost {
  readonly timers: Timers;
  /**
   * The board's own clock, µs (what `t` and payload stamps carry): its timers' time on a
   * simulated board, offset and drifting when the rig says so, as a lab board's crystal does.
   */
  clock(): number;
  /** The initialised mesh interface; throws E_STATE before mesh.init. */
  mesh(): MeshInterface;
  event(name: string, args: Args): void;
}

interface Burst {
  remaining: number;
  inFlight: number;
  sent: number;
  failed: number;
}

interface AgentSocket {
  id: number;
  socket: MeshUdpSocket;
  events: boolean;
  txSequence: number;
  rxPackets: number;
  rxBytes: number;
  rxFirstT: number;
  rxLastT: number;
  maxHops: number;
  latencies: number[];
  txPackets: number;
  txFailed: number;
  burst?: Burst;
}

/** Nearest-rank percentile of sorted samples; -1 without samples. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return -1;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export class UdpCommands {
  /** Every socket the agent opened, closed ones too (their counters stay readable); ids are never reused. */
  private readonly sockets = new Map<number, AgentSocket>();
  private nextId = 1;

  constructor(private readonly host: AppHost) {}

  handlers(): Record<string, Handler> {
    return {
      'udp.open': (a) => this.open(a),
      'udp.send': (a) => this.send(a),
      'udp.burst': (a) => this.burst(a),
      'udp.stats': (a) => this.stats(a),
      'udp.close': (a) => this.close(a),
      'udp.join': (a) => this.membership(a, 'join'),
      'udp.leave': (a) => this.membership(a, 'leave'),
    };
  }

  private open(args: Args): Args {
    onlyKeys(args, ['port', 'events']);
    const port = intArg(args, 'port', 0, 65535);
    const events = intArg(args, 'events', 0, 1, 0) === 1;
    const mesh = this.host.mesh();
    if ([...this.sockets.values()].filter((s) => s.socket.isOpen).length >= MAX_OPEN_SOCKETS) return { result: String(Nsapi.NO_MEMORY) };
    const id = this.nextId;
    const r = mesh.openUdp(port, (d) => this.received(id, d));
    if (!r.socket) return { result: String(r.result) };
    this.nextId++;
    this.sockets.set(id, {
      id,
      socket: r.socket,
      events,
      txSequence: 0,
      rxPackets: 0,
      rxBytes: 0,
      rxFirstT: -1,
      rxLastT: -1,
      maxHops: -1,
      latencies: [],
      txPackets: 0,
      txFailed: 0,
    });
    return { result: '0', socket: String(id), port: String(r.socket.port) };
  }

  private send(args: Args): Args {
    onlyKeys(args, ['socket', 'addr', 'port', 'data', 'len', 'hop_limit']);
    const s = this.socketArg(args);
    const dst = addressArg(args);
    const port = intArg(args, 'port', 1, 65535);
    const hopLimit = args.hop_limit === undefined ? undefined : intArg(args, 'hop_limit', 0, 255);
    if ((args.data === undefined) === (args.len === undefined)) throw new AgentError('E_BAD_ARGUMENT', 'data, len: give exactly one');
    if (args.data !== undefined && !/^([0-9a-fA-F]{2})*$/.test(args.data)) throw new AgentError('E_BAD_ARGUMENT', 'data: expected an even number of hex digits');
    const length = args.len === undefined ? undefined : intArg(args, 'len', GENERATED_HEADER_LENGTH, MAX_GENERATED);
    if (!s) return { result: String(Nsapi.NO_SOCKET) };
    const payload = length === undefined ? hex(args.data ?? '') : this.generated(s, length);
    return { result: String(this.transmit(s, dst, port, payload, hopLimit)) };
  }

  private burst(args: Args): Args {
    onlyKeys(args, ['socket', 'addr', 'port', 'len', 'count', 'interval_us']);
    const s = this.socketArg(args);
    const dst = addressArg(args);
    const port = intArg(args, 'port', 1, 65535);
    const length = intArg(args, 'len', GENERATED_HEADER_LENGTH, MAX_GENERATED);
    const count = intArg(args, 'count', 1, 1_000_000);
    const intervalUs = intArg(args, 'interval_us', 0, 3_600_000_000, 0);
    if (!s || !s.socket.isOpen) return { result: String(Nsapi.NO_SOCKET) };
    if (s.burst) throw new AgentError('E_BUSY', `socket ${s.id}: a burst is still running`);
    const burst: Burst = { remaining: count, inFlight: 0, sent: 0, failed: 0 };
    s.burst = burst;
    const timers = this.host.timers;
    const sendOne = (after: () => void): void => {
      burst.remaining--;
      burst.inFlight++;
      const r = this.transmit(s, dst, port, this.generated(s, length), undefined, (ok) => {
        if (ok) burst.sent++;
        else burst.failed++;
        burst.inFlight--;
        after();
      });
      if (r < 0) {
        burst.failed++;
        burst.inFlight--;
        timers.at(timers.now(), after); // next one at once, but not from inside this call
      }
    };
    const finishIfDone = (): void => {
      if (burst.remaining > 0 || burst.inFlight > 0 || s.burst !== burst) return;
      s.burst = undefined;
      this.host.event('udp.burst', { socket: String(s.id), sent: String(burst.sent), failed: String(burst.failed) });
    };
    if (intervalUs === 0) {
      // Back to back: the next datagram goes to the stack when the previous one has left the radio or failed.
      const next = (): void => {
        if (burst.remaining > 0) sendOne(next);
        else finishIfDone();
      };
      timers.at(timers.now(), next);
    } else {
      const start = timers.now();
      for (let i = 0; i < count; i++) timers.at(start + i * intervalUs, () => sendOne(finishIfDone));
    }
    return { result: '0' };
  }

  private stats(args: Args): Args {
    onlyKeys(args, ['socket']);
    const s = this.socketArg(args);
    if (!s) throw new AgentError('E_BAD_ARGUMENT', `socket: no socket ${args.socket}`);
    const sorted = s.latencies.slice().sort((a, b) => a - b);
    return {
      rx_packets: String(s.rxPackets),
      rx_bytes: String(s.rxBytes),
      rx_first_t: String(s.rxFirstT),
      rx_last_t: String(s.rxLastT),
      max_hops: String(s.maxHops),
      lat_p50_us: String(percentile(sorted, 50)),
      lat_p99_us: String(percentile(sorted, 99)),
      tx_packets: String(s.txPackets),
      tx_failed: String(s.txFailed),
    };
  }

  private close(args: Args): Args {
    onlyKeys(args, ['socket']);
    const s = this.socketArg(args);
    if (!s) return { result: String(Nsapi.NO_SOCKET) };
    return { result: String(s.socket.close()) };
  }

  /**
   * setsockopt(NSAPI_ADD_MEMBERSHIP / NSAPI_DROP_MEMBERSHIP): the socket's datagrams to
   * `group` are delivered from then on (or no more). NO_SOCKET for a socket that is not open,
   * PARAMETER for an address that is not multicast, a second join or a leave without a join.
   */
  private membership(args: Args, op: 'join' | 'leave'): Args {
    onlyKeys(args, ['socket', 'group']);
    const s = this.socketArg(args);
    if (args.group === undefined) throw new AgentError('E_BAD_ARGUMENT', 'group: missing');
    const g = parseIpv6Address(args.group);
    if (!g.ok) throw new AgentError('E_BAD_ARGUMENT', `group: not an IPv6 address (${g.error.message})`);
    if (!s || !s.socket.isOpen) return { result: String(Nsapi.NO_SOCKET) };
    if (!isMulticast(g.value)) return { result: String(Nsapi.PARAMETER) };
    return { result: String(op === 'join' ? s.socket.joinGroup(g.value) : s.socket.leaveGroup(g.value)) };
  }

  /** The socket named by `socket=`, undefined if the agent never opened it. */
  private socketArg(args: Args): AgentSocket | undefined {
    return this.sockets.get(intArg(args, 'socket', 1, 0x7fffffff));
  }

  private generated(s: AgentSocket, length: number): Uint8Array {
    return emitGeneratedPayload(s.txSequence++, this.host.clock(), length);
  }

  /** sendto() with the socket's counters: sent = handed to the stack; failed = refused, or lost before leaving the radio. */
  private transmit(s: AgentSocket, dst: Ipv6Address, port: number, payload: Uint8Array, hopLimit: number | undefined, done?: (ok: boolean) => void): number {
    const r = s.socket.sendTo(dst, port, payload, hopLimit === undefined ? {} : { hopLimit }, (ok) => {
      if (!ok) s.txFailed++;
      done?.(ok);
    });
    if (r >= 0) s.txPackets++;
    else s.txFailed++;
    return r;
  }

  private received(id: number, d: ReceivedDatagram): void {
    const s = this.sockets.get(id);
    if (!s) return;
    const now = this.host.clock();
    s.rxPackets++;
    s.rxBytes += d.payload.length;
    if (s.rxFirstT < 0) s.rxFirstT = now;
    s.rxLastT = now;
    s.maxHops = Math.max(s.maxHops, d.hops);
    const g = parseGeneratedPayload(d.payload);
    if (g && g.sentAtUs <= now && s.latencies.length < MAX_LATENCY_SAMPLES) s.latencies.push(now - g.sentAtUs);
    if (!s.events) return;
    this.host.event('udp', {
      socket: String(id),
      src: formatIpv6Address(d.src),
      sport: String(d.srcPort),
      len: String(d.payload.length),
      hops: String(d.hops),
      head: toHex(d.payload.subarray(0, HEAD_BYTES)),
    });
  }
}

function addressArg(args: Args): Ipv6Address {
  if (args.addr === undefined) throw new AgentError('E_BAD_ARGUMENT', 'addr: missing');
  const a = parseIpv6Address(args.addr);
  if (!a.ok) throw new AgentError('E_BAD_ARGUMENT', `addr: not an IPv6 address (${a.error.message})`);
  return a.value;
}
