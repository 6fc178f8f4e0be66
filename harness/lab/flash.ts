// Flashing a board with the tool its rig entry names: pyocd, a DAPLink
// mass-storage copy, or a command template; then the board must boot and
// answer with the expected version. Every failure is an InfraError carrying
// the flasher's own message, reported at once (exit code 3).
import { writeAndSync, type SyncIo } from '../durable-file.ts';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import type { LabBoard } from '../rig/lab.ts';
import { InfraError } from './errors.ts';
import type { BoardLink } from './probe.ts';
import { versionMatches } from './probe.ts';
import { ErrorCode } from '../errors.ts';

export interface ToolEnv {
  /** Environment for external tools (tests put the fakes first on PATH). */
  env?: Record<string, string>;
}

export interface FlashTarget extends ToolEnv {
  board: LabBoard;
  /** The file operations of a DAPLink copy (tests watch them; default: node:fs). */
  copyIo?: CopyIo;
  image: string;
  /** The port path the board was found at, for `{port}`. */
  port?: string;
  /** The board's USB serial number, for `{serial}` and pyocd's probe uid. */
  serial?: string;
}

export function fill(argv: string[], values: Record<string, string | undefined>, board: string): string[] {
  return argv.map((a) =>
    a.replace(/\{(image|port|serial|board)\}/g, (_m, k: string) => {
      const v = values[k];
      if (v === undefined) throw new InfraError(ErrorCode.TEMPLATE, `${board}: the command template uses {${k}}, but the board has no ${k} here`, board);
      return v;
    }),
  );
}

/** The last lines a tool printed: its own words for what went wrong. */
function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export async function runTool(board: string, what: string, argv: string[], opts: ToolEnv & { timeoutS?: number }): Promise<string> {
  const [file, ...args] = argv;
  const r = await execa(file!, args, { reject: false, all: true, timeout: (opts.timeoutS ?? 120) * 1000, env: opts.env, extendEnv: true, stdin: 'ignore' });
  if ((r as { code?: string }).code === 'ENOENT') throw new InfraError(ErrorCode.TOOL_MISSING, `${board}: ${what}: '${file}' is not installed or not on PATH (meshbench doctor lists what each method needs)`, board);
  if (r.timedOut) throw new InfraError(ErrorCode.TOOL_TIMEOUT, `${board}: ${what}: '${argv.join(' ')}' did not finish within ${opts.timeoutS ?? 120} s\n${tail(r.all ?? '')}`, board);
  if (r.failed) {
    const how = r.exitCode !== undefined ? `exit code ${r.exitCode}` : (r.signal ?? 'failed');
    throw new InfraError(ErrorCode.TOOL_FAILED, `${board}: ${what} failed (${argv.join(' ')}: ${how})\n${tail(r.all ?? r.message)}`, board);
  }
  return r.all ?? '';
}

export interface FlashResult {
  tool: string;
  output: string;
}

export async function flash(t: FlashTarget): Promise<FlashResult> {
  const { board } = t;
  const image = resolve(t.image);
  if (!existsSync(image)) throw new InfraError(ErrorCode.IMAGE, `${board.id}: no image at ${image}`, board.id);
  const f = board.flasher;
  switch (f.kind) {
    case 'none':
      throw new InfraError(ErrorCode.NO_FLASHER, `${board.id}: the rig names no flasher for this board`, board.id);
    case 'pyocd': {
      const probe = f.probe ?? t.serial;
      if (!probe) throw new InfraError(ErrorCode.NO_PROBE, `${board.id}: pyocd needs a probe uid (flasher.probe, or a usb-serial port)`, board.id);
      const argv = ['pyocd', 'flash', '-t', f.target, '-u', probe, ...f.extraArgs, image];
      return { tool: 'pyocd', output: await runTool(board.id, 'pyocd flash', argv, { ...t, timeoutS: 300 }) };
    }
    case 'command': {
      const argv = fill(f.argv, { image, port: t.port, serial: t.serial, board: board.id }, board.id);
      return { tool: argv[0]!, output: await runTool(board.id, 'flash command', argv, { ...t, timeoutS: f.timeoutS }) };
    }
    case 'daplink':
      return { tool: 'daplink', output: await daplinkCopy({ board: board.id, image, mount: f.mount, serial: t.serial, timeoutS: f.remountTimeoutS, retries: f.retries, io: t.copyIo ?? realCopyIo }) };
  }
}

/** DETAILS.TXT's remount count, which the interface firmware raises on each remount (htrun compares it). */
export function remountCount(mount: string): number | undefined {
  try {
    const m = /Remount count:\s*(\d+)/i.exec(readFileSync(join(mount, 'DETAILS.TXT'), 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The file operations a DAPLink copy makes. */
export type CopyIo = SyncIo;

const realCopyIo: CopyIo = { openSync, writeSync, fsyncSync, closeSync };

/**
 * Copies the image onto the drive and makes the kernel write it out before we
 * wait for the remount: fsync of the file, then of the directory (its entry).
 * Without them the copy can sit in the page cache while the interface
 * firmware waits for the rest of the file.
 */
function copyDurably(image: string, dest: string, io: CopyIo): void {
  writeAndSync(dest, readFileSync(image), io);
  // The interface firmware may take the image and unmount as soon as its data is on the drive: a directory
  // gone by now (ENOENT, ENODEV, EIO) is the drive leaving, which the caller waits for.
  const gone = new Set(['ENOENT', 'ENODEV', 'EIO']);
  let dir: number;
  try {
    dir = io.openSync(dirname(dest), 'r');
  } catch (e) {
    if (gone.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    io.fsyncSync(dir);
  } catch (e) {
    // A file system that cannot sync a directory says EINVAL (fsync(2)); the file itself is on the device.
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code !== 'EINVAL' && !gone.has(code)) throw e;
  } finally {
    io.closeSync(dir);
  }
}

/** DETAILS.TXT's `Unique ID`: the DAPLink's id, which it also gives as its USB serial number (mbedls's target_id). */
export function daplinkUniqueId(mount: string): string | undefined {
  try {
    return /^Unique ID:\s*([0-9A-Za-z]+)\s*$/im.exec(readFileSync(join(mount, 'DETAILS.TXT'), 'latin1'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Why `mount` is not this board's DAPLink drive, or undefined when it is: a
 * directory is no proof (a mount point left empty after an unplug, a folder
 * someone made), so the drive must show the interface firmware's DETAILS.TXT,
 * and its Unique ID must be the board's USB serial number when that is known
 * (another board's drive would get the image otherwise).
 */
export function notTheDrive(mount: string, serial: string | undefined): string | undefined {
  if (!existsSync(mount)) return `the DAPLink drive is not mounted at ${mount}`;
  const id = daplinkUniqueId(mount);
  if (id === undefined) return `${mount} is not a DAPLink drive (no DETAILS.TXT with a Unique ID: nothing mounted there, or another disk); fix flasher.mount`;
  if (serial !== undefined && id.toLowerCase() !== serial.toLowerCase()) return `${mount} is the drive of DAPLink ${id}, not of this board (USB serial ${serial}); fix flasher.mount`;
  return undefined;
}

/** What the interface firmware wrote to FAIL.TXT, in one bounded line. */
function failText(path: string): string {
  const text = readFileSync(path, 'latin1').trim().replace(/\s*\r?\n\s*/g, ' ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

interface DaplinkCopy {
  board: string;
  image: string;
  mount: string;
  serial?: string;
  timeoutS: number;
  retries: number;
  io: CopyIo;
}

async function daplinkCopy(c: DaplinkCopy): Promise<string> {
  const { board, image, mount, timeoutS, retries } = c;
  const notes: string[] = [];
  for (let attempt = 1; attempt <= retries; attempt++) {
    const wrong = notTheDrive(mount, c.serial);
    if (wrong) throw new InfraError(ErrorCode.DAPLINK_MOUNT, `${board}: ${wrong}`, board);
    const before = remountCount(mount);
    try {
      copyDurably(image, join(mount, basename(image)), c.io);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new InfraError(ErrorCode.DAPLINK_COPY, `${board}: copying ${basename(image)} to ${mount} failed: ${err.code ?? ''} ${err.message}`.trim(), board);
    }
    // Wait for the drive to go and come back, or for the count to change under us.
    const until = Date.now() + timeoutS * 1000;
    let left = false;
    let back = false;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      const present = existsSync(join(mount, 'DETAILS.TXT'));
      if (!present) left = true;
      else if (left || (before !== undefined && remountCount(mount) !== before)) {
        back = true;
        break;
      }
    }
    if (!back) {
      const why = left ? `the drive did not come back within ${timeoutS} s` : `the drive did not remount within ${timeoutS} s (remount count still ${before ?? 'unknown'})`;
      notes.push(`copy ${attempt}: ${why}`);
      if (!left) continue;
      throw new InfraError(ErrorCode.DAPLINK_REMOUNT, `${board}: DAPLink copy to ${mount} failed: ${notes.join('; ')}`, board);
    }
    await new Promise((r) => setTimeout(r, 50)); // let the remounted files settle
    // The interface firmware says why it refused an image in FAIL.TXT on the remounted drive (htrun reads it too).
    const failTxt = join(mount, 'FAIL.TXT');
    if (existsSync(failTxt)) {
      notes.push(`copy ${attempt}: FAIL.TXT: ${failText(failTxt)}`);
      continue;
    }
    const after = remountCount(mount);
    if (before !== undefined && after === before) {
      notes.push(`copy ${attempt}: remount count unchanged (${before})`);
      continue;
    }
    return `copied ${basename(image)} to ${mount}; remount count ${before ?? '?'} → ${after ?? '?'}`;
  }
  throw new InfraError(ErrorCode.DAPLINK_FAIL, `${board}: DAPLink copy to ${mount} failed after ${retries} attempt(s): ${notes.join('; ')}`, board);
}

/** After a flash or reset: the board must answer, with the rig's version when it names one. */
export async function expectBoot(board: LabBoard, link: BoardLink, withinMs: number, after: string): Promise<{ firmware: string; version: string }> {
  const answer = await link.identify(withinMs);
  if (!answer) {
    throw new InfraError(ErrorCode.NO_BOOT, `${board.id}: ${after}, but the board did not answer within ${withinMs} ms (${link.firmware === 'openthread-cli' ? 'no answer to `version`' : 'no boot banner, no answer to identify'}) on ${link.transport.path}`, board.id);
  }
  if (!versionMatches(answer, board.version)) {
    throw new InfraError(ErrorCode.VERSION, `${board.id}: ${after}, the board answers version '${answer.version}', the rig expects '${board.version}'`, board.id);
  }
  return answer;
}
