// Loads a lab rig file: YAML, validated with the lab schema, cross-checked.
// Errors name the field; warnings (a bare /dev/ttyACMn) are returned, not thrown.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { RigFileError } from '../rig/load.ts';
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
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (e) {
    throw new RigFileError(file, [`cannot read: ${(e as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) throw new RigFileError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  return parseLabRig(file, doc.toJS());
}
