// The simulated bench's contract with the harness (docs/sim-control.md):
// the launch spec the harness hands the sim process, and the control channel,
// newline-delimited JSON over a Unix socket.

export type Topology =
  | {
      kind: 'positions';
      /** Metres. */
      positions: Record<string, { x: number; y: number; z?: number }>;
      /** Log-distance path loss: PL(d) = refLossDb + 10·exponent·log10(d / 1 m) + shadowing. */
      exponent: number;
      refLossDb: number;
      shadowingSigmaDb: number;
    }
  | {
      kind: 'matrix';
      /** Path loss in dB between two boards (symmetric; either direction may be given). */
      lossDb: Record<string, Record<string, number>>;
      /** Loss for pairs not in the matrix; ≥ 200 means out of range. */
      defaultLossDb: number;
    };

export interface SimBoardSpec {
  id: string;
  /** EUI-64 as 16 hex digits; derived from the id and seed when absent. */
  eui64?: string;
  txPowerDbm: number;
  /** Runs this OpenThread virtual-time CLI (absolute path) instead of our stack (sim/openthread/). */
  openthread?: { program: string };
  /** The board's clock: offset (s) and drift (ppm) against bench time; absent: bench time. */
  clock?: { offsetS: number; driftPpm: number };
}

export interface SimSpec {
  runDir: string;
  seed: number;
  /** Bench seconds per wall second, or 'max'. */
  speed: number | 'max';
  boards: SimBoardSpec[];
  topology: Topology;
  radio: { sensitivityDbm: number; ccaThresholdDbm: number; ccaMode?: 'energy' | 'carrier' | 'carrier-or-energy'; noiseFigureDb: number };
}

/** Where the sim publishes each board's serial port (like /dev/serial/by-id). */
export const devLink = (runDir: string, boardId: string): string => `${runDir}/dev/${boardId}`;
export const controlSocketPath = (runDir: string): string => `${runDir}/sim.sock`;

export type ControlRequest =
  | { id: number; op: 'hello' }
  | { id: number; op: 'clock' }
  /** Answers when bench time reaches `t` (µs). */
  | { id: number; op: 'sleepUntil'; t: number }
  | { id: number; op: 'reset'; board: string }
  | { id: number; op: 'power'; board: string; on: boolean }
  | { id: number; op: 'attenuate'; a: string; b: string; db: number }
  | { id: number; op: 'partition'; board: string; cut: boolean }
  | { id: number; op: 'jam'; channel: number; dbm: number | null }
  | { id: number; op: 'captureStart'; path: string }
  | { id: number; op: 'captureStop' }
  | { id: number; op: 'stats' };

export type ControlOp = ControlRequest['op'];

export interface SimStats {
  nowUs: number;
  speed: number | 'max';
  /** Bench time behind the speed factor's schedule, now and at worst (µs). */
  lagUs: number;
  maxLagUs: number;
  events: number;
  frames: number;
}

export type ControlResponse =
  | { id: number; ok: true; nowUs: number; [key: string]: unknown }
  | { id: number; ok: false; error: string };

/** Pushed without a request. */
export type ControlEvent =
  | { event: 'lag'; lagUs: number; nowUs: number }
  | { event: 'board'; board: string; state: 'on' | 'off' };

export function parseControlLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
