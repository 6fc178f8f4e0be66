// A simulated bench for the benchmarks, started as the harness starts one: the real
// sim process (through the harness's launcher), every board's PTY opened with
// serialport, the agent protocol spoken with the harness's own client. The rig is a
// square grid of 6LoWPAN-ND routers, each board in range of its four grid neighbours
// only (an attenuator matrix). Up to 8 × 8 boards form one network around one border
// router; a larger grid is tiled into 8 × 8 networks, each with its own border router
// in its middle, PAN ID and channel (see TILE_SIDE).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../harness/board/agent-client.ts';
import { SerialTransport } from '../../harness/board/transport.ts';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ControlClient } from '../../harness/sim/control-client.ts';
import { launchSim, simReadyTimeoutMs, type RunningSim } from '../../harness/sim/launcher.ts';
import { controlSocketPath, devLink } from '../../protocol/sim-control.ts';
import type { Args } from '../../protocol/agent.ts';
import type { SimSpec } from '../../protocol/sim-control.ts';

/** Path loss of a grid link: −85 dBm at 0 dBm TX, a good link (as the ND unit tests' grid). */
const GRID_LINK_DB = 85;
const OUT_OF_RANGE_DB = 200;
/** The network of fixtures/networks/nd-default.json: channel 12 only, PAN 0x0691. */
const ND_KEYS: Args = { '6lowpan-nd-channel': '12', '6lowpan-nd-channel-mask': '0x1000', '6lowpan-nd-panid-filter': '0x0691' };

/**
 * Boards per side of one network. A 16 × 16 grid under one border router (paths of up
 * to 16 hops) did not join within 300 wall seconds, 3.4 bench hours (docs/benchmarks.md):
 * larger grids are tiled, as a large site is split among border routers.
 */
export const TILE_SIDE = 8;

/** The ND keys of a board in tile `tile` of a tiled grid: its own channel (11-26, in turn) and PAN. */
function tileKeys(tile: number, tiles: number): Args {
  if (tiles === 1) return ND_KEYS;
  const channel = 11 + (tile % 16);
  const panId = `0x${(0x0691 + tile).toString(16).padStart(4, '0')}`;
  return { '6lowpan-nd-channel': String(channel), '6lowpan-nd-channel-mask': `0x${(1 << channel).toString(16)}`, '6lowpan-nd-panid-filter': panId, panid: panId };
}

export interface GridBoard {
  id: string;
  row: number;
  col: number;
  /** The 8 × 8 network it is in (0 in a grid of up to 64 boards). */
  tile: number;
  borderRouter: boolean;
  client: AgentClient;
  /** The board's global address, once up. */
  address: string | undefined;
}

export interface GridBench {
  sim: RunningSim;
  boards: GridBoard[];
  board(row: number, col: number): GridBoard | undefined;
  /** Bench time now, µs (the control channel's clock). */
  clockUs(): Promise<number>;
  close(): Promise<void>;
}

export function gridSide(nodes: number): number {
  const side = Math.round(Math.sqrt(nodes));
  if (side * side !== nodes || side < 2) throw new RangeError(`a grid bench needs a square number of boards ≥ 4, got ${nodes}`);
  return side;
}

/** Side of one network in a grid of this side: the whole grid up to 8 × 8, else 8 × 8 tiles. */
function tileSide(side: number): number {
  if (side <= TILE_SIDE) return side;
  if (side % TILE_SIDE !== 0) throw new RangeError(`a grid larger than ${TILE_SIDE} × ${TILE_SIDE} is tiled in ${TILE_SIDE} × ${TILE_SIDE} networks: its side must be a multiple of ${TILE_SIDE}, got ${side}`);
  return TILE_SIDE;
}

export function tileOf(row: number, col: number, side: number): number {
  const t = tileSide(side);
  return Math.floor(row / t) * (side / t) + Math.floor(col / t);
}

function isBorderRouter(row: number, col: number, side: number): boolean {
  const t = tileSide(side);
  const br = Math.floor((t - 1) / 2);
  return row % t === br && col % t === br;
}

function boardId(row: number, col: number, side: number): string {
  if (!isBorderRouter(row, col, side)) return `n${row}x${col}`;
  return side <= TILE_SIDE ? 'br' : `br${tileOf(row, col, side)}`;
}

/** The sim spec of a side × side grid, border routers in the middle of their tiles (rounded towards the top left). */
export function gridSpec(side: number, runDir: string, seed: number, speed: number | 'max'): SimSpec {
  const lossDb: Record<string, Record<string, number>> = {};
  const boards: SimSpec['boards'] = [];
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      const id = boardId(r, c, side);
      boards.push({ id, txPowerDbm: 0 });
      if (c + 1 < side) (lossDb[id] ??= {})[boardId(r, c + 1, side)] = GRID_LINK_DB;
      if (r + 1 < side) (lossDb[id] ??= {})[boardId(r + 1, c, side)] = GRID_LINK_DB;
    }
  return {
    runDir,
    seed,
    speed,
    boards,
    topology: { kind: 'matrix', lossDb, defaultLossDb: OUT_OF_RANGE_DB },
    radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 10 },
  };
}

export interface StartOptions {
  nodes: number;
  seed: number;
  speed: number | 'max';
  /** Run the sim under `node --cpu-prof`, writing its profile into this directory. */
  profileDir?: string;
  progress?: (text: string) => void;
}

/**
 * The harness's launcher, except that the sim runs under the V8 profiler: the same
 * process, spec and readiness line, so the profile shows what a normal run spends.
 */
async function launchProfiledSim(spec: SimSpec, profileDir: string): Promise<RunningSim> {
  const specFile = join(spec.runDir, 'sim-spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const simMain = fileURLToPath(new URL('../../sim/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, '--import', tsx, simMain, specFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready":true')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`profiled sim exited during start-up (code ${code})\n${stderr}`)));
  });
  const control = new ControlClient(controlSocketPath(spec.runDir));
  await control.connect();
  return {
    process: child,
    control,
    serialPath: (id) => devLink(spec.runDir, id),
    stderrTail: () => stderr,
    async stop() {
      control.close();
      // SIGINT lets the sim exit through process.exit, which is when V8 writes the profile.
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** Starts the sim, opens every board's PTY and asks each to identify itself. */
export async function startGridBench(opts: StartOptions): Promise<GridBench> {
  const side = gridSide(opts.nodes);
  const runDir = mkdtempSync(join(tmpdir(), 'meshbench-bench-'));
  const spec = gridSpec(side, runDir, opts.seed, opts.speed);
  const sim = opts.profileDir ? await launchProfiledSim(spec, opts.profileDir) : await launchSim(spec, { readyTimeoutMs: Math.max(60_000, simReadyTimeoutMs(spec.boards.length)) });
  const boards: GridBoard[] = [];
  try {
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++) {
        const id = boardId(r, c, side);
        const transport = new SerialTransport(sim.serialPath(id));
        await transport.open();
        const client = new AgentClient(transport);
        client.defaultTimeoutMs = 60_000;
        boards.push({ id, row: r, col: c, tile: tileOf(r, c, side), borderRouter: isBorderRouter(r, c, side), client, address: undefined });
      }
    // Opening the port flushed the boot banner; identify is how the harness knows a board is there.
    await Promise.all(boards.map((b) => b.client.request('identify')));
    opts.progress?.(`sim: ${boards.length} boards on their PTYs`);
  } catch (e) {
    await Promise.all(boards.map((b) => b.client.transport.close()));
    await sim.stop();
    rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
  const byPos = new Map(boards.map((b) => [`${b.row},${b.col}`, b]));
  return {
    sim,
    boards,
    board: (row, col) => byPos.get(`${row},${col}`),
    clockUs: async () => (await sim.control.call({ op: 'clock' })).nowUs,
    async close() {
      await Promise.all(boards.map((b) => b.client.transport.close()));
      await sim.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/**
 * `mesh.init stack=nd` and `mesh.connect` on every board, then waits (at most
 * `limitWallS` wall seconds) until every board has reported GLOBAL_UP, by event or,
 * as a backstop, in answer to `mesh.status`. Returns the wall seconds it took. (Not
 * bench seconds: at speed 'max' the connect requests themselves land far apart in
 * bench time, so a bench-time join figure would mostly measure the serial line;
 * test/bench/nd-join.ts measures join times on one bench clock.)
 */
export async function joinGrid(bench: GridBench, opts: { limitWallS: number; progress?: (text: string) => void }): Promise<number> {
  const tiles = new Set(bench.boards.map((b) => b.tile)).size;
  for (const b of bench.boards) {
    const init = await b.client.request('mesh.init', { stack: 'nd', role: b.borderRouter ? 'border-router' : 'router', ...tileKeys(b.tile, tiles) });
    if (init.args.result !== '0') throw new Error(`${b.id}: mesh.init answered result=${init.args.result}`);
  }
  const started = performance.now();
  const up = new Set<GridBoard>();
  for (const b of bench.boards) {
    b.client.listen({
      event: (e) => {
        if (e.name === 'mesh' && e.args.status === 'GLOBAL_UP') up.add(b);
      },
    });
  }
  const connects = await Promise.all(bench.boards.map((b) => b.client.request('mesh.connect')));
  connects.forEach((r, i) => {
    if (r.args.result !== '0') throw new Error(`${bench.boards[i]!.id}: mesh.connect answered result=${r.args.result}`);
  });
  const deadline = performance.now() + opts.limitWallS * 1000;
  let reported = performance.now();
  for (;;) {
    const down = bench.boards.filter((b) => !up.has(b));
    if (down.length === 0) break;
    if (performance.now() > deadline) {
      const why = await Promise.all(down.map(async (b) => `${b.id}: ${JSON.stringify((await b.client.request('mesh.status')).args)}`));
      throw new Error(`${down.length} boards not GLOBAL_UP after ${opts.limitWallS} wall seconds:\n${why.join('\n')}`);
    }
    if (performance.now() - reported > 5000) {
      reported = performance.now();
      const laggards = down.length <= 3 ? await Promise.all(down.map(async (b) => ` ${b.id} ${JSON.stringify((await b.client.request('mesh.status')).args)}`)) : [];
      opts.progress?.(`join: ${up.size}/${bench.boards.length} boards up${laggards.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    // An event can come before the listener saw the board connect, or be lost with a garbled line: ask.
    for (const b of down.slice(0, 8)) {
      if ((await b.client.request('mesh.status')).args.status === 'GLOBAL_UP') up.add(b);
    }
  }
  for (const b of bench.boards) {
    // A board up a moment ago may be rejoining now (in a large grid one lost parent now
    // and then): it has its global address again when it is back.
    for (;;) {
      const addrs = ((await b.client.request('ip.addrs')).args.addrs ?? '').split(',');
      b.address = addrs.find((a) => a.length > 0 && !a.startsWith('fe80'));
      if (b.address) break;
      if (performance.now() > deadline) throw new Error(`${b.id} has no global address ${opts.limitWallS} wall seconds after connect (${addrs.join(',')}; ${JSON.stringify((await b.client.request('mesh.status')).args)})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return (performance.now() - started) / 1000;
}
