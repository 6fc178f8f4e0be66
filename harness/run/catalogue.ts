// The case catalogue: every case the suite files declare, with whether a rig
// can serve it, without bringing any bench up (`meshbench list-cases`).
import Mocha from 'mocha';
import type { ControlName } from '../bench/controls.ts';
import type { LoadedRig } from '../rig/load.ts';
import type { Role, StackKind } from '../rig/schema.ts';
import { declaredCases, unmet, type CaseMeta, type Needs } from '../suite-api/index.ts';
import { keepShard, selectedTests, shardKey } from './selection.ts';
import type { Shard } from './shard.ts';
import { suiteFilesOf } from './suite-files.ts';

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

export interface ListOptions {
  suiteGlob?: string;
  suiteDirs?: readonly string[];
  rig?: LoadedRig;
  /** The same selection `run` makes: grep (inverted), then this shard's part. */
  grep?: string;
  grepInvert?: boolean;
  shard?: Shard;
  durations?: ReadonlyMap<string, number>;
}

export async function listCases(root: string, opts: ListOptions): Promise<CatalogueEntry[]> {
  const files = suiteFilesOf(root, opts);
  const mocha = new Mocha({ dryRun: true });
  for (const f of files) mocha.addFile(f);
  await mocha.loadFilesAsync();
  if (opts.grep) mocha.grep(opts.grep);
  if (opts.grepInvert) mocha.invert();
  if (opts.shard) keepShard(mocha, opts.shard, opts.durations);
  const fileOf = new Map<string, string>();
  for (const t of selectedTests(mocha)) fileOf.set(shardKey(t), t.file ?? '');
  const view = opts.rig ? staticView(opts.rig) : undefined;
  return declaredCases().filter((meta) => fileOf.has(meta.id)).map((meta) => {
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
