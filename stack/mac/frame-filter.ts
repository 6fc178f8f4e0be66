// Which received frames are ours: third-level filtering on the addresses (IEEE
// 802.15.4-2006 §7.5.6.2), first on the raw header so that the many frames a mesh radio
// overhears for its neighbours cost no full parse, and duplicate rejection by sequence
// number per source (§7.5.6.4.1: a retransmission whose ACK was lost).
import { BROADCAST, sourcePan, type MacAddress, type MacFrame } from '../wire/ieee802154.ts';
import { bytesEqual } from '../wire/bytes.ts';

/** Our addresses, as filtering compares them. */
export interface OwnAddresses {
  panId: number;
  shortAddress: number;
  /** EUI-64, natural byte order. */
  extAddress: Uint8Array;
  /** A PAN coordinator takes frames without a destination address from its PAN. */
  panCoordinator: boolean;
}

/** A source's key for the tables kept per neighbour (a short address is only unique within its PAN). */
export function addressKey(pan: number | undefined, a: MacAddress): string | undefined {
  if (a.mode === 'ext') return `e${Array.from(a.ext).join('.')}`;
  if (a.mode === 'short') return `s${pan ?? -1}.${a.short}`;
  return undefined;
}

/**
 * The address part of third-level filtering on the raw header: a data or command frame
 * of the 2003/2006 formats whose destination PAN, or destination address, is neither
 * ours nor broadcast. Fields per §7.2.1: FCF (2, little-endian: type b0–2, destination
 * mode b10–11, version b12–13), sequence number (1), destination PAN (2), destination
 * address (2, or 8 in reverse byte order). Anything else, and any frame too short to
 * tell, takes the full path.
 */
export function addressedElsewhere(psdu: Uint8Array, own: OwnAddresses): boolean {
  if (psdu.length < 7) return false;
  const fcf = psdu[0]! | (psdu[1]! << 8);
  const type = fcf & 7;
  const dstMode = (fcf >> 10) & 3;
  const version = (fcf >> 12) & 3;
  if ((type !== 1 && type !== 3) || dstMode < 2 || version > 1) return false;
  const dstPan = psdu[3]! | (psdu[4]! << 8);
  if (dstPan !== BROADCAST && dstPan !== own.panId) return true;
  if (dstMode === 2) {
    const short = psdu[5]! | (psdu[6]! << 8);
    return short !== BROADCAST && short !== own.shortAddress;
  }
  if (psdu.length < 13) return false;
  for (let i = 0; i < 8; i++) if (psdu[5 + i] !== own.extAddress[7 - i]) return true;
  return false;
}

/** Third-level filtering (§7.5.6.2) of a parsed frame. */
export function accepts(f: MacFrame, own: OwnAddresses): boolean {
  if (f.type === 'unknown') return false;
  if (f.type === 'beacon') {
    const pan = sourcePan(f);
    return own.panId === BROADCAST || pan === own.panId;
  }
  if (f.dst.mode === 'none') {
    // Only a PAN coordinator takes frames without a destination, and only from its PAN.
    return own.panCoordinator && sourcePan(f) === own.panId;
  }
  if (f.dstPan !== BROADCAST && f.dstPan !== own.panId) return false;
  if (f.dst.mode === 'short') return f.dst.short === BROADCAST || f.dst.short === own.shortAddress;
  return bytesEqual(f.dst.ext, own.extAddress);
}

/** The last sequence number accepted per source; a data or command frame repeating it is a duplicate. */
export class DuplicateFilter {
  private readonly lastSeq = new Map<string, number>();

  /** True when `f` repeats its source's last frame; otherwise records it. */
  isDuplicate(f: MacFrame): boolean {
    if (f.type !== 'data' && f.type !== 'command') return false;
    const key = addressKey(sourcePan(f), f.src);
    if (key === undefined) return false;
    if (this.lastSeq.get(key) === f.seq) return true;
    this.lastSeq.set(key, f.seq);
    return false;
  }
}
