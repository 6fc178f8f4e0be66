// The Prefix Information option's body, one layout in two protocols: Neighbor Discovery
// (RFC 4861 §4.6.2, with the R flag of RFC 6275 §7.2) and RPL's DIO (RFC 6550 §6.7.10,
// "the same as RFC 4861 and RFC 6275"). Only the type/length bytes around it differ.
import type { ByteReader, ByteWriter } from './bytes.ts';
import type { Ipv6Address } from './ipv6-address.ts';

/** Bytes of the body after type and length. */
export const PREFIX_INFORMATION_BODY_BYTES = 30;

export interface PrefixInformation {
  prefixLength: number;
  /** L: the prefix is on-link. */
  onLink: boolean;
  /** A: the prefix may be used for address autoconfiguration. */
  autonomous: boolean;
  /** R: the prefix field holds the router's full address. */
  routerAddress: boolean;
  /** Seconds; 0xffffffff = infinity. */
  validLifetime: number;
  preferredLifetime: number;
  prefix: Ipv6Address;
}

/** Reads the 30-byte body; the caller has checked its length. */
export function parsePrefixInformation(r: ByteReader): PrefixInformation {
  const prefixLength = r.u8();
  const flags = r.u8();
  const validLifetime = r.u32be();
  const preferredLifetime = r.u32be();
  r.u32be(); // Reserved2
  return {
    prefixLength,
    onLink: (flags & 0x80) !== 0,
    autonomous: (flags & 0x40) !== 0,
    routerAddress: (flags & 0x20) !== 0,
    validLifetime,
    preferredLifetime,
    prefix: r.take(16).slice(),
  };
}

export function emitPrefixInformation(p: PrefixInformation, w: ByteWriter): void {
  w.u8(p.prefixLength).u8((p.onLink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0) | (p.routerAddress ? 0x20 : 0));
  w.u32be(p.validLifetime).u32be(p.preferredLifetime).u32be(0).bytes(p.prefix);
}
