// Extension-header surgery on whole IPv6 packets: walking the chain, adding or
// replacing a hop-by-hop options header (RPL option RFC 6553, MPL option RFC 7731)
// and a type 3 routing header (RFC 6554), and the routing header's hop step.
import { ByteWriter } from '../wire/bytes.ts';
import { ipv6Equal, isMulticast, type Ipv6Address } from '../wire/ipv6-address.ts';
import {
  compressSourceRoute,
  emitHopByHop,
  emitRoutingHeader,
  expandSourceRoute,
  NextHeader,
  parseHopByHop,
  parseRoutingHeader,
  type HopByHopOption,
  type Ipv6Packet,
  type SourceRoutingHeader,
} from '../wire/ipv6.ts';
import { err, ok, type Result } from '../wire/result.ts';

/** MPL option type (RFC 7731 §6.1, IANA 0x6D). */
export const MPL_OPTION_TYPE = 0x6d;

/** The parts of a packet after its fixed header. */
export interface HeaderChain {
  hopByHop?: HopByHopOption[];
  routing?: SourceRoutingHeader;
  /** Offset in `payload` of the upper-layer header and its type. */
  upperOffset: number;
  upperType: number;
}

/** Walks hop-by-hop and routing headers (the ones a RPL mesh adds); stops at anything else. */
export function walkHeaders(p: Ipv6Packet): Result<HeaderChain> {
  let type = p.nextHeader;
  let at = 0;
  const out: HeaderChain = { upperOffset: 0, upperType: type };
  for (;;) {
    const rest = p.payload.subarray(at);
    if (type === NextHeader.hopByHop && at === 0) {
      const h = parseHopByHop(rest);
      if (!h.ok) return h;
      out.hopByHop = h.value.header.options;
      type = h.value.header.nextHeader;
      at += h.value.length;
    } else if (type === NextHeader.routing) {
      const h = parseRoutingHeader(rest);
      if (!h.ok) return h;
      if (h.value.header.type !== 3) {
        if (h.value.header.segmentsLeft > 0) return err('unsupported', `routing type ${h.value.header.routingType}`);
      } else out.routing = h.value.header;
      type = h.value.header.nextHeader;
      at += h.value.length;
    } else break;
  }
  out.upperOffset = at;
  out.upperType = type;
  return ok(out);
}

/** Rebuilds a packet from its fixed header, the headers a RPL mesh adds, and the upper layer. */
export function rebuild(p: Ipv6Packet, chain: HeaderChain, hopByHop: HopByHopOption[] | undefined, routing: SourceRoutingHeader | undefined): Ipv6Packet {
  const upper = p.payload.subarray(chain.upperOffset);
  const w = new ByteWriter(upper.length + 64);
  let first = chain.upperType;
  const rh = routing ? emitRoutingHeader({ ...routing, nextHeader: chain.upperType }) : undefined;
  if (rh) first = NextHeader.routing;
  if (hopByHop && hopByHop.length) {
    w.bytes(emitHopByHop({ nextHeader: first, options: hopByHop }));
    first = NextHeader.hopByHop;
  }
  if (rh) w.bytes(rh);
  w.bytes(upper);
  return { ...p, nextHeader: first, payload: w.finish() };
}

/** Adds or replaces hop-by-hop options of the given kinds (matched by option type). */
export function withHopByHopOptions(p: Ipv6Packet, options: HopByHopOption[]): Result<Ipv6Packet> {
  const c = walkHeaders(p);
  if (!c.ok) return c;
  const typeOf = (o: HopByHopOption): number | undefined => (o.kind === 'rpl' || o.kind === 'unknown' ? o.type : undefined);
  const replaced = new Set(options.map(typeOf));
  const kept = (c.value.hopByHop ?? []).filter((o) => o.kind !== 'pad1' && o.kind !== 'padN' && !replaced.has(typeOf(o)));
  return ok(rebuild(p, c.value, [...kept, ...options], c.value.routing));
}

/** Sets a type 3 routing header: the packet goes to route[0] first, then the rest, ending at its destination. */
export function withSourceRoute(p: Ipv6Packet, route: Ipv6Address[]): Result<Ipv6Packet> {
  if (route.length === 0) return ok(p);
  const c = walkHeaders(p);
  if (!c.ok) return c;
  const first = route[0]!;
  // The header lists the hops after the first one, the final destination last (RFC 6554 §3).
  const rest = [...route.slice(1), p.dst];
  const rh = compressSourceRoute(c.value.upperType, first, rest);
  return ok(rebuild({ ...p, dst: first }, c.value, c.value.hopByHop, rh));
}

/**
 * One hop of a type 3 routing header at a node that owns the destination (RFC 6554 §4.2):
 * decrement Segments Left, swap the destination with the next address, and re-elide the
 * addresses against the new destination. An error means discard.
 */
export function advanceSourceRoute(p: Ipv6Packet, isOwn: (a: Ipv6Address) => boolean): Result<Ipv6Packet> {
  const c = walkHeaders(p);
  if (!c.ok) return c;
  const rh = c.value.routing;
  if (!rh || rh.segmentsLeft === 0) return err('malformed', 'routing header: no segments left');
  const addrs = expandSourceRoute(rh, p.dst);
  const n = addrs.length;
  const segmentsLeft = rh.segmentsLeft - 1;
  const i = n - segmentsLeft - 1; // zero-based index of Address[i]
  const next = addrs[i];
  if (!next || isMulticast(next) || isMulticast(p.dst)) return err('malformed', 'routing header: multicast address');
  // A loop through ourselves (own address later in the route) is an error (RFC 6554 §4.2).
  if (addrs.slice(i + 1).some((a) => isOwn(a) && !ipv6Equal(a, p.dst))) return err('malformed', 'routing header: loop');
  addrs[i] = p.dst;
  const rebuiltRh = compressSourceRoute(c.value.upperType, next, addrs);
  rebuiltRh.segmentsLeft = segmentsLeft;
  return ok(rebuild({ ...p, dst: next }, c.value, c.value.hopByHop, rebuiltRh));
}

/**
 * The MPL option (RFC 7731 §6.1): with no `seedId`, S = 0 (the seed is the IPv6
 * source); with a 16-bit `seedId`, S = 1 and the seed follows the sequence.
 */
export function mplOption(sequence: number, seedId?: number): HopByHopOption {
  const data = seedId === undefined ? Uint8Array.of(0x00, sequence & 0xff) : Uint8Array.of(0x40, sequence & 0xff, (seedId >> 8) & 0xff, seedId & 0xff);
  return { kind: 'unknown', type: MPL_OPTION_TYPE, data };
}

export function findMplSequence(options: HopByHopOption[] | undefined): number | undefined {
  const o = options?.find((x) => x.kind === 'unknown' && x.type === MPL_OPTION_TYPE);
  return o && o.kind === 'unknown' && o.data.length >= 2 ? o.data[1] : undefined;
}
