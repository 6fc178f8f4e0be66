// Timers that die with the firmware instance that set them: a reboot must not fire the old
// stack's timers into the new one. Every host of the agent (the sim, a host-process board) wraps
// its clock in one per boot.
import type { Timer, Timers } from '../stack/runtime.ts';

export class FirmwareTimers implements Timers {
  alive = true;
  constructor(private readonly base: Timers) {}
  now(): number {
    return this.base.now();
  }
  at(at: number, fn: () => void): Timer {
    return this.base.at(at, () => {
      if (this.alive) fn();
    });
  }
}
