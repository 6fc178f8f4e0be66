// The line protocol of OpenThread's CLI (reference openthread-cli.md §4):
// each command is echoed after a "> " prompt, its output lines follow, then
// exactly one "Done" or "Error <n>: <Name>"; reset prints nothing; ping
// replies and UDP receives arrive asynchronously at any time. One command at a
// time: the CLI drops input while a command is pending.
import type { Transport } from '../transport.ts';
import { LinkGoneError, LinkRefusedError, LinkTimeoutError } from '../link-errors.ts';
import { hostOtClock, type OtClock } from './ot-clock.ts';
import { redactOtCommand } from './ot-secrets.ts';
import { ErrorCode } from '../../errors.ts';

/**
 * The longest command line the CLI takes: OPENTHREAD_CONFIG_CLI_MAX_LINE_LENGTH
 * is 384 bytes with the terminating NUL by default (src/cli/cli_config.h); longer
 * lines fail with `Error 6: Parse`.
 */
export const OT_CLI_MAX_LINE = 383;

/**
 * One argument as the CLI's parser reads it: a backslash escapes a separator
 * (space, tab, CR, LF) or a backslash (Utils::CmdLineParser::ParseCmd).
 */
export function cliArg(text: string): string {
  return text.replace(/[\\ \t]/g, (c) => `\\${c}`);
}

// Errors carry the command with its secrets redacted (a key, a dataset, a
// PSKd): their messages reach notes, logs and JUnit reports.

export class OtCliError extends LinkRefusedError {
  readonly code = ErrorCode.OT_CLI;
  /** The command, secrets redacted. */
  readonly command: string;
  constructor(
    command: string,
    readonly otError: number,
    readonly otName: string,
  ) {
    const shown = redactOtCommand(command);
    super(`${shown}: Error ${otError}: ${otName}`);
    this.command = shown;
  }
}

export class OtCliTimeoutError extends LinkTimeoutError {
  readonly code = ErrorCode.OT_CLI_TIMEOUT;
  constructor(command: string, ms: number, port: string) {
    super(`${redactOtCommand(command)}: no Done/Error from ${port} within ${ms} ms (wall clock)`);
  }
}

export class OtCliGoneError extends LinkGoneError {
  readonly code = ErrorCode.OT_CLI_GONE;
  constructor(command: string, why: string) {
    super(`${redactOtCommand(command)}: the board's port went away (${why})`);
  }
}

/** Lines a CLI prints on its own, not as a command's output (reference §4). */
const ASYNC_LINE = [
  /^\d+ bytes from \S+ \d+( |$)/, // UDP receive: "5 bytes from <ip> <port> hello" (nothing after the port for an empty text)
  /^\d+ bytes from \S+: icmp_seq=/, // ping reply
  /^\d+ packets transmitted, \d+ packets received\./,
  /^TCP: /,
  /^TCP Benchmark Complete/,
  /^TCP Goodput/,
  /^Join (success|failed)/,
];

const RESULT = /^(Done|Error (\d+): (\w+))$/;

/**
 * OpenThread's log lines, when a build sends its log to the CLI's UART
 * (OPENTHREAD_CONFIG_LOG_OUTPUT_APP or _PLATFORM_DEFINED): `[N] Mle-----------: Role detached -> leader`
 * (level C, W, N, I or D, then the module padded with dashes), optionally
 * after an `hh:mm:ss.mmm ` time stamp (OPENTHREAD_CONFIG_LOG_PREPEND_UPTIME),
 * and the older `[INFO]-MLE-----: …` form. They can come at any time, also
 * between a command's echo and its result, and are never its output.
 */
export const OT_LOG_LINE = /^(?:\d+:\d{2}:\d{2}\.\d{3} )?\[(?:[CWNID]|CRIT|WARN|NOTE|INFO|DEBG)\](?: [A-Za-z][\w-]*-*:|-[A-Z0-9][\w-]*:)/;

interface Pending {
  command: string;
  echoed: boolean;
  lines: string[];
  resolve: (lines: string[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The line protocol of the OpenThread CLI: one command at a time (it drops input while one is pending). */
export class OtCli {
  private buf = '';
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private gone: string | undefined;
  private readonly asyncCbs: Array<(line: string) => void> = [];
  private readonly logCbs: Array<(line: string) => void> = [];
  /**
   * Wall-clock backstop for one command. The CLI answers a command as soon as it has read
   * it (on a lockstep bench, before any bench time runs), so this bounds a dead link only.
   */
  defaultTimeoutMs = 10_000;

  constructor(
    readonly transport: Transport,
    /** What a silent command's settling and the driver's polls and waits run on (ot-clock.ts). */
    public clock: OtClock = hostOtClock(),
  ) {
    transport.onData((b) => this.receive(Buffer.from(b).toString('latin1')));
    transport.onClose((why) => {
      this.gone = why;
      const p = this.pending;
      this.pending = undefined;
      if (p) {
        clearTimeout(p.timer);
        p.reject(new OtCliGoneError(p.command, why));
      }
    });
  }

  /** Lines the CLI prints on its own (UDP receives, ping replies); returns a function that stops listening. */
  onAsync(cb: (line: string) => void): () => void {
    this.asyncCbs.push(cb);
    return () => {
      const i = this.asyncCbs.indexOf(cb);
      if (i >= 0) this.asyncCbs.splice(i, 1);
    };
  }
  /** Lines that are neither output, echo nor async: log output, boot noise. */
  onLog(cb: (line: string) => void): void {
    this.logCbs.push(cb);
  }

  /** Runs one command; resolves with its output lines at Done, rejects with the CLI's Error. */
  command(cmd: string, timeoutMs = this.defaultTimeoutMs): Promise<string[]> {
    const run = () =>
      new Promise<string[]>((resolve, reject) => {
        if (this.gone) return reject(new OtCliGoneError(cmd, this.gone));
        const timer = setTimeout(() => {
          if (this.pending?.timer === timer) this.pending = undefined;
          reject(new OtCliTimeoutError(cmd, timeoutMs, this.transport.path));
        }, timeoutMs);
        this.pending = { command: cmd, echoed: false, lines: [], resolve, reject, timer };
        this.transport.write(`${cmd}\r\n`).catch((e: Error) => {
          clearTimeout(timer);
          this.pending = undefined;
          reject(e);
        });
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A command that prints nothing (reset, factoryreset): send it and let the CLI restart for `settleUs` of the clock. */
  async silent(cmd: string, settleUs = 500_000): Promise<void> {
    await this.queue;
    await this.transport.write(`${cmd}\r\n`);
    await this.clock.sleepUs(settleUs);
  }

  /** After a reset: `version` until the CLI answers, draining whatever it printed meanwhile. */
  async resync(withinMs = 10_000, tryMs = 1000): Promise<string> {
    const until = Date.now() + withinMs;
    let last: Error | undefined;
    while (Date.now() < until) {
      try {
        return (await this.command('version', tryMs))[0] ?? '';
      } catch (e) {
        last = e as Error;
        if (e instanceof OtCliGoneError) throw e;
      }
    }
    throw new Error(`${this.transport.path}: the CLI did not answer 'version' within ${withinMs} ms (${last?.message ?? 'no answer'})`);
  }

  private receive(text: string): void {
    this.buf += text;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) break;
      const raw = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.line(raw);
    }
  }

  private line(raw: string): void {
    // Prompts: a line may start with one or more "> " (after a result, or before an async line).
    const line = raw.replace(/^(> ?)+/, '').trimEnd();
    if (line === '') return;
    if (ASYNC_LINE.some((re) => re.test(line))) {
      for (const cb of this.asyncCbs) cb(line);
      return;
    }
    const p = this.pending;
    // Before the command's echo nothing is its answer (a late Done of a command that timed out,
    // boot noise); log lines are never output.
    if (!p || OT_LOG_LINE.test(line) || (!p.echoed && line !== p.command.trimEnd())) {
      for (const cb of this.logCbs) cb(line);
      return;
    }
    if (!p.echoed) {
      p.echoed = true;
      return;
    }
    const m = RESULT.exec(line);
    if (m) {
      this.pending = undefined;
      clearTimeout(p.timer);
      if (m[1] === 'Done') p.resolve(p.lines);
      else p.reject(new OtCliError(p.command, Number(m[2]), m[3]!));
      return;
    }
    p.lines.push(line);
  }
}
