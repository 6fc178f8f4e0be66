// Lab rig files for the lab commands (boards, flash, doctor): the rig loader,
// narrowed to `kind: lab`. Errors name the field; warnings (a bare
// /dev/ttyACMn) are returned, not thrown.
import { dirname, resolve } from 'node:path';
import { isLabRig, loadRig, RigFileError } from '../rig/load.ts';
import { checkLabRig, LabRigSchema, type LabRig } from '../rig/lab.ts';

export interface LoadedLabRig {
  file: string;
  dir: string;
  rig: LabRig;
  warnings: string[];
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

/** Validates an already parsed lab rig (tests, generated rigs). */
export function parseLabRig(file: string, data: unknown): LoadedLabRig {
  const path = resolve(file);
  const parsed = LabRigSchema.safeParse(data);
  if (!parsed.success) {
    throw new RigFileError(
      file,
      parsed.error.issues.map((i) =>
        i.code === 'unrecognized_keys' ? `${fieldName(i.path)}: unknown field(s) ${i.keys.map((k) => `'${k}'`).join(', ')}` : `${fieldName(i.path)}: ${i.message}`,
      ),
    );
  }
  const { problems, warnings } = checkLabRig(parsed.data);
  if (problems.length) throw new RigFileError(file, problems);
  return { file: path, dir: dirname(path), rig: parsed.data, warnings };
}

export function loadLabRig(file: string): LoadedLabRig {
  const loaded = loadRig(file);
  if (!isLabRig(loaded)) throw new RigFileError(file, [`kind: this command needs a lab rig (kind: lab); this one is '${loaded.rig.kind}'`]);
  return loaded;
}
