// A run's output directory: checked before the bench starts (a directory we
// may write, or one we can make; never inside /proc or /sys, whose entries
// are the kernel's and where a recursive mkdir can spin for ever) and locked
// to one run, so two runs never mix their reports, run logs and serial logs.
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BoardLock, describeOwner, LockHeldError } from '../lab/lock.ts';
import { ErrorCode } from '../errors.ts';

export class OutDirError extends Error {
  readonly code = ErrorCode.OUT_DIR;
}

/** Kernel pseudo-filesystems: not a place for files of ours. */
const KERNEL_TREES = ['/proc', '/sys'];

/** The lock file that says which run owns an out directory. */
export const OUT_LOCK_FILE = '.meshbench-run.lock';

function errno(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
}

function describeErrno(code: string): string {
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a part of the path is not a directory',
    EEXIST: 'a file of that name exists',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many symbolic links',
  };
  return words[code] ? `${words[code]}, ${code}` : code;
}

/** The deepest part of `path` that exists (the root at worst), and what is below it. */
function existingAncestor(path: string): { existing: string; rest: string } {
  let p = path;
  for (;;) {
    try {
      statSync(p);
      return { existing: p, rest: relative(p, path) };
    } catch {
      const up = dirname(p);
      if (up === p) return { existing: p, rest: relative(p, path) };
      p = up;
    }
  }
}

function underKernelTree(path: string): string | undefined {
  return KERNEL_TREES.find((t) => path === t || path.startsWith(t + sep));
}

/**
 * Makes sure `dir` can hold a run's output: makes it if need be, refuses
 * kernel trees, files in the way and directories we may not write.
 * Returns the absolute path.
 */
export function checkOutDir(dir: string): string {
  const path = resolve(dir);
  const { existing, rest } = existingAncestor(path);
  let real: string;
  try {
    real = realpathSync(existing);
  } catch (e) {
    throw new OutDirError(`--out ${dir}: cannot resolve ${existing} (${describeErrno(errno(e))})`);
  }
  const full = rest ? join(real, rest) : real;
  const tree = underKernelTree(full) ?? underKernelTree(path);
  if (tree) throw new OutDirError(`--out ${dir}: ${tree} is the kernel's, not a place for a run's files; choose a directory on a disk`);
  if (!statSync(existing).isDirectory()) throw new OutDirError(`--out ${dir}: ${existing} is not a directory (ENOTDIR); choose another path`);
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new OutDirError(`--out ${dir}: cannot create ${path} (${describeErrno(errno(e))}); choose a directory you may write`);
  }
  return path;
}

/**
 * Locks `dir` to this run: a second run on the same directory fails at once
 * naming the holder, or waits `waitS` seconds for it. The kernel drops the
 * lock when the holder's process ends, however it ends.
 */
export async function lockOutDir(dir: string, runId: string, waitS = 0): Promise<BoardLock> {
  const path = join(dir, OUT_LOCK_FILE);
  try {
    return await BoardLock.acquireFile(path, `out directory ${dir}`, { runId, waitS });
  } catch (e) {
    if (e instanceof LockHeldError) {
      const holder = e.owner ? describeOwner(e.owner) : 'another run (its lock file is being written)';
      throw new OutDirError(`--out ${dir} is in use by ${holder}${waitS > 0 ? `; waited ${waitS} s` : '; pass --wait-lock SECONDS to wait for it, or choose another --out'}`);
    }
    throw new OutDirError(`--out ${dir}: cannot write ${path} (${describeErrno(errno(e))}); choose a directory you may write`);
  }
}
