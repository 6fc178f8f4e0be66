// RPL control messages (RFC 6550 §6), the body of ICMPv6 type 155 after type, code and
// checksum: DIS, DIO, DAO, DAO-ACK and their options (§6.7). Other codes (the secure
// variants, consistency check) and unknown options are kept as raw bytes.
import { ByteReader, type ByteWriter } from './bytes.ts';
import type { Ipv6Address } from './ipv6-address.ts';
import { emitPrefixInformation, parsePrefixInformation, PREFIX_INFORMATION_BODY_BYTES, type PrefixInformation } from './prefix-information.ts';
import { err, ok, type Result } from './result.ts';

/** ICMPv6 codes of type 155 (RFC 6550 §6). */
export const RplCode = { dis: 0x00, dio: 0x01, dao: 0x02, daoAck: 0x03 } as const;

/** Mode of operation (RFC 6550 §6.3.1). */
export const Mop = { noDownward: 0, nonStoring: 1, storing: 2, storingMulticast: 3 } as const;

/** Option types (RFC 6550 §6.7.1, IANA). */
export const RplOptionType = {
  pad1: 0x00,
  padN: 0x01,
  metricContainer: 0x02,
  routeInfo: 0x03,
  dodagConfig: 0x04,
  target: 0x05,
  transit: 0x06,
  solicitedInfo: 0x07,
  prefixInfo: 0x08,
  targetDescriptor: 0x09,
} as const;

export type RplOption =
  | { kind: 'pad1' }
  /** `length` = option data bytes (all zero). */
  | { kind: 'padN'; length: number }
  | {
      kind: 'dodagConfig';
      /** The 4 flag bits ahead of A (reserved). */
      flags: number;
      authentication: boolean;
      pathControlSize: number;
      dioIntervalDoublings: number;
      dioIntervalMin: number;
      dioRedundancy: number;
      maxRankIncrease: number;
      minHopRankIncrease: number;
      ocp: number;
      defaultLifetime: number;
      lifetimeUnit: number;
    }
  | { kind: 'target'; flags: number; prefixLength: number; prefix: Uint8Array }
  | {
      kind: 'transit';
      external: boolean;
      pathControl: number;
      pathSequence: number;
      pathLifetime: number;
      /** Present in non-storing mode (RFC 6550 §6.7.8). */
      parent?: Ipv6Address;
    }
  | ({ kind: 'prefixInfo' } & PrefixInformation)
  | { kind: 'unknown'; type: number; data: Uint8Array };

export type RplMessage =
  | { kind: 'dis'; flags: number; options: RplOption[] }
  | {
      kind: 'dio';
      instanceId: number;
      version: number;
      rank: number;
      grounded: boolean;
      mop: number;
      preference: number;
      dtsn: number;
      flags: number;
      dodagId: Ipv6Address;
      options: RplOption[];
    }
  | {
      kind: 'dao';
      instanceId: number;
      /** K: a DAO-ACK is wanted. */
      ackRequested: boolean;
      flags: number;
      daoSequence: number;
      /** Present when the D flag is set. */
      dodagId?: Ipv6Address;
      options: RplOption[];
    }
  | { kind: 'daoAck'; instanceId: number; daoSequence: number; status: number; dodagId?: Ipv6Address; options: RplOption[] }
  | { kind: 'unknown'; code: number; body: Uint8Array };

function parseOption(type: number, data: Uint8Array): RplOption | undefined {
  const r = new ByteReader(data);
  switch (type) {
    case RplOptionType.dodagConfig: {
      if (data.length !== 14) return undefined;
      const b = r.u8();
      const [doublings, imin, redundancy] = [r.u8(), r.u8(), r.u8()];
      const [maxRankIncrease, minHopRankIncrease, ocp] = [r.u16be(), r.u16be(), r.u16be()];
      r.u8(); // Reserved
      return {
        kind: 'dodagConfig',
        flags: b >> 4,
        authentication: (b & 0x08) !== 0,
        pathControlSize: b & 0x07,
        dioIntervalDoublings: doublings,
        dioIntervalMin: imin,
        dioRedundancy: redundancy,
        maxRankIncrease,
        minHopRankIncrease,
        ocp,
        defaultLifetime: r.u8(),
        lifetimeUnit: r.u16be(),
      };
    }
    case RplOptionType.target: {
      if (data.length < 2) return undefined;
      const flags = r.u8();
      const prefixLength = r.u8();
      if (prefixLength > 128 || r.remaining * 8 < prefixLength) return undefined;
      return { kind: 'target', flags, prefixLength, prefix: r.rest().slice() };
    }
    case RplOptionType.transit: {
      if (data.length !== 4 && data.length !== 20) return undefined;
      const b = r.u8();
      const t: RplOption = { kind: 'transit', external: (b & 0x80) !== 0, pathControl: r.u8(), pathSequence: r.u8(), pathLifetime: r.u8() };
      if (r.remaining) t.parent = r.take(16).slice();
      return t;
    }
    case RplOptionType.prefixInfo:
      return data.length === PREFIX_INFORMATION_BODY_BYTES ? { kind: 'prefixInfo', ...parsePrefixInformation(r) } : undefined;
  }
  return undefined;
}

export function parseRplOptions(bytes: Uint8Array): Result<RplOption[]> {
  const r = new ByteReader(bytes);
  const out: RplOption[] = [];
  while (r.remaining) {
    const type = r.u8();
    if (type === RplOptionType.pad1) {
      out.push({ kind: 'pad1' });
      continue;
    }
    if (!r.has(1)) return err('truncated', `rpl option ${type}: no length`);
    const len = r.u8();
    if (!r.has(len)) return err('truncated', `rpl option ${type}: length ${len}, have ${r.remaining}`);
    const data = r.take(len);
    if (type === RplOptionType.padN) out.push({ kind: 'padN', length: len });
    else out.push(parseOption(type, data) ?? { kind: 'unknown', type, data: data.slice() });
  }
  return ok(out);
}

export function emitRplOptions(options: RplOption[], w: ByteWriter): void {
  for (const o of options) {
    switch (o.kind) {
      case 'pad1':
        w.u8(0);
        break;
      case 'padN':
        w.u8(RplOptionType.padN).u8(o.length).bytes(new Uint8Array(o.length));
        break;
      case 'dodagConfig':
        w.u8(RplOptionType.dodagConfig).u8(14);
        w.u8(((o.flags & 0xf) << 4) | (o.authentication ? 0x08 : 0) | (o.pathControlSize & 7));
        w.u8(o.dioIntervalDoublings).u8(o.dioIntervalMin).u8(o.dioRedundancy);
        w.u16be(o.maxRankIncrease).u16be(o.minHopRankIncrease).u16be(o.ocp);
        w.u8(0).u8(o.defaultLifetime).u16be(o.lifetimeUnit);
        break;
      case 'target':
        w.u8(RplOptionType.target).u8(2 + o.prefix.length).u8(o.flags).u8(o.prefixLength).bytes(o.prefix);
        break;
      case 'transit':
        w.u8(RplOptionType.transit).u8(o.parent ? 20 : 4);
        w.u8(o.external ? 0x80 : 0).u8(o.pathControl).u8(o.pathSequence).u8(o.pathLifetime);
        if (o.parent) w.bytes(o.parent);
        break;
      case 'prefixInfo':
        w.u8(RplOptionType.prefixInfo).u8(PREFIX_INFORMATION_BODY_BYTES);
        emitPrefixInformation(o, w);
        break;
      case 'unknown':
        w.u8(o.type).u8(o.data.length).bytes(o.data);
        break;
    }
  }
}

/** Parses the message body that follows the ICMPv6 type, code and checksum. */
export function parseRplMessage(code: number, body: Uint8Array): Result<RplMessage> {
  const r = new ByteReader(body);
  const need = (n: number, what: string): Result<never> | undefined =>
    r.has(n) ? undefined : err('truncated', `rpl ${what}: ${body.length} bytes, need ${r.offset + n}`);
  const withOptions = <T extends object>(m: T): Result<T & { options: RplOption[] }> => {
    const options = parseRplOptions(r.rest());
    return options.ok ? ok({ ...m, options: options.value }) : options;
  };
  switch (code) {
    case RplCode.dis: {
      const e = need(2, 'DIS');
      if (e) return e;
      const flags = r.u8();
      r.u8(); // Reserved
      return withOptions({ kind: 'dis' as const, flags });
    }
    case RplCode.dio: {
      // RFC 6550 §6.3.1: 24-byte base
      const e = need(24, 'DIO');
      if (e) return e;
      const instanceId = r.u8();
      const version = r.u8();
      const rank = r.u16be();
      const b = r.u8();
      const dtsn = r.u8();
      const flags = r.u8();
      r.u8(); // Reserved
      return withOptions({
        kind: 'dio' as const,
        instanceId,
        version,
        rank,
        grounded: (b & 0x80) !== 0,
        mop: (b >> 3) & 0x07,
        preference: b & 0x07,
        dtsn,
        flags,
        dodagId: r.take(16).slice(),
      });
    }
    case RplCode.dao: {
      const e = need(4, 'DAO');
      if (e) return e;
      const instanceId = r.u8();
      const b = r.u8();
      r.u8(); // Reserved
      const daoSequence = r.u8();
      const m: Extract<RplMessage, { kind: 'dao' }> = { kind: 'dao', instanceId, ackRequested: (b & 0x80) !== 0, flags: b & 0x3f, daoSequence, options: [] };
      if (b & 0x40) {
        const e2 = need(16, 'DAO DODAGID');
        if (e2) return e2;
        m.dodagId = r.take(16).slice();
      }
      return withOptions(m);
    }
    case RplCode.daoAck: {
      const e = need(4, 'DAO-ACK');
      if (e) return e;
      const instanceId = r.u8();
      const b = r.u8();
      const daoSequence = r.u8();
      const status = r.u8();
      const m: Extract<RplMessage, { kind: 'daoAck' }> = { kind: 'daoAck', instanceId, daoSequence, status, options: [] };
      if (b & 0x80) {
        const e2 = need(16, 'DAO-ACK DODAGID');
        if (e2) return e2;
        m.dodagId = r.take(16).slice();
      }
      return withOptions(m);
    }
  }
  return ok({ kind: 'unknown', code, body: body.slice() });
}

export function rplCode(m: RplMessage): number {
  switch (m.kind) {
    case 'dis':
      return RplCode.dis;
    case 'dio':
      return RplCode.dio;
    case 'dao':
      return RplCode.dao;
    case 'daoAck':
      return RplCode.daoAck;
    case 'unknown':
      return m.code;
  }
}

/** Emits the body that follows the ICMPv6 type, code and checksum. */
export function emitRplMessage(m: RplMessage, w: ByteWriter): void {
  switch (m.kind) {
    case 'dis':
      w.u8(m.flags).u8(0);
      break;
    case 'dio':
      w.u8(m.instanceId).u8(m.version).u16be(m.rank);
      w.u8((m.grounded ? 0x80 : 0) | ((m.mop & 7) << 3) | (m.preference & 7));
      w.u8(m.dtsn).u8(m.flags).u8(0).bytes(m.dodagId);
      break;
    case 'dao':
      w.u8(m.instanceId).u8((m.ackRequested ? 0x80 : 0) | (m.dodagId ? 0x40 : 0) | (m.flags & 0x3f)).u8(0).u8(m.daoSequence);
      if (m.dodagId) w.bytes(m.dodagId);
      break;
    case 'daoAck':
      w.u8(m.instanceId).u8(m.dodagId ? 0x80 : 0).u8(m.daoSequence).u8(m.status);
      if (m.dodagId) w.bytes(m.dodagId);
      break;
    case 'unknown':
      w.bytes(m.body);
      return;
  }
  emitRplOptions(m.options, w);
}
