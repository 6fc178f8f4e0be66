// The boards' serial side of the control channel. Free-running, a byte from the
// harness reaches its board at the bench time the wall clock says. On a lockstep
// bench (docs/sim-control.md "Lockstep") bench time stands still between the
// harness's requests, so bytes are held where they arrive and handed to the boards
// at the next request, exactly as many per board as the request says the harness
// wrote, in board order: when and in what order the kernel passed them on no
// longer shows in the run. Output is counted, so the harness knows how many bytes
// to read before it acts on what a step produced.
import type { SerialCounts } from '../protocol/sim-control.ts';

/** What a board's UART asks of the bench (sim/virtual-board.ts). */
export interface SerialHooks {
  /**
   * Bytes the harness wrote; `deliver` hands bytes to the board's firmware at the current
   * bench time. A board in a process of its own answers later: its `deliver` resolves once
   * it has handled them, and the next board gets its bytes after that.
   */
  input(board: string, bytes: Uint8Array, deliver: (bytes: Uint8Array) => void | Promise<void>): void;
  /** Whether `text` the board prints goes out to its port; false drops it (nobody has the port open). */
  output(board: string, text: string): boolean;
  /** A new PTY came up for the board (power on), or it went away. */
  opened(board: string): void;
  closed(board: string): void;
}

/** Free-running: input lands at once, at the bench time `inBenchTime` brings the clock to. */
export function freeRunningSerial(inBenchTime: (fn: () => void) => void): SerialHooks {
  return {
    input: (_board, bytes, deliver) => inBenchTime(() => void deliver(bytes)),
    output: () => true,
    opened: () => undefined,
    closed: () => undefined,
  };
}

interface Uart {
  open: boolean;
  /** The harness has the port open and has said so (`attach`); until then output is dropped. */
  attached: boolean;
  out: number;
  received: number;
  delivered: number;
  /** Bytes the harness says it wrote; delivered at the next sync point. */
  target: number;
  held: Uint8Array[];
  deliver: ((bytes: Uint8Array) => void | Promise<void>) | undefined;
}

export class LockstepSerial implements SerialHooks {
  private readonly uarts = new Map<string, Uart>();
  private readonly order: string[];
  private readonly changedOut = new Set<string>();
  private arrival: (() => void) | undefined;

  constructor(
    boards: string[],
    /** Called whenever an attached board writes to its port (an advance may stop for it). */
    private readonly onOutput: () => void,
    /** How long a sync point waits, wall time, for bytes the harness says it wrote. */
    private readonly inputWaitMs = 5000,
    private readonly warn: (msg: string) => void = (m) => process.stderr.write(m + '\n'),
  ) {
    this.order = [...boards].sort();
    for (const b of this.order) this.uarts.set(b, { open: false, attached: false, out: 0, received: 0, delivered: 0, target: 0, held: [], deliver: undefined });
  }

  input(board: string, bytes: Uint8Array, deliver: (bytes: Uint8Array) => void | Promise<void>): void {
    const u = this.uart(board);
    u.deliver = deliver;
    // Bytes from before `attach` were written before the harness's own count started: not ours to deliver.
    if (!u.attached) return;
    u.held.push(bytes.slice());
    u.received += bytes.length;
    this.arrival?.();
  }

  output(board: string, text: string): boolean {
    const u = this.uart(board);
    if (!u.attached) return false;
    u.out += text.length; // latin1: one byte per char, as BoardPty writes it
    this.changedOut.add(board);
    this.onOutput();
    return true;
  }

  opened(board: string): void {
    Object.assign(this.uart(board), { open: true, attached: false, out: 0, received: 0, delivered: 0, target: 0, held: [] });
  }

  closed(board: string): void {
    Object.assign(this.uart(board), { open: false, attached: false, held: [] });
    this.changedOut.delete(board);
    this.arrival?.();
  }

  attach(board: string): void {
    const u = this.uart(board);
    if (!u.open) throw new Error(`board '${board}' has no serial port (powered off)`);
    Object.assign(u, { attached: true, out: 0, received: 0, delivered: 0, target: 0, held: [] });
    this.changedOut.delete(board);
  }

  /**
   * A sync point: waits until every byte the harness says it wrote has arrived, then
   * delivers them, board by board in id order (a board that answers from a process of
   * its own has handled its bytes before the next board gets any). Without counts (a client that does not
   * count), whatever has arrived is delivered.
   */
  async sync(counts: SerialCounts | undefined): Promise<void> {
    for (const [board, u] of this.uarts) {
      if (!u.attached) continue;
      const n = counts ? counts[board] : u.received;
      if (n !== undefined && n > u.target) u.target = n;
    }
    const missing = () => [...this.uarts.values()].some((u) => u.attached && u.received < u.target);
    if (missing()) {
      const until = Date.now() + this.inputWaitMs;
      while (missing() && Date.now() < until) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 20);
          this.arrival = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.arrival = undefined;
      }
      for (const [board, u] of this.uarts) {
        if (u.attached && u.received < u.target) {
          this.warn(`lockstep: ${u.target - u.received} byte(s) the harness wrote to ${board} did not arrive within ${this.inputWaitMs} ms; going on without them`);
          u.target = u.received;
        }
      }
    }
    for (const board of this.order) {
      const u = this.uarts.get(board)!;
      while (u.attached && u.delivered < u.target && u.held.length > 0) {
        const chunk = u.held[0]!;
        const take = Math.min(chunk.length, u.target - u.delivered);
        if (take === chunk.length) u.held.shift();
        else u.held[0] = chunk.subarray(take);
        u.delivered += take;
        const handled = u.deliver?.(chunk.subarray(0, take));
        if (handled) await handled;
      }
    }
  }

  /** Per board, bytes written since attach, for boards whose count changed since the last call. */
  takeOut(): SerialCounts | undefined {
    if (this.changedOut.size === 0) return undefined;
    const out: SerialCounts = {};
    for (const b of this.changedOut) out[b] = this.uarts.get(b)!.out;
    this.changedOut.clear();
    return out;
  }

  private uart(board: string): Uart {
    const u = this.uarts.get(board);
    if (!u) throw new Error(`no board '${board}'`);
    return u;
  }
}
