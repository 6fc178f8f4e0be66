// The case catalogue: every case the suite files declare, with whether a rig
// can serve it, without bringing any bench up (`meshbench list-cases`).
import Mocha from 'mocha';
import type { ControlName } from '../bench/controls.ts';
import type { LoadedRig } from '../rig/load.ts';
import type { Role, StackKind } from '../rig/schema.ts';
import { declaredCases, unmet, type CaseMeta, type Needs } from '../suite-api/index.ts';
import { findSuiteFiles } from './suite-files.ts';

export interface CatalogueEntry extends CaseMeta {
  file: string;
  /** Why the rig cannot serve the case; undefined when it can (or no rig was given). */
  unservable?: string;
}

interface StaticBoard {
  stacks: Partial<Record<StackKind, Role[]>>;
}

/** A rig's boards and controls as its file declares them. */
function staticView(loaded: LoadedRig): { boards: StaticBoard[]; controls: Set<ControlName> } {
  const { rig } = loaded;
  if (rig.kind === 'sim') {
    const boards = rig.boards.map((b) => ({ stacks: { ...(b.nd ? { nd: [b.nd.role] } : {}), ...(b.thread ? { thread: [b.thread.role] } : {}) } }));
    return { boards, controls: new Set<ControlName>(['reset', 'power', 'attenuate', 'partition', 'jam']) };
  }
  // A lab board offers one stack with its roles; its controls are what its reset and power
  // methods give. A host-process board's power is its process.
  const powered = (b: (typeof rig.boards)[number]) => b.port.kind === 'process' || (b.power !== undefined && b.power.kind !== 'none');
  const controls = new Set<ControlName>(['reset']);
  if (rig.boards.length > 0 && rig.boards.every(powered)) controls.add('power');
  return { boards: rig.boards.map((b) => ({ stacks: { [b.stack]: b.roles } })), controls };
}

export async function listCases(root: string, opts: { suiteGlob?: string; rig?: LoadedRig }): Promise<CatalogueEntry[]> {
  const files = findSuiteFiles(root, opts.suiteGlob ?? 'suites/**/*.spec.ts');
  const mocha = new Mocha({ dryRun: true });
  for (const f of files) mocha.addFile(f);
  const fileOf = new Map<string, string>();
  await mocha.loadFilesAsync();
  const walk = (s: Mocha.Suite) => {
    for (const t of s.tests) fileOf.set(t.title.split(' ')[0]!, t.file ?? '');
    s.suites.forEach(walk);
  };
  walk(mocha.suite);
  const view = opts.rig ? staticView(opts.rig) : undefined;
  return declaredCases().map((meta) => {
    const entry: CatalogueEntry = { ...meta, file: fileOf.get(meta.id) ?? '' };
    if (view && opts.rig) {
      const why = unmet(
        {
          rig: opts.rig.rig.name,
          select: (stack, role) => {
            const roles = role === undefined ? undefined : Array.isArray(role) ? role : [role];
            return view.boards.filter((b) => b.stacks[stack] && (!roles || b.stacks[stack].some((r) => roles.includes(r))));
          },
          controls: { supports: (c) => view.controls.has(c) },
        },
        meta.needs,
      );
      if (why) entry.unservable = why;
    }
    return entry;
  });
}

/** The catalogue as a plain-text table. */
export function formatCatalogue(entries: CatalogueEntry[], withRig: boolean): string {
  const rows = entries.map((e) => [e.id, e.needs.stack, needsText(e.needs), withRig ? (e.unservable ? `no: ${e.unservable}` : 'yes') : '', e.title]);
  const head = ['ID', 'STACK', 'NEEDS', withRig ? 'RIG CAN SERVE' : '', 'PURPOSE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .filter((_, i) => withRig || i !== 3)
      .join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** "3 boards, 1 end-device, power": what a case needs, in words. */
export function needsText(needs: Needs): string {
  const parts: string[] = [];
  if (needs.boards) parts.push(`${needs.boards} board${needs.boards === 1 ? '' : 's'}`);
  for (const [role, n] of Object.entries(needs.roles ?? {})) parts.push(`${n} ${role}`);
  for (const c of needs.controls ?? []) parts.push(c);
  return parts.join(', ') || '1 board';
}
