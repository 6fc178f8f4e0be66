// The 6LoWPAN adaptation layer (RFC 4944, RFC 6282) both stacks run between IPv6 and the
// MAC: a datagram goes out header-compressed with IPHC, fragmented when it does not fit a
// frame, behind a mesh header when the routing protocol asks for one; frames coming in are
// reassembled and decompressed, and those whose mesh header names another final
// destination are handed to the routing protocol to relay. What the stacks differ in
// (route-over or mesh-under, MAC security, which contexts) they supply: the link
// addresses, the mesh header, the room in a frame and the context table.
import { fragmentDatagram } from '../lowpan/fragment.ts';
import { Reassembler, type ReassemblyCounters } from '../lowpan/reassembly.ts';
import type { Timers } from '../runtime.ts';
import { FCS_LENGTH, MAX_PSDU_LENGTH } from '../wire/ieee802154.ts';
import { compressDatagram, decompressDatagram, type LowpanContext } from '../wire/iphc.ts';
import type { LinkAddress } from '../wire/ipv6-address.ts';
import { emitMeshHeader, meshHeaderLength, parseLowpanFrame, type MeshHeader } from '../wire/sixlowpan.ts';
import { ok, type Result } from '../wire/result.ts';

/** How a datagram came in: its (mesh or link) addresses, the frame that completed it, and its mesh header. */
export interface Arrival<M> {
  /** The originator's address: the mesh header's, else the last hop's link source. */
  src: LinkAddress;
  /** The final destination's address: the mesh header's, else the frame's link destination. */
  dst: LinkAddress;
  /** What the stack knew of the frame that completed the datagram (its last fragment). */
  frame: M;
  mesh: MeshHeader | undefined;
  /** Reassembled from fragments. */
  fragmented: boolean;
}

/**
 * What `receive` did with a frame: delivered a datagram, took a fragment, left it to the
 * routing protocol (a mesh header for another node), or dropped it: not a 6LoWPAN frame we
 * parse, or a datagram whose headers do not decompress (e.g. a context we do not hold).
 */
export type FrameVerdict = 'datagram' | 'fragment' | 'relayed' | 'malformed' | 'undecodable';

export interface AdaptationOptions<M> {
  timers: Timers;
  /** The context table (RFC 6282 §3.1.1), read for every datagram. */
  contexts: () => readonly LowpanContext[];
  /** The first datagram_tag to use (RFC 4944 §5.3 leaves its start to the sender). */
  firstTag: number;
  /**
   * A frame with a mesh header (RFC 4944 §5.2): true when its final destination is us (the
   * datagram is delivered here); false when the routing protocol relayed or dropped it.
   * Without this hook a mesh header is malformed (route-over stacks send none).
   */
  meshArrived?(mesh: MeshHeader, frame: Uint8Array, meta: M): boolean;
  onDatagram(datagram: Uint8Array, arrival: Arrival<M>): void;
}

/** Where the routing protocol sends a datagram: the MAC addresses and, for more than one hop, a mesh header. */
export interface LowpanRoute {
  macSrc: LinkAddress;
  macDst: LinkAddress;
  mesh?: MeshHeader;
  /** Room for the 6LoWPAN payload in one frame (see `macPayloadRoom`). */
  maxPayload: number;
}

/**
 * Room for the 6LoWPAN payload in a data frame: 127 − FCS − MAC header (frame control 2,
 * sequence 1, destination PAN 2, PAN ID compressed, the two addresses) − what the frame's
 * security adds (auxiliary header and MIC) (IEEE 802.15.4-2006 §7.2.2.2).
 */
export function macPayloadRoom(dst: LinkAddress, srcMode: 'short' | 'ext', securityOverhead: number): number {
  const mhr = 2 + 1 + 2 + (dst.mode === 'ext' ? 8 : 2) + (srcMode === 'ext' ? 8 : 2);
  return MAX_PSDU_LENGTH - FCS_LENGTH - mhr - securityOverhead;
}

export class LowpanAdaptation<M> {
  private readonly reassembler: Reassembler;
  private tag: number;
  /** The frame that completes a reassembly (the Reassembler calls back inside `handle`). */
  private pending: { meta: M; mesh: MeshHeader | undefined } | undefined;

  constructor(private readonly opts: AdaptationOptions<M>) {
    this.tag = opts.firstTag & 0xffff;
    this.reassembler = new Reassembler({
      timers: opts.timers,
      contexts: opts.contexts,
      onDatagram: (d, src, dst) => {
        if (this.pending) opts.onDatagram(d, { src, dst, frame: this.pending.meta, mesh: this.pending.mesh, fragmented: true });
      },
    });
  }

  get reassembly(): ReassemblyCounters {
    return this.reassembler.counters;
  }

  /** One frame's 6LoWPAN payload from link source `src` to link destination `dst`. */
  receive(payload: Uint8Array, src: LinkAddress, dst: LinkAddress, meta: M): FrameVerdict {
    const f = parseLowpanFrame(payload);
    if (!f.ok) return 'malformed';
    const mesh = f.value.mesh;
    if (mesh) {
      if (!this.opts.meshArrived) return 'malformed';
      if (!this.opts.meshArrived(mesh, payload, meta)) return 'relayed';
      src = mesh.originator;
      dst = mesh.final;
    }
    if (f.value.frag) {
      this.pending = { meta, mesh };
      this.reassembler.handle(f.value.frag, f.value.rest, src, dst);
      this.pending = undefined;
      return 'fragment';
    }
    const d = decompressDatagram(f.value.rest, { src, dst, contexts: this.opts.contexts() });
    if (!d.ok) return 'undecodable';
    this.opts.onDatagram(d.value, { src, dst, frame: meta, mesh, fragmented: false });
    return 'datagram';
  }

  /** The frames' 6LoWPAN payloads that carry an IPv6 datagram along `route`, in order. */
  frames(datagram: Uint8Array, route: LowpanRoute): Result<Uint8Array[]> {
    // IPHC elides from the mesh header's addresses when there is one (RFC 4944 §5.2).
    const src = route.mesh ? route.mesh.originator : route.macSrc;
    const dst = route.mesh ? route.mesh.final : route.macDst;
    const c = compressDatagram(datagram, { src, dst, contexts: this.opts.contexts() });
    if (!c.ok) return c;
    const meshBytes = route.mesh ? emitMeshHeader(route.mesh) : new Uint8Array(0);
    const tag = this.tag;
    this.tag = (this.tag + 1) & 0xffff;
    const frames = fragmentDatagram(c.value, { maxPayload: route.maxPayload - meshBytes.length, tag });
    if (!frames.ok) return frames;
    return ok(frames.value.map((f) => prepend(meshBytes, f)));
  }
}

/** A frame relayed one mesh hop on: the same payload behind its mesh header with Hops Left one less (RFC 4944 §5.2). */
export function relayMeshFrame(mesh: MeshHeader, frame: Uint8Array): Uint8Array {
  return prepend(emitMeshHeader({ ...mesh, hopsLeft: mesh.hopsLeft - 1 }), frame.subarray(meshHeaderLength(mesh)));
}

function prepend(head: Uint8Array, body: Uint8Array): Uint8Array {
  if (head.length === 0) return body;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}
