// Thread's EID-to-RLOC16 map, shaped as OpenThread's address_resolver.cpp keeps it.
// An entry is cached (learnt from an Address Notification), in query (an Address
// Query `a/aq` is out, datagrams wait for ADDRESS_QUERY_TIMEOUT) or in retry-query
// (the query went unanswered: datagrams to the EID are dropped until the retry
// delay passes; the delay starts at 15 s and doubles up to 8 h). A notification
// that comes late, once its entry waits to retry, still fills it.
//
// Duplicate addresses: two notifications for one EID naming different ML-IIDs
// mean two nodes claim it, and the querier multicasts an Address Error
// Notification (`a/ae`) naming the second; a node owning the EID under another
// ML-IID drops the address, and a parent drops it from its children's and tells
// the child (Thread 1.1 §5.4.2; OpenThread HandleAddressNotification / HandleAddressError).
import type { Micros, Timer, Timers } from '../runtime.ts';
import { after, SECOND } from '../runtime.ts';
import { bytesEqual, toHex } from '../wire/bytes.ts';
import { ipv6, isMulticast, type Ipv6Address } from '../wire/ipv6-address.ts';
import type { UdpReceive } from './link.ts';
import { ADDRESS_ERROR_URI, ADDRESS_NOTIFY_URI, ADDRESS_QUERY_URI, ADDRESS_TLVS, CoapCode, emitAddressTlvs, parseAddressTlvs, type CoapMessage } from './tmf.ts';
import type { TmfAgent, TmfAnswer } from './tmf-agent.ts';

/** OpenThread config/tmf.h: OPENTHREAD_CONFIG_TMF_ADDRESS_QUERY_TIMEOUT (3 s), _INITIAL_RETRY_DELAY (15 s), _MAX_RETRY_DELAY (28800 s). */
export const ADDRESS_QUERY_TIMEOUT: Micros = 3 * SECOND;
export const ADDRESS_QUERY_INITIAL_RETRY_DELAY: Micros = 15 * SECOND;
export const ADDRESS_QUERY_MAX_RETRY_DELAY: Micros = 28_800 * SECOND;

const REALM_ALL_ROUTERS = ipv6('ff03::2');

/** A child's claim on an address, as its parent answers for it. */
export interface ChildClaim {
  rloc16: number;
  mlIid: Uint8Array;
  /** Bench time the parent last heard the child (Last Transaction Time). */
  lastHeard: Micros;
}

/** What the resolver needs from the node it serves. */
export interface ResolverHost {
  /** Our RLOC address (TMF's source), undefined while detached. */
  rlocAddress(): Ipv6Address | undefined;
  rloc16(): number | undefined;
  /** Our ML-EID's interface identifier. */
  mlIid(): Uint8Array;
  /** Whether we hear Address Queries: routers and full-device children (minimal children's parents answer for them). */
  answersQueries(): boolean;
  /** An address of ours another node may also claim (the ML-EID, SLAAC globals). */
  ownsAddress(a: Ipv6Address): boolean;
  /** A router's minimal child that registered `a` (a parent answers for its MTD children). */
  childClaiming(a: Ipv6Address): ChildClaim | undefined;
  /** Address Error: another node holds `a` and keeps it; we stop using it. */
  dropOwnAddress(a: Ipv6Address): void;
  /** Address Error for a child's address: the parent forgets it for the child. */
  dropChildAddress(childRloc16: number, a: Ipv6Address): void;
}

export interface ResolverCounters {
  addressQueries: number;
  /** Sends dropped at once because the EID's query failed and its retry delay runs. */
  droppedInRetry: number;
  notificationsSent: number;
  notificationsLearnt: number;
  addressErrorsSent: number;
  addressErrorsReceived: number;
}

interface QueryEntry {
  state: 'query';
  retryDelay: Micros;
  waiters: Array<(rloc16: number | undefined) => void>;
  timer: Timer;
}
type Entry = { state: 'cached'; rloc16: number; mlIid?: Uint8Array; lastTransactionS?: number } | QueryEntry | { state: 'retry'; retryDelay: Micros; until: Micros };

export class AddressResolver {
  readonly counters: ResolverCounters = { addressQueries: 0, droppedInRetry: 0, notificationsSent: 0, notificationsLearnt: 0, addressErrorsSent: 0, addressErrorsReceived: 0 };
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly host: ResolverHost,
    private readonly tmf: TmfAgent,
    private readonly timers: Timers,
  ) {
    tmf.handle(ADDRESS_QUERY_URI, (m, rx) => this.handleQuery(m, rx));
    tmf.handle(ADDRESS_NOTIFY_URI, (m) => this.handleNotification(m));
    tmf.handle(ADDRESS_ERROR_URI, (m, rx) => this.handleError(m, rx));
  }

  /** The cached RLOC16 of `eid`, if any (no query). */
  lookup(eid: Ipv6Address): number | undefined {
    const e = this.entries.get(toHex(eid));
    return e?.state === 'cached' ? e.rloc16 : undefined;
  }

  /** The state of `eid`'s entry (tests, status). */
  stateOf(eid: Ipv6Address): Entry['state'] | undefined {
    return this.entries.get(toHex(eid))?.state;
  }

  /**
   * Resolves `eid`: at once from the cache; by an Address Query (answered within
   * ADDRESS_QUERY_TIMEOUT or not at all); or not, while a failed query's retry delay runs.
   */
  query(eid: Ipv6Address, answered: (rloc16: number | undefined) => void): void {
    const src = this.host.rlocAddress();
    if (!src) return answered(undefined);
    const key = toHex(eid);
    const e = this.entries.get(key);
    if (e?.state === 'cached') return answered(e.rloc16);
    if (e?.state === 'query') {
      e.waiters.push(answered);
      return;
    }
    if (e?.state === 'retry' && this.timers.now() < e.until) {
      this.counters.droppedInRetry++;
      return answered(undefined);
    }
    const retryDelay = e?.state === 'retry' ? e.retryDelay : ADDRESS_QUERY_INITIAL_RETRY_DELAY;
    const q: QueryEntry = { state: 'query', retryDelay, waiters: [answered], timer: after(this.timers, ADDRESS_QUERY_TIMEOUT, () => this.queryTimedOut(key, q)) };
    this.entries.set(key, q);
    this.counters.addressQueries++;
    this.tmf.post({ src, dst: REALM_ALL_ROUTERS, uri: ADDRESS_QUERY_URI, payload: emitAddressTlvs({ unknown: [{ code: ADDRESS_TLVS.targetEid, value: eid }] }), confirmable: false });
  }

  /** Forgets `eid`'s cached RLOC16 (a router answered a datagram sent there with no route); the next send queries again. */
  forget(eid: Ipv6Address): void {
    const key = toHex(eid);
    if (this.entries.get(key)?.state === 'cached') this.entries.delete(key);
  }

  /** Forgets entries pointing at router `routerId` or its children (its ID was released). */
  forgetRouter(routerId: number): void {
    for (const [k, e] of this.entries) if (e.state === 'cached' && e.rloc16 >> 10 === routerId) this.entries.delete(k);
  }

  /** Forgets everything (we left the partition: RLOC16s are its own); waiting datagrams fail. */
  clear(): void {
    const waiting: Array<(rloc16: number | undefined) => void> = [];
    for (const e of this.entries.values()) {
      if (e.state !== 'query') continue;
      e.timer.cancel();
      waiting.push(...e.waiters);
    }
    this.entries.clear();
    for (const w of waiting) w(undefined);
  }

  private queryTimedOut(key: string, q: QueryEntry): void {
    if (this.entries.get(key) !== q) return;
    // OpenThread HandleTimeTick: wait the retry delay, and double it for the next failure.
    this.entries.set(key, { state: 'retry', until: this.timers.now() + q.retryDelay, retryDelay: Math.min(q.retryDelay * 2, ADDRESS_QUERY_MAX_RETRY_DELAY) });
    for (const w of q.waiters) w(undefined);
  }

  /** a/aq: answer for an address of ours or of a minimal child, to the querier's RLOC. */
  private handleQuery(m: CoapMessage, rx: UdpReceive): TmfAnswer | undefined {
    if (m.type !== 'nonConfirmable') return undefined;
    const target = targetOf(m.payload);
    const rloc16 = this.host.rloc16();
    const src = this.host.rlocAddress();
    if (!target || rloc16 === undefined || !src || !this.host.answersQueries()) return undefined;
    if (this.host.ownsAddress(target)) {
      this.notify(src, rx.src, target, rloc16, this.host.mlIid(), undefined);
      return undefined;
    }
    const child = this.host.childClaiming(target);
    if (child) this.notify(src, rx.src, target, child.rloc16, child.mlIid, Math.floor((this.timers.now() - child.lastHeard) / SECOND));
    return undefined;
  }

  private notify(src: Ipv6Address, dst: Ipv6Address, target: Ipv6Address, rloc16: number, mlIid: Uint8Array, lastTransactionS: number | undefined): void {
    this.counters.notificationsSent++;
    const unknown = [
      { code: ADDRESS_TLVS.targetEid, value: target },
      { code: ADDRESS_TLVS.mlEid, value: mlIid },
      ...(lastTransactionS !== undefined ? [{ code: ADDRESS_TLVS.lastTransactionTime, value: u32(lastTransactionS) }] : []),
    ];
    this.tmf.post({ src, dst, uri: ADDRESS_NOTIFY_URI, payload: emitAddressTlvs({ rloc16, unknown }), confirmable: true });
  }

  /** a/an: fills the entry of a query of ours (late or not); a second owner of a cached EID gets an Address Error. */
  private handleNotification(m: CoapMessage): TmfAnswer | undefined {
    if (m.type !== 'confirmable') return undefined;
    const parsed = parseAddressTlvs(m.payload);
    if (!parsed.ok) return undefined;
    const t = parsed.value;
    const target = tlv(t.unknown, ADDRESS_TLVS.targetEid, 16);
    const mlIid = tlv(t.unknown, ADDRESS_TLVS.mlEid, 8);
    const ltt = tlv(t.unknown, ADDRESS_TLVS.lastTransactionTime, 4);
    if (!target || !mlIid || t.rloc16 === undefined) return undefined;
    const lastTransactionS = ltt ? new DataView(ltt.buffer, ltt.byteOffset, 4).getUint32(0) : 0;
    const key = toHex(target);
    const e = this.entries.get(key);
    // Not asked for: OpenThread neither learns nor acknowledges it.
    if (!e) return undefined;
    if (e.state === 'cached' && e.lastTransactionS !== undefined && e.mlIid) {
      if (!bytesEqual(e.mlIid, mlIid)) {
        this.sendAddressError(target, mlIid, undefined);
        return undefined;
      }
      // The same owner again: only a more recent contact (a smaller Last Transaction Time) moves it.
      if (!(lastTransactionS < e.lastTransactionS)) return undefined;
    }
    this.entries.set(key, { state: 'cached', rloc16: t.rloc16, mlIid, lastTransactionS });
    this.counters.notificationsLearnt++;
    if (e.state === 'query') {
      e.timer.cancel();
      for (const w of e.waiters) w(t.rloc16);
    }
    return { code: CoapCode.changed };
  }

  private sendAddressError(target: Ipv6Address, mlIid: Uint8Array, to: Ipv6Address | undefined): void {
    const src = this.host.rlocAddress();
    if (!src) return;
    this.counters.addressErrorsSent++;
    const payload = emitAddressTlvs({ unknown: [{ code: ADDRESS_TLVS.targetEid, value: target }, { code: ADDRESS_TLVS.mlEid, value: mlIid }] });
    // Multicast to the routers (non-confirmable), or confirmable to one child (OpenThread SendAddressError).
    this.tmf.post({ src, dst: to ?? REALM_ALL_ROUTERS, uri: ADDRESS_ERROR_URI, payload, confirmable: to !== undefined });
  }

  /** a/ae: the named ML-IID keeps `target`; an owner under another ML-IID lets it go. */
  private handleError(m: CoapMessage, rx: UdpReceive): TmfAnswer | undefined {
    const parsed = parseAddressTlvs(m.payload);
    const target = parsed.ok ? tlv(parsed.value.unknown, ADDRESS_TLVS.targetEid, 16) : undefined;
    const mlIid = parsed.ok ? tlv(parsed.value.unknown, ADDRESS_TLVS.mlEid, 8) : undefined;
    const ack = m.type === 'confirmable' && !isMulticast(rx.dst) ? { code: CoapCode.changed } : undefined;
    if (!target || !mlIid) return ack;
    this.counters.addressErrorsReceived++;
    if (this.host.ownsAddress(target)) {
      if (!bytesEqual(this.host.mlIid(), mlIid)) this.host.dropOwnAddress(target);
      return ack;
    }
    const child = this.host.childClaiming(target);
    if (child && !bytesEqual(child.mlIid, mlIid)) {
      this.host.dropChildAddress(child.rloc16, target);
      const childAddress = this.host.rlocAddress()?.slice();
      if (childAddress) {
        childAddress[14] = child.rloc16 >> 8;
        childAddress[15] = child.rloc16 & 0xff;
        this.sendAddressError(target, mlIid, childAddress);
      }
    }
    return ack;
  }
}

function tlv(unknown: Array<{ code: number; value: Uint8Array }>, code: number, length: number): Uint8Array | undefined {
  const v = unknown.find((u) => u.code === code)?.value;
  return v && v.length === length ? v : undefined;
}

function targetOf(payload: Uint8Array): Ipv6Address | undefined {
  const p = parseAddressTlvs(payload);
  return p.ok ? tlv(p.value.unknown, ADDRESS_TLVS.targetEid, 16) : undefined;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, Math.min(n, 0xffffffff) >>> 0);
  return b;
}
