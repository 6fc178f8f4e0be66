// A 6LoWPAN-ND network on the simulated medium: StackNodes on a seeded testbed,
// placed by coordinates (log-distance path loss: 50 m is a good link, 100 m none).
import { createTestbed, type Testbed } from '../../../sim/testbed.ts';
import type { LoWPANNDInterface, NdConfig } from '../../../stack/mesh/nd-interface.ts';
import { ND_DEFAULTS } from '../../../stack/mesh/nd-interface.ts';
import type { NdTuning } from '../../../stack/nd/params.ts';
import { StackNode } from '../../../stack/node.ts';
import { SECOND } from '../../../stack/runtime.ts';

export interface BedNode {
  id: string;
  x: number;
  y: number;
  role?: NdConfig['role'];
  config?: Partial<NdConfig>;
}

export interface NdBed {
  bed: Testbed<StackNode>;
  node(id: string): StackNode;
  nd(id: string): LoWPANNDInterface;
  connectAll(ids?: string[]): void;
  /** Runs until every listed node is GLOBAL_UP; returns false on timeout. */
  runUntilUp(ids: string[], limitS: number): boolean;
}

export const CHANNEL_12 = { channel: 12, channelMask: 1 << 12, panIdFilter: 0x0691 };

/** Path loss of a good link in `links` topologies (−85 dBm at 0 dBm TX); others hear nothing. */
export const GOOD_LINK_DB = 85;

/**
 * Nodes placed by coordinates (log-distance path loss, exponent 3), or, with `links`,
 * only the listed pairs in range of each other (an attenuator matrix).
 */
export function ndBed(seed: number, nodes: BedNode[], tuning: Partial<NdTuning> = {}, links?: Array<[string, string]>): NdBed {
  const positions = Object.fromEntries(nodes.map((n) => [n.id, { x: n.x, y: n.y }]));
  const lossDb: Record<string, Record<string, number>> = {};
  for (const [a, c] of links ?? []) (lossDb[a] ??= {})[c] = GOOD_LINK_DB;
  const bed = createTestbed<StackNode>({
    seed,
    topology: links
      ? { kind: 'matrix', lossDb, defaultLossDb: 200 }
      : { kind: 'positions', positions, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 },
    nodes: nodes.map((n) => ({ id: n.id })),
    build: (env) => new StackNode({ radio: env.radio, timers: env.timers, rng: env.rng, eui64: env.eui64 }),
  });
  for (const n of nodes) {
    const node = bed.node(n.id).app;
    node.initMesh({ kind: 'nd', nd: { ...ND_DEFAULTS, ...CHANNEL_12, role: n.role ?? 'router', tuning, ...n.config } });
  }
  const nd = (id: string): LoWPANNDInterface => bed.node(id).app.mesh as LoWPANNDInterface;
  return {
    bed,
    node: (id) => bed.node(id).app,
    nd,
    connectAll(ids = nodes.map((n) => n.id)) {
      for (const id of ids) nd(id).connect();
    },
    runUntilUp(ids, limitS) {
      return bed.runUntil(() => ids.every((id) => nd(id).getConnectionStatus() === 'GLOBAL_UP'), limitS * SECOND);
    },
  };
}

/** A line: br at x = 0, then r1, r2, … every `spacing` metres. */
export function line(hops: number, spacing = 50): BedNode[] {
  const out: BedNode[] = [{ id: 'br', x: 0, y: 0, role: 'border-router' }];
  for (let i = 1; i <= hops; i++) out.push({ id: `r${i}`, x: i * spacing, y: 0 });
  return out;
}

/** A side × side grid, the border router in a corner, each node in range of its 4 neighbours only. */
export function grid(side: number): { nodes: BedNode[]; links: Array<[string, string]> } {
  const id = (r: number, c: number): string => (r === 0 && c === 0 ? 'br' : `n${r * side + c}`);
  const nodes: BedNode[] = [];
  const links: Array<[string, string]> = [];
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      nodes.push({ id: id(r, c), x: c, y: r, ...(r === 0 && c === 0 ? { role: 'border-router' as const } : {}) });
      if (c + 1 < side) links.push([id(r, c), id(r, c + 1)]);
      if (r + 1 < side) links.push([id(r, c), id(r + 1, c)]);
    }
  return { nodes, links };
}
