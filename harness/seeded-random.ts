// The harness's own seeded draws (the stack has its own Rng, which the harness may not
// import): the same seed, the same schedule, on any machine.

/** mulberry32: uniform in [0, 1) from a 32-bit state; small, fast, and enough for schedules and jitter. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws for one board of one run: the run's seed and the board's id hashed (FNV-1a) into mulberry32's state. */
export function boardRandom(seed: number, id: string): () => number {
  let s = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < id.length; i++) s = Math.imul(s ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return mulberry32(s);
}
