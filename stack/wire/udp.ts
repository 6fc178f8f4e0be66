// UDP over IPv6 (RFC 768; checksum mandatory over IPv6, RFC 8200 §8.1).
import { ByteReader, ByteWriter } from './bytes.ts';
import { upperLayerChecksum, verifyUpperLayerChecksum } from './checksum.ts';
import type { Ipv6Address } from './ipv6-address.ts';
import { NextHeader } from './ipv6.ts';
import { err, ok, type Result } from './result.ts';

export const UDP_HEADER_LEN = 8;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** Parses and verifies the checksum against the pseudo-header of `src` → `dst`. */
export function parseUdp(bytes: Uint8Array, src: Ipv6Address, dst: Ipv6Address): Result<UdpDatagram> {
  if (bytes.length < UDP_HEADER_LEN) return err('truncated', `udp header: ${bytes.length} bytes, need 8`);
  const r = new ByteReader(bytes);
  const srcPort = r.u16be();
  const dstPort = r.u16be();
  const length = r.u16be();
  const checksum = r.u16be();
  if (length < UDP_HEADER_LEN || length > bytes.length) return err('malformed', `udp length: ${length}, have ${bytes.length}`);
  // A zero checksum means "none", which IPv6 forbids (RFC 8200 §8.1).
  if (checksum === 0) return err('checksum', 'udp checksum: zero (absent) over IPv6');
  const datagram = bytes.subarray(0, length);
  if (!verifyUpperLayerChecksum(src, dst, NextHeader.udp, datagram)) return err('checksum', 'udp checksum: mismatch');
  return ok({ srcPort, dstPort, payload: datagram.slice(UDP_HEADER_LEN) });
}

export function emitUdp(d: UdpDatagram, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  const w = new ByteWriter(UDP_HEADER_LEN + d.payload.length);
  w.u16be(d.srcPort).u16be(d.dstPort).u16be(UDP_HEADER_LEN + d.payload.length).u16be(0).bytes(d.payload);
  const out = w.finish();
  setUdpChecksum(out, 0, src, dst);
  return out;
}

/** Computes the checksum of the UDP datagram at `offset` (Length field trusted) and writes it in place. */
export function setUdpChecksum(buf: Uint8Array, offset: number, src: Ipv6Address, dst: Ipv6Address): void {
  const length = ((buf[offset + 4] ?? 0) << 8) | (buf[offset + 5] ?? 0);
  buf[offset + 6] = 0;
  buf[offset + 7] = 0;
  let sum = upperLayerChecksum(src, dst, NextHeader.udp, buf.subarray(offset, offset + length));
  if (sum === 0) sum = 0xffff; // 0 would mean "no checksum" (RFC 768)
  buf[offset + 6] = sum >> 8;
  buf[offset + 7] = sum & 0xff;
}
