// RLOC16 arithmetic (Thread 1.1 §5.2.1.1): a router's RLOC16 is its router ID in the
// top six bits with child ID 0; a child's carries its parent's router ID and its own
// child ID. The RLOC's interface identifier is 0000:00ff:fe00:RLOC16.

export function routerIdOf(rloc16: number): number {
  return rloc16 >> 10;
}

export function rloc16OfRouter(id: number): number {
  return id << 10;
}

export function isRouterRloc16(rloc16: number): boolean {
  return (rloc16 & 0x1ff) === 0;
}

/** The interface identifier of an RLOC (or ALOC) address. */
export function rlocIid(rloc16: number): Uint8Array {
  return Uint8Array.of(0, 0, 0, 0xff, 0xfe, 0, (rloc16 >> 8) & 0xff, rloc16 & 0xff);
}
