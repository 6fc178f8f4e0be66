// IPv6 addresses as boards print them, read into one form. OpenThread's CLI prints every
// group (`fd00:db8:0:0:0:ff:fe00:fc00`), our agent compresses (`fd00:db8::ff:fe00:fc00`),
// and a lab's firmware may use capitals: to compare two boards' addresses, or to look at a
// prefix or an interface identifier, read the text into 16 bytes, or into its RFC 5952 text.
// Node's own parsers do the reading (net.isIPv6 accepts RFC 4291 §2.2 text; the URL
// standard's host parser serialises it as RFC 5952 §4 asks), not a parser of ours.
import { isIPv6 } from 'node:net';

/** An IPv6 address as 16 bytes, in network order. */
export type Ipv6Bytes = Uint8Array;

export const IPV6_BYTES = 16;

/** An address read from text: its 16 bytes and its RFC 5952 text, or why the text is none. */
export type ParsedIpv6 = { ok: true; bytes: Ipv6Bytes; text: string } | { ok: false; error: string };

/**
 * Reads RFC 4291 §2.2 text (a trailing dotted quad included). A zone index (`fe80::1%wpan0`,
 * RFC 4007 §11) is refused rather than dropped: it names a link of one host, so two boards'
 * `fe80::1%…` are no one address, and stripping it would make them equal.
 */
export function parseIpv6(text: string): ParsedIpv6 {
  if (text.includes('%')) return { ok: false, error: `'${text}' carries a zone index (RFC 4007 §11), which names a link of one host: give the address without it` };
  // isIPv6 first: the URL parser alone would read '::1]/x' as the host '[::1]'.
  if (!isIPv6(text)) return { ok: false, error: `'${text}' is no IPv6 address (RFC 4291 §2.2 text form)` };
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return { ok: true, bytes: bytesOfCanonical(canonical), text: canonical };
}

/**
 * One spelling of an IPv6 address (RFC 5952 §4: lower case, no leading zeros, the longest
 * run of two or more zero groups as `::`, the first on a tie), so that the ways two boards
 * write it compare equal; undefined for text that is no address (see `parseIpv6`).
 * An IPv4-mapped address stays in hex (`::ffff:c000:201`), not RFC 5952 §5's mixed form.
 */
export function canonicalIpv6(text: string): string | undefined {
  const p = parseIpv6(text);
  return p.ok ? p.text : undefined;
}

/** 16 bytes as RFC 5952 text. */
export function formatIpv6(bytes: Ipv6Bytes): string {
  if (bytes.length !== IPV6_BYTES) throw new Error(`an IPv6 address is ${IPV6_BYTES} bytes, not ${bytes.length}`);
  const groups: string[] = [];
  for (let i = 0; i < IPV6_BYTES; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** The bytes of text the URL parser serialised: hex groups only, at most one `::`. */
function bytesOfCanonical(canonical: string): Ipv6Bytes {
  const [head = '', tail] = canonical.split('::');
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const h = groupsOf(head);
  const t = tail === undefined ? [] : groupsOf(tail);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(IPV6_BYTES);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
export function isLinkLocalIpv6(bytes: Ipv6Bytes): boolean {
  return bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80;
}

/** Whether text a board printed is a link-local address; text that is no address is not. */
export function isLinkLocalAddress(text: string): boolean {
  const p = parseIpv6(text);
  return p.ok && isLinkLocalIpv6(p.bytes);
}

/** True when the first 64 bits (the subnet prefix of RFC 4291 §2.5.4) of `a` and `b` agree. */
export function samePrefix64(a: Ipv6Bytes, b: Ipv6Bytes): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}
