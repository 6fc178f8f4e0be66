// A file written and flushed to its device before we go on: the JUnit report (a run
// killed after a case still leaves that case on disk) and a DAPLink copy (the drive's
// firmware waits for the whole image) need the same few steps.

/** The file operations a durable write makes; tests replace them to see the order or fail one. */
export interface SyncIo {
  openSync: (path: string, flags: string, mode?: number) => number;
  writeSync: (fd: number, data: Uint8Array) => number;
  fsyncSync: (fd: number) => void;
  closeSync: (fd: number) => void;
}

/** Writes all of `bytes` to a new `path` (a partial write is written on from where it stopped), fsyncs it, closes it. */
export function writeAndSync(path: string, bytes: Uint8Array, io: SyncIo): void {
  const fd = io.openSync(path, 'w', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += io.writeSync(fd, bytes.subarray(off));
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
}
