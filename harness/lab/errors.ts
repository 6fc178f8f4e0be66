// Infrastructure errors: the bench could not be brought up or kept up (a tool
// failed, a board is missing, locked or does not answer). They end a run at
// once with exit code 3 and the tool's own message: never a test timeout.
import type { ErrorCode } from '../errors.ts';

export class InfraError extends Error {
  readonly exitCode = 3;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly board?: string,
  ) {
    super(message);
  }
}
