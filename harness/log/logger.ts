// Logging: one JSON log per run (run.log) and one pino child logger per board
// with fixed keys; pretty lines on a terminal. Board serial traffic also goes
// to a plain-text serial log per board, the evidence a report attaches. Every
// line of run.log and the terminal passes the run's redactor, as the serial logs do.
import { mkdirSync, openSync } from 'node:fs';
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

export function createRunLogger(runDir: string, opts: RunLoggerOptions = {}): Logger {
  const redact = opts.redact ?? redactor([]);
  mkdirSync(runDir, { recursive: true });
  const streams: pino.StreamEntry[] = [{ level: 'debug', stream: pino.destination({ dest: join(runDir, 'run.log'), sync: true, mkdir: true }) }];
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
 * redacted. Written through pino's buffered destination (SonicBoom), so a chatty
 * board costs a write system call per few KB, not per line, however long the run;
 * a case or soak window flushes it (flush()) and takes its slice by byte offset.
 * A killed run loses at most the last unflushed buffer (`bufferBytes`, under 16 KB).
 */
export class SerialLog {
  readonly path: string;
  private lineCount = 0;
  private byteCount = 0;
  private partial: Record<'rx' | 'tx', number[]> = { rx: [], tx: [] };
  private readonly out: ReturnType<typeof pino.destination>;
  private closed = false;

  constructor(
    dir: string,
    boardId: string,
    private readonly redact: Redactor,
    bufferBytes = 4096,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${boardId}.log`);
    // Opened here, so the destination is ready at once (flushSync needs an fd).
    this.out = pino.destination({ dest: openSync(this.path, 'a'), sync: false, minLength: bufferBytes });
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
    if (!this.closed) this.out.flushSync();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.out.end();
  }

  bytes(bytes: Uint8Array, direction: 'rx' | 'tx'): void {
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
    const line = text + '\n';
    this.out.write(line);
    this.byteCount += Buffer.byteLength(line);
    this.lineCount++;
  }
}
