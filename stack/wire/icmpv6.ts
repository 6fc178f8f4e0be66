// ICMPv6 (RFC 4443) messages a 6LoWPAN-ND / RPL node exchanges: echo (§4), router and
// neighbor discovery (RFC 4861 §4.1–4.4), duplicate address request/confirmation
// (RFC 6775 §4.4), RPL control (RFC 6550 §6) and MPL control (RFC 7731 §4.3). Other
// types decode to 'unknown'.
import { ByteReader, ByteWriter } from './bytes.ts';
import { upperLayerChecksum, verifyUpperLayerChecksum } from './checksum.ts';
import type { Ipv6Address } from './ipv6-address.ts';
import { NextHeader } from './ipv6.ts';
import { emitNdOptions, parseNdOptions, type NdOption } from './ndp.ts';
import { err, ok, type Result } from './result.ts';
import { emitMplControl, parseMplControl, type MplSeedInfo } from './mpl-control.ts';
import { emitRplMessage, parseRplMessage, rplCode, type RplMessage } from './rpl.ts';

/** Types: RFC 4443 §2.1, RFC 4861 §4, RFC 6775 §4.4, RFC 6550 §6, RFC 7731 §4.3. */
export const Icmpv6Type = {
  destinationUnreachable: 1,
  packetTooBig: 2,
  timeExceeded: 3,
  parameterProblem: 4,
  echoRequest: 128,
  echoReply: 129,
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighborSolicitation: 135,
  neighborAdvertisement: 136,
  redirect: 137,
  rpl: 155,
  dar: 157,
  dac: 158,
  mplControl: 159,
} as const;

export interface DuplicateAddressBody {
  status: number;
  /** Units of 60 s. */
  registrationLifetime: number;
  eui64: Uint8Array;
  registeredAddress: Ipv6Address;
}

export type Icmpv6Message =
  | { kind: 'echoRequest' | 'echoReply'; identifier: number; sequence: number; data: Uint8Array }
  | { kind: 'rs'; options: NdOption[] }
  | {
      kind: 'ra';
      curHopLimit: number;
      managed: boolean;
      other: boolean;
      /** The 6 flag bits after M and O (Prf, H, ... per later RFCs), kept as they came. */
      otherFlags: number;
      routerLifetime: number;
      reachableTime: number;
      retransTimer: number;
      options: NdOption[];
    }
  | { kind: 'ns'; target: Ipv6Address; options: NdOption[] }
  | { kind: 'na'; router: boolean; solicited: boolean; override: boolean; target: Ipv6Address; options: NdOption[] }
  | ({ kind: 'dar' | 'dac' } & DuplicateAddressBody)
  | { kind: 'rpl'; rpl: RplMessage }
  | { kind: 'mplControl'; seeds: MplSeedInfo[] }
  | { kind: 'unknown'; type: number; code: number; body: Uint8Array };

export interface ParseIcmpv6Options {
  /** Verify the checksum (default true). */
  verify?: boolean;
}

/** Parses an ICMPv6 message sent from `src` to `dst`, verifying its checksum. */
export function parseIcmpv6(bytes: Uint8Array, src: Ipv6Address, dst: Ipv6Address, opts: ParseIcmpv6Options = {}): Result<Icmpv6Message> {
  if (bytes.length < 4) return err('truncated', `icmpv6 header: ${bytes.length} bytes, need 4`);
  if ((opts.verify ?? true) && !verifyUpperLayerChecksum(src, dst, NextHeader.icmpv6, bytes)) {
    return err('checksum', 'icmpv6 checksum: mismatch');
  }
  const type = bytes[0]!;
  const code = bytes[1]!;
  const r = new ByteReader(bytes.subarray(4));
  const need = (n: number, what: string): Result<never> | undefined =>
    r.has(n) ? undefined : err('truncated', `icmpv6 ${what}: ${bytes.length} bytes, need ${4 + n}`);
  const nd = <T extends object>(m: T): Result<T & { options: NdOption[] }> => {
    const options = parseNdOptions(r.rest());
    return options.ok ? ok({ ...m, options: options.value }) : options;
  };
  switch (type) {
    case Icmpv6Type.echoRequest:
    case Icmpv6Type.echoReply: {
      const e = need(4, 'echo');
      if (e) return e;
      return ok({
        kind: type === Icmpv6Type.echoRequest ? 'echoRequest' : 'echoReply',
        identifier: r.u16be(),
        sequence: r.u16be(),
        data: r.rest().slice(),
      });
    }
    case Icmpv6Type.routerSolicitation: {
      const e = need(4, 'RS');
      if (e) return e;
      r.u32be(); // Reserved
      return nd({ kind: 'rs' as const });
    }
    case Icmpv6Type.routerAdvertisement: {
      const e = need(12, 'RA');
      if (e) return e;
      const curHopLimit = r.u8();
      const flags = r.u8();
      return nd({
        kind: 'ra' as const,
        curHopLimit,
        managed: (flags & 0x80) !== 0,
        other: (flags & 0x40) !== 0,
        otherFlags: flags & 0x3f,
        routerLifetime: r.u16be(),
        reachableTime: r.u32be(),
        retransTimer: r.u32be(),
      });
    }
    case Icmpv6Type.neighborSolicitation: {
      const e = need(20, 'NS');
      if (e) return e;
      r.u32be(); // Reserved
      return nd({ kind: 'ns' as const, target: r.take(16).slice() });
    }
    case Icmpv6Type.neighborAdvertisement: {
      const e = need(20, 'NA');
      if (e) return e;
      const flags = r.u8();
      r.take(3); // Reserved
      return nd({
        kind: 'na' as const,
        router: (flags & 0x80) !== 0,
        solicited: (flags & 0x40) !== 0,
        override: (flags & 0x20) !== 0,
        target: r.take(16).slice(),
      });
    }
    case Icmpv6Type.dar:
    case Icmpv6Type.dac: {
      // RFC 6775 §4.4: Status, Reserved, Registration Lifetime, EUI-64, Registered Address
      const e = need(28, type === Icmpv6Type.dar ? 'DAR' : 'DAC');
      if (e) return e;
      const status = r.u8();
      r.u8();
      return ok({
        kind: type === Icmpv6Type.dar ? 'dar' : 'dac',
        status,
        registrationLifetime: r.u16be(),
        eui64: r.take(8).slice(),
        registeredAddress: r.take(16).slice(),
      });
    }
    case Icmpv6Type.rpl: {
      const rpl = parseRplMessage(code, r.rest());
      return rpl.ok ? ok({ kind: 'rpl', rpl: rpl.value }) : rpl;
    }
    case Icmpv6Type.mplControl: {
      if (code !== 0) break;
      const seeds = parseMplControl(r.rest());
      return seeds.ok ? ok({ kind: 'mplControl', seeds: seeds.value }) : seeds;
    }
  }
  return ok({ kind: 'unknown', type, code, body: r.rest().slice() });
}

function typeAndCode(m: Icmpv6Message): [number, number] {
  switch (m.kind) {
    case 'echoRequest':
      return [Icmpv6Type.echoRequest, 0];
    case 'echoReply':
      return [Icmpv6Type.echoReply, 0];
    case 'rs':
      return [Icmpv6Type.routerSolicitation, 0];
    case 'ra':
      return [Icmpv6Type.routerAdvertisement, 0];
    case 'ns':
      return [Icmpv6Type.neighborSolicitation, 0];
    case 'na':
      return [Icmpv6Type.neighborAdvertisement, 0];
    case 'dar':
      return [Icmpv6Type.dar, 0];
    case 'dac':
      return [Icmpv6Type.dac, 0];
    case 'rpl':
      return [Icmpv6Type.rpl, rplCode(m.rpl)];
    case 'mplControl':
      return [Icmpv6Type.mplControl, 0];
    case 'unknown':
      return [m.type, m.code];
  }
}

/** Emits the message with its checksum for `src` → `dst`. */
export function emitIcmpv6(m: Icmpv6Message, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  const w = new ByteWriter(64);
  const [type, code] = typeAndCode(m);
  w.u8(type).u8(code).u16be(0);
  switch (m.kind) {
    case 'echoRequest':
    case 'echoReply':
      w.u16be(m.identifier).u16be(m.sequence).bytes(m.data);
      break;
    case 'rs':
      w.u32be(0);
      emitNdOptions(m.options, w);
      break;
    case 'ra':
      w.u8(m.curHopLimit).u8((m.managed ? 0x80 : 0) | (m.other ? 0x40 : 0) | (m.otherFlags & 0x3f));
      w.u16be(m.routerLifetime).u32be(m.reachableTime).u32be(m.retransTimer);
      emitNdOptions(m.options, w);
      break;
    case 'ns':
      w.u32be(0).bytes(m.target);
      emitNdOptions(m.options, w);
      break;
    case 'na':
      w.u8((m.router ? 0x80 : 0) | (m.solicited ? 0x40 : 0) | (m.override ? 0x20 : 0)).u8(0).u16be(0).bytes(m.target);
      emitNdOptions(m.options, w);
      break;
    case 'dar':
    case 'dac':
      w.u8(m.status).u8(0).u16be(m.registrationLifetime).bytes(m.eui64).bytes(m.registeredAddress);
      break;
    case 'rpl':
      emitRplMessage(m.rpl, w);
      break;
    case 'mplControl':
      emitMplControl(m.seeds, w);
      break;
    case 'unknown':
      w.bytes(m.body);
      break;
  }
  const out = w.finish();
  const sum = upperLayerChecksum(src, dst, NextHeader.icmpv6, out);
  out[2] = sum >> 8;
  out[3] = sum & 0xff;
  return out;
}
