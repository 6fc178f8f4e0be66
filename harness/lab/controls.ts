// The rig controls of a lab: reset by serial break (as DAPLink interface
// firmware reads it) or by the flasher (`pyocd reset`), power by uhubctl or a
// command template, or, for a host-process board, by ending and starting its
// process. A board that stops answering is reset, then power-cycled, then
// marked unhealthy for the rest of the run with the reason.
import { existsSync } from 'node:fs';
import { UnsupportedControlError, type ControlName, type RigControls } from '../bench/controls.ts';
import type { Transport } from '../board/transport.ts';
import { resetMethodOf, type LabBoard } from '../rig/lab.ts';
import { InfraError } from './errors.ts';
import { fill, runTool, type ToolEnv } from './flash.ts';
import { BoardLink } from './probe.ts';
import { ErrorCode } from '../errors.ts';

/** One lab board as the controls hold it: its rig entry and its current serial link. */
export interface LabBoardHandle {
  board: LabBoard;
  /** The device path (or process description) the board was found at. */
  port: string;
  serial?: string;
  link: BoardLink;
  /** A transport for the same board at its current `port`, not yet open (after a power cycle the old one is gone). */
  makeTransport(): Transport;
  /**
   * A USB board: where it is attached now, found again by discovery (its USB
   * serial number); undefined while it is not. Its device node can change
   * when it re-enumerates (/dev/ttyACM0 → /dev/ttyACM1).
   */
  locate?(): Promise<string | undefined>;
}

export interface Health {
  healthy: boolean;
  reason?: string;
  /** What recovery did, in order: "reset", "power-cycle". */
  steps: string[];
}

export interface LabControlsOptions extends ToolEnv {
  rigName: string;
  /** How long a board gets to answer, wall ms. */
  answerMs?: number;
  /** Serial break length, ms. */
  breakMs?: number;
  /** Off time of a power cycle, ms (default 500; 50 for a process board, which holds no charge). */
  offMs?: number;
  /** How long a port may take to come back after power-on, ms. */
  reappearMs?: number;
}

export class LabControls implements RigControls {
  private readonly health = new Map<string, Health>();
  /** Link replaced after a reopen; callers re-read `link(id)`. */
  private readonly linkCbs: Array<(id: string, link: BoardLink) => void> = [];

  constructor(
    private readonly boards: Map<string, LabBoardHandle>,
    private readonly opts: LabControlsOptions,
  ) {}

  private handle(id: string): LabBoardHandle {
    const h = this.boards.get(id);
    if (!h) throw new InfraError(ErrorCode.NO_BOARD, `rig '${this.opts.rigName}' has no board '${id}'`, id);
    return h;
  }

  link(id: string): BoardLink {
    return this.handle(id).link;
  }

  onLinkChange(cb: (id: string, link: BoardLink) => void): void {
    this.linkCbs.push(cb);
  }

  supports(control: ControlName): boolean {
    if (control === 'reset') return true;
    if (control === 'power') return [...this.boards.values()].every((h) => h.board.power.kind !== 'none' || h.board.port.kind === 'process');
    return false; // attenuators, partitions and jammers are not modelled in lab rigs yet
  }

  async reset(id: string): Promise<void> {
    const h = this.handle(id);
    const method = resetMethodOf(h.board);
    if (method === 'break') {
      // A port that went away (the board re-enumerated, a cable pulled and put back) is found again first.
      if (!h.link.transport.isOpen && h.locate) await this.reopen(h);
      // The port stays open across the reset, so no boot line is lost.
      await h.link.transport.sendBreak(this.opts.breakMs ?? 100);
    } else if (method === 'flasher') {
      const f = h.board.flasher;
      const probe = f.kind === 'pyocd' ? (f.probe ?? h.serial) : undefined;
      if (f.kind !== 'pyocd' || !probe) throw new InfraError(ErrorCode.RESET, `${id}: reset by flasher needs pyocd with a probe uid`, id);
      await runTool(id, 'pyocd reset', ['pyocd', 'reset', '-t', f.target, '-u', probe], { ...this.opts, timeoutS: 60 });
    } else {
      await this.power(id, false);
      await new Promise((r) => setTimeout(r, this.offMsOf(h)));
      await this.power(id, true);
    }
  }

  private offMsOf(h: LabBoardHandle): number {
    return this.opts.offMs ?? (h.board.port.kind === 'process' ? 50 : 500);
  }

  async power(id: string, on: boolean): Promise<void> {
    const h = this.handle(id);
    const p = h.board.power;
    if (h.board.port.kind === 'process') {
      if (!on) return h.link.transport.close();
      return this.reopen(h);
    }
    if (p.kind === 'none') throw new UnsupportedControlError('power', this.opts.rigName);
    const argv = p.kind === 'uhubctl' ? ['uhubctl', '-l', p.hub, '-p', String(p.port), '-a', on ? 'on' : 'off'] : fill(on ? p.on : p.off, { port: h.port, serial: h.serial, board: id }, id);
    if (!on) {
      await runTool(id, `power off (${argv[0]})`, argv, { ...this.opts, timeoutS: 30 });
      await h.link.transport.close();
      return;
    }
    await runTool(id, `power on (${argv[0]})`, argv, { ...this.opts, timeoutS: 30 });
    await this.reopen(h);
  }

  /**
   * Opens the board's port again as soon as it reappears (USB re-enumeration),
   * so the boot banner is read. A USB board is found again by discovery, by
   * its serial number, never reopened by its old path: the node can change, and
   * the old one can name another board by then.
   */
  private async reopen(h: LabBoardHandle): Promise<void> {
    const until = Date.now() + (this.opts.reappearMs ?? 10_000);
    if (h.locate) {
      for (;;) {
        const at = await h.locate().catch(() => undefined);
        if (at !== undefined && existsSync(at)) {
          h.port = at;
          break;
        }
        if (Date.now() > until) throw new InfraError(ErrorCode.PORT_GONE, `${h.board.id}: ${h.serial !== undefined ? `USB serial ${h.serial}` : h.port} did not come back within ${this.opts.reappearMs ?? 10_000} ms`, h.board.id);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const isPath = h.port.startsWith('/');
    while (isPath && !existsSync(h.port)) {
      if (Date.now() > until) throw new InfraError(ErrorCode.PORT_GONE, `${h.board.id}: ${h.port} did not come back within ${this.opts.reappearMs ?? 10_000} ms after power-on`, h.board.id);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (h.link.transport.isOpen) await h.link.transport.close();
    const transport = h.makeTransport();
    for (;;) {
      try {
        await transport.open();
        break;
      } catch (e) {
        // A port that just appeared can refuse the first open while udev sets its permissions.
        if (Date.now() > until) throw new InfraError(ErrorCode.PORT_OPEN, `${h.board.id}: ${(e as Error).message}`, h.board.id);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    h.link = new BoardLink(transport, h.board.firmware);
    for (const cb of this.linkCbs) cb(h.board.id, h.link);
  }

  attenuate(): Promise<void> {
    return Promise.reject(new UnsupportedControlError('attenuate', this.opts.rigName));
  }
  partition(): Promise<void> {
    return Promise.reject(new UnsupportedControlError('partition', this.opts.rigName));
  }
  jam(): Promise<void> {
    return Promise.reject(new UnsupportedControlError('jam', this.opts.rigName));
  }

  healthOf(id: string): Health {
    return this.health.get(id) ?? { healthy: true, steps: [] };
  }

  /**
   * Makes sure a board answers: if it does not, reset it; if it still does not,
   * power-cycle it; if it still does not, it is unhealthy for the rest of the run.
   */
  async ensureAnswering(id: string): Promise<Health> {
    const known = this.health.get(id);
    if (known && !known.healthy) return known;
    const h = this.handle(id);
    const answerMs = this.opts.answerMs ?? 5000;
    const steps: string[] = [];
    const problems: string[] = [];
    const answers = async () => (await h.link.identify(answerMs)) !== undefined;
    if (await answers()) return this.set(id, { healthy: true, steps });
    const closed = () => `its port is closed${h.link.transport.closedWhy ? ` (${h.link.transport.closedWhy})` : ''}`;
    problems.push(h.link.transport.isOpen ? `no answer within ${answerMs} ms` : closed());
    const tryStep = async (name: string, action: () => Promise<void>): Promise<boolean> => {
      steps.push(name);
      try {
        await action();
      } catch (e) {
        problems.push(`${name} failed: ${(e as Error).message.split('\n')[0]}`);
        return false;
      }
      if (await answers()) return true;
      problems.push(`no answer after ${name}${h.link.transport.isOpen ? '' : `: ${closed()}`}`);
      return false;
    };
    if (await tryStep('reset', () => this.reset(id))) return this.set(id, { healthy: true, steps });
    const canPower = h.board.power.kind !== 'none' || h.board.port.kind === 'process';
    if (canPower && resetMethodOf(h.board) !== 'power') {
      const cycle = async () => {
        await this.power(id, false);
        await new Promise((r) => setTimeout(r, this.offMsOf(h)));
        await this.power(id, true);
      };
      if (await tryStep('power-cycle', cycle)) return this.set(id, { healthy: true, steps });
    } else if (!canPower) problems.push('no power control to cycle');
    return this.set(id, { healthy: false, steps, reason: `${id}: unhealthy for the rest of the run: ${problems.join('; ')}` });
  }

  private set(id: string, h: Health): Health {
    this.health.set(id, h);
    return h;
  }
}
