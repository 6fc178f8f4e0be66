// Board locks: two runs on one runner never share a board. A lock is a file
// created with O_EXCL that holds the owner's pid, the kernel's start time of
// that pid (so a reused pid is not mistaken for the owner), host, run id and
// since when. It dies with its process: a lock whose owner is gone is stale and
// is taken over, so a killed CI job frees its boards without anyone's help.
// Breaking a stale lock is itself guarded by an O_EXCL file, so two runs that
// both find the same stale lock cannot both take it.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot; absent where /proc is not. */
  start?: string;
  host: string;
  runId: string;
  /** ISO date. */
  since: string;
  board: string;
}

export class LockHeldError extends Error {
  readonly code = 'ERR_BOARD_LOCKED';
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
  return `run ${o.runId} (pid ${o.pid} on ${o.host}, since ${o.since}, ${age} s ago)`;
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the owner recorded in a lock still runs. A lock from another host is assumed live. */
export function ownerAlive(o: LockOwner): boolean {
  if (o.host !== hostname()) return true;
  if (!pidAlive(o.pid)) return false;
  if (o.start === undefined) return true;
  const now = processStart(o.pid);
  return now === undefined ? true : now === o.start;
}

function readOwner(path: string): LockOwner | undefined | 'none' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw e;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined; // being written right now, or truncated
  }
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function removeIfSame(path: string, expect: LockOwner): void {
  const now = readOwner(path);
  if (now !== 'none' && now !== undefined && now.pid === expect.pid && now.start === expect.start && now.since === expect.since) {
    try {
      unlinkSync(path);
    } catch {
      /* gone already */
    }
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
  /** Who we are; tests pass another process's identity. */
  owner?: Pick<LockOwner, 'pid' | 'start' | 'host'>;
}

export class BoardLock {
  private released = false;
  private constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {}

  /** Takes the lock for `board` (a display name) on the physical `key`. */
  static async acquire(board: string, key: string, opts: LockOptions): Promise<BoardLock> {
    mkdirSync(opts.dir, { recursive: true });
    const path = join(opts.dir, lockName(key));
    const me = opts.owner ?? { pid: process.pid, start: processStart(process.pid), host: hostname() };
    const owner: LockOwner = { ...me, runId: opts.runId, since: new Date().toISOString(), board };
    const deadline = Date.now() + (opts.waitS ?? 0) * 1000;
    let unreadableSince: number | undefined;
    for (;;) {
      if (createExclusive(path, JSON.stringify(owner) + '\n')) {
        const lock = new BoardLock(path, owner);
        exitRelease.add(lock);
        return lock;
      }
      const held = readOwner(path);
      if (held === 'none') continue; // released between our create and read
      if (held === undefined) {
        // A writer between create and write, or a crash in that instant: give it a second.
        unreadableSince ??= Date.now();
        if (Date.now() - unreadableSince > 1000) breakStale(path, undefined);
      } else if (!ownerAlive(held)) {
        breakStale(path, held);
        continue;
      }
      if (Date.now() >= deadline) throw new LockHeldError(board, held === undefined ? undefined : held, opts.waitS ?? 0);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    exitRelease.delete(this);
    removeIfSame(this.path, this.owner);
  }
}

/** Removes a stale lock, guarded so only one of several contenders does it. */
function breakStale(path: string, stale: LockOwner | undefined): void {
  const guard = path + '.break';
  const me = JSON.stringify({ pid: process.pid, start: processStart(process.pid), host: hostname(), runId: 'break', since: new Date().toISOString(), board: '' });
  if (!createExclusive(guard, me)) {
    const g = readOwner(guard);
    // A breaker that died mid-break leaves its guard: clear it so the next attempt can go.
    if (g !== 'none' && g !== undefined && !ownerAlive(g)) removeIfSame(guard, g);
    return;
  }
  try {
    const now = readOwner(path);
    if (stale === undefined) {
      if (now === undefined) unlinkSync(path);
    } else if (now !== 'none' && now !== undefined && now.pid === stale.pid && now.since === stale.since && now.start === stale.start) {
      unlinkSync(path);
    }
  } finally {
    unlinkSync(guard);
  }
}

// A lock dies with its process in any case (stale detection); on a normal exit
// we also remove the files so the next run need not break them.
const exitRelease = new Set<BoardLock>();
process.once('exit', () => {
  for (const l of [...exitRelease]) l.release();
});

/** All the boards of a run, taken in a fixed order so two runs cannot deadlock on each other. */
export async function lockBoards(boards: Array<{ id: string; key: string }>, opts: LockOptions): Promise<BoardLock[]> {
  const sorted = [...boards].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const held: BoardLock[] = [];
  try {
    for (const b of sorted) held.push(await BoardLock.acquire(b.id, b.key, opts));
  } catch (e) {
    for (const l of held) l.release();
    throw e;
  }
  return held;
}

export function defaultLockDir(): string {
  return join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'meshbench-locks');
}
