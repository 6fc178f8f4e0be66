// The sim's control channel (docs/sim-control.md): the bench clock and the rig
// controls a lab implements with its own tools (reset, power, attenuation,
// partition, jamming), plus per-case captures. JSON lines on a Unix socket.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { controlLineSplitter, parseControlLine, type ControlEvent, type ControlRequest } from '../protocol/sim-control.ts';

export interface ControlHandlers {
  now(): number;
  /**
   * Free-running: calls back when bench time reaches t, so `sleepUntil` answers then while
   * other requests go on. Absent (lockstep), `sleepUntil` is handled like any request.
   */
  whenBenchTime?: (t: number, fn: () => void) => void;
  /** Lockstep: ends the advance under way, at once, ahead of the queue ('halt' then takes its turn like any request). */
  halt?: () => void;
  /** One request; requests are handled one at a time, in the order they came (a lockstep advance takes a while). */
  handle(req: ControlRequest): Record<string, unknown> | Promise<Record<string, unknown>>;
}

export class ControlServer {
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly handlers: ControlHandlers,
  ) {
    rmSync(path, { force: true });
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => resolve());
    });
  }

  broadcast(event: ControlEvent): void {
    const line = JSON.stringify(event) + '\n';
    for (const c of this.clients) c.write(line);
  }

  close(): void {
    for (const c of this.clients) c.destroy();
    this.server.close();
    rmSync(this.path, { force: true });
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => socket.destroy());
    const split = controlLineSplitter((line) => this.request(socket, line));
    // Decoded by the stream, so a character split across chunks arrives whole.
    socket.setEncoding('utf8');
    socket.on('data', split);
  }

  private request(socket: Socket, line: string): void {
    const msg = parseControlLine(line) as Partial<ControlRequest> | undefined;
    const reply = (body: Record<string, unknown>) => {
      if (!socket.destroyed) socket.write(JSON.stringify(body) + '\n');
    };
    if (!msg || typeof msg !== 'object' || typeof msg.id !== 'number' || typeof msg.op !== 'string') {
      reply({ id: 0, ok: false, error: 'expected {"id": number, "op": string, ...}' });
      return;
    }
    const req = msg as ControlRequest;
    if (req.op === 'sleepUntil' && typeof req.t !== 'number') return reply({ id: req.id, ok: false, error: 'sleepUntil needs t (µs)' });
    const whenBenchTime = this.handlers.whenBenchTime;
    if (req.op === 'sleepUntil' && whenBenchTime) {
      whenBenchTime(req.t, () => reply({ id: req.id, ok: true, nowUs: this.handlers.now() }));
      return;
    }
    // The advance it ends is ahead of it in the queue.
    if (req.op === 'halt') this.handlers.halt?.();
    this.queue = this.queue.then(async () => {
      try {
        const body = await this.handlers.handle(req);
        reply({ id: req.id, ok: true, nowUs: this.handlers.now(), ...body });
      } catch (e) {
        reply({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) });
      }
    });
  }
}
