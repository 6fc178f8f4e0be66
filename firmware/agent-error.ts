// A request the agent answers with `err` (docs/agent-protocol.md "Errors").
import type { Args, ErrorCode } from '../protocol/agent.ts';

export class AgentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Handler = (args: Args) => Args;

/** Rejects keys a command does not take, naming the first one. */
export function onlyKeys(args: Args, allowed: readonly string[]): void {
  for (const k of Object.keys(args)) if (!allowed.includes(k)) throw new AgentError('E_BAD_ARGUMENT', `${k}: unknown key`);
}

/** An integer argument in [min, max]; `fallback` when absent (absent and no fallback: an error naming the key). */
export function intArg(args: Args, key: string, min: number, max: number, fallback?: number): number {
  const text = args[key];
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new AgentError('E_BAD_ARGUMENT', `${key}: missing`);
  }
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new AgentError('E_BAD_ARGUMENT', `${key}: expected an integer in ${min}..${max}`);
  return n;
}
