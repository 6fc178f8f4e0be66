// What suites import: the bench of the current run, ways to record evidence,
// boards' IPv6 addresses read into one form, bench-time polling, skipping with
// a reason, and the per-case cleanup of what a case changes on the rig. Suites
// never touch serial ports, the simulator or the runner. docs/writing-suites.md
// shows it in use.
import { BoardTimeoutError, type Board } from '../board/board.ts';
import type { BenchClock } from '../bench/clock.ts';
import type { ControlName, RigControls } from '../bench/controls.ts';
import type { Bounds, Role, StackKind } from '../rig/schema.ts';

export type { Board } from '../board/board.ts';
export type { MeshEventRecord } from '../board/driver.ts';
export { BoardTimeoutError, type ClockOffset, type WaitOptions } from '../board/board.ts';
export type { AppEvent, UdpStats } from '../board/driver.ts';
export type { Role, StackKind } from '../rig/schema.ts';
export { Nsapi, nsapiErrorName } from '../../protocol/mesh.ts';
export { canonicalIpv6, formatIpv6, isLinkLocalAddress, isLinkLocalIpv6, parseIpv6, samePrefix64, type Ipv6Bytes, type ParsedIpv6 } from '../board/ipv6-address.ts';

/**
 * The rig controls a case may pull. Each change lasts only the case: the harness
 * undoes it after the case, whatever happened (passed, failed, timed out). Power
 * and reset go through the board (`board.powerOff()`, `board.reset()`), which
 * keeps its serial link in step; a board left off is powered on after the case.
 */
export type CaseControls = Pick<RigControls, 'supports' | 'attenuate' | 'partition' | 'jam'>;

export interface SuiteBench {
  rig: string;
  seed: number;
  clock: BenchClock;
  controls: CaseControls;
  bounds: Bounds;
  boards: Board[];
  board(id: string): Board;
  /** Boards of a stack kind, optionally of a role. */
  select(stack: StackKind, role?: Role | Role[]): Board[];
}

/** What the runner provides while a case runs. */
export interface CaseContext {
  bench: SuiteBench;
  /** Adds a property to the running case's report (measured figures, codes seen). */
  record(name: string, value: string | number | boolean): void;
  /** Notes that the case used this board (its serial log slice is attached). */
  use(board: Board): void;
  /** Notes hops a packet of the case travelled that no datagram event showed (e.g. from a route table). */
  noteHops(hops: number): void;
  /** Adds a point to one of the case's time series (plotted as a timeline in the HTML report). */
  sample(series: string, atBenchS: number, value: number, unit: string): void;
  /** Ends the case as skipped, with the reason the report shows. */
  skip(reason: string): never;
  /** Stacks an undo step the harness runs after the case, newest first, whatever happened. */
  cleanup(what: string, undo: () => Promise<void>): void;
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
  ctx().sample(series, atBenchS, value, unit);
}

export function use(...boards: Board[]): void {
  for (const b of boards) ctx().use(b);
}

/**
 * Ends the running case as skipped; the report gives `reason` (say what the rig or
 * firmware lacks, with what was measured). Code after it does not run.
 */
export function skip(reason: string): never {
  return ctx().skip(reason);
}

/**
 * Stacks `undo`, which the harness runs after the case (newest first, after the
 * case's mesh snapshot), whether the case passed, failed or timed out. A failing
 * undo turns a pass into an error. For state a case leaves on the rig or a board
 * that the next case must not inherit; rig controls are undone without it.
 */
export function cleanup(what: string, undo: () => Promise<void>): void {
  ctx().cleanup(what, undo);
}

/** Board timestamps (`t`) and the bench clock count microseconds; bounds count seconds. */
export const usOfSeconds = (s: number): number => s * 1e6;

/** Seconds from one board or bench timestamp (µs) to another. */
export const secondsBetween = (fromUs: number, toUs: number): number => (toUs - fromUs) / 1e6;

export interface EventuallyOptions {
  /** The bound, in bench seconds. */
  withinS: number;
  /** Bench seconds between two checks (default 2). */
  everyS?: number;
}

/**
 * Polls `check` on the bench clock until it holds: every `everyS` bench seconds, for
 * at most `withinS`. `check` answers true when it holds, else false or what is still
 * missing (the failure quotes the last answer). Resolves with the bench time it held
 * (µs) and how long that took (s); not holding in time fails the case like a board
 * wait does (`BoardTimeoutError`, a finding, not a harness error).
 */
export async function eventually(what: string, opts: EventuallyOptions, check: () => Promise<boolean | string>): Promise<{ atUs: number; afterS: number }> {
  const clock = bench().clock;
  const everyUs = usOfSeconds(opts.everyS ?? 2);
  const t0 = await clock.now();
  for (;;) {
    const answer = await check();
    if (answer === true) {
      const atUs = await clock.now();
      return { atUs, afterS: secondsBetween(t0, atUs) };
    }
    if ((await clock.now()) - t0 > usOfSeconds(opts.withinS)) {
      const missing = typeof answer === 'string' ? answer : 'it did not hold';
      throw new BoardTimeoutError(`${what}: not within ${opts.withinS} s of bench time (${missing})`, what, missing);
    }
    await clock.sleepUntil((await clock.now()) + everyUs);
  }
}

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
/** Each declared case's metadata, by the function mocha runs for it (the same for every retry's clone of the test). */
const metaOfBody = new WeakMap<object, CaseMeta>();

/** The cases the loaded suite files declared, in declaration order. */
export function declaredCases(): CaseMeta[] {
  return [...catalogue.values()];
}

/**
 * Declares a case: a mocha test named `<id> <title>`, carrying `meta` for the
 * runner and reports, and skipped, with the reason, when the rig cannot serve its needs.
 */
export function testCase(meta: CaseMeta, body: (this: Mocha.Context) => Promise<void>): void {
  if (!CASE_ID_PATTERN.test(meta.id)) throw new Error(`case id '${meta.id}' does not match ${String(CASE_ID_PATTERN)}`);
  if (catalogue.has(meta.id)) throw new Error(`case id '${meta.id}' is declared twice`);
  const stackOfId = meta.id.includes('-ND-') ? 'nd' : 'thread';
  if (stackOfId !== meta.needs.stack) throw new Error(`case ${meta.id} names stack '${stackOfId}' in its id but needs '${meta.needs.stack}'`);
  catalogue.set(meta.id, meta);
  const run = async function (this: Mocha.Context): Promise<void> {
    const why = unmet(bench(), meta.needs);
    if (why) skip(why);
    await body.call(this);
  };
  metaOfBody.set(run, meta);
  it(`${meta.id} ${meta.title}`, run);
}

/**
 * A plain mocha test's id, for a lab's suites written with `it()` rather than
 * testCase(): the first word of its title when it looks like one (`FIX-021`, `LAB-ND-001`).
 */
const PLAIN_TEST_ID = /^([A-Z]{2,8}-(?:[A-Z]{2,8}-)?\d{3})\b/;

/** What the runner and reports know of a test: its id and stack, and its metadata when testCase() declared it. */
export interface CaseIdentity {
  id?: string;
  stack?: StackKind;
  meta?: CaseMeta;
}

/** Called by the runner; not for suites. */
export function caseOf(test: Mocha.Runnable): CaseIdentity {
  const meta = test.fn ? metaOfBody.get(test.fn) : undefined;
  if (meta) return { id: meta.id, stack: meta.needs.stack, meta };
  const id = PLAIN_TEST_ID.exec(test.title)?.[1];
  if (!id) return {};
  const stack = id.includes('-ND-') ? 'nd' : id.includes('-TH-') ? 'thread' : undefined;
  return stack ? { id, stack } : { id };
}

/** What `unmet` needs to know of a bench: also true of a rig file read without bringing it up. */
export interface ServableView {
  rig: string;
  select(stack: StackKind, role?: Role | Role[]): unknown[];
  controls: { supports(control: ControlName): boolean };
}

/** Why the rig cannot serve a case, or undefined when it can. */
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
