// The harness end of the sim's control channel (docs/sim-control.md).
import { createConnection, type Socket } from 'node:net';
import { controlLineSplitter, type ControlEvent, type ControlRequest, type SerialCounts } from '../../protocol/sim-control.ts';

type Body<R> = R extends { id: number } ? Omit<R, 'id' | 'in'> : never;
export type ControlCall = Body<ControlRequest>;
export type ControlReply = Record<string, unknown> & { nowUs: number; out?: SerialCounts };

/**
 * A lockstep bench's serial bookkeeping (harness/sim/lockstep.ts): what every request
 * carries, and what must happen with an answer before its caller goes on.
 */
export interface ControlSync {
  /** Serial byte counts written since the last request. */
  outgoing(): SerialCounts | undefined;
  /** Reads what the answer says the boards wrote, then hands it on, before the call resolves. */
  incoming(reply: ControlReply): Promise<void>;
}

export class ControlClient {
  private socket: Socket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private closedWhy: string | undefined;
  private readonly eventCbs: Array<(e: ControlEvent) => void> = [];
  private sync: ControlSync | undefined;
  private settled: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.path);
      socket.once('connect', () => {
        this.socket = socket;
        resolve();
      });
      socket.once('error', reject);
      const split = controlLineSplitter((line) => this.receive(line));
      // Decoded by the stream, so a character split across chunks arrives whole.
      socket.setEncoding('utf8');
      socket.on('data', split);
      socket.on('close', () => {
        this.closedWhy = 'the simulated bench closed its control channel';
        for (const p of this.pending.values()) p.reject(new Error(this.closedWhy));
        this.pending.clear();
      });
    });
  }

  onEvent(cb: (e: ControlEvent) => void): void {
    this.eventCbs.push(cb);
  }

  /** Lockstep: every request from now on carries the serial counts, every answer is synced (see ControlSync). */
  useSync(sync: ControlSync): void {
    this.sync = sync;
  }

  call(req: ControlCall): Promise<ControlReply> {
    if (this.closedWhy || !this.socket) return Promise.reject(new Error(this.closedWhy ?? 'control channel not connected'));
    const id = this.nextId++;
    const socket = this.socket;
    const counts = this.sync?.outgoing();
    const answered = new Promise<ControlReply>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: Record<string, unknown>) => void, reject });
      socket.write(JSON.stringify({ id, ...req, ...(counts ? { in: counts } : {}) }) + '\n');
    });
    const sync = this.sync;
    if (!sync) return answered;
    // Answers are synced one after another, in the order they came, like the sim handled them.
    const done = this.settled.then(() => answered).then(async (reply) => {
      await sync.incoming(reply);
      return reply;
    });
    this.settled = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  close(): void {
    this.socket?.destroy();
  }

  private receive(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      for (const cb of this.eventCbs) cb(msg as unknown as ControlEvent);
      return;
    }
    const p = this.pending.get(msg.id as number);
    if (!p) return;
    this.pending.delete(msg.id as number);
    if (msg.ok) p.resolve(msg);
    else p.reject(new Error(`sim control ${String(msg.error)}`));
  }
}
