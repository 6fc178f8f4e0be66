// The byte pipe to a board: one interface, a real serial implementation and
// an in-memory fake (as node-serialport's bindings). The agent client and the
// drivers above it do not know which they have.
import { SerialPort } from 'serialport';
import { ErrorCode } from '../errors.ts';

export interface Transport {
  readonly path: string;
  open(): Promise<void>;
  write(data: string | Uint8Array): Promise<void>;
  onData(cb: (bytes: Uint8Array) => void): void;
  /** The port went away (cable pulled, PTY closed) or was closed by us. */
  onClose(cb: (why: string) => void): void;
  /** Serial break, as DAPLink reads it for a target reset. */
  sendBreak(ms: number): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /** Why the port closed, where the transport knows (a host process's exit and last words). */
  readonly closedWhy?: string;
}

export class PortError extends Error {
  constructor(
    readonly code: typeof ErrorCode.PORT_OPEN | typeof ErrorCode.PORT_CLOSED | typeof ErrorCode.PORT_WRITE,
    message: string,
  ) {
    super(message);
  }
}

export class SerialTransport implements Transport {
  private port: SerialPort | undefined;
  private dataCbs: Array<(b: Uint8Array) => void> = [];
  private closeCbs: Array<(why: string) => void> = [];

  constructor(
    readonly path: string,
    private readonly baudRate = 115200,
  ) {}

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      port.on('data', (chunk: Buffer) => {
        const bytes = new Uint8Array(chunk);
        for (const cb of this.dataCbs) cb(bytes);
      });
      port.on('close', (err?: Error & { disconnected?: boolean }) => {
        const why = err?.disconnected ? 'disconnected' : err ? err.message : 'closed';
        for (const cb of this.closeCbs) cb(why);
      });
      port.on('error', () => undefined);
      port.open((err) => {
        if (err) reject(new PortError(ErrorCode.PORT_OPEN, `cannot open ${this.path}: ${err.message}`));
        else {
          this.port = port;
          resolve();
        }
      });
    });
  }

  write(data: string | Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new PortError(ErrorCode.PORT_CLOSED, `${this.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), (err) => {
        if (err) reject(new PortError(ErrorCode.PORT_WRITE, `write to ${this.path}: ${err.message}`));
        else resolve();
      });
    });
  }

  onData(cb: (bytes: Uint8Array) => void): void {
    this.dataCbs.push(cb);
  }

  onClose(cb: (why: string) => void): void {
    this.closeCbs.push(cb);
  }

  async sendBreak(ms: number): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new PortError(ErrorCode.PORT_CLOSED, `${this.path} is not open`);
    await new Promise<void>((res, rej) => port.set({ brk: true }, (e) => (e ? rej(e) : res())));
    await new Promise((r) => setTimeout(r, ms));
    await new Promise<void>((res, rej) => port.set({ brk: false }, (e) => (e ? rej(e) : res())));
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}

/**
 * In-memory transport for tests: `emitData` plays the board's bytes, `written`
 * records what the harness sent, `onWrite` lets a test answer like a board.
 */
export class FakeTransport implements Transport {
  written: string[] = [];
  breaks = 0;
  private dataCbs: Array<(b: Uint8Array) => void> = [];
  private closeCbs: Array<(why: string) => void> = [];
  private open_ = false;
  onWrite: ((text: string) => void) | undefined;

  constructor(readonly path = 'fake://board') {}
  get isOpen(): boolean {
    return this.open_;
  }
  open(): Promise<void> {
    this.open_ = true;
    return Promise.resolve();
  }
  write(data: string | Uint8Array): Promise<void> {
    if (!this.open_) return Promise.reject(new PortError(ErrorCode.PORT_CLOSED, `${this.path} is not open`));
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    this.written.push(text);
    queueMicrotask(() => this.onWrite?.(text));
    return Promise.resolve();
  }
  emitData(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : data;
    for (const cb of this.dataCbs) cb(bytes);
  }
  /** The cable is pulled. */
  hangUp(): void {
    this.open_ = false;
    for (const cb of this.closeCbs) cb('disconnected');
  }
  onData(cb: (bytes: Uint8Array) => void): void {
    this.dataCbs.push(cb);
  }
  onClose(cb: (why: string) => void): void {
    this.closeCbs.push(cb);
  }
  sendBreak(): Promise<void> {
    this.breaks++;
    return Promise.resolve();
  }
  close(): Promise<void> {
    if (this.open_) {
      this.open_ = false;
      for (const cb of this.closeCbs) cb('closed');
    }
    return Promise.resolve();
  }
}
