// The soak benchmark: wall seconds per bench hour of the default soak profile on the
// default rig (5 boards) and on an 8×8 grid (64 boards), and the RSS of the harness and
// of the sim process, and the harness's open fds, over it (flat cost: docs/soak.md).
// Bounds (docs/benchmarks.md): a day of bench time on 5 boards within 10 wall minutes,
// 16 boards within 30; RSS growth ≤ 10 % in both processes.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSoakProfile } from '../../harness/soak/profile.ts';
import { runSoak } from '../../harness/soak/soak.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface SoakBenchResult {
  boards: number;
  benchHours: number;
  wallS: number;
  wallSPerBenchHour: number;
  /** Wall minutes a day of bench time would take at this rate. */
  projectedDayWallMin: number;
  windows: number;
  /** Wall seconds of bring-up and network start, before the soak's bench time began. */
  bringUpWallS: number;
  /** Each window's wall seconds (bring-up excluded), scaled to a bench hour: flat when the cost does not grow with the run. */
  windowWallSPerBenchHour: number[];
  /**
   * CPU seconds of the harness and the sim together per bench hour, over the windows
   * (bring-up excluded): what the soak costs a machine that has a core for it; on a
   * shared machine the wall figures also count waiting for a CPU.
   */
  cpuSPerBenchHour: number;
  /** The harness's RSS at the last window over the first (after bring-up), in %: the first hours' warm-up included. */
  rssGrowthPercent: number;
  /**
   * The harness's highest RSS over the second half of the windows against its highest over
   * the first half, in %: what a leak raises and a garbage collector's sawtooth or the
   * heap's warm-up in the first hours does not. The RSS bound is judged on this figure.
   */
  rssPeakGrowthPercent: number;
  rssFirstMb: number;
  rssLastMb: number;
  /** The harness's RSS and used JS heap at each window's end, MiB: a leak climbs window after window, a heap filling up to its first major collections levels off. */
  rssMbByWindow: number[];
  heapUsedMbByWindow: number[];
  /** The same of the sim process (its control channel's stats), when the rig is simulated. */
  simRssGrowthPercent: number;
  simRssPeakGrowthPercent: number;
  simRssFirstMb: number;
  simRssLastMb: number;
  simRssMbByWindow: number[];
  simHeapUsedMbByWindow: number[];
  openFdsFirst: number;
  openFdsLast: number;
  failedChecks: number;
}

/** The default rig's boards and bounds on a side × side grid 50 m apart (a good link at 50 m, none at 100 m). */
function gridRig(side: number, dir: string): string {
  const base = readFileSync(join(ROOT, 'rigs', 'sim-default.yaml'), 'utf8');
  const head = base.slice(0, base.indexOf('boards:')).replace('name: sim-default', `name: sim-grid-${side * side}`).replaceAll('../fixtures/', `${join(ROOT, 'fixtures')}/`);
  const lines = ['boards:'];
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      const id = r === 0 && c === 0 ? 'br' : `n${r}x${c}`;
      const nd = id === 'br' ? '{ role: border-router, config: { panid: "0x0691" } }' : '{ role: router }';
      lines.push(`  - { id: ${id}, position: { x: ${c * 50}, y: ${r * 50} }, nd: ${nd} }`);
    }
  const file = join(dir, `grid-${side * side}.yaml`);
  writeFileSync(file, head + lines.join('\n') + '\n');
  return file;
}

/** The highest value of the second half of `xs` over the highest of the first half, in % (NaN with fewer than 2). */
export function peakGrowthPercent(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const half = Math.floor(xs.length / 2);
  const before = Math.max(...xs.slice(0, half));
  return ((Math.max(...xs.slice(half)) - before) / before) * 100;
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) of a process from /proc/<pid>/stat; 0 when it is gone. */
function procCpuSeconds(pid: string): number {
  try {
    // Fields after the command name, which is in parentheses: utime and stime are the 12th and 13th (proc(5)).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** This process's CPU seconds and its live children's (the sim the soak started): Linux /proc. */
function cpuSecondsWithChildren(): number {
  let total = procCpuSeconds(String(process.pid));
  for (const task of readdirSync(`/proc/${process.pid}/task`)) {
    let children = '';
    try {
      children = readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const pid of children.split(' ').filter((p) => p !== '')) total += procCpuSeconds(pid);
  }
  return total;
}

export async function measureSoak(opts: { boards: 5 | 16 | 64; benchHours: number; seed?: number; say: (t: string) => void }): Promise<SoakBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshbench-soak-bench-'));
  try {
    const rigFile = opts.boards === 5 ? join(ROOT, 'rigs', 'sim-default.yaml') : gridRig(Math.round(Math.sqrt(opts.boards)), dir);
    const profile = loadSoakProfile(join(ROOT, 'fixtures', 'soak', 'default.yaml'));
    profile.durationS = opts.benchHours * 3600;
    profile.windowS = Math.min(profile.windowS, profile.durationS);
    const t0 = performance.now();
    const cpuAtWindow: number[] = [];
    const r = await runSoak({
      rigFile,
      profile,
      seed: opts.seed ?? 1,
      speed: 'max',
      outDir: join(dir, 'out'),
      onWindow: (w) => {
        cpuAtWindow.push(cpuSecondsWithChildren());
        opts.say(`soak ${opts.boards}: window ${w.window} (${w.endS} bench s) after ${((performance.now() - t0) / 1000).toFixed(1)} wall s`);
      },
    });
    const wallS = (performance.now() - t0) / 1000;
    const first = r.windows[0]!.harness;
    const last = r.windows[r.windows.length - 1]!.harness;
    const simRss = r.windows.map((w) => (w.sim ? w.sim.rssBytes / 2 ** 20 : NaN));
    const harnessRss = r.windows.map((w) => w.harness.rssBytes / 2 ** 20);
    const junit = readFileSync(r.reportPath, 'utf8');
    return {
      boards: opts.boards,
      benchHours: opts.benchHours,
      wallS,
      wallSPerBenchHour: wallS / opts.benchHours,
      projectedDayWallMin: (wallS / opts.benchHours) * 24 / 60,
      windows: r.windows.length,
      cpuSPerBenchHour: r.windows.length > 1 ? ((cpuAtWindow[cpuAtWindow.length - 1]! - cpuAtWindow[0]!) * 3600) / (r.windows[r.windows.length - 1]!.endS - r.windows[0]!.endS) : NaN,
      bringUpWallS: r.bringUpWallS,
      windowWallSPerBenchHour: r.windows.map((w, i) => ((w.harness.wallS - (i === 0 ? r.bringUpWallS : r.windows[i - 1]!.harness.wallS)) * 3600) / (w.endS - w.startS)),
      rssGrowthPercent: ((last.rssBytes - first.rssBytes) / first.rssBytes) * 100,
      rssPeakGrowthPercent: peakGrowthPercent(harnessRss),
      rssFirstMb: first.rssBytes / 2 ** 20,
      rssLastMb: last.rssBytes / 2 ** 20,
      rssMbByWindow: harnessRss,
      heapUsedMbByWindow: r.windows.map((w) => w.harness.heapUsedBytes / 2 ** 20),
      simRssGrowthPercent: ((simRss[simRss.length - 1]! - simRss[0]!) / simRss[0]!) * 100,
      simRssPeakGrowthPercent: peakGrowthPercent(simRss),
      simRssFirstMb: simRss[0]!,
      simRssLastMb: simRss[simRss.length - 1]!,
      simRssMbByWindow: simRss,
      simHeapUsedMbByWindow: r.windows.map((w) => (w.sim ? w.sim.heapUsedBytes / 2 ** 20 : NaN)),
      openFdsFirst: first.openFds,
      openFdsLast: last.openFds,
      failedChecks: (junit.match(/<failure /g) ?? []).length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
