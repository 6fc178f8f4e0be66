// What suites import: the bench of the current run and ways to record
// evidence. Suites never touch serial ports, the simulator or the runner.
import type { Board } from '../board/board.ts';
import type { BenchClock } from '../bench/clock.ts';
import type { ControlName, RigControls } from '../bench/controls.ts';
import type { Bounds, Role, StackKind } from '../rig/schema.ts';

export type { Board } from '../board/board.ts';
export type { MeshEventRecord } from '../board/driver.ts';
export { BoardTimeoutError } from '../board/board.ts';

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

export function use(...boards: Board[]): void {
  for (const b of boards) ctx().use(b);
}

/** Bench seconds → µs, for comparing board timestamps. */
export const seconds = (s: number): number => s * 1e6;

export interface Needs {
  stack: StackKind;
  /** Boards per role that must exist, e.g. { 'border-router': 1, router: 2 }. */
  roles?: Partial<Record<Role, number>>;
  controls?: ControlName[];
}

/** Why the rig cannot serve a case, or undefined when it can. */
export function unmet(b: SuiteBench, needs: Needs): string | undefined {
  for (const [role, n] of Object.entries(needs.roles ?? {}) as [Role, number][]) {
    const have = b.select(needs.stack, role).length;
    if (have < n) return `needs ${n} ${needs.stack} ${role} board(s), rig '${b.rig}' has ${have}`;
  }
  for (const c of needs.controls ?? []) if (!b.controls.supports(c)) return `needs rig control '${c}', rig '${b.rig}' has none`;
  return undefined;
}
