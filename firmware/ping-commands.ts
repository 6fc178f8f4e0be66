// The agent's `ping` (docs/agent-protocol.md "Ping"): ICMPv6 Echo Requests sent and their
// replies timed by this board alone, so a round trip needs no time base shared with any
// other board (a lab's boards each keep their own clock). The echo data is a generated
// payload carrying the send time on this board's clock; the replier returns it as it was
// (RFC 4443 §4.2), so each reply's round trip is now − that time.
import type { Args } from '../protocol/agent.ts';
import { Nsapi } from '../protocol/mesh.ts';
import type { EchoReplyReceived } from '../stack/net/datagram.ts';
import { DEFAULT_HOP_LIMIT } from '../stack/net/datagram.ts';
import { parseIpv6Address } from '../stack/wire/ipv6-address.ts';
import { AgentError, intArg, onlyKeys, type Handler } from './agent-error.ts';
import { emitGeneratedPayload, GENERATED_HEADER_LENGTH, parseGeneratedPayload } from './generated-payload.ts';
import type { AppHost } from './udp-commands.ts';

/** Largest echo data: what fits the IPv6 minimum MTU (1280 − 40 − 4 − 4). */
const MAX_ECHO_DATA = 1232;
/** How long after the last request a reply still counts (OpenThread's ping default timeout, 3 s: cli_ping / ping_sender.hpp kDefaultTimeout). */
const DEFAULT_TIMEOUT_US = 3_000_000;

interface Session {
  identifier: number;
  count: number;
  sent: number;
  rtts: number[];
  maxHops: number;
  seen: Set<number>;
}

/** Nearest-rank percentile of sorted samples; -1 without samples. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return -1;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export class PingCommands {
  private session: Session | undefined;
  private nextIdentifier = 1;
  private listening = false;

  constructor(private readonly host: AppHost) {}

  handlers(): Record<string, Handler> {
    return { ping: (a) => this.ping(a) };
  }

  private ping(args: Args): Args {
    onlyKeys(args, ['addr', 'len', 'count', 'interval_us', 'hop_limit', 'timeout_us']);
    if (args.addr === undefined) throw new AgentError('E_BAD_ARGUMENT', 'addr: missing');
    const dst = parseIpv6Address(args.addr);
    if (!dst.ok) throw new AgentError('E_BAD_ARGUMENT', `addr: not an IPv6 address (${dst.error.message})`);
    const length = intArg(args, 'len', GENERATED_HEADER_LENGTH, MAX_ECHO_DATA, 32);
    const count = intArg(args, 'count', 1, 10_000, 1);
    const intervalUs = intArg(args, 'interval_us', 1_000, 3_600_000_000, 1_000_000);
    const hopLimit = intArg(args, 'hop_limit', 1, 255, DEFAULT_HOP_LIMIT);
    const timeoutUs = intArg(args, 'timeout_us', 1_000, 60_000_000, DEFAULT_TIMEOUT_US);
    if (this.session) throw new AgentError('E_BUSY', 'a ping is still running');
    const mesh = this.host.mesh();
    if (!this.listening) {
      mesh.onEchoReply((r) => this.reply(r));
      this.listening = true;
    }
    const session: Session = { identifier: this.nextIdentifier, count, sent: 0, rtts: [], maxHops: -1, seen: new Set() };
    this.nextIdentifier = (this.nextIdentifier % 0xffff) + 1;
    // The first request decides the answer, as a sendto() would.
    const first = mesh.echoRequest(dst.value, session.identifier, 0, emitGeneratedPayload(0, this.host.clock(), length), hopLimit);
    if (first !== Nsapi.OK) return { result: String(first) };
    session.sent = 1;
    this.session = session;
    const timers = this.host.timers;
    const start = timers.now();
    for (let seq = 1; seq < count; seq++) {
      timers.at(start + seq * intervalUs, () => {
        if (this.session !== session) return;
        if (mesh.echoRequest(dst.value, session.identifier, seq, emitGeneratedPayload(seq, this.host.clock(), length), hopLimit) === Nsapi.OK) session.sent++;
      });
    }
    timers.at(start + (count - 1) * intervalUs + timeoutUs, () => this.finish(session));
    return { result: '0' };
  }

  private reply(r: EchoReplyReceived): void {
    const s = this.session;
    if (!s || r.identifier !== s.identifier || s.seen.has(r.sequence)) return;
    const g = parseGeneratedPayload(r.data);
    if (!g || g.sequence !== r.sequence) return;
    s.seen.add(r.sequence);
    s.rtts.push(this.host.clock() - g.sentAtUs);
    s.maxHops = Math.max(s.maxHops, r.hops);
    if (s.seen.size === s.count) this.finish(s);
  }

  private finish(s: Session): void {
    if (this.session !== s) return;
    this.session = undefined;
    const sorted = s.rtts.slice().sort((a, b) => a - b);
    this.host.event('ping', {
      sent: String(s.sent),
      received: String(s.rtts.length),
      rtt_min_us: String(sorted[0] ?? -1),
      rtt_p50_us: String(percentile(sorted, 50)),
      rtt_p99_us: String(percentile(sorted, 99)),
      rtt_max_us: String(sorted[sorted.length - 1] ?? -1),
      max_hops: String(s.maxHops),
    });
  }
}
