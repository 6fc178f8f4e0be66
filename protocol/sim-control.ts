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
  /**
   * Lockstep bench time (docs/sim-control.md "Lockstep"): bench time stands still until the
   * harness asks for it (`advance`), serial input reaches a board only at a sync point, and
   * an advance that may wake the harness ends at the first `quantumUs` boundary after a board
   * wrote to its port. Absent: bench time runs free at `speed`.
   */
  lockstep?: { quantumUs: number };
}

/** Where the sim publishes each board's serial port (like /dev/serial/by-id). */
export const devLink = (runDir: string, boardId: string): string => `${runDir}/dev/${boardId}`;
export const controlSocketPath = (runDir: string): string => `${runDir}/sim.sock`;

/**
 * Lockstep only, on any request: per board, the serial bytes the harness has written to
 * it since it attached (cumulative; boards whose count did not change may be left out).
 * The sim delivers exactly those to the boards, in board order, before it handles the request.
 */
export type SerialCounts = Record<string, number>;

export type ControlRequest = (
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
  | { id: number; op: 'stats' }
  /** Lockstep: run bench time to `until` (µs); with `wake`, stop at the end of the quantum in which a board first wrote to its port. */
  | { id: number; op: 'advance'; until: number; wake: boolean }
  /** Lockstep: ends the advance under way at the bench time it reached (whoever slept on it is gone: a case cut by its timeout). */
  | { id: number; op: 'halt' }
  /**
   * Lockstep: a test case starts. Every random stream (the medium's, each board's next boot)
   * is drawn afresh from the run's seed and `key`, and the quantum grid and the captures
   * count bench time from here: a case that resets its boards first runs the same, bytes
   * and all, whatever ran before it.
   */
  | { id: number; op: 'epoch'; key: string }
  /** Lockstep: the harness opened the board's port; its serial counts start again from 0 here (what the board wrote before is gone, as a flush on open loses it). */
  | { id: number; op: 'attach'; board: string }
) & { in?: SerialCounts };

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
  /** Lockstep: `out` gives, per board, the bytes it has written to its port since attached (only boards whose count changed since the last answer). */
  | { id: number; ok: true; nowUs: number; out?: SerialCounts; [key: string]: unknown }
  | { id: number; ok: false; error: string };

/** Pushed without a request. */
export type ControlEvent =
  | { event: 'lag'; lagUs: number; nowUs: number }
  | { event: 'board'; board: string; state: 'on' | 'off' };

/** Splits a stream's chunks into the channel's newline-delimited lines; a partial line waits for its end. */
export function controlLineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  };
}

export function parseControlLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
