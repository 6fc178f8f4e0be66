// Loads and validates a rig file of either kind (sim or lab). Errors name the
// field (`boards[2].stack`) and, where YAML can tell, the line; a lab rig's
// warnings (a bare /dev/ttyACMn) are returned, not thrown. Input is bounded: a
// regular file of at most 1 MB, at most MAX_BOARDS boards, aliases expanded a
// bounded number of times, duplicate keys found in linear time.
import { dirname, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { BoundedReadError, readBounded, RIG_FILE_CAP_BYTES } from './bounded-read.ts';
import { MAX_BOARDS } from './common.ts';
import { checkLabRig, type LabRig } from './lab.ts';
import { RigSchema, type Rig, type SimRig } from './schema.ts';
import { ErrorCode } from '../errors.ts';

export class RigFileError extends Error {
  readonly code = ErrorCode.RIG_FILE;
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
    text = readBounded(path, RIG_FILE_CAP_BYTES);
  } catch (e) {
    if (e instanceof BoundedReadError) throw new RigFileError(file, [e.message]);
    throw e;
  }
  const lines = new LineCounter();
  // yaml's own duplicate-key check is quadratic in a map's size; duplicateKeys() below is linear.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length) {
    throw new RigFileError(
      file,
      doc.errors.map((e) => `YAML line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`),
    );
  }
  const dups = duplicateKeys(doc, lines);
  if (dups.length) throw new RigFileError(file, dups);
  let data: unknown;
  try {
    // yaml stops expanding aliases past maxAliasCount (a "billion laughs" file).
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const at = firstAliasLine(doc, lines);
    throw new RigFileError(file, [`YAML ${at ? `line ${at}: ` : ''}${e instanceof ReferenceError ? 'aliases expand too many times (at most 100); write the values out' : (e as Error).message.split('\n')[0]}`]);
  }
  const boards = (data as { boards?: unknown } | null)?.boards;
  if (Array.isArray(boards) && boards.length > MAX_BOARDS) {
    const line = lineOf(doc.contents, ['boards'], lines);
    throw new RigFileError(file, [`boards${line ? ` (line ${line})` : ''}: ${boards.length} boards; a rig has at most ${MAX_BOARDS} (each board takes a pseudo-terminal or a serial port, and a run a process or port per board)`]);
  }
  const parsed = RigSchema.safeParse(data);
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

/** Keys written twice in one map, each with its line: one pass, a set per map. */
function duplicateKeys(doc: Document, lines: LineCounter): string[] {
  const out: string[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = pair.key;
        if (!isScalar(k)) continue;
        const name = String(k.value);
        if (seen.has(name)) {
          const line = k.range ? lines.linePos(k.range[0]).line : undefined;
          out.push(`YAML ${line ? `line ${line}: ` : ''}duplicate key '${name.length > 40 ? `${name.slice(0, 40)}…` : name}'`);
          if (out.length >= 10) return visit.BREAK;
        }
        seen.add(name);
      }
      return undefined;
    },
  });
  return out;
}

function firstAliasLine(doc: Document, lines: LineCounter): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) line = lines.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
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
