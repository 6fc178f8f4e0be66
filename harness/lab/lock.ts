// Board locks: two runs on one runner never share a board. A lock is a file
// per physical board in one directory every run on the runner uses, locked
// with fs-native-extensions' tryLock (an open-file-description lock on Linux,
// flock on macOS): the kernel drops it
// when the holder's descriptor closes or its process ends, however it ends, so
// a SIGKILLed CI job frees its boards at once, and there is no heartbeat to
// miss under load. The holder writes who it is into the file it locked (pid,
// process start time, host, run id, command, since when), so a second run
// names the holder. The file is removed on release while it is still locked,
// and a taker checks the path still names the file it locked, so a taker
// that opened the file just before its removal tries again.
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, fchmodSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryLock } from 'fs-native-extensions';
import { ErrorCode } from '../errors.ts';

export interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot; absent where /proc is not. */
  start?: string;
  host: string;
  runId: string;
  /** ISO date. */
  since: string;
  board: string;
  /** The holder's command line (`meshbench run --rig …`). */
  command?: string;
}

export class LockHeldError extends Error {
  readonly code = ErrorCode.BOARD_LOCKED;
  constructor(
    readonly board: string,
    readonly owner: LockOwner | undefined,
    waitedS: number,
  ) {
    super(
      `board '${board}' is locked by ${owner ? describeOwner(owner) : 'another run (its lock file is being written)'}` +
        (waitedS > 0 ? `; waited ${waitedS} s` : '; pass --wait-lock SECONDS to wait for it'),
    );
  }
}

export function describeOwner(o: LockOwner): string {
  const age = Math.max(0, Math.round((Date.now() - Date.parse(o.since)) / 1000));
  return `run ${o.runId} (pid ${o.pid} on ${o.host}, since ${o.since}, ${age} s ago${o.command ? `: ${o.command}` : ''})`;
}

/** The start time of a live process, or undefined when there is no such process. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** The holder recorded in a lock file; undefined when there is none or it is being written. */
export function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A file name for a board's physical identity (two rig files may call one
 * board by two ids). Long keys (process boards' command lines) keep a
 * readable head and a hash of the whole key, so keys that differ only at
 * the end (a node id) never share a file.
 */
export function lockName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe.length <= 120) return safe + '.lock';
  return `${safe.slice(0, 80)}-${createHash('sha256').update(key).digest('hex').slice(0, 20)}.lock`;
}

export interface LockOptions {
  dir: string;
  runId: string;
  /** Wall seconds to wait for a held lock; 0 fails at once. */
  waitS?: number;
  pollMs?: number;
}

/** The command line recorded for the holder, without a value that follows a secret-looking flag. */
function commandLine(): string {
  const args = process.argv.slice(1).map((a, i, all) => (i > 0 && /key|psk|secret|token|password/i.test(all[i - 1] ?? '') ? '<redacted>' : a));
  const script = args[0]?.split('/').pop() ?? 'node';
  return [script === 'meshbench.js' ? 'meshbench' : script, ...args.slice(1)].join(' ').slice(0, 300);
}

interface Taken {
  fd: number;
  ino: number;
  dev: number;
}

/** One attempt: the lock on the file at `path`, or undefined when another descriptor holds it. */
function tryTake(path: string): Taken | 'retry' | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o666);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`cannot open the lock file ${path} for writing (${code}): another user made it without write access for others; remove it, or chmod 666 it`);
    throw e;
  }
  try {
    // Another user's run must be able to open it for writing to lock it; only its creator may chmod.
    fchmodSync(fd, 0o666);
  } catch {
    /* not ours */
  }
  let locked = false;
  try {
    locked = tryLock(fd);
  } finally {
    if (!locked) closeSync(fd);
  }
  if (!locked) return undefined;
  const mine = fstatSync(fd);
  let now;
  try {
    now = statSync(path);
  } catch {
    now = undefined;
  }
  if (!now || now.ino !== mine.ino || now.dev !== mine.dev) {
    // Released and removed between our open and our lock: we hold a file nobody else sees.
    closeSync(fd);
    return 'retry';
  }
  return { fd, ino: mine.ino, dev: mine.dev };
}

/** Takes the lock on `path` now, writing `owner` into it; undefined when it is held. */
function takeNow(path: string, owner: LockOwner): Taken | undefined {
  for (;;) {
    const t = tryTake(path);
    if (t === 'retry') continue;
    if (t) {
      ftruncateSync(t.fd, 0);
      writeSync(t.fd, JSON.stringify(owner) + '\n', 0);
    }
    return t;
  }
}

/** Removes the lock file while still holding it (so nobody holds the file removed), then unlocks. */
function giveUp(path: string, t: Taken): void {
  try {
    const now = statSync(path);
    if (now.ino === t.ino && now.dev === t.dev) unlinkSync(path);
  } catch {
    /* gone already, or a directory we may not remove from: the file stays, unlocked */
  }
  closeSync(t.fd);
}

function ownerRecord(board: string, runId: string): LockOwner {
  return { pid: process.pid, start: processStart(process.pid), host: hostname(), runId, since: new Date().toISOString(), board, command: commandLine() };
}

export class BoardLock {
  private released = false;
  private constructor(
    readonly path: string,
    readonly owner: LockOwner,
    private readonly taken: Taken,
  ) {}

  /** Takes the lock for `board` (a display name) on the physical `key`. */
  static acquire(board: string, key: string, opts: LockOptions): Promise<BoardLock> {
    ensureLockDir(opts.dir);
    return BoardLock.acquireFile(join(opts.dir, lockName(key)), board, opts);
  }

  /** Takes the lock on the file at `path` (created if need be), `what` naming what it guards. */
  static async acquireFile(path: string, what: string, opts: Omit<LockOptions, 'dir'>): Promise<BoardLock> {
    const board = what;
    const owner = ownerRecord(board, opts.runId);
    const deadline = Date.now() + (opts.waitS ?? 0) * 1000;
    for (;;) {
      const t = takeNow(path, owner);
      if (t) {
        const lock = new BoardLock(path, owner, t);
        exitRelease.add(lock);
        return lock;
      }
      if (Date.now() >= deadline) {
        // The holder writes its record just after it locks: give an empty file one more look.
        let held = readOwner(path);
        if (!held) {
          await new Promise((r) => setTimeout(r, 100));
          held = readOwner(path);
        }
        throw new LockHeldError(board, held, opts.waitS ?? 0);
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    exitRelease.delete(this);
    giveUp(this.path, this.taken);
  }
}

// A lock dies with its process in any case (the kernel drops it); on a normal
// exit we also remove the files so the directory stays tidy.
const exitRelease = new Set<{ release(): void }>();
process.once('exit', () => {
  for (const l of [...exitRelease]) l.release();
});

/** All the boards of a run, taken in a fixed order so two runs cannot deadlock on each other. */
export async function lockBoards(boards: Array<{ id: string; key: string }>, opts: LockOptions): Promise<BoardLock[]> {
  const sorted = [...boards].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const held: BoardLock[] = [];
  try {
    for (const b of sorted) {
      // Two rig entries for one physical board: the second would wait for the first, which is ourselves.
      const twin = sorted.find((o) => o !== b && o.key === b.key);
      if (twin) throw Object.assign(new Error(`boards '${b.id}' and '${twin.id}' are the same physical board (${b.key}); a rig names each board once`), { code: ErrorCode.BOARD_LOCKED });
      held.push(await BoardLock.acquire(b.id, b.key, opts));
    }
  } catch (e) {
    for (const l of held) l.release();
    throw e;
  }
  return held;
}

/** Creates a lock directory every user of the runner can lock in (sticky, like /tmp); false when it cannot be used. */
export function ensureLockDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return false;
  }
  try {
    if ((statSync(dir).mode & 0o1777) !== 0o1777) chmodSync(dir, 0o1777);
  } catch {
    /* someone else's: usable if we may write there */
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The system-wide lock directory, so a CI service user and a person at a desk see each other's locks. */
export const SYSTEM_LOCK_DIR = '/run/lock/meshbench';

/** Where locks live unless the rig (`lockDir`) or the command says: SYSTEM_LOCK_DIR, else one under the temp directory. */
export function defaultLockDir(system = SYSTEM_LOCK_DIR): string {
  if (ensureLockDir(system)) return system;
  const fallback = join(tmpdir(), 'meshbench-locks');
  ensureLockDir(fallback);
  return fallback;
}

/** The highest OpenThread simulation port offset handed out (its UDP ports stay below 65536). */
export const MAX_PORT_OFFSET = 512;

/**
 * A `PORT_OFFSET` for one run's OpenThread simulation nodes. Their radio is a
 * UDP port derived from the node id and the offset (and their settings file is
 * named by both), so two runs with the same node ids need different offsets:
 * each run holds the lock on its offset (`ot-port-offset-<n>.lock`) until it
 * releases it or ends.
 */
export class PortOffset {
  private released = false;
  private constructor(
    readonly offset: number,
    private readonly path: string,
    private readonly taken: Taken,
  ) {}

  /** The lowest offset from 1 whose lock is free in `dir`. */
  static allocate(runId: string, dir: string): PortOffset {
    ensureLockDir(dir);
    for (let n = 1; n <= MAX_PORT_OFFSET; n++) {
      const path = join(dir, `ot-port-offset-${n}.lock`);
      const t = takeNow(path, ownerRecord(`port offset ${n}`, runId));
      if (t) {
        const p = new PortOffset(n, path, t);
        exitRelease.add(p);
        return p;
      }
    }
    throw new Error(`every OpenThread port offset (1–${MAX_PORT_OFFSET}) is held by another run (locks in ${dir})`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    exitRelease.delete(this);
    giveUp(this.path, this.taken);
  }
}
