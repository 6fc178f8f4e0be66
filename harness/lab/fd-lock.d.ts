// Types for fd-lock (it ships none): an advisory lock on an open file
// descriptor (an open-file-description lock on Linux, flock elsewhere),
// which the kernel drops when the descriptor is closed or its process ends.
declare module 'fd-lock' {
  export default class FDLock {
    constructor(fd: number, opts?: { wait?: boolean });
    readonly locked: boolean;
    /** Takes the lock; without `wait`, rejects at once when another descriptor holds it (and closes `fd`). */
    ready(): Promise<void>;
    /** Unlocks and closes the descriptor. */
    close(): Promise<void>;
    /** Hands the descriptor back (it stays locked); -1 when it was closed already. */
    transfer(): number;
  }
}
