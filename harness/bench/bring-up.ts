// One entry point for the runner: bring up whatever kind of rig the file
// describes (bench.ts for the simulated bench, lab-bench.ts for a lab).
import { isLabRig, isSimRig, type LoadedRig } from '../rig/load.ts';
import { bringUpSim, type Bench, type BringUpOptions } from './bench.ts';
import { bringUpLab, type LabBringUpOptions } from './lab-bench.ts';

export type { LabBringUpOptions } from './lab-bench.ts';

export function bringUp(loaded: LoadedRig, opts: BringUpOptions & { lab?: LabBringUpOptions }): Promise<Bench> {
  if (isSimRig(loaded)) return bringUpSim(loaded, opts);
  if (isLabRig(loaded)) return bringUpLab(loaded, { ...opts, ...opts.lab });
  throw new Error(`rig kind '${(loaded.rig as { kind: string }).kind}' has no bring-up`);
}
