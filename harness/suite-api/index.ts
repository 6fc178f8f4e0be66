// What suites import: the bench of the current run and ways to record
// evidence. Suites never touch serial ports, the simulator or the runner.
import type { Board } from '../board/board.ts';
import type { BenchClock } from '../bench/clock.ts';
import type { ControlName, RigControls } from '../bench/controls.ts';
import type { Bounds, Role, StackKind } from '../rig/schema.ts';

export type { Board } from '../board/board.ts';
export type { MeshEventRecord } from '../board/driver.ts';
export { BoardTimeoutError, type ClockOffset } from '../board/board.ts';
export type { AppEvent, UdpStats } from '../board/driver.ts';
export type { Role, StackKind } from '../rig/schema.ts';
export { Nsapi, nsapiErrorName } from '../../protocol/mesh.ts';

export interface SuiteBench {
  rig: string;
  seed: number;
  clock: BenchClock;
  controls: RigControls;
  bounds: Bounds;
  boards: Board[];
  board(id: string): Board;
  /** Boards of a stack kind, optionally of a role. */
  select(stack: StackKind, role?: Role | Role[]): Board[];
}

/** What the runner provides while cases run. */
export interface CaseContext {
  bench: SuiteBench;
  /** Adds a property to the running case's report (measured figures, codes seen). */
  record(name: string, value: string | number | boolean): void;
  /** Notes that the case used this board (its serial log slice is attached). */
  use(board: Board): void;
  /** Notes hops a packet of the case travelled that no datagram event showed (e.g. from a route table). */
  noteHops(hops: number): void;
  /** Adds a point to one of the case's time series (plotted as a timeline in the HTML report). */
  sample?(series: string, atBenchS: number, value: number, unit: string): void;
}

let current: CaseContext | undefined;

/** Called by the runner; not for suites. */
export function installCaseContext(ctx: CaseContext | undefined): void {
  current = ctx;
}

function ctx(): CaseContext {
  if (!current) throw new Error('no bench: suites run under `meshbench run`');
  return current;
}

export function bench(): SuiteBench {
  return ctx().bench;
}

export function record(name: string, value: string | number | boolean): void {
  ctx().record(name, value);
}

export function noteHops(hops: number): void {
  ctx().noteHops(hops);
}

/**
 * A point of a time series the case keeps (a soak's delivery ratio, latency or
 * reconnects over bench time): the report plots it as a timeline.
 */
export function sample(series: string, atBenchS: number, value: number, unit = ''): void {
  ctx().sample?.(series, atBenchS, value, unit);
}

export function use(...boards: Board[]): void {
  for (const b of boards) ctx().use(b);
}

/** Bench seconds → µs, for comparing board timestamps. */
export const seconds = (s: number): number => s * 1e6;

export interface Needs {
  stack: StackKind;
  /** Boards of the stack the case uses at least (any role). */
  boards?: number;
  /** Boards per role that must exist, e.g. { 'border-router': 1, router: 2 }. */
  roles?: Partial<Record<Role, number>>;
  controls?: ControlName[];
}

/** A conformance case's identity, as reports and `meshbench list-cases` show it. */
export interface CaseMeta {
  /** `<SUITE>-<ND|TH>-<nnn>`, stable across releases. */
  id: string;
  /** One line: what the case shows. */
  title: string;
  /** The API behaviour or specification clause it checks, with its source. */
  checks: string;
  needs: Needs;
}

/** The project's suites are JOIN, DISC, RECOV, THRU and LIGHT; a lab's own suites (`run --suites DIR`) pick their own prefix. */
export const CASE_ID_PATTERN = /^[A-Z]{2,8}-(ND|TH)-\d{3}$/;

const catalogue = new Map<string, CaseMeta>();

/** The cases the loaded suite files declared, in declaration order. */
export function declaredCases(): CaseMeta[] {
  return [...catalogue.values()];
}

/**
 * Declares a case: a mocha test named `<id> <title>` that is skipped, with the
 * reason, when the rig cannot serve its needs.
 */
export function testCase(meta: CaseMeta, body: (this: Mocha.Context) => Promise<void>): void {
  if (!CASE_ID_PATTERN.test(meta.id)) throw new Error(`case id '${meta.id}' does not match ${String(CASE_ID_PATTERN)}`);
  if (catalogue.has(meta.id)) throw new Error(`case id '${meta.id}' is declared twice`);
  const stackOfId = meta.id.includes('-ND-') ? 'nd' : 'thread';
  if (stackOfId !== meta.needs.stack) throw new Error(`case ${meta.id} names stack '${stackOfId}' in its id but needs '${meta.needs.stack}'`);
  catalogue.set(meta.id, meta);
  it(`${meta.id} ${meta.title}`, async function () {
    const why = unmet(bench(), meta.needs);
    if (why) {
      (this.test as unknown as { skipReason: string }).skipReason = why;
      this.skip();
    }
    await body.call(this);
  });
}

/** Why the rig cannot serve a case, or undefined when it can. */
/** What `unmet` needs to know of a bench: also true of a rig file read without bringing it up. */
export interface ServableView {
  rig: string;
  select(stack: StackKind, role?: Role | Role[]): unknown[];
  controls: { supports(control: ControlName): boolean };
}

export function unmet(b: ServableView, needs: Needs): string | undefined {
  const all = b.select(needs.stack).length;
  if (all === 0) return `needs ${needs.stack} boards, rig '${b.rig}' has none`;
  if (needs.boards !== undefined && all < needs.boards) return `needs ${needs.boards} ${needs.stack} boards, rig '${b.rig}' has ${all}`;
  for (const [role, n] of Object.entries(needs.roles ?? {}) as [Role, number][]) {
    const have = b.select(needs.stack, role).length;
    if (have < n) return `needs ${n} ${needs.stack} ${role} board(s), rig '${b.rig}' has ${have}`;
  }
  for (const c of needs.controls ?? []) if (!b.controls.supports(c)) return `needs rig control '${c}', rig '${b.rig}' has none`;
  return undefined;
}
