// The Internet checksum (RFC 1071) and the IPv6 upper-layer pseudo-header (RFC 8200 §8.1).
import type { Ipv6Address } from './ipv6-address.ts';

/** Ones'-complement sum of 16-bit big-endian words, folded to 16 bits (not complemented). */
export function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (data.length & 1) sum += data[data.length - 1]! << 8; // odd byte padded with zero
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Sum of the pseudo-header: source, destination, upper-layer length (32 bits), 3 zero bytes, next header. */
export function pseudoHeaderSum(src: Ipv6Address, dst: Ipv6Address, upperLength: number, nextHeader: number): number {
  let sum = onesSum(src);
  sum = onesSum(dst, sum);
  sum += (upperLength >>> 16) + (upperLength & 0xffff) + nextHeader;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Checksum field value for an upper-layer message (its checksum field zeroed) over IPv6.
 * UDP turns a computed 0 into 0xffff (RFC 768, RFC 8200 §8.1); ICMPv6 does not need to.
 */
export function upperLayerChecksum(src: Ipv6Address, dst: Ipv6Address, nextHeader: number, message: Uint8Array): number {
  return ~onesSum(message, pseudoHeaderSum(src, dst, message.length, nextHeader)) & 0xffff;
}

/** True if `message` (checksum field included) sums to 0xffff with its pseudo-header. */
export function verifyUpperLayerChecksum(src: Ipv6Address, dst: Ipv6Address, nextHeader: number, message: Uint8Array): boolean {
  return onesSum(message, pseudoHeaderSum(src, dst, message.length, nextHeader)) === 0xffff;
}
