// Rig controls: the lab's knobs (reset, power, attenuation, partition, jamming).
// The simulated bench implements them over its control channel; a lab rig maps
// them to its own tools. Suites never see which.
import type { ControlClient } from '../sim/control-client.ts';
import { ErrorCode } from '../errors.ts';

export type ControlName = 'reset' | 'power' | 'attenuate' | 'partition' | 'jam';

export interface RigControls {
  supports(control: ControlName): boolean;
  reset(board: string): Promise<void>;
  power(board: string, on: boolean): Promise<void>;
  /** Extra attenuation on the link between two boards, dB (0 = as the topology says). */
  attenuate(a: string, b: string, db: number): Promise<void>;
  /** Cut a board off the air (it hears nobody, nobody hears it), or restore it. */
  partition(board: string, cut: boolean): Promise<void>;
  jam(channel: number, dbm: number | null): Promise<void>;
}

export class UnsupportedControlError extends Error {
  readonly code = ErrorCode.CONTROL_UNSUPPORTED;
  constructor(control: ControlName, rig: string) {
    super(`rig '${rig}' has no '${control}' control`);
  }
}

export class SimControls implements RigControls {
  constructor(private readonly control: ControlClient) {}
  supports(): boolean {
    return true;
  }
  async reset(board: string): Promise<void> {
    await this.control.call({ op: 'reset', board });
  }
  async power(board: string, on: boolean): Promise<void> {
    await this.control.call({ op: 'power', board, on });
  }
  async attenuate(a: string, b: string, db: number): Promise<void> {
    await this.control.call({ op: 'attenuate', a, b, db });
  }
  async partition(board: string, cut: boolean): Promise<void> {
    await this.control.call({ op: 'partition', board, cut });
  }
  async jam(channel: number, dbm: number | null): Promise<void> {
    await this.control.call({ op: 'jam', channel, dbm });
  }
}
