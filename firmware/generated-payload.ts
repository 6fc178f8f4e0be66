// The payload `udp.send len=` and `udp.burst` generate (docs/agent-protocol.md): a 4-byte
// big-endian sequence number, the sender's board time in µs as 8 bytes big-endian, then
// filler bytes whose value is their offset modulo 256, by which a receiver tells a
// generated payload from any other and measures latency on the shared bench clock.

/** Sequence number (4) + send time (8). */
export const GENERATED_HEADER_LENGTH = 12;

export function emitGeneratedPayload(sequence: number, sentAtUs: number, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < GENERATED_HEADER_LENGTH) throw new RangeError(`generated payload length ${length} < ${GENERATED_HEADER_LENGTH}`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, sequence >>> 0);
  view.setBigUint64(4, BigInt(Math.max(0, Math.round(sentAtUs))));
  for (let i = GENERATED_HEADER_LENGTH; i < length; i++) out[i] = i & 0xff;
  return out;
}

/** The header of a generated payload, or undefined when the bytes are not one. */
export function parseGeneratedPayload(payload: Uint8Array): { sequence: number; sentAtUs: number } | undefined {
  if (payload.length < GENERATED_HEADER_LENGTH) return undefined;
  for (let i = GENERATED_HEADER_LENGTH; i < payload.length; i++) if (payload[i] !== (i & 0xff)) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const sentAt = view.getBigUint64(4);
  if (sentAt > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { sequence: view.getUint32(0), sentAtUs: Number(sentAt) };
}
