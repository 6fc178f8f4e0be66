// The harness end of the sim's control channel (docs/sim-control.md).
import { createConnection, type Socket } from 'node:net';
import type { ControlEvent, ControlRequest } from '../../protocol/sim-control.ts';

type Body<R> = R extends { id: number } ? Omit<R, 'id'> : never;
export type ControlCall = Body<ControlRequest>;

export class ControlClient {
  private socket: Socket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private closedWhy: string | undefined;
  private readonly eventCbs: Array<(e: ControlEvent) => void> = [];

  constructor(readonly path: string) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.path);
      socket.once('connect', () => {
        this.socket = socket;
        resolve();
      });
      socket.once('error', reject);
      let buf = '';
      socket.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          this.receive(line);
        }
      });
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

  call(req: ControlCall): Promise<Record<string, unknown> & { nowUs: number }> {
    if (this.closedWhy || !this.socket) return Promise.reject(new Error(this.closedWhy ?? 'control channel not connected'));
    const id = this.nextId++;
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: Record<string, unknown>) => void, reject });
      socket.write(JSON.stringify({ id, ...req }) + '\n');
    });
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
