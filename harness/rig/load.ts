// Loads and validates a rig file of either kind (sim or lab). Errors name the
// field (`boards[2].stack`) and, where YAML can tell, the line; a lab rig's
// warnings (a bare /dev/ttyACMn) are returned, not thrown.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { checkLabRig, type LabRig } from './lab.ts';
import { RigSchema, type Rig, type SimRig } from './schema.ts';

export class RigFileError extends Error {
  readonly code = 'ERR_RIG_FILE';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid rig file\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadedRig<R extends Rig = Rig> {
  file: string;
  dir: string;
  rig: R;
  /** Things that do not stop a run but deserve a look. */
  warnings: string[];
}

export function loadRig(file: string): LoadedRig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RigFileError(file, [`cannot read: ${(e as Error).message}`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length) {
    throw new RigFileError(
      file,
      doc.errors.map((e) => `YAML ${e.linePos?.[0] ? `line ${e.linePos[0].line}: ` : ''}${e.message.split('\n')[0]}`),
    );
  }
  const parsed = RigSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new RigFileError(file, describeIssues(parsed.error.issues, doc.contents, lines));
  const rig = parsed.data;
  const { problems, warnings } = rig.kind === 'sim' ? { problems: crossCheckSim(rig), warnings: [] } : checkLabRig(rig);
  if (problems.length) throw new RigFileError(file, problems);
  return { file: path, dir: dirname(path), rig, warnings };
}

export function isLabRig(loaded: LoadedRig): loaded is LoadedRig<LabRig> {
  return loaded.rig.kind === 'lab';
}

export function isSimRig(loaded: LoadedRig): loaded is LoadedRig<SimRig> {
  return loaded.rig.kind === 'sim';
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function lineOf(root: unknown, path: ReadonlyArray<PropertyKey>, lines: LineCounter): number | undefined {
  let node = root as Node | null | undefined;
  let line: number | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      node = pair.value as Node | null;
      const range = (pair.key as Node | null)?.range;
      if (range) line = lines.linePos(range[0]).line;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | null;
      if (node?.range) line = lines.linePos(node.range[0]).line;
    } else break;
  }
  return line;
}

function describeIssues(issues: z.core.$ZodIssue[], root: unknown, lines: LineCounter): string[] {
  return issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? issue.path : issue.path;
    const line = lineOf(root, path, lines);
    const where = `${fieldName(path)}${line ? ` (line ${line})` : ''}`;
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    return `${where}: ${issue.message}`;
  });
}

/** Rules a sim rig's schema cannot say on its own (lab rigs: checkLabRig). */
function crossCheckSim(rig: SimRig): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  rig.boards.forEach((b, i) => {
    if (seen.has(b.id)) problems.push(`boards[${i}].id: duplicate board id '${b.id}'`);
    seen.add(b.id);
    if (rig.topology.kind === 'positions' && !b.position) problems.push(`boards[${i}].position: required when topology.kind is 'positions'`);
  });
  if (rig.topology.kind === 'matrix') {
    for (const link of Object.keys(rig.topology.links)) {
      for (const end of link.split('~')) if (!seen.has(end)) problems.push(`topology.links.${link}: no board '${end}'`);
    }
  }
  for (const kind of ['nd', 'thread'] as const) {
    if (rig.boards.some((b) => b[kind]) && !rig.networks[kind]) problems.push(`networks.${kind}: boards take part in '${kind}' but the rig names no network config for it`);
  }
  return problems;
}
