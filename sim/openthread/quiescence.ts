// Whether a node process is asleep waiting for input. An OpenThread
// virtual-time node sends a sleep request before every wait, but it can send
// several per wake-up (one before each pass of its main loop that finds CLI
// output still to write), so a sleep request alone does not say that the node
// has finished handling what it was sent. Blocked in its select() it has:
// /proc/<pid>/syscall then names that system call (while the task runs it
// reads "running").
import { readFileSync } from 'node:fs';

/** System calls a process waits for input in (Linux syscall numbers per architecture). */
const WAIT_SYSCALLS: Record<string, ReadonlySet<number>> = {
  // poll, select, epoll_wait, pselect6, ppoll, epoll_pwait (arch/x86/entry/syscalls/syscall_64.tbl)
  x64: new Set([7, 23, 232, 270, 271, 281]),
  // pselect6, ppoll, epoll_pwait (include/uapi/asm-generic/unistd.h)
  arm64: new Set([72, 73, 22]),
};

const waits = WAIT_SYSCALLS[process.arch];

export function canTellQuiescence(): boolean {
  return waits !== undefined && process.platform === 'linux';
}

/** True when `pid` sits in a wait for input; false while it runs, does other I/O, or is gone. */
export function isWaitingForInput(pid: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/syscall`, 'latin1');
  } catch {
    return false;
  }
  const nr = Number.parseInt(text, 10);
  return Number.isInteger(nr) && waits !== undefined && waits.has(nr);
}
