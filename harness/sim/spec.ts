// From a sim rig file to the launch spec of the simulated bench.
import { resolve } from 'node:path';
import type { SimSpec, Topology } from '../../protocol/sim-control.ts';
import type { SimRig } from '../rig/schema.ts';

/**
 * How soon after a board prints the harness gets to act on it, in bench time: a waiting
 * harness runs bench time on to the next whole millisecond (docs/sim-control.md "Lockstep").
 * A USB CDC serial link polls every 1 ms at full speed (USB 2.0 §5.7.3, bInterval 1), so a
 * lab harness sees a board's line no sooner than that either.
 */
export const LOCKSTEP_QUANTUM_US = 1000;

/** `rigDir`: where the rig file is (a board's `program` is relative to it). */
export function simSpecOf(rig: SimRig, run: { runDir: string; seed: number; speed: number | 'max'; rigDir?: string }): SimSpec {
  let topology: Topology;
  if (rig.topology.kind === 'positions') {
    const positions: Record<string, { x: number; y: number; z?: number }> = {};
    for (const b of rig.boards) if (b.position) positions[b.id] = b.position;
    topology = { kind: 'positions', positions, exponent: rig.topology.exponent, refLossDb: rig.topology.refLossDb, shadowingSigmaDb: rig.topology.shadowingSigmaDb };
  } else {
    const lossDb: Record<string, Record<string, number>> = {};
    for (const [link, db] of Object.entries(rig.topology.links)) {
      const [a, b] = link.split('~') as [string, string];
      (lossDb[a] ??= {})[b] = db;
    }
    topology = { kind: 'matrix', lossDb, defaultLossDb: rig.topology.defaultLossDb };
  }
  return {
    runDir: run.runDir,
    seed: run.seed,
    speed: run.speed,
    boards: rig.boards.map((b) => ({ id: b.id, txPowerDbm: b.txPowerDbm, ...(b.program ? { openthread: { program: resolve(run.rigDir ?? '.', b.program) } } : {}), ...(b.clock ? { clock: b.clock } : {}) })),
    topology,
    radio: rig.radio,
    // OpenThread virtual-time nodes too: the sim counts their UART bytes like every board's
    // and lets a node answer at the sync point that hands it its input.
    lockstep: { quantumUs: LOCKSTEP_QUANTUM_US },
  };
}
