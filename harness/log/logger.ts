// Logging: one JSON log per run (run.log) and one pino child logger per board
// with fixed keys; pretty lines on a terminal. Board serial traffic also goes
// to a plain-text serial log per board, the evidence a report attaches. Every
// line of run.log and the terminal passes the run's redactor, as the serial logs do.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { render } from '../../protocol/agent.ts';
import { redactor, type Redactor } from '../report/sanitize.ts';

export type { Logger };

function redactDeep(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v, redact)]));
  }
  return value;
}

/**
 * Redacts one serialised pino line: every string in it (message, bindings, fields at
 * any depth, serialised errors), so that no call site can leak a secret by logging it.
 * Works on the parsed JSON, so a redaction never breaks the line's syntax.
 */
export function redactLogLine(line: string, redact: Redactor): string {
  const trailing = line.endsWith('\n') ? '\n' : '';
  try {
    return JSON.stringify(redactDeep(JSON.parse(line), redact)) + trailing;
  } catch {
    // Not JSON (pino always writes JSON): redact the text as it is.
    return redact(line);
  }
}

export interface RunLoggerOptions {
  terminalLevel?: pino.Level;
  quiet?: boolean;
  /**
   * The run's redactor (the secrets of the rig's network configs). Without one, values of
   * secret keys on agent lines (`thread-pskd=...`) are still redacted.
   */
  redact?: Redactor;
}

/**
 * run.log, appended synchronously (a killed run keeps what it logged). A write that
 * fails (a full disk) is dropped, not thrown: the log never brings a run down, and
 * the report's own write says what is wrong with the disk.
 */
class RunLogFile {
  private fd: number | undefined;
  /** The first write error, if any. */
  failed: string | undefined;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
    process.once('exit', () => this.close());
  }
  write(line: string): void {
    if (this.fd === undefined || this.failed) return;
    try {
      writeSync(this.fd, line);
    } catch (e) {
      this.failed = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function createRunLogger(runDir: string, opts: RunLoggerOptions = {}): Logger {
  const redact = opts.redact ?? redactor([]);
  mkdirSync(runDir, { recursive: true });
  const streams: pino.StreamEntry[] = [{ level: 'debug', stream: new RunLogFile(join(runDir, 'run.log')) }];
  if (!opts.quiet) {
    const colorize = process.stderr.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    streams.push({
      level: opts.terminalLevel ?? 'warn',
      stream: pretty({ destination: 2, colorize, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }),
    });
  }
  // The hook runs once per line, before the line is fanned out to run.log and the terminal.
  return pino({ level: 'debug', base: undefined, hooks: { streamWrite: (line) => redactLogLine(line, redact) } }, pino.multistream(streams));
}

/** Fixed keys only (pino warns against user-controlled binding keys). */
export function boardLogger(run: Logger, board: { id: string; port: string }): Logger {
  return run.child({ board: board.id, port: board.port });
}

/**
 * A board's serial log: every line it sent and every line we sent, with the
 * harness wall time and direction, non-printable bytes shown as \xHH, secrets
 * redacted. Written through its own buffer (one write per few KB), so a chatty
 * board costs a write system call per few KB, not per line, however long the run;
 * a case or soak window flushes it (flush()) and takes its slice by byte offset.
 * A killed run loses at most the last unflushed buffer (`bufferBytes`, under 16 KB).
 * It holds at most `capBytes`, then one marker line; a write that fails (a full
 * disk) stops it, and the run goes on.
 */
/** A board's serial log stops growing here (a flooding board once wrote 82 MB in 4 s). */
export const SERIAL_LOG_CAP_BYTES = 8 * 1024 * 1024;

export class SerialLog {
  readonly path: string;
  private lineCount = 0;
  private byteCount = 0;
  private partial: Record<'rx' | 'tx', number[]> = { rx: [], tx: [] };
  private fd: number | undefined;
  /** Lines not yet written, and their bytes. */
  private pending: string[] = [];
  private pendingBytes = 0;
  private closed = false;
  private dropped = 0;
  /** Why the log stopped: its cap, or a write that failed (a full disk). */
  stopped: string | undefined;

  constructor(
    dir: string,
    boardId: string,
    private readonly redact: Redactor,
    private readonly bufferBytes = 4096,
    /** Bytes the log may hold; past it one marker line says the rest was dropped. */
    readonly capBytes = SERIAL_LOG_CAP_BYTES,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${boardId}.log`);
    // Our own buffer over a plain descriptor: SonicBoom's flushSync retries a failed
    // write for ever (ENOSPC on a full disk hung a run), this one stops the log instead.
    this.fd = openSync(this.path, 'a');
  }

  private fail(e: unknown): void {
    this.stopped ??= `write failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }

  /** Bytes of serial traffic not logged since the log stopped. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** Lines written so far. */
  get lines(): number {
    return this.lineCount;
  }

  /** Bytes written so far (flushed or not): a case records its slice as [start, end). */
  get offset(): number {
    return this.byteCount;
  }

  /** Everything written so far is in the file after this. */
  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const data = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (this.stopped?.startsWith('write failed')) return;
    try {
      writeSync(this.fd, data);
    } catch (e) {
      this.fail(e);
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  bytes(bytes: Uint8Array, direction: 'rx' | 'tx'): void {
    if (this.stopped) {
      this.dropped += bytes.length;
      return;
    }
    const buf = this.partial[direction];
    for (const b of bytes) {
      if (b === 0x0a) {
        this.write(direction, buf.splice(0));
      } else buf.push(b);
      if (buf.length > 2048) this.write(direction, buf.splice(0));
    }
  }

  note(text: string): void {
    this.append(`${new Date().toISOString()} -- ${this.redact(text)}`);
  }

  private write(direction: 'rx' | 'tx', line: number[]): void {
    if (line[line.length - 1] === 0x0d) line.pop();
    this.append(`${new Date().toISOString()} ${direction === 'rx' ? '<-' : '->'} ${this.redact(render(line))}`);
  }

  private append(text: string): void {
    if (this.closed) return;
    let line = text + '\n';
    if (this.stopped) {
      this.dropped += Buffer.byteLength(line);
      return;
    }
    if (this.byteCount + Buffer.byteLength(line) > this.capBytes) {
      this.dropped += Buffer.byteLength(line);
      this.stopped = `capped at ${this.capBytes} bytes`;
      line = `${new Date().toISOString()} -- serial log capped at ${this.capBytes} bytes: later traffic of this board is not logged\n`;
    }
    const n = Buffer.byteLength(line);
    this.pending.push(line);
    this.pendingBytes += n;
    this.byteCount += n;
    this.lineCount++;
    if (this.pendingBytes >= this.bufferBytes) this.flush();
  }
}
