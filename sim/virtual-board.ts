// One virtual board of the simulated bench: its UART (a real PTY), its radio
// on the medium, and the firmware (agent on the stack) it runs. Power and
// reset act like a lab's: power off closes the serial port and the radio;
// reset reboots the firmware behind a port that stays open.
import { Agent } from '../firmware/agent.ts';
import { devLink, type SimBoardSpec } from '../protocol/sim-control.ts';
import { StackNode } from '../stack/node.ts';
import type { Radio } from '../stack/phy.ts';
import type { SeededRng, Timers } from '../stack/runtime.ts';
import type { SerialHooks } from './control-lockstep.ts';
import { BoardPty } from './pty.ts';
import { FirmwareTimers } from '../firmware/firmware-timers.ts';

export interface BoardRadio extends Radio {
  setPowered(on: boolean): void;
}

/**
 * Timers that die with the firmware instance that set them: after a reset or
 * power-off, the old stack's pending timers must not fire into the new one.
 */
/** Bench time → a board's clock: its offset plus bench time run fast or slow by its drift. */
function boardClock(c: { offsetS: number; driftPpm: number }): (t: number) => number {
  return (t) => Math.round(c.offsetS * 1e6 + t * (1 + c.driftPpm / 1e6));
}

export class VirtualBoard {
  private pty: BoardPty | undefined;
  private firmware: { agent: Agent; timers: FirmwareTimers } | undefined;
  powered = false;
  boots = 0;
  /** What each boot's firmware draws its random stream from, by what booted it (see reseed()). */
  private bootRng: Record<'power' | 'reset', SeededRng>;

  constructor(
    readonly spec: SimBoardSpec,
    readonly eui64: Uint8Array,
    private readonly runDir: string,
    private readonly radio: BoardRadio,
    private readonly timers: Timers,
    rng: SeededRng,
    /** Runs `fn` inside the bench's event loop at the current bench time. */
    private readonly inBenchTime: (fn: () => void) => void,
    /** When the harness's bytes reach the firmware, and whether the board's output goes out. */
    private readonly serial: SerialHooks,
    private readonly losslessPty = false,
  ) {
    this.bootRng = { power: rng, reset: rng };
  }

  /**
   * New random streams for the boots to come (a case's epoch on a lockstep bench). Power-on
   * boots and resets draw from streams of their own, so a board reset at the start of a
   * case boots the same whether or not a power-on came first (the case before left it off).
   */
  reseed(power: SeededRng, reset: SeededRng): void {
    this.bootRng = { power, reset };
  }

  get serialPath(): string {
    return devLink(this.runDir, this.spec.id);
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    const id = this.spec.id;
    this.pty = new BoardPty(this.serialPath, (bytes) => this.serial.input(id, bytes, (b) => this.firmware?.agent.receive(b)), this.losslessPty);
    this.serial.opened(id);
    this.radio.setPowered(true);
    this.boot('power');
  }

  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    this.stopFirmware();
    this.radio.setPowered(false);
    this.pty?.close();
    this.pty = undefined;
    this.serial.closed(this.spec.id);
  }

  /** Reset pin: the firmware restarts, the serial port stays. */
  reset(): void {
    if (!this.powered) return;
    this.stopFirmware();
    this.radio.setPowered(false);
    this.radio.setPowered(true);
    this.boot('reset');
  }

  private boot(cause: 'power' | 'reset'): void {
    const timers = new FirmwareTimers(this.timers);
    const node = new StackNode({ radio: this.radio, timers, rng: this.bootRng[cause].fork(), eui64: this.eui64 });
    const pty = this.pty;
    const agent = new Agent(
      {
        boardId: this.spec.id,
        write: (text) => {
          if (this.serial.output(this.spec.id, text)) pty?.write(text);
        },
        reboot: () => this.inBenchTime(() => this.reset()),
        ...(this.spec.clock ? { clock: boardClock(this.spec.clock) } : {}),
      },
      node,
    );
    this.firmware = { agent, timers };
    this.boots++;
    agent.boot();
  }

  private stopFirmware(): void {
    if (this.firmware) this.firmware.timers.alive = false;
    this.firmware = undefined;
  }
}
