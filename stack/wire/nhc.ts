// LOWPAN_NHC next-header compression (RFC 6282 §4): UDP (§4.3) and IPv6 extension
// headers (§4.2). These are the syntactic forms; iphc.ts turns them into full headers.
import { ByteReader, ByteWriter } from './bytes.ts';
import { NextHeader } from './ipv6.ts';
import { err, ok, type Result } from './result.ts';

/** NHC UDP: 11110 C P(2) (RFC 6282 §4.3.3). */
export const NHC_UDP_MASK = 0xf8;
export const NHC_UDP_ID = 0xf0;
/** NHC extension header: 1110 EID(3) NH (RFC 6282 §4.2). */
export const NHC_EH_MASK = 0xf0;
export const NHC_EH_ID = 0xe0;

/**
 * Port forms (P bits): 0 both inline; 1 source inline, destination 0xF0XX;
 * 2 source 0xF0XX, destination inline; 3 both 0xF0BX.
 */
export type UdpPortMode = 0 | 1 | 2 | 3;

export interface NhcUdp {
  portMode: UdpPortMode;
  srcPort: number;
  dstPort: number;
  /** undefined when C = 1 (checksum elided, to be recomputed by the receiver). */
  checksum: number | undefined;
}

export function isNhcUdp(byte: number): boolean {
  return (byte & NHC_UDP_MASK) === NHC_UDP_ID;
}

export function isNhcExtension(byte: number): boolean {
  return (byte & NHC_EH_MASK) === NHC_EH_ID;
}

/** The shortest port form for a pair of ports (RFC 6282 §4.3.3). */
export function bestUdpPortMode(srcPort: number, dstPort: number): UdpPortMode {
  if ((srcPort & 0xfff0) === 0xf0b0 && (dstPort & 0xfff0) === 0xf0b0) return 3;
  if ((dstPort & 0xff00) === 0xf000) return 1;
  if ((srcPort & 0xff00) === 0xf000) return 2;
  return 0;
}

export function nhcUdpLength(h: NhcUdp): number {
  return 1 + [4, 3, 3, 1][h.portMode]! + (h.checksum === undefined ? 0 : 2);
}

export function parseNhcUdp(bytes: Uint8Array): Result<{ header: NhcUdp; length: number }> {
  if (!bytes.length || !isNhcUdp(bytes[0]!)) return err('malformed', 'nhc udp: id is not 11110');
  const b = bytes[0]!;
  const portMode = (b & 0x03) as UdpPortMode;
  const elided = (b & 0x04) !== 0;
  const length = 1 + [4, 3, 3, 1][portMode]! + (elided ? 0 : 2);
  if (bytes.length < length) return err('truncated', `nhc udp: ${bytes.length} bytes, need ${length}`);
  const r = new ByteReader(bytes);
  r.u8();
  let srcPort: number;
  let dstPort: number;
  switch (portMode) {
    case 0:
      srcPort = r.u16be();
      dstPort = r.u16be();
      break;
    case 1:
      srcPort = r.u16be();
      dstPort = 0xf000 | r.u8();
      break;
    case 2:
      srcPort = 0xf000 | r.u8();
      dstPort = r.u16be();
      break;
    case 3: {
      const p = r.u8();
      srcPort = 0xf0b0 | (p >> 4);
      dstPort = 0xf0b0 | (p & 0x0f);
      break;
    }
  }
  const checksum = elided ? undefined : r.u16be();
  return ok({ header: { portMode, srcPort, dstPort, checksum }, length });
}

export function emitNhcUdp(h: NhcUdp): Uint8Array {
  const w = new ByteWriter(8);
  w.u8(NHC_UDP_ID | (h.checksum === undefined ? 0x04 : 0) | h.portMode);
  switch (h.portMode) {
    case 0:
      w.u16be(h.srcPort).u16be(h.dstPort);
      break;
    case 1:
      w.u16be(h.srcPort).u8(h.dstPort & 0xff);
      break;
    case 2:
      w.u8(h.srcPort & 0xff).u16be(h.dstPort);
      break;
    case 3:
      w.u8(((h.srcPort & 0x0f) << 4) | (h.dstPort & 0x0f));
      break;
  }
  if (h.checksum !== undefined) w.u16be(h.checksum);
  return w.finish();
}

// ---------------------------------------------------------------------------------------

/** Extension header ids (RFC 6282 §4.2). */
export const Eid = { hopByHop: 0, routing: 1, fragment: 2, destinationOptions: 3, mobility: 4, ipv6: 7 } as const;

const EID_TO_NEXT_HEADER: Record<number, number> = {
  [Eid.hopByHop]: NextHeader.hopByHop,
  [Eid.routing]: NextHeader.routing,
  [Eid.fragment]: NextHeader.fragment,
  [Eid.destinationOptions]: NextHeader.destinationOptions,
  [Eid.mobility]: 135,
  [Eid.ipv6]: NextHeader.ipv6,
};

export function eidToNextHeader(eid: number): number | undefined {
  return EID_TO_NEXT_HEADER[eid];
}

export function nextHeaderToEid(nh: number): number | undefined {
  for (const [eid, v] of Object.entries(EID_TO_NEXT_HEADER)) if (v === nh) return Number(eid);
  return undefined;
}

export interface NhcExtension {
  eid: number;
  /** Inline next header (NH = 0); undefined when the next header is NHC-compressed too. */
  nextHeader: number | undefined;
  /** The header's bytes after its Next Header and Hdr Ext Len fields (trailing padding may be elided, RFC 6282 §4.2). */
  data: Uint8Array;
}

export function parseNhcExtension(bytes: Uint8Array): Result<{ header: NhcExtension; length: number }> {
  if (!bytes.length || !isNhcExtension(bytes[0]!)) return err('malformed', 'nhc extension: id is not 1110');
  const b = bytes[0]!;
  const eid = (b >> 1) & 0x07;
  if (eid === Eid.ipv6) return err('unsupported', 'nhc extension: EID 7 (IPv6 encapsulation) not supported');
  const nhInline = (b & 0x01) === 0;
  const head = 1 + (nhInline ? 1 : 0) + 1;
  if (bytes.length < head) return err('truncated', 'nhc extension: no length');
  const nextHeader = nhInline ? bytes[1]! : undefined;
  const len = bytes[head - 1]!;
  if (bytes.length < head + len) return err('truncated', `nhc extension: length ${len}, have ${bytes.length - head}`);
  return ok({ header: { eid, nextHeader, data: bytes.slice(head, head + len) }, length: head + len });
}

export function emitNhcExtension(h: NhcExtension): Uint8Array {
  const w = new ByteWriter(3 + h.data.length);
  w.u8(NHC_EH_ID | ((h.eid & 7) << 1) | (h.nextHeader === undefined ? 1 : 0));
  if (h.nextHeader !== undefined) w.u8(h.nextHeader);
  return w.u8(h.data.length).bytes(h.data).finish();
}
