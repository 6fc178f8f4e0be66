// The harness end of the agent protocol: numbered requests matched to their
// responses, events and board log delivered to listeners, and nothing a board
// prints (boot noise, garbage, half lines) able to break the session.
import { formatRequest, LineSplitter, type AgentLine, type Args } from '../../protocol/agent.ts';
import { LinkGoneError, LinkRefusedError, LinkTimeoutError } from './link-errors.ts';
import type { Transport } from './transport.ts';
import { ErrorCode } from '../errors.ts';

export interface AgentEvent {
  /** Board time, µs (bench time on the simulated bench). */
  t: number;
  name: string;
  args: Args;
}

export interface AgentReply {
  t: number;
  args: Args;
}

export class AgentError extends LinkRefusedError {
  constructor(
    readonly code: string,
    message: string,
    readonly command: string,
  ) {
    super(`${command}: ${code}${message ? `: ${message}` : ''}`);
  }
}

export class AgentTimeoutError extends LinkTimeoutError {
  readonly code = ErrorCode.AGENT_TIMEOUT;
  constructor(
    readonly command: string,
    ms: number,
    readonly port: string,
  ) {
    super(`${command}: no answer from ${port} within ${ms} ms (wall clock)`);
  }
}

export class AgentGoneError extends LinkGoneError {
  readonly code = ErrorCode.AGENT_GONE;
  constructor(
    readonly command: string,
    readonly why: string,
  ) {
    super(`${command}: the board's port went away (${why})`);
  }
}

interface Pending {
  command: string;
  resolve: (r: AgentReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface AgentClientListeners {
  event?: (e: AgentEvent) => void;
  /** Every line that is not protocol, and protocol lines that were malformed. */
  log?: (text: string, why: string) => void;
  /** Bytes as they came, for the board's serial log. */
  raw?: (bytes: Uint8Array, direction: 'rx' | 'tx') => void;
  closed?: (why: string) => void;
}

export class AgentClient {
  private readonly splitter = new LineSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone: string | undefined;
  private readonly listeners: AgentClientListeners[] = [];
  /** Wall-clock backstop for one request; bench-time bounds are the suites' business. */
  defaultTimeoutMs = 10_000;

  constructor(readonly transport: Transport) {
    transport.onData((bytes) => this.receive(bytes));
    transport.onClose((why) => this.lost(why));
  }

  listen(l: AgentClientListeners): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  get isGone(): string | undefined {
    return this.gone;
  }

  request(command: string, args: Args = {}, timeoutMs = this.defaultTimeoutMs): Promise<AgentReply> {
    if (this.gone) return Promise.reject(new AgentGoneError(command, this.gone));
    const id = this.nextId;
    this.nextId = this.nextId >= 999_999_999 ? 1 : this.nextId + 1;
    const line = formatRequest(id, command, args);
    return new Promise<AgentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentTimeoutError(command, timeoutMs, this.transport.path));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      for (const l of this.listeners) l.raw?.(new Uint8Array(Buffer.from(line, 'latin1')), 'tx');
      this.transport.write(line).catch((e: Error) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(e);
      });
    });
  }

  /** Text bytes straight to the port, for conformance checks that send broken lines on purpose. */
  async writeRaw(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'latin1')) : data;
    for (const l of this.listeners) l.raw?.(bytes, 'tx');
    await this.transport.write(bytes);
  }

  private receive(bytes: Uint8Array): void {
    for (const l of this.listeners) l.raw?.(bytes, 'rx');
    for (const line of this.splitter.push(bytes)) this.dispatch(line);
  }

  private dispatch(line: AgentLine): void {
    switch (line.kind) {
      case 'response': {
        const p = this.pending.get(line.id);
        if (!p) {
          for (const l of this.listeners) l.log?.(`(response to no pending request ${line.id})`, 'unmatched');
          return;
        }
        this.pending.delete(line.id);
        clearTimeout(p.timer);
        const t = Number(line.args.t ?? NaN);
        if (line.ok) p.resolve({ t, args: line.args });
        else p.reject(new AgentError(line.args.code ?? 'E_UNKNOWN', line.args.msg ?? '', p.command));
        return;
      }
      case 'event':
        for (const l of this.listeners) l.event?.({ t: line.t, name: line.name, args: line.args });
        return;
      case 'request':
        // A board echoing our line back (echo left on) or another host on the wire.
        for (const l of this.listeners) l.log?.(`(echoed request ${line.id} ${line.command})`, 'echo');
        return;
      case 'log':
        for (const l of this.listeners) l.log?.(line.text, line.why);
        return;
    }
  }

  private lost(why: string): void {
    for (const line of this.splitter.flush()) this.dispatch(line);
    this.gone = why;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new AgentGoneError(p.command, why));
      this.pending.delete(id);
    }
    for (const l of this.listeners) l.closed?.(why);
  }
}
