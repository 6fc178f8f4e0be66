// A Thread node's IEEE 802.15.4 extended address is not its factory EUI-64: OpenThread's
// Mac draws a random one when the instance starts (mac.cpp, Mac::Mac: ExtAddress::GenerateRandom,
// then SetExtAddress) and again when a joiner starts; the EUI-64 stays for commissioning only.
// ExtAddress::GenerateRandom (mac_types.cpp) fills 8 random bytes, then clears the group bit
// and sets the locally administered bit of the first byte (SetGroup(false), SetLocal(true)).
import type { Rng } from '../runtime.ts';

/** IEEE 802 first-octet bits: I/G (group) and U/L (locally administered). */
const GROUP_BIT = 0x01;
const LOCAL_BIT = 0x02;

/** A random, unicast, locally administered extended address, natural byte order, from the stack's rng. */
export function randomExtAddress(rng: Rng): Uint8Array {
  const a = new Uint8Array(8);
  const view = new DataView(a.buffer);
  // next() is a 32-bit draw divided by 2^32, so int(2^32) gives all 32 bits of one draw.
  view.setUint32(0, rng.int(2 ** 32));
  view.setUint32(4, rng.int(2 ** 32));
  a[0] = (a[0]! & ~GROUP_BIT) | LOCAL_BIT;
  return a;
}
