// Simulation speed: bench seconds the sim process advances per wall second, with N
// boards on their PTYs, joined into a 6LoWPAN-ND grid, each sending a 50-byte UDP
// datagram to a grid neighbour every 10 bench seconds. The sim runs at speed 'max',
// so the figure is what one sim process (one JavaScript thread: one core) can do.
//
// Two ways to drive the traffic:
// - 'burst' (default): `udp.burst ... count=500 interval_us=10000000` per board, the next
//   burst due 5000 bench seconds after the previous one began, so each board paces its own
//   datagrams on the bench clock, every 10 bench seconds however fast the sim runs (but
//   for a gap of one serial round trip between bursts); every delivery is an `udp` event
//   on the receiver's PTY;
// - 'send': one `udp.send` over the PTY per datagram, each when `sleepUntil` says its
//   bench time has come. At 'max' the sim can outrun the process sending them, so the
//   load then falls below one datagram per board per 10 s: `datagramsPerBenchS` says
//   how much traffic there really was.
import { readFileSync } from 'node:fs';
import { noopRoundTrips } from './serial-rtt.ts';
import { joinGrid, startGridBench, type GridBench, type GridBoard } from './sim-bench.ts';
import { median } from './stats.ts';

export type TrafficMode = 'burst' | 'send';

export interface SpeedResult {
  nodes: number;
  simSecondsPerWallSecond: number;
  traffic: TrafficMode;
  /** Wall seconds from the mesh.connect requests until every board was GLOBAL_UP (a setup cost, not a protocol figure). */
  joinWallS: number;
  windowWallS: number;
  windowBenchS: number;
  /**
   * Bench seconds per second of CPU time the sim process used in the window: what one
   * core gives when the sim has it to itself (on a shared machine the wall figure is lower).
   */
  simSecondsPerCpuSecond: number | undefined;
  /** Scheduler events run per wall second in the window. */
  eventsPerWallS: number;
  /** Datagrams the boards' stacks took in the window, per bench second (nominal: nodes / 10; refused ones, while a route is repaired, not counted). */
  sentPerBenchS: number;
  /** Of those, the share that arrived (the rest collided, mostly between hidden terminals). */
  deliveryRatio: number;
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
/** Datagrams per burst: a board schedules a whole burst at once, so not millions. */
const BURST_COUNT = 500;

/** Its right-hand grid neighbour in its own network, or the left-hand one at the end of the row. */
function neighbourOf(bench: GridBench, b: GridBoard): GridBoard {
  const inTile = (n: GridBoard | undefined) => (n && n.tile === b.tile ? n : undefined);
  const n = inTile(bench.board(b.row, b.col + 1)) ?? inTile(bench.board(b.row, b.col - 1));
  if (!n) throw new Error(`${b.id} has no neighbour in its row`);
  return n;
}

/** CPU time (user + system) a process has used so far, seconds; undefined where /proc is not there. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th (proc(5)).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}
/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_S = 100;

interface UdpCounts {
  /** Board time of the answer, µs. */
  t: number;
  sent: number;
  received: number;
}

/** Each board's datagrams sent (taken by its stack) and received, with the board time they were counted at. */
async function udpCounts(bench: GridBench, sockets: Map<GridBoard, string>): Promise<UdpCounts[]> {
  const stats = await Promise.all(bench.boards.map((b) => b.client.request('udp.stats', { socket: sockets.get(b)! })));
  return stats.map(({ t, args }) => ({ t, sent: Number(args.tx_packets), received: Number(args.rx_packets) }));
}

/** Datagrams per bench second, sent and received, each board over its own interval between two counts. */
function udpRates(before: UdpCounts[], after: UdpCounts[]): { sentPerS: number; receivedPerS: number } {
  let sentPerS = 0;
  let receivedPerS = 0;
  before.forEach((b, i) => {
    const a = after[i]!;
    const s = (a.t - b.t) / 1e6;
    if (s <= 0) return;
    sentPerS += (a.sent - b.sent) / s;
    receivedPerS += (a.received - b.received) / s;
  });
  return { sentPerS, receivedPerS };
}

function expectResult(b: GridBoard, command: string, args: Record<string, string>, expected: string): void {
  if (args.result !== expected) throw new Error(`${b.id}: ${command} answered ${JSON.stringify(args)}`);
}

export async function measureSpeed(opts: SpeedOptions): Promise<SpeedResult> {
  const say = opts.progress ?? (() => {});
  const traffic = opts.traffic ?? 'burst';
  const bench = await startGridBench({ nodes: opts.nodes, seed: opts.seed, speed: 'max', progress: say, ...(opts.profileDir ? { profileDir: opts.profileDir } : {}) });
  try {
    const joinWallS = await joinGrid(bench, { limitWallS: 300, progress: say });
    say(`speed ${opts.nodes}: every board GLOBAL_UP after ${joinWallS.toFixed(1)} wall s`);

    const sockets = new Map<GridBoard, string>();
    for (const b of bench.boards) {
      const r = await b.client.request('udp.open', { port: String(PORT), events: '1' });
      expectResult(b, 'udp.open', r.args, '0');
      sockets.set(b, r.args.socket!);
    }

    // Each board starts at its own offset within the period, so the boards do not all send at once.
    const start = (await bench.clockUs()) + 1_000_000;
    const offset = (i: number): number => start + Math.floor((i * TRAFFIC_PERIOD_US) / bench.boards.length);
    let stopped = false;
    const loops = bench.boards.map(async (b, i) => {
      const socket = sockets.get(b)!;
      const dst = neighbourOf(bench, b).address!;
      let t = offset(i);
      while (!stopped) {
        await bench.sim.control.call({ op: 'sleepUntil', t });
        if (stopped) return;
        if (traffic === 'burst') {
          const r = await b.client.request('udp.burst', { socket, addr: dst, port: String(PORT), len: String(TRAFFIC_PAYLOAD), count: String(BURST_COUNT), interval_us: String(TRAFFIC_PERIOD_US) });
          expectResult(b, 'udp.burst', r.args, '0');
          // The board started the burst at r.t; the next one is due when this one's period is over.
          t = r.t + BURST_COUNT * TRAFFIC_PERIOD_US;
        } else {
          await b.client.request('udp.send', { socket, addr: dst, port: String(PORT), len: String(TRAFFIC_PAYLOAD) });
          t += TRAFFIC_PERIOD_US;
        }
      }
    });
    const failure = Promise.all(loops).then(
      () => undefined,
      (e: unknown) => (stopped ? undefined : e),
    );

    // Warm up for one traffic period (every board started), then measure over a fixed wall window.
    await bench.sim.control.call({ op: 'sleepUntil', t: start + TRAFFIC_PERIOD_US });
    let counting = true;
    const probe = bench.boards.find((b) => !b.borderRouter)!;
    const noop: number[] = [];
    const probing = (async () => {
      while (counting) {
        noop.push(...(await noopRoundTrips(probe.client, 1)));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const u0 = await udpCounts(bench, sockets);
    const s0 = await bench.sim.control.call({ op: 'stats' });
    const c0 = cpuSeconds(bench.sim.process.pid);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.windowS * 1000));
    const s1 = await bench.sim.control.call({ op: 'stats' });
    const c1 = cpuSeconds(bench.sim.process.pid);
    const w1 = performance.now();
    const u1 = await udpCounts(bench, sockets);
    const rates = udpRates(u0, u1);
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
      joinWallS,
      windowWallS: wallS,
      windowBenchS: benchS,
      simSecondsPerCpuSecond: c0 !== undefined && c1 !== undefined && c1 > c0 ? benchS / (c1 - c0) : undefined,
      eventsPerWallS: (Number(s1.events) - Number(s0.events)) / wallS,
      sentPerBenchS: rates.sentPerS,
      deliveryRatio: rates.sentPerS > 0 ? rates.receivedPerS / rates.sentPerS : NaN,
      agentNoopMedianMs: noop.length ? median(noop) : NaN,
    };
  } finally {
    await bench.close();
  }
}
