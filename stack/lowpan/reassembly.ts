// Reassembly of FRAG1/FRAGN fragments (RFC 4944 §5.3): one buffer per (link source, link
// destination, datagram_size, datagram_tag), discarded if not complete within the
// reassembly timeout (Nanostack's 5 s; the RFC allows up to 60 s). FRAG1's compressed headers are decompressed on
// arrival, since they fix where the rest of its bytes land in the datagram.
import { SECOND, after, type Micros, type Timer, type Timers } from '../runtime.ts';
import { toHex } from '../wire/bytes.ts';
import { completeDatagram, decompressHeaders, type DecompressedHeaders, type LowpanContext } from '../wire/iphc.ts';
import type { LinkAddress } from '../wire/ipv6-address.ts';
import type { FragHeader } from '../wire/sixlowpan.ts';

/**
 * RFC 4944 §5.3 allows "at most 60 seconds"; Nanostack, which both Mbed mesh
 * stacks run on, keeps 8 sessions of 5 s (protocol_core.c:
 * reassembly_interface_init(id, 8, 5)). A datagram whose last fragment was lost
 * must not hold a buffer for a minute: under load the buffers fill and every
 * new datagram is dropped until they expire.
 */
export const REASSEMBLY_TIMEOUT: Micros = 5 * SECOND;
export const REASSEMBLY_SESSIONS = 8;

export interface ReassemblerOptions {
  timers: Timers;
  timeout?: Micros;
  /** The current context table, read when a FRAG1 arrives. */
  contexts?: () => readonly LowpanContext[];
  /** Buffers kept at once; a new datagram beyond this evicts the oldest. */
  maxBuffers?: number;
  onDatagram(datagram: Uint8Array, src: LinkAddress, dst: LinkAddress): void;
}

export interface ReassemblyCounters {
  completed: number;
  timeouts: number;
  duplicates: number;
  /** Buffers dropped because a fragment overlapped another inconsistently. */
  overlaps: number;
  /** Fragments dropped: out of bounds, undecodable first fragment. */
  dropped: number;
  /** Incomplete datagrams given up to make room for a new one. */
  evicted: number;
}

interface Buffer {
  data: Uint8Array;
  /** Byte ranges [start, end) received, in uncompressed datagram offsets. */
  ranges: [number, number][];
  received: number;
  udp: DecompressedHeaders['udp'];
  timer: Timer;
  src: LinkAddress;
  dst: LinkAddress;
}

function linkKey(a: LinkAddress): string {
  return a.mode === 'short' ? `s${a.short.toString(16)}` : `e${toHex(a.ext)}`;
}

export class Reassembler {
  readonly counters: ReassemblyCounters = { completed: 0, timeouts: 0, duplicates: 0, overlaps: 0, dropped: 0, evicted: 0 };
  private readonly buffers = new Map<string, Buffer>();

  constructor(private readonly opts: ReassemblerOptions) {}

  /** Datagrams being reassembled. */
  get pending(): number {
    return this.buffers.size;
  }

  /** Takes one fragment: its header and the bytes after it; `src`/`dst` are the link (or mesh) addresses. */
  handle(frag: FragHeader, rest: Uint8Array, src: LinkAddress, dst: LinkAddress): void {
    const size = frag.datagramSize;
    const key = `${linkKey(src)}|${linkKey(dst)}|${size}|${frag.datagramTag}`;

    let start: number;
    let bytes: Uint8Array;
    let udp: DecompressedHeaders['udp'];
    if (frag.kind === 'frag1') {
      const d = decompressHeaders(rest, { src, dst, contexts: this.opts.contexts?.() ?? [], datagramSize: size });
      if (!d.ok) {
        this.counters.dropped++;
        return;
      }
      const tail = rest.subarray(d.value.consumed);
      bytes = new Uint8Array(d.value.headers.length + tail.length);
      bytes.set(d.value.headers);
      bytes.set(tail, d.value.headers.length);
      start = 0;
      udp = d.value.udp;
    } else {
      start = frag.datagramOffset * 8;
      bytes = rest;
    }
    const end = start + bytes.length;
    if (end > size || bytes.length === 0) {
      this.counters.dropped++;
      return;
    }

    let buf = this.buffers.get(key);
    if (buf) {
      const same = buf.ranges.some(([s, e]) => s === start && e === end);
      if (same) {
        this.counters.duplicates++;
        return;
      }
      if (buf.ranges.some(([s, e]) => start < e && s < end)) {
        // An inconsistent overlap means the tag came round to a new datagram: start over with this fragment.
        this.counters.overlaps++;
        this.discard(key, buf);
        buf = undefined;
      }
    }
    if (!buf) {
      if (this.buffers.size >= (this.opts.maxBuffers ?? REASSEMBLY_SESSIONS)) {
        // Full: the oldest incomplete datagram gives way (as RIOT's reassembly buffer does
        // by default). Refusing the new one instead lets datagrams that lost a fragment
        // starve every later one until they time out.
        const [oldestKey, oldest] = this.buffers.entries().next().value!;
        this.discard(oldestKey, oldest);
        this.counters.evicted++;
      }
      const timer = after(this.opts.timers, this.opts.timeout ?? REASSEMBLY_TIMEOUT, () => {
        this.buffers.delete(key);
        this.counters.timeouts++;
      });
      buf = { data: new Uint8Array(size), ranges: [], received: 0, udp: undefined, timer, src, dst };
      this.buffers.set(key, buf);
    }
    buf.data.set(bytes, start);
    buf.ranges.push([start, end]);
    buf.received += bytes.length;
    if (udp) buf.udp = udp;
    if (buf.received === size) {
      this.discard(key, buf);
      completeDatagram(buf.data, buf.udp);
      this.counters.completed++;
      this.opts.onDatagram(buf.data, buf.src, buf.dst);
    }
  }

  private discard(key: string, buf: Buffer): void {
    buf.timer.cancel();
    this.buffers.delete(key);
  }
}
