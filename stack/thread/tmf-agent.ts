// The Thread Management Framework's CoAP endpoint (what OpenThread's Tmf::Agent is
// over its coap.cpp): resources by URI path on UDP 61631, and requests whose
// confirmable copies are retransmitted until acknowledged (RFC 7252 §4.2):
// the first wait is random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR], it
// doubles at each of at most MAX_RETRANSMIT retransmissions, and a request never
// acknowledged fails. A datagram the network could not send (no route yet) is
// simply sent again at the next timeout. On the receiving side a confirmable
// request seen before (same peer, same message ID) is answered again with the
// acknowledgement it got, never handled twice (§4.5).
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import { after, SECOND } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import { ipv6Equal, isMulticast, type Ipv6Address } from '../wire/ipv6-address.ts';
import type { ThreadNetwork, UdpReceive } from './link.ts';
import { CoapCode, emitCoap, parseCoap, TMF_UDP_PORT, uriPathOf, uriPathOptions, type CoapMessage } from './tmf.ts';

/** RFC 7252 §4.8 transmission parameters; OpenThread's defaults are the same (coap.hpp kDefaultAckTimeout 2000 ms, 3/2, 4). */
export const ACK_TIMEOUT: Micros = 2 * SECOND;
export const ACK_RANDOM_FACTOR = 1.5;
export const MAX_RETRANSMIT = 4;
/** RFC 7252 §4.8.2: MAX_TRANSMIT_SPAN 45 s + 2 × MAX_LATENCY 100 s + PROCESSING_DELAY 2 s. */
export const EXCHANGE_LIFETIME: Micros = 247 * SECOND;
/** RFC 7252 §4.8.2: MAX_TRANSMIT_SPAN + MAX_LATENCY, how long a non-confirmable message ID is remembered. */
export const NON_LIFETIME: Micros = 145 * SECOND;
/** Hop limit of TMF datagrams (OpenThread Ip6 kDefaultHopLimit). */
export const TMF_HOP_LIMIT = 64;
/** Remembered requests: memory, not protocol (OpenThread's response cache is bounded by its message pool). */
const MAX_REMEMBERED = 64;

/** What a resource answers a confirmable request with, piggybacked in the ACK (RFC 7252 §5.2.1). */
export interface TmfAnswer {
  code: number;
  payload?: Uint8Array;
}

/** A resource: undefined means "not for us now" (no ACK; a confirmable sender will try again). */
export type TmfHandler = (request: CoapMessage, rx: UdpReceive) => TmfAnswer | undefined;

export interface TmfCounters {
  requestsSent: number;
  retransmissions: number;
  /** Confirmable requests never acknowledged after MAX_RETRANSMIT retransmissions. */
  requestsTimedOut: number;
  /** Duplicate requests answered from the remembered acknowledgement (or dropped when non-confirmable). */
  duplicatesAnswered: number;
}

export interface TmfPost {
  src: Ipv6Address;
  dst: Ipv6Address;
  uri: string;
  payload: Uint8Array;
  confirmable: boolean;
  /** Confirmable only: the ACK (with its piggybacked answer), or undefined after the last retransmission went unanswered. */
  answered?: (ack: CoapMessage | undefined) => void;
}

export interface TmfExchange {
  /** Stops retransmitting; `answered` is not called. */
  cancel(): void;
}

interface Outstanding {
  messageId: number;
  token: Uint8Array;
  dst: Ipv6Address;
  bytes: Uint8Array;
  src: Ipv6Address;
  retransmissions: number;
  timeout: Micros;
  timer: Timer;
  answered?: (ack: CoapMessage | undefined) => void;
}

interface Remembered {
  at: Micros;
  lifetime: Micros;
  /** The acknowledgement sent, for a confirmable request. */
  ack?: { bytes: Uint8Array; src: Ipv6Address };
}

export class TmfAgent {
  readonly counters: TmfCounters = { requestsSent: 0, retransmissions: 0, requestsTimedOut: 0, duplicatesAnswered: 0 };
  private readonly resources = new Map<string, TmfHandler>();
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly remembered = new Map<string, Remembered>();
  private messageId: number;

  constructor(
    private readonly net: ThreadNetwork,
    private readonly timers: Timers,
    private readonly rng: Rng,
  ) {
    // RFC 7252 §4.4: the first message ID is randomized.
    this.messageId = rng.int(0x10000);
  }

  handle(uri: string, handler: TmfHandler): void {
    this.resources.set(uri, handler);
  }

  /** Requests in flight (confirmable ones not yet acknowledged). */
  get pending(): number {
    return this.outstanding.size;
  }

  post(p: TmfPost): TmfExchange {
    const messageId = this.nextMessageId();
    const token = Uint8Array.from({ length: 4 }, () => this.rng.int(256));
    const bytes = emitCoap({ type: p.confirmable ? 'confirmable' : 'nonConfirmable', code: CoapCode.post, messageId, token, options: uriPathOptions(p.uri), payload: p.payload });
    this.counters.requestsSent++;
    this.send(p.src, p.dst, bytes);
    if (!p.confirmable) return { cancel: () => undefined };
    const timeout = ACK_TIMEOUT + Math.floor(this.rng.next() * ACK_TIMEOUT * (ACK_RANDOM_FACTOR - 1));
    const o: Outstanding = { messageId, token, dst: p.dst, src: p.src, bytes, retransmissions: 0, timeout, timer: after(this.timers, timeout, () => this.expire(o)), ...(p.answered ? { answered: p.answered } : {}) };
    this.outstanding.set(messageId, o);
    return {
      cancel: () => {
        if (this.outstanding.get(messageId) !== o) return;
        o.timer.cancel();
        this.outstanding.delete(messageId);
      },
    };
  }

  /** Drops every request in flight and every remembered one (the node left its partition); no callback runs. */
  abortAll(): void {
    for (const o of this.outstanding.values()) o.timer.cancel();
    this.outstanding.clear();
    this.remembered.clear();
  }

  receive(rx: UdpReceive): void {
    const parsed = parseCoap(rx.payload);
    if (!parsed.ok) return;
    const m = parsed.value;
    if (m.type === 'acknowledgement' || m.type === 'reset') return this.acknowledged(m, rx);
    if (m.code === CoapCode.empty) {
      // A CoAP ping (empty confirmable) is answered with a Reset (RFC 7252 §4.3).
      if (m.type === 'confirmable') this.reply(rx, { type: 'reset', code: CoapCode.empty, messageId: m.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
      return;
    }
    // Responses (class 2-5) arrive piggybacked here; a separate response is not used by TMF.
    if (m.code >> 5 !== 0) return;
    this.prune();
    const key = `${toHex(rx.src)}/${rx.srcPort}/${m.messageId}`;
    const seen = this.remembered.get(key);
    if (seen) {
      this.counters.duplicatesAnswered++;
      if (seen.ack) this.send(seen.ack.src, rx.src, seen.ack.bytes, rx.srcPort);
      return;
    }
    const handler = this.resources.get(uriPathOf(m));
    const confirmable = m.type === 'confirmable';
    if (!handler) {
      // Unknown resource: 4.04 in the ACK, as OpenThread's CoAP server answers.
      if (confirmable && !isMulticast(rx.dst)) this.answer(m, rx, key, { code: CoapCode.notFound });
      return;
    }
    const answer = handler(m, rx);
    if (!confirmable) {
      this.remember(key, { at: this.timers.now(), lifetime: NON_LIFETIME });
      return;
    }
    // No answer: not remembered, so a retransmission is handled afresh (the node may be able to by then).
    if (answer && !isMulticast(rx.dst)) this.answer(m, rx, key, answer);
  }

  private answer(m: CoapMessage, rx: UdpReceive, key: string, a: TmfAnswer): void {
    const bytes = emitCoap({ type: 'acknowledgement', code: a.code, messageId: m.messageId, token: m.token, options: [], payload: a.payload ?? new Uint8Array(0) });
    this.remember(key, { at: this.timers.now(), lifetime: EXCHANGE_LIFETIME, ack: { bytes, src: rx.dst } });
    this.send(rx.dst, rx.src, bytes, rx.srcPort);
  }

  private acknowledged(m: CoapMessage, rx: UdpReceive): void {
    const o = this.outstanding.get(m.messageId);
    // RFC 7252 §4.2/§5.3.2: an ACK matches by message ID and peer; a piggybacked response also by token.
    if (!o || !ipv6Equal(o.dst, rx.src)) return;
    if (m.type === 'acknowledgement' && m.code !== CoapCode.empty && !bytesEqual(m.token, o.token)) return;
    o.timer.cancel();
    this.outstanding.delete(m.messageId);
    o.answered?.(m.type === 'reset' ? undefined : m);
  }

  private expire(o: Outstanding): void {
    if (this.outstanding.get(o.messageId) !== o) return;
    if (o.retransmissions >= MAX_RETRANSMIT) {
      this.outstanding.delete(o.messageId);
      this.counters.requestsTimedOut++;
      o.answered?.(undefined);
      return;
    }
    o.retransmissions++;
    o.timeout *= 2;
    this.counters.retransmissions++;
    this.send(o.src, o.dst, o.bytes);
    o.timer = after(this.timers, o.timeout, () => this.expire(o));
  }

  private reply(rx: UdpReceive, m: CoapMessage): void {
    this.send(rx.dst, rx.src, emitCoap(m), rx.srcPort);
  }

  private send(src: Ipv6Address, dst: Ipv6Address, payload: Uint8Array, dstPort = TMF_UDP_PORT): void {
    this.net.sendUdp({ src, dst, srcPort: TMF_UDP_PORT, dstPort, hopLimit: TMF_HOP_LIMIT, payload });
  }

  private nextMessageId(): number {
    // Skip IDs still in flight, so an ACK can only match its own request.
    do this.messageId = (this.messageId + 1) & 0xffff;
    while (this.outstanding.has(this.messageId));
    return this.messageId;
  }

  private remember(key: string, r: Remembered): void {
    this.remembered.set(key, r);
    while (this.remembered.size > MAX_REMEMBERED) {
      const oldest = this.remembered.keys().next().value;
      if (oldest === undefined) break;
      this.remembered.delete(oldest);
    }
  }

  private prune(): void {
    const now = this.timers.now();
    for (const [k, r] of this.remembered) if (now - r.at > r.lifetime) this.remembered.delete(k);
  }
}
