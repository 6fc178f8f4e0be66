// Reading a file a user named (a rig file, a network config) with bounds: a
// regular file only (never /dev/zero, a FIFO or a directory) and at most `cap`
// bytes, so a wrong path cannot exhaust the machine. Errors carry no byte of the
// file: the path, what is wrong and the errno.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ErrorCode } from '../errors.ts';

export class BoundedReadError extends Error {
  readonly code = ErrorCode.BOUNDED_READ;
}

/** Caps from docs/rig-file.md: far above any real rig (the 64-board grid is 12 KB). */
export const RIG_FILE_CAP_BYTES = 1024 * 1024;
export const NETWORK_CONFIG_CAP_BYTES = 64 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function readBounded(path: string, cap: number): string {
  let fd: number;
  try {
    // Non-blocking, so opening a FIFO nobody writes does not hang before we can refuse it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new BoundedReadError(`cannot read (${err.code ?? err.message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BoundedReadError(`${kindOf(st)}, not a regular file`);
    if (st.size > cap) throw new BoundedReadError(`${st.size} bytes, more than the ${cap} bytes a file of this kind may have`);
    // The file may grow while we read: read at most cap + 1 bytes and refuse the excess.
    const buf = Buffer.alloc(cap + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) break;
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > cap) throw new BoundedReadError(`more than the ${cap} bytes a file of this kind may have`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
