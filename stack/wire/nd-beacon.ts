// Beacon payload of a 6LoWPAN-ND network. Shaped after Nanostack's: a protocol
// id and a 16-byte network id let a joining node pick its network among the
// beacons of an active scan ("Configuring the network", Nanostack docs: beacon
// protocol id, PAN ID, network id). Byte values are ours.
//
//   0      protocol id (PROTOCOL_ID_6LOWPAN_ND)
//   1      flags: b0 accept join, b1 sender is the border router
//   2..17  network id, ASCII, NUL-padded
import { ByteReader, ByteWriter } from './bytes.ts';
import { err, ok, type Result } from './result.ts';

export const PROTOCOL_ID_6LOWPAN_ND = 0x04;
const NETWORK_ID_LEN = 16;

export interface NdBeaconPayload {
  protocolId: number;
  acceptJoin: boolean;
  borderRouter: boolean;
  networkId: string;
}

export function parseNdBeaconPayload(bytes: Uint8Array): Result<NdBeaconPayload> {
  if (bytes.length < 2 + NETWORK_ID_LEN) return err('truncated', `beacon payload: ${bytes.length} bytes, need ${2 + NETWORK_ID_LEN}`);
  const r = new ByteReader(bytes);
  const protocolId = r.u8();
  const flags = r.u8();
  const id = r.take(NETWORK_ID_LEN);
  const end = id.indexOf(0);
  const networkId = String.fromCharCode(...id.subarray(0, end < 0 ? NETWORK_ID_LEN : end));
  return ok({ protocolId, acceptJoin: (flags & 1) !== 0, borderRouter: (flags & 2) !== 0, networkId });
}

export function emitNdBeaconPayload(p: NdBeaconPayload): Uint8Array {
  const w = new ByteWriter(2 + NETWORK_ID_LEN);
  w.u8(p.protocolId).u8((p.acceptJoin ? 1 : 0) | (p.borderRouter ? 2 : 0));
  const id = new Uint8Array(NETWORK_ID_LEN);
  for (let i = 0; i < Math.min(p.networkId.length, NETWORK_ID_LEN); i++) id[i] = p.networkId.charCodeAt(i) & 0x7f;
  return w.bytes(id).finish();
}
