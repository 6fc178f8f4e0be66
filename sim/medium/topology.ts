// Where the boards are, as the radio sees it: the path loss of every link.
// Either positions with a log-distance model and per-link shadowing, or an
// explicit loss matrix (what a lab's attenuator matrix gives).
import { SeededRng } from '../../stack/runtime.ts';

export type NodeId = string;

export interface Position {
  x: number;
  y: number;
  z?: number;
}

export type Topology =
  | {
      kind: 'positions';
      positions: Record<NodeId, Position>;
      /** Path-loss exponent n: 2 in free space, ≈ 2.7–3.5 indoors. */
      exponent: number;
      /** PL(d0) in dB; free space at 1 m over 2405–2480 MHz is ≈ 40.2 dB. */
      refLossDb: number;
      /** d0 in metres (default 1). */
      refDistanceM?: number;
      /** σ of the Gaussian shadowing, dB (0 = none; ≈ 3–8 indoors). */
      shadowingSigmaDb: number;
    }
  | {
      kind: 'matrix';
      /** lossDb[a][b]; a missing [a][b] falls back to [b][a], then to defaultLossDb. */
      lossDb: Record<NodeId, Record<NodeId, number>>;
      defaultLossDb: number;
    };

/** FNV-1a over a string, for deriving per-link seeds independent of query order. */
function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Standard normal draw (Box–Muller). */
function gaussian(rng: SeededRng): number {
  const u1 = 1 - rng.next(); // (0, 1], keeps log finite
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Path loss between two nodes from a topology. Shadowing is drawn once per
 * link from `shadowSeed` and the pair of ids (sorted), so it is symmetric and
 * the same whatever order links are first asked for.
 */
export class PathLoss {
  private readonly shadowing = new Map<string, number>();

  constructor(
    readonly topology: Topology,
    private readonly shadowSeed: number,
  ) {}

  knows(id: NodeId): boolean {
    return this.topology.kind === 'matrix' || this.topology.positions[id] !== undefined;
  }

  lossDb(a: NodeId, b: NodeId): number {
    const t = this.topology;
    if (t.kind === 'matrix') {
      return t.lossDb[a]?.[b] ?? t.lossDb[b]?.[a] ?? t.defaultLossDb;
    }
    const pa = t.positions[a];
    const pb = t.positions[b];
    if (!pa || !pb) throw new Error(`topology has no position for ${pa ? b : a}`);
    const d = Math.hypot(pa.x - pb.x, pa.y - pb.y, (pa.z ?? 0) - (pb.z ?? 0));
    const d0 = t.refDistanceM ?? 1;
    // Log-distance model: PL(d) = PL(d0) + 10·n·log10(d/d0) + Xσ; closer than d0 counts as d0.
    return t.refLossDb + 10 * t.exponent * Math.log10(Math.max(d, d0) / d0) + this.shadowDb(a, b, t.shadowingSigmaDb);
  }

  private shadowDb(a: NodeId, b: NodeId, sigma: number): number {
    if (sigma === 0) return 0;
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    let x = this.shadowing.get(key);
    if (x === undefined) {
      x = gaussian(new SeededRng(fnv1a(key, this.shadowSeed))) * sigma;
      this.shadowing.set(key, x);
    }
    return x;
  }
}
