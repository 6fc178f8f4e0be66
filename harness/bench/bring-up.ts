// One entry point for the runner: bring up whatever kind of rig the file
// describes (bench.ts for the simulated bench, lab-bench.ts for a lab), once
// the host has the pseudo-terminals its boards need.
import { ptyShortage } from '../lab/pty-budget.ts';
import { isLabRig, isSimRig, type LoadedRig } from '../rig/load.ts';
import { BenchUpError, bringUpSim, type Bench, type BringUpOptions } from './bench.ts';
import { bringUpLab, type LabBringUpOptions } from './lab-bench.ts';

export type { LabBringUpOptions } from './lab-bench.ts';

export function bringUp(loaded: LoadedRig, opts: BringUpOptions & { lab?: LabBringUpOptions }): Promise<Bench> {
  // Every sim board, and every host-process board of a lab, runs on a PTY of its own.
  const ptys = isSimRig(loaded) ? loaded.rig.boards.length : isLabRig(loaded) ? loaded.rig.boards.filter((b) => b.port.kind === 'process').length : 0;
  const short = ptyShortage(ptys);
  if (short) return Promise.reject(new BenchUpError(short));
  if (isSimRig(loaded)) return bringUpSim(loaded, opts);
  if (isLabRig(loaded)) return bringUpLab(loaded, { ...opts, ...opts.lab });
  throw new Error(`rig kind '${(loaded.rig as { kind: string }).kind}' has no bring-up`);
}
