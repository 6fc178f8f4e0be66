// IPv6 addresses as 16-byte arrays, their text form (RFC 4291 §2.2 in, RFC 5952 out)
// and the interface identifiers 6LoWPAN derives from link-layer addresses.
import { err, ok, type Result } from './result.ts';

export type Ipv6Address = Uint8Array;

/**
 * A link-layer (IEEE 802.15.4) address as 6LoWPAN sees it. Extended addresses are in
 * natural (big-endian) order. Same shape as the MAC service's address, minus "none".
 */
export type LinkAddress = { mode: 'short'; short: number } | { mode: 'ext'; ext: Uint8Array };

export const IPV6_ADDRESS_LEN = 16;

export function ipv6(text: string): Ipv6Address {
  const r = parseIpv6Address(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

export const UNSPECIFIED: Ipv6Address = new Uint8Array(16);
/** RFC 4291 §2.7.1 */
export const ALL_NODES: Ipv6Address = ipv6('ff02::1');
export const ALL_ROUTERS: Ipv6Address = ipv6('ff02::2');
/** RFC 6550 §6 */
export const ALL_RPL_NODES: Ipv6Address = ipv6('ff02::1a');

/** Multicast scope values (RFC 7346 §2, updating RFC 4291 §2.7). */
export const Scope = {
  interfaceLocal: 0x1,
  linkLocal: 0x2,
  realmLocal: 0x3,
  adminLocal: 0x4,
  siteLocal: 0x5,
  organizationLocal: 0x8,
  global: 0xe,
} as const;

function parseGroups(part: string, allowV4: boolean): number[] | undefined {
  if (part === '') return [];
  const out: number[] = [];
  const pieces = part.split(':');
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (allowV4 && i === pieces.length - 1 && p.includes('.')) {
      const q = p.split('.');
      if (q.length !== 4 || q.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) return undefined;
      const [a, b, c, d] = q.map(Number) as [number, number, number, number];
      out.push((a << 8) | b, (c << 8) | d);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}

/** Text → address; accepts every RFC 4291 §2.2 form (including a trailing dotted quad). */
export function parseIpv6Address(text: string): Result<Ipv6Address> {
  const halves = text.split('::');
  if (halves.length > 2) return err('malformed', `ipv6 address "${text}": more than one "::"`);
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (!head || !tail) return err('malformed', `ipv6 address "${text}": bad group`);
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return err('malformed', `ipv6 address "${text}": too many groups`);
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) return err('malformed', `ipv6 address "${text}": need 8 groups`);
    groups = all;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return ok(out);
}

/** Address → canonical text (RFC 5952 §4: lower case, no leading zeros, longest zero run of ≥ 2 groups as "::", first on a tie). */
export function formatIpv6Address(addr: Ipv6Address): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((addr[2 * i] ?? 0) << 8) | (addr[2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not shortened (§4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexOf = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hexOf(groups);
  return `${hexOf(groups.slice(0, bestStart))}::${hexOf(groups.slice(bestStart + bestLen))}`;
}

export function isUnspecified(addr: Ipv6Address): boolean {
  return addr.every((b) => b === 0);
}

export function isMulticast(addr: Ipv6Address): boolean {
  return addr[0] === 0xff;
}

/** fe80::/10 (RFC 4291 §2.5.6); 6LoWPAN compresses only fe80::/64, see `isLinkLocalPrefix64`. */
export function isLinkLocal(addr: Ipv6Address): boolean {
  return addr[0] === 0xfe && ((addr[1] ?? 0) & 0xc0) === 0x80;
}

/** fe80:0000:0000:0000::/64, the prefix RFC 6282 §3.1.1 elides when SAC/DAC = 0. */
export function isLinkLocalPrefix64(addr: Ipv6Address): boolean {
  return addr[0] === 0xfe && addr[1] === 0x80 && addr.subarray(2, 8).every((b) => b === 0);
}

/** The 4-bit scope of a multicast address (RFC 4291 §2.7), undefined for unicast. */
export function multicastScope(addr: Ipv6Address): number | undefined {
  return isMulticast(addr) ? (addr[1] ?? 0) & 0x0f : undefined;
}

/**
 * The 64-bit interface identifier derived from a link-layer address:
 * extended → modified EUI-64 with the U/L bit (0x02 of the first byte) inverted (RFC 4944 §6, RFC 4291 App. A);
 * short → 0000:00ff:fe00:XXXX (RFC 6282 §3.2.2).
 */
export function iidFromLinkAddress(link: LinkAddress): Uint8Array {
  const iid = new Uint8Array(8);
  if (link.mode === 'ext') {
    iid.set(link.ext.subarray(0, 8));
    iid[0] = (iid[0] ?? 0) ^ 0x02;
  } else {
    iid[3] = 0xff;
    iid[4] = 0xfe;
    iid[6] = (link.short >> 8) & 0xff;
    iid[7] = link.short & 0xff;
  }
  return iid;
}

/** fe80::/64 + the IID of `link`. */
export function linkLocalFromLinkAddress(link: LinkAddress): Ipv6Address {
  return withPrefix(ipv6('fe80::'), 64, iidFromLinkAddress(link));
}

/** `prefix`'s first `prefixLen` bits, then `iid` in the low 64 bits (bits of the prefix beyond 64 win). */
export function withPrefix(prefix: Uint8Array, prefixLen: number, iid: Uint8Array): Ipv6Address {
  const out = new Uint8Array(16);
  out.set(iid.subarray(0, 8), 8);
  copyPrefixBits(out, prefix, prefixLen);
  return out;
}

/** Overwrites the first `bits` bits of `into` with those of `prefix`. */
export function copyPrefixBits(into: Uint8Array, prefix: Uint8Array, bits: number): void {
  const whole = Math.min(bits >> 3, 16);
  for (let i = 0; i < whole; i++) into[i] = prefix[i] ?? 0;
  const rest = bits & 7;
  if (rest && whole < 16) {
    const mask = (0xff << (8 - rest)) & 0xff;
    into[whole] = ((prefix[whole] ?? 0) & mask) | ((into[whole] ?? 0) & ~mask & 0xff);
  }
}

/** True if the first `bits` bits of `a` and `b` agree. */
export function prefixMatches(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (!rest) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (((a[whole] ?? 0) ^ (b[whole] ?? 0)) & mask) === 0;
}

export function ipv6Equal(a: Ipv6Address, b: Ipv6Address): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
