// One event of OpenThread's virtual-time simulation protocol, as a UDP datagram
// between a node and its dispatcher (OpenThread examples/platforms/simulation,
// `struct Event` in platform-simulation.h, packed): delay (u64, little-endian,
// µs), type (u8), data length (u16, little-endian), then the data.

/** Event types (OT_SIM_EVENT_* in platform-simulation.h). */
export const VtEventType = {
  /** Node → dispatcher: "wake me after `delay`" (a sleep request); dispatcher → node: time advanced by `delay`. */
  alarm: 0,
  /** A radio frame: channel (1 byte), then the PSDU with its FCS. */
  radio: 1,
  uart: 2,
  radioSpinel: 3,
  otnsStatus: 5,
} as const;

export interface VtEvent {
  delayUs: bigint;
  type: number;
  data: Uint8Array;
}

export const VT_HEADER_BYTES = 11;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseVtEvent(bytes: Uint8Array): ParseResult<VtEvent> {
  if (bytes.length < VT_HEADER_BYTES) return { ok: false, error: `event of ${bytes.length} bytes is shorter than its ${VT_HEADER_BYTES}-byte header` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(9, true);
  if (bytes.length < VT_HEADER_BYTES + length) return { ok: false, error: `event says ${length} data bytes, ${bytes.length - VT_HEADER_BYTES} follow` };
  return { ok: true, value: { delayUs: view.getBigUint64(0, true), type: bytes[8]!, data: bytes.slice(VT_HEADER_BYTES, VT_HEADER_BYTES + length) } };
}

export function emitVtEvent(e: VtEvent): Uint8Array {
  if (e.data.length > 0xffff) throw new RangeError(`event data of ${e.data.length} bytes`);
  const out = new Uint8Array(VT_HEADER_BYTES + e.data.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, e.delayUs, true);
  out[8] = e.type;
  view.setUint16(9, e.data.length, true);
  out.set(e.data, VT_HEADER_BYTES);
  return out;
}

/** A radio event's data: the channel, then the PSDU. */
export function radioEventData(channel: number, psdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + psdu.length);
  out[0] = channel;
  out.set(psdu, 1);
  return out;
}
