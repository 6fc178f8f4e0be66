// Thread Network Data, the minimum a border router's on-mesh prefix needs: a
// Prefix TLV with a Border Router sub-TLV (SLAAC, on-mesh) and a Context sub-TLV.
// TLV header: type << 1 | stable bit, then length (OpenThread `network_data_tlvs.hpp`).
import { ByteReader, ByteWriter } from '../wire/bytes.ts';
import type { LowpanContext } from '../wire/iphc.ts';
import { err, ok, type Result } from '../wire/result.ts';

export const NETWORK_DATA_TLVS = { hasRoute: 0, prefix: 1, borderRouter: 2, context: 3, commissioningData: 4, service: 5, server: 6 } as const;

/** Border Router entry flags (`BorderRouterEntry`): preference bits 15–14, then P S D C R O, then N (ND DNS). */
export const BR_FLAGS = { preferred: 1 << 13, slaac: 1 << 12, dhcp: 1 << 11, configure: 1 << 10, defaultRoute: 1 << 9, onMesh: 1 << 8, ndDns: 1 << 7 } as const;

export interface BorderRouterEntry {
  rloc16: number;
  flags: number;
}

export type PrefixSubTlv =
  | { type: 'borderRouter'; stable: boolean; entries: BorderRouterEntry[] }
  | { type: 'context'; stable: boolean; compress: boolean; contextId: number; contextLength: number }
  | { type: 'unknown'; code: number; stable: boolean; value: Uint8Array };

export type NetworkDataTlv =
  | { type: 'prefix'; stable: boolean; domainId: number; prefixLength: number; prefix: Uint8Array; subTlvs: PrefixSubTlv[] }
  | { type: 'unknown'; code: number; stable: boolean; value: Uint8Array };

function readTlvs<T>(bytes: Uint8Array, one: (code: number, stable: boolean, v: Uint8Array) => Result<T>): Result<T[]> {
  const r = new ByteReader(bytes);
  const out: T[] = [];
  while (r.remaining > 0) {
    if (!r.has(2)) return err('truncated', 'network data TLV: type and length');
    const t = r.u8();
    const length = r.u8();
    if (!r.has(length)) return err('truncated', `network data TLV ${t >> 1}: length ${length}`);
    const item = one(t >> 1, (t & 1) !== 0, r.take(length));
    if (!item.ok) return item;
    out.push(item.value);
  }
  return ok(out);
}

function parseSubTlv(code: number, stable: boolean, v: Uint8Array): Result<PrefixSubTlv> {
  if (code === NETWORK_DATA_TLVS.borderRouter) {
    if (v.length % 4 !== 0) return err('malformed', `Border Router TLV: length ${v.length} not a multiple of 4`);
    const r = new ByteReader(v);
    const entries: BorderRouterEntry[] = [];
    while (r.remaining > 0) entries.push({ rloc16: r.u16be(), flags: r.u16be() });
    return ok({ type: 'borderRouter', stable, entries });
  }
  if (code === NETWORK_DATA_TLVS.context) {
    if (v.length !== 2) return err('malformed', `Context TLV: length ${v.length}, expected 2`);
    const b = v[0] ?? 0;
    return ok({ type: 'context', stable, compress: (b & 0x10) !== 0, contextId: b & 0x0f, contextLength: v[1] ?? 0 });
  }
  return ok({ type: 'unknown', code, stable, value: v.slice() });
}

export function parseNetworkData(bytes: Uint8Array): Result<NetworkDataTlv[]> {
  return readTlvs<NetworkDataTlv>(bytes, (code, stable, v) => {
    if (code !== NETWORK_DATA_TLVS.prefix) return ok({ type: 'unknown', code, stable, value: v.slice() });
    if (v.length < 2) return err('malformed', 'Prefix TLV: domain ID and prefix length');
    const prefixLength = v[1] ?? 0;
    const n = Math.ceil(prefixLength / 8);
    if (prefixLength > 128 || v.length < 2 + n) return err('malformed', `Prefix TLV: prefix length ${prefixLength}`);
    const sub = readTlvs(v.subarray(2 + n), parseSubTlv);
    if (!sub.ok) return sub;
    return ok({ type: 'prefix', stable, domainId: v[0] ?? 0, prefixLength, prefix: v.slice(2, 2 + n), subTlvs: sub.value });
  });
}

function writeTlv(w: ByteWriter, code: number, stable: boolean, value: Uint8Array): void {
  w.u8((code << 1) | (stable ? 1 : 0)).u8(value.length).bytes(value);
}

export function emitNetworkData(tlvs: NetworkDataTlv[]): Uint8Array {
  const w = new ByteWriter(64);
  for (const t of tlvs) {
    if (t.type === 'unknown') {
      writeTlv(w, t.code, t.stable, t.value);
      continue;
    }
    const v = new ByteWriter(32);
    v.u8(t.domainId).u8(t.prefixLength).bytes(t.prefix.subarray(0, Math.ceil(t.prefixLength / 8)));
    for (const s of t.subTlvs) {
      if (s.type === 'borderRouter') {
        const e = new ByteWriter(8);
        for (const entry of s.entries) e.u16be(entry.rloc16).u16be(entry.flags);
        writeTlv(v, NETWORK_DATA_TLVS.borderRouter, s.stable, e.finish());
      } else if (s.type === 'context') {
        writeTlv(v, NETWORK_DATA_TLVS.context, s.stable, Uint8Array.of((s.compress ? 0x10 : 0) | (s.contextId & 0x0f), s.contextLength));
      } else writeTlv(v, s.code, s.stable, s.value);
    }
    writeTlv(w, NETWORK_DATA_TLVS.prefix, t.stable, v.finish());
  }
  return w.finish();
}

/** The SLAAC prefixes (/64) offered by border routers in `tlvs`. */
export function slaacPrefixes(tlvs: NetworkDataTlv[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const t of tlvs) {
    if (t.type !== 'prefix' || t.prefixLength !== 64) continue;
    const slaac = t.subTlvs.some((s) => s.type === 'borderRouter' && s.entries.some((e) => (e.flags & BR_FLAGS.slaac) !== 0));
    if (slaac) out.push(t.prefix.slice(0, 8));
  }
  return out;
}

/** Context IDs the leader hands out: 1-15, 0 being the mesh-local prefix's (OpenThread kMinContextId, kNumContextIds). */
const MIN_CONTEXT_ID = 1;
const MAX_CONTEXT_ID = 15;

/**
 * The leader's contexts: every prefix a border router offers gets a Context sub-TLV, the lowest
 * free ID from 1, compress set, the prefix's length, stable as its border router entry; a
 * prefix whose border routers are gone keeps its ID for decompression only (compress clear),
 * so a datagram still in flight decompresses as sent (OpenThread Leader::AddBorderRouter,
 * AllocateContext, RemoveRloc).
 */
export function withContexts(tlvs: NetworkDataTlv[]): NetworkDataTlv[] {
  const used = new Set<number>();
  for (const t of tlvs) if (t.type === 'prefix') for (const st of t.subTlvs) if (st.type === 'context') used.add(st.contextId);
  return tlvs.map((t) => {
    if (t.type !== 'prefix') return t;
    const br = t.subTlvs.find((st) => st.type === 'borderRouter');
    const ctx = t.subTlvs.find((st) => st.type === 'context');
    if (ctx) return { ...t, subTlvs: t.subTlvs.map((st) => (st.type === 'context' ? { ...st, compress: br !== undefined } : st)) };
    if (!br) return t;
    let id = MIN_CONTEXT_ID;
    while (used.has(id) && id <= MAX_CONTEXT_ID) id++;
    if (id > MAX_CONTEXT_ID) return t;
    used.add(id);
    return { ...t, subTlvs: [{ type: 'context', stable: br.stable, compress: true, contextId: id, contextLength: t.prefixLength }, ...t.subTlvs] };
  });
}

/** The 6LoWPAN contexts network data gives (RFC 6282 §3.1.1 via Thread's Context sub-TLVs); never ID 0, the mesh-local prefix's. */
export function lowpanContexts(tlvs: readonly NetworkDataTlv[]): LowpanContext[] {
  const out: LowpanContext[] = [];
  for (const t of tlvs) {
    if (t.type !== 'prefix') continue;
    for (const st of t.subTlvs) {
      if (st.type !== 'context' || st.contextId === 0 || st.contextLength > 128) continue;
      const prefix = new Uint8Array(16);
      prefix.set(t.prefix.subarray(0, 16));
      out.push({ id: st.contextId, prefix, length: Math.min(st.contextLength, t.prefixLength), compress: st.compress });
    }
  }
  return out;
}
