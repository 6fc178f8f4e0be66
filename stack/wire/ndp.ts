// Neighbor Discovery options (RFC 4861 §4.6) as used by 6LoWPAN-ND: link-layer address
// options in their IEEE 802.15.4 form (RFC 4944 §8), PIO, MTU, and the RFC 6775 §4 options
// ARO (33), 6CO (34) and ABRO (35). Unknown options are kept as raw bytes.
import { ByteReader, ByteWriter } from './bytes.ts';
import type { Ipv6Address, LinkAddress } from './ipv6-address.ts';
import { emitPrefixInformation, parsePrefixInformation, PREFIX_INFORMATION_BODY_BYTES, type PrefixInformation } from './prefix-information.ts';
import { err, ok, type Result } from './result.ts';

/** Option types: RFC 4861 §4.6, RFC 6775 §4. */
export const NdOptionType = {
  sllao: 1,
  tllao: 2,
  prefixInfo: 3,
  mtu: 5,
  aro: 33,
  sixCo: 34,
  abro: 35,
} as const;

/** ARO status values (RFC 6775 §4.1, §12 Table 2). */
export const AroStatus = { success: 0, duplicate: 1, cacheFull: 2 } as const;

export type NdOption =
  | { kind: 'sllao' | 'tllao'; link: LinkAddress }
  | ({ kind: 'prefixInfo' } & PrefixInformation)
  | { kind: 'mtu'; mtu: number }
  | {
      kind: 'aro';
      status: number;
      /** Units of 60 s; 0 deregisters. */
      registrationLifetime: number;
      eui64: Uint8Array;
    }
  | {
      kind: 'sixCo';
      contextLength: number;
      /** C: valid for compression, not only for decompression. */
      compression: boolean;
      cid: number;
      /** Units of 60 s. */
      validLifetime: number;
      /** 16 bytes; only the first `contextLength` bits are meaningful. */
      prefix: Ipv6Address;
    }
  | {
      kind: 'abro';
      /** 32 bits: Version High << 16 | Version Low. */
      version: number;
      /** Units of 60 s; 0 means the default 10 000 minutes (RFC 6775 §4.3). */
      validLifetime: number;
      borderRouter: Ipv6Address;
    }
  | { kind: 'unknown'; type: number; data: Uint8Array };

function parseLinkOption(data: Uint8Array): LinkAddress | undefined {
  // RFC 4944 §8: length 1 → 16-bit short address + 4 bytes padding, length 2 → EUI-64 + 6 bytes padding
  if (data.length === 6) return { mode: 'short', short: (data[0]! << 8) | data[1]! };
  if (data.length === 14) return { mode: 'ext', ext: data.slice(0, 8) };
  return undefined;
}

function parseOne(type: number, data: Uint8Array): NdOption | undefined {
  const r = new ByteReader(data);
  switch (type) {
    case NdOptionType.sllao:
    case NdOptionType.tllao: {
      const link = parseLinkOption(data);
      return link && { kind: type === NdOptionType.sllao ? 'sllao' : 'tllao', link };
    }
    case NdOptionType.prefixInfo:
      return data.length === PREFIX_INFORMATION_BODY_BYTES ? { kind: 'prefixInfo', ...parsePrefixInformation(r) } : undefined;
    case NdOptionType.mtu:
      if (data.length !== 6) return undefined;
      r.u16be();
      return { kind: 'mtu', mtu: r.u32be() };
    case NdOptionType.aro: {
      if (data.length !== 14) return undefined;
      const status = r.u8();
      r.take(3); // Reserved
      const registrationLifetime = r.u16be();
      return { kind: 'aro', status, registrationLifetime, eui64: r.take(8).slice() };
    }
    case NdOptionType.sixCo: {
      if (data.length !== 6 && data.length !== 14) return undefined;
      const contextLength = r.u8();
      const b = r.u8();
      r.u16be(); // Reserved
      const validLifetime = r.u16be();
      const prefix = new Uint8Array(16);
      prefix.set(r.rest());
      return { kind: 'sixCo', contextLength, compression: (b & 0x10) !== 0, cid: b & 0x0f, validLifetime, prefix };
    }
    case NdOptionType.abro: {
      if (data.length !== 22) return undefined;
      const low = r.u16be();
      const high = r.u16be();
      const validLifetime = r.u16be();
      return { kind: 'abro', version: ((high << 16) | low) >>> 0, validLifetime, borderRouter: r.take(16).slice() };
    }
  }
  return undefined;
}

/** Parses a sequence of options; a zero length is malformed (RFC 4861 §4.6). */
export function parseNdOptions(bytes: Uint8Array): Result<NdOption[]> {
  const out: NdOption[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return err('truncated', `nd option at ${at}: no length`);
    const type = bytes[at]!;
    const len = bytes[at + 1]! * 8;
    if (len === 0) return err('malformed', `nd option ${type}: length 0`);
    if (at + len > bytes.length) return err('truncated', `nd option ${type}: length ${len}, have ${bytes.length - at}`);
    const data = bytes.subarray(at + 2, at + len);
    out.push(parseOne(type, data) ?? { kind: 'unknown', type, data: data.slice() });
    at += len;
  }
  return ok(out);
}

function option(w: ByteWriter, type: number, body: Uint8Array): void {
  w.u8(type).u8((body.length + 2) / 8).bytes(body);
}

export function emitNdOption(o: NdOption, w: ByteWriter): void {
  const b = new ByteWriter(32);
  switch (o.kind) {
    case 'sllao':
    case 'tllao':
      if (o.link.mode === 'short') b.u16be(o.link.short).bytes(new Uint8Array(4));
      else b.bytes(o.link.ext).bytes(new Uint8Array(6));
      option(w, o.kind === 'sllao' ? NdOptionType.sllao : NdOptionType.tllao, b.finish());
      return;
    case 'prefixInfo':
      emitPrefixInformation(o, b);
      option(w, NdOptionType.prefixInfo, b.finish());
      return;
    case 'mtu':
      option(w, NdOptionType.mtu, b.u16be(0).u32be(o.mtu).finish());
      return;
    case 'aro':
      b.u8(o.status).u8(0).u16be(0).u16be(o.registrationLifetime).bytes(o.eui64);
      option(w, NdOptionType.aro, b.finish());
      return;
    case 'sixCo':
      // Length 2 carries 64 prefix bits, length 3 all 128 (RFC 6775 §4.2).
      b.u8(o.contextLength).u8((o.compression ? 0x10 : 0) | (o.cid & 0x0f)).u16be(0).u16be(o.validLifetime);
      b.bytes(o.prefix.subarray(0, o.contextLength > 64 ? 16 : 8));
      option(w, NdOptionType.sixCo, b.finish());
      return;
    case 'abro':
      b.u16be(o.version & 0xffff).u16be(o.version >>> 16).u16be(o.validLifetime).bytes(o.borderRouter);
      option(w, NdOptionType.abro, b.finish());
      return;
    case 'unknown':
      option(w, o.type, o.data);
      return;
  }
}

export function emitNdOptions(options: NdOption[], w: ByteWriter): void {
  for (const o of options) emitNdOption(o, w);
}
