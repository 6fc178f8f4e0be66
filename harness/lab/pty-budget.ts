// Pseudo-terminals a bench needs, checked before bring-up: a board of the sim or
// a host-process board takes one each, and a host has a fixed number
// (kernel.pty.max, 4096 by default on Linux) shared by every terminal and job.
import { readFileSync } from 'node:fs';

/** PTYs left for everything else on the host when a bench has taken its own. */
export const PTY_RESERVE = 16;

export interface PtyCount {
  max: number;
  inUse: number;
}

/** The host's PTY limit and use (Linux: /proc/sys/kernel/pty/{max,nr}); undefined where the kernel does not say. */
export function ptyCount(procRoot = '/proc'): PtyCount | undefined {
  try {
    const max = Number(readFileSync(`${procRoot}/sys/kernel/pty/max`, 'utf8').trim());
    const inUse = Number(readFileSync(`${procRoot}/sys/kernel/pty/nr`, 'utf8').trim());
    return Number.isFinite(max) && Number.isFinite(inUse) ? { max, inUse } : undefined;
  } catch {
    return undefined;
  }
}

/** Why a bench of `needed` PTYs cannot come up on this host, or undefined when it can. */
export function ptyShortage(needed: number, count = ptyCount()): string | undefined {
  if (!count || needed === 0) return undefined;
  const free = count.max - count.inUse;
  if (needed + PTY_RESERVE <= free) return undefined;
  return `the bench needs ${needed} pseudo-terminals (one per board) and ${PTY_RESERVE} are kept for the host, but only ${free} of ${count.max} are free (kernel.pty.max ${count.max}, ${count.inUse} in use); end other runs or use fewer boards`;
}
