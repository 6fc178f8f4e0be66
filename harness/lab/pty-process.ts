// Host-process boards: firmware built for the host (OpenThread's simulation
// CLI, Zephyr native_sim) started on a pseudo-terminal and spoken to as a
// serial board. Its power is its process: open() starts it, close() ends it,
// and the process ending is what a pulled cable looks like.
import { execFileSync } from 'node:child_process';
import { spawn, type IPty } from '@lydell/node-pty';
import { PortError, type Transport } from '../board/transport.ts';
import { ErrorCode } from '../errors.ts';

export interface ProcessSpec {
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
}

export class PtyProcessTransport implements Transport {
  private pty: IPty | undefined;
  private exited: Promise<void> = Promise.resolve();
  private dataCbs: Array<(b: Uint8Array) => void> = [];
  private closeCbs: Array<(why: string) => void> = [];
  /** Why the last process ended, for error messages. */
  lastExit: string | undefined;
  /** The end of what the process printed: a host build that refuses its arguments says why there. */
  private tail = '';

  constructor(
    readonly spec: ProcessSpec,
    readonly path = `process:${spec.command.join(' ')}`,
  ) {}

  get isOpen(): boolean {
    return this.pty !== undefined;
  }

  get closedWhy(): string | undefined {
    return this.pty ? undefined : this.lastExit && `process ended (${this.lastExit})`;
  }

  get pid(): number | undefined {
    return this.pty?.pid;
  }

  open(): Promise<void> {
    const [file, ...args] = this.spec.command;
    if (!file) return Promise.reject(new PortError(ErrorCode.PORT_OPEN, 'empty command'));
    let pty: IPty;
    try {
      pty = spawn(file, args, {
        name: 'dumb',
        cols: 200,
        rows: 24,
        cwd: this.spec.cwd ?? process.cwd(),
        env: { ...process.env, ...this.spec.env } as Record<string, string>,
        // Bytes, not text: the harness decodes (node-pty's typings omit this option).
        ...({ encoding: null } as object),
      });
    } catch (e) {
      return Promise.reject(new PortError(ErrorCode.PORT_OPEN, `cannot start ${file}: ${(e as Error).message}`));
    }
    this.pty = pty;
    // A new PTY echoes and maps CR/LF; host firmware that does not set raw mode itself gets it here.
    const pts = (pty as unknown as { ptsName?: string }).ptsName;
    // Synchronously, before we write anything, so no byte of ours is echoed by the line discipline.
    if (pts) {
      try {
        execFileSync('stty', ['-F', pts, 'raw', '-echo'], { stdio: 'ignore' });
      } catch {
        /* the process already exited: onExit reports it */
      }
    }
    this.tail = '';
    pty.onData((d: string | Buffer) => {
      const bytes = typeof d === 'string' ? new Uint8Array(Buffer.from(d, 'latin1')) : new Uint8Array(d);
      this.tail = (this.tail + Buffer.from(bytes).toString('latin1')).slice(-TAIL_CHARS);
      for (const cb of this.dataCbs) cb(bytes);
    });
    this.exited = new Promise((resolve) => {
      pty.onExit(({ exitCode, signal }) => {
        const said = lastLine(this.tail);
        this.lastExit = `${signal ? `signal ${signal}` : `exit code ${exitCode}`}${said ? `, its last line: ${JSON.stringify(said)}` : ''}`;
        const was = this.pty === pty;
        if (was) this.pty = undefined;
        resolve();
        if (was) for (const cb of this.closeCbs) cb(`process ended (${this.lastExit})`);
      });
    });
    return Promise.resolve();
  }

  write(data: string | Uint8Array): Promise<void> {
    if (!this.pty) return Promise.reject(new PortError(ErrorCode.PORT_CLOSED, `${this.path} is not running`));
    // The socket underneath takes bytes; the typings only say string.
    this.pty.write((typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data)) as unknown as string);
    return Promise.resolve();
  }

  onData(cb: (bytes: Uint8Array) => void): void {
    this.dataCbs.push(cb);
  }

  onClose(cb: (why: string) => void): void {
    this.closeCbs.push(cb);
  }

  sendBreak(): Promise<void> {
    return Promise.reject(new PortError(ErrorCode.PORT_WRITE, `${this.path}: a process board has no serial break; reset it by power`));
  }

  /** Ends the process (SIGTERM, then SIGKILL after a grace period) and waits for it. */
  async close(graceMs = 2000): Promise<void> {
    const pty = this.pty;
    if (!pty) return;
    const exited = this.exited;
    pty.kill('SIGTERM');
    const killer = setTimeout(() => {
      try {
        pty.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    await exited;
    clearTimeout(killer);
  }
}

const TAIL_CHARS = 240;

/** The last non-empty line of `text`, printable characters only (it goes into messages). */
function lastLine(text: string): string | undefined {
  const line = text.split(/[\r\n]+/).map((l) => l.replace(/[^\x20-\x7e]/g, '').trim()).filter((l) => l.length > 0).pop();
  return line?.slice(0, 120);
}
