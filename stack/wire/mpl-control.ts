// The MPL Control Message body (RFC 7731 §4.3, ICMPv6 type 159 code 0): a list of MPL
// Seed Info (§4.4), one per seed of the sender's Seed Set: min-seqno (1 octet), bm-len
// (6 bits) and S (2 bits), the seed-id (S = 0: none, the message's IPv6 source is the
// seed; 1: 16 bits; 2: 64 bits; 3: 128 bits), then bm-len octets of buffered-mpl-messages,
// whose i-th bit (most significant bit of the first octet first) says whether
// min-seqno + i is in the sender's Buffered Message Set.
import { ByteReader, type ByteWriter } from './bytes.ts';
import { err, ok, type Result } from './result.ts';

export interface MplSeedInfo {
  minSequence: number;
  /** 0, 2, 8 or 16 octets; empty: the seed is the control message's IPv6 source (S = 0). */
  seedId: Uint8Array;
  /** Sequence numbers the sender holds, each within 255 of `minSequence` (serial arithmetic, mod 256). */
  buffered: number[];
}

/** Seed-id length per S (RFC 7731 §4.2, Table 1; the same in §4.4). */
const SEED_ID_LENGTHS = [0, 2, 8, 16] as const;

export function parseMplControl(body: Uint8Array): Result<MplSeedInfo[]> {
  const r = new ByteReader(body);
  const seeds: MplSeedInfo[] = [];
  while (r.remaining > 0) {
    if (!r.has(2)) return err('truncated', `mpl seed info ${seeds.length}: ${r.remaining} octet, need 2`);
    const minSequence = r.u8();
    const b = r.u8();
    const bmLen = b >> 2;
    const idLen = SEED_ID_LENGTHS[b & 3]!;
    if (!r.has(idLen + bmLen)) return err('truncated', `mpl seed info ${seeds.length}: seed-id ${idLen} and bm-len ${bmLen} octets, ${r.remaining} left`);
    const seedId = r.take(idLen).slice();
    const bitmap = r.take(bmLen);
    const buffered: number[] = [];
    for (let i = 0; i < bmLen * 8; i++) if (bitmap[i >> 3]! & (0x80 >> (i & 7))) buffered.push((minSequence + i) & 0xff);
    seeds.push({ minSequence, seedId, buffered });
  }
  return ok(seeds);
}

export function emitMplControl(seeds: MplSeedInfo[], w: ByteWriter): void {
  for (const s of seeds) {
    const type = SEED_ID_LENGTHS.indexOf(s.seedId.length as 0 | 2 | 8 | 16);
    if (type < 0) throw new RangeError(`mpl seed-id: ${s.seedId.length} octets, not 0, 2, 8 or 16`);
    const bmLen = bitmapLength(s);
    const bitmap = new Uint8Array(bmLen);
    for (const seq of s.buffered) {
      const i = (seq - s.minSequence) & 0xff;
      bitmap[i >> 3]! |= 0x80 >> (i & 7);
    }
    w.u8(s.minSequence & 0xff)
      .u8((bmLen << 2) | type)
      .bytes(s.seedId)
      .bytes(bitmap);
  }
}

/** Octets of buffered-mpl-messages: up to the highest sequence held, none when nothing is held. */
function bitmapLength(s: MplSeedInfo): number {
  if (s.buffered.length === 0) return 0;
  const last = Math.max(...s.buffered.map((seq) => (seq - s.minSequence) & 0xff));
  return (last >> 3) + 1;
}
