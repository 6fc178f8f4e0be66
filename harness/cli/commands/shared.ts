// What the lab commands share: their shape in the CLI table, and how an
// infrastructure error becomes a message and exit code 3.
import { RigFileError } from '../../rig/load.ts';
import { InfraError } from '../../lab/errors.ts';
import { terminalSafe } from '../../log/terminal.ts';
import { codeOf, ErrorCode } from '../../errors.ts';

/** Option values as the parser gives them: camelCase names; a `--no-x` flag is `x: false`. */
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface OptionSpec {
  /** As commander writes them: `--rig <file>`, `--no-probe`. */
  flags: string;
  description: string;
  /** An environment variable that gives the value when the flag is absent. */
  env?: string;
}

/** The shape of an entry in the CLI's command table. */
export interface LabCommand {
  summary: string;
  usage: string;
  /** What `--help` prints below the usage line. */
  help?: string;
  /** The command's exit codes, printed at the end of its help. */
  exitCodes: string;
  options: OptionSpec[];
  /** Positional arguments, e.g. `<image>`. */
  args?: string;
  run(values: Values, positionals: string[]): Promise<number>;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** The terminal: what boards answered may sit in any line, so every line is shown terminal-safe. */
export const consoleIo: Io = { out: (l) => console.log(terminalSafe(l)), err: (l) => console.error(terminalSafe(l)) };

export class LabUsageError extends Error {
  readonly code = ErrorCode.PARSE_ARGS_LAB;
}

/** Runs a command body; infrastructure errors → 3, rig-file errors → 2, with their message. */
export async function guarded(io: Io, name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof InfraError) {
      io.err(`meshbench ${name}: ${e.message}`);
      return 3;
    }
    if (e instanceof RigFileError) {
      io.err(`meshbench ${name}: ${e.message}`);
      return 2;
    }
    if (codeOf(e) === ErrorCode.BOARD_LOCKED) {
      io.err(`meshbench ${name}: ${(e as Error).message}`);
      return 3;
    }
    throw e;
  }
}

export function seconds(name: string, v: string | boolean | string[] | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0)) throw new LabUsageError(`--${name} expects seconds (a non-negative number), got '${String(v)}'`);
  return n;
}
