// Simulation speed: bench seconds the sim process advances per wall second, with N
// boards on their PTYs, joined into a 6LoWPAN-ND grid, each sending a 50-byte UDP
// datagram to a grid neighbour every 10 bench seconds. The sim runs at speed 'max',
// so the figure is what one sim process (one JavaScript thread: one core) can do.
//
// Two ways to drive the traffic:
// - 'burst' (default): one `udp.burst ... interval_us=10000000` per board, so each board
//   paces its own datagrams on the bench clock, exactly every 10 bench seconds however
//   fast the sim runs; every delivery is an `udp` event on the receiver's PTY;
// - 'send': one `udp.send` over the PTY per datagram, each when `sleepUntil` says its
//   bench time has come. At 'max' the sim can outrun the process sending them, so the
//   load then falls below one datagram per board per 10 s: `datagramsPerBenchS` says
//   how much traffic there really was.
import { noopRoundTrips } from './serial-rtt.ts';
import { joinGrid, startGridBench, type GridBench, type GridBoard } from './sim-bench.ts';
import { median } from './stats.ts';

export type TrafficMode = 'burst' | 'send';

export interface SpeedResult {
  nodes: number;
  simSecondsPerWallSecond: number;
  traffic: TrafficMode;
  /** Bench seconds from the mesh.connect requests until every board was GLOBAL_UP. */
  joinBenchS: number;
  windowWallS: number;
  windowBenchS: number;
  /** Scheduler events run per wall second in the window. */
  eventsPerWallS: number;
  /** Datagrams the boards received in the window, per bench second (nominal: nodes / 10). */
  datagramsPerBenchS: number;
  datagramsDelivered: number;
  /** A noop over one board's PTY now and then during the window: how long the harness waits for a busy sim. */
  agentNoopMedianMs: number;
}

export interface SpeedOptions {
  nodes: number;
  seed: number;
  /** Wall seconds of the measured window. */
  windowS: number;
  traffic?: TrafficMode;
  profileDir?: string;
  progress?: (text: string) => void;
}

export const TRAFFIC_PERIOD_US = 10_000_000;
export const TRAFFIC_PAYLOAD = 50;
const PORT = 7000;
/** Enough datagrams per burst to outlast any window. */
const BURST_COUNT = 1_000_000;

/** Its right-hand grid neighbour, or the left-hand one at the end of a row. */
function neighbourOf(bench: GridBench, b: GridBoard): GridBoard {
  const n = bench.board(b.row, b.col + 1) ?? bench.board(b.row, b.col - 1);
  if (!n) throw new Error(`${b.id} has no neighbour in its row`);
  return n;
}

function expectResult(b: GridBoard, command: string, args: Record<string, string>, expected: string): void {
  if (args.result !== expected) throw new Error(`${b.id}: ${command} answered ${JSON.stringify(args)}`);
}

export async function measureSpeed(opts: SpeedOptions): Promise<SpeedResult> {
  const say = opts.progress ?? (() => {});
  const traffic = opts.traffic ?? 'burst';
  const bench = await startGridBench({ nodes: opts.nodes, seed: opts.seed, speed: 'max', progress: say, ...(opts.profileDir ? { profileDir: opts.profileDir } : {}) });
  try {
    const joinBenchS = await joinGrid(bench, { limitBenchS: 3600, progress: say });
    say(`speed ${opts.nodes}: joined in ${joinBenchS.toFixed(1)} bench s`);

    let delivered = 0;
    let counting = false;
    const sockets = new Map<GridBoard, string>();
    for (const b of bench.boards) {
      const r = await b.client.request('udp.open', { port: String(PORT), events: '1' });
      expectResult(b, 'udp.open', r.args, '0');
      sockets.set(b, r.args.socket!);
      b.client.listen({ event: (e) => void (counting && e.name === 'udp' && delivered++) });
    }

    // Each board starts at its own offset within the period, so the boards do not all send at once.
    const start = (await bench.clockUs()) + 1_000_000;
    const offset = (i: number): number => start + Math.floor((i * TRAFFIC_PERIOD_US) / bench.boards.length);
    let stopped = false;
    const loops = bench.boards.map(async (b, i) => {
      const socket = sockets.get(b)!;
      const dst = neighbourOf(bench, b).address!;
      let t = offset(i);
      await bench.sim.control.call({ op: 'sleepUntil', t });
      if (traffic === 'burst') {
        const r = await b.client.request('udp.burst', { socket, addr: dst, port: String(PORT), len: String(TRAFFIC_PAYLOAD), count: String(BURST_COUNT), interval_us: String(TRAFFIC_PERIOD_US) });
        expectResult(b, 'udp.burst', r.args, '0');
        return;
      }
      while (!stopped) {
        await b.client.request('udp.send', { socket, addr: dst, port: String(PORT), len: String(TRAFFIC_PAYLOAD) });
        t += TRAFFIC_PERIOD_US;
        await bench.sim.control.call({ op: 'sleepUntil', t });
      }
    });
    const failure = Promise.all(loops).then(
      () => undefined,
      (e: unknown) => (stopped ? undefined : e),
    );

    // Warm up for one traffic period (every board started), then measure over a fixed wall window.
    await bench.sim.control.call({ op: 'sleepUntil', t: start + TRAFFIC_PERIOD_US });
    counting = true;
    const probe = bench.boards.find((b) => !b.borderRouter)!;
    const noop: number[] = [];
    const probing = (async () => {
      while (counting) {
        noop.push(...(await noopRoundTrips(probe.client, 1)));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const s0 = await bench.sim.control.call({ op: 'stats' });
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.windowS * 1000));
    const s1 = await bench.sim.control.call({ op: 'stats' });
    const w1 = performance.now();
    counting = false;
    stopped = true;
    await probing;
    const error = await Promise.race([failure, new Promise((r) => setTimeout(r, 100))]);
    if (error) throw error instanceof Error ? error : new Error(String(error));

    const wallS = (w1 - w0) / 1000;
    const benchS = (s1.nowUs - s0.nowUs) / 1e6;
    return {
      nodes: opts.nodes,
      simSecondsPerWallSecond: benchS / wallS,
      traffic,
      joinBenchS,
      windowWallS: wallS,
      windowBenchS: benchS,
      eventsPerWallS: (Number(s1.events) - Number(s0.events)) / wallS,
      datagramsPerBenchS: delivered / benchS,
      datagramsDelivered: delivered,
      agentNoopMedianMs: noop.length ? median(noop) : NaN,
    };
  } finally {
    await bench.close();
  }
}
