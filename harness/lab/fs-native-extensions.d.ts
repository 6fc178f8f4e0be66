// Types for the part of fs-native-extensions meshbench uses (it ships none):
// advisory locks on an open file descriptor (open-file-description locks on
// Linux, flock on macOS), which the kernel drops when the descriptor is
// closed or its process ends.
declare module 'fs-native-extensions' {
  /** Takes an exclusive lock (the descriptor must be writable); false when another descriptor holds it. */
  export function tryLock(fd: number, opts?: { shared?: boolean }): boolean;
  export function unlock(fd: number): void;
}
