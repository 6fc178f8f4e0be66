// From a rig entry and what discovery found to an open board link: the serial
// port at the path discovery matched, or a host-process board's command
// started on a pseudo-terminal with its placeholders filled in.
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { SerialTransport, type Transport } from '../board/transport.ts';
import type { LabBoard } from '../rig/lab.ts';
import type { LabBoardHandle } from './controls.ts';
import { discoveredDevice, hostPath, locateBoard, openPath, type BoardMatch, type DiscoveryOptions } from './discovery.ts';
import { InfraError } from './errors.ts';
import { defaultLockDir, PortOffset } from './lock.ts';
import { BoardLink } from './probe.ts';
import { PtyProcessTransport, type ProcessSpec } from './pty-process.ts';
import { which } from './which.ts';
import { ErrorCode } from '../errors.ts';

/** Where a board is opened from: the rig file's directory and the run's own directory. */
export interface OpenContext {
  rigDir: string;
  /** The run directory; commands outside a run get a scratch directory when a board asks for one. */
  runDir?: string;
  /** Wraps every transport opened for the board (the run's serial log taps it). */
  wrap?: (t: Transport) => Transport;
  /** Bench seconds per wall second, for `{speed}` (default: the rig's). */
  speed?: number;
  /** `{portOffset}`; by default one is allocated per run directory (see runPortOffset). */
  portOffset?: number;
  /** Where `{portOffset}` is allocated (default: the system-wide lock directory, since UDP ports are the host's). */
  lockDir?: string;
  /** How a USB board is found again after its port went away (default: the real sysfs and /dev); its devRoot is where device nodes are opened. */
  discovery?: DiscoveryOptions;
}

let scratch: string | undefined;
/** A directory for `{runDir}` outside a run (doctor, boards, flash), removed when the process exits. */
function scratchDir(): string {
  if (!scratch) {
    const dir = mkdtempSync(join(tmpdir(), 'meshbench-scratch-'));
    scratch = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

const portOffsets = new Map<string, PortOffset>();

/**
 * The `{portOffset}` of a run: allocated the first time one of its boards
 * asks (under a lock, so parallel runs get different ones), the same for
 * every board of the run, held until releasePortOffset or the process ends.
 */
export function runPortOffset(ctx: OpenContext): number {
  if (ctx.portOffset !== undefined) return ctx.portOffset;
  const run = ctx.runDir ?? scratchDir();
  let p = portOffsets.get(run);
  if (!p) {
    p = PortOffset.allocate(basename(run), ctx.lockDir ?? defaultLockDir());
    portOffsets.set(run, p);
  }
  return p.offset;
}

/** Gives a run's `{portOffset}` back (its boards' processes have ended). */
export function releasePortOffset(runDir: string): void {
  portOffsets.get(runDir)?.release();
  portOffsets.delete(runDir);
}

/** A process board's command, cwd and env with `{runDir}`, `{rigDir}`, `{board}`, `{speed}` and `{portOffset}` replaced; cwd defaults to the rig's directory. */
export function processSpecOf(b: LabBoard, ctx: OpenContext): ProcessSpec {
  if (b.port.kind !== 'process') throw new Error(`${b.id}: not a process board`);
  const value = (k: string) =>
    k === 'board' ? b.id : k === 'rigDir' ? ctx.rigDir : k === 'speed' ? String(ctx.speed ?? 1) : k === 'portOffset' ? String(runPortOffset(ctx)) : (ctx.runDir ?? scratchDir());
  const fill = (text: string) => text.replace(/\{(runDir|rigDir|board|speed|portOffset)\}/g, (_m, k: string) => value(k));
  const cwd = b.port.cwd === undefined ? ctx.rigDir : fill(b.port.cwd);
  return {
    command: b.port.command.map(fill),
    cwd: isAbsolute(cwd) ? cwd : resolve(ctx.rigDir, cwd),
    env: Object.fromEntries(Object.entries(b.port.env).map(([k, v]) => [k, fill(v)])),
  };
}

/** A device node as the kernel names it (a by-id link resolved), or the path as given where it cannot be resolved. */
function deviceNode(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * What a board's lock is keyed on: the physical board, however a rig file
 * names it. A USB board is its USB serial number when discovery knows it
 * (`match`, else the device discovery last matched to the board), else the
 * device node its path resolves to, so one board named by serial number, by
 * its /dev/serial/by-id link or by /dev/ttyACMn takes one lock. A process
 * board is its resolved command, directory and environment: two runs whose
 * boards differ only by `{runDir}` do not share them.
 */
export function lockKey(b: LabBoard, ctx: OpenContext, match?: BoardMatch): string {
  const p = b.port;
  if (p.kind === 'process') {
    const spec = processSpecOf(b, ctx);
    const env = Object.entries(spec.env ?? {})
      .sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`);
    return `process:${spec.cwd ?? ''}:${spec.command.join(' ')}${env.length ? `:${env.join(' ')}` : ''}`;
  }
  const device = (match?.state === 'present' ? match.devices[0] : undefined) ?? discoveredDevice(b);
  if (p.kind === 'usb-serial') return `usb-serial:${(device?.serialNumber ?? p.serial).toLowerCase()}`;
  if (device?.serialNumber !== undefined) return `usb-serial:${device.serialNumber.toLowerCase()}`;
  return `dev:${deviceNode(device?.path ?? p.path)}`;
}

export function describeMatch(m: BoardMatch): string {
  if (m.state === 'missing') return `${m.board.id}: missing (${m.wanted} is not attached)`;
  if (m.state === 'duplicate') return `${m.board.id}: ${m.wanted} matches ${m.devices.length} devices (${m.devices.map((d) => d.path).join(', ')}); unplug one or name the board by its by-id path`;
  return `${m.board.id}: ${m.state}`;
}

/** Opens a matched board's port (or starts its process) and wraps it for the controls. */
export async function openBoard(m: BoardMatch, ctx: OpenContext): Promise<LabBoardHandle> {
  const b = m.board;
  const serial = b.port.kind === 'usb-serial' ? b.port.serial : m.devices[0]?.serialNumber;
  let raw: () => Transport;
  let port: string;
  let locate: (() => Promise<string | undefined>) | undefined;
  if (b.port.kind === 'process') {
    const spec = processSpecOf(b, ctx);
    // A command that is not there would start and end at once, which reads as a dead board: say what it is.
    const file = spec.command[0]!;
    const found = file.includes('/') ? existsSync(resolve(spec.cwd ?? ctx.rigDir, file)) : which(file, { ...process.env, ...spec.env }) !== undefined;
    if (!found) throw new InfraError(ErrorCode.TOOL_MISSING, `${b.id}: '${file}' (port.command) is not ${file.includes('/') ? `at ${resolve(spec.cwd ?? ctx.rigDir, file)}` : 'on PATH'}; install it or fix the rig file`, b.id);
    if (spec.cwd && !existsSync(spec.cwd)) throw new InfraError(ErrorCode.PORT_OPEN, `${b.id}: port.cwd ${spec.cwd} does not exist`, b.id);
    raw = () => new PtyProcessTransport(spec);
    port = `process:${spec.command.join(' ')}`;
  } else {
    const path = openPath(m);
    if (!path) throw new InfraError(ErrorCode.BOARD_MISSING, describeMatch(m), b.id);
    port = hostPath(path, ctx.discovery?.devRoot);
    // Always at the handle's current port: after the board re-enumerates, the controls move it there (locate).
    raw = () => new SerialTransport(handle.port, b.baudRate);
    locate = () => locateBoard(b, serial, ctx.discovery);
  }
  const make = ctx.wrap ? () => ctx.wrap!(raw()) : raw;
  const handle: LabBoardHandle = { board: b, port, serial, link: undefined as unknown as BoardLink, makeTransport: make, ...(locate ? { locate } : {}) };
  const t = make();
  try {
    await t.open();
  } catch (e) {
    throw new InfraError(ErrorCode.PORT_OPEN, `${b.id}: ${(e as Error).message}`, b.id);
  }
  handle.link = new BoardLink(t, b.firmware);
  return handle;
}
