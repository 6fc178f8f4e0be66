// Thread boards joined and idle on the simulated air at speed 'max': OpenThread
// virtual-time nodes (ot-cli-ftd, driven by the sim) next to our own stack's
// boards, on the same grid. Bench seconds per wall second, and CPU seconds per
// board-second of bench time (the sim process plus, for OpenThread, every node
// process), so the cost of a real-firmware board stands next to ours.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../../harness/board/agent-client.ts';
import { OtCli } from '../../harness/board/drivers/openthread-cli.ts';
import { SerialTransport } from '../../harness/board/transport.ts';
import { launchSim, type RunningSim } from '../../harness/sim/launcher.ts';
import type { SimSpec } from '../../protocol/sim-control.ts';
import { gridSide } from './sim-bench.ts';

export type ThreadFirmware = 'openthread' | 'meshbench';

export interface ThreadIdleResult {
  firmware: ThreadFirmware;
  nodes: number;
  /** Wall seconds from the first `thread start` / connect until every board was attached. */
  joinWallS: number;
  windowWallS: number;
  windowBenchS: number;
  simSecondsPerWallSecond: number;
  /** CPU (user + system) of the sim and the node processes per board per bench second. */
  cpuMsPerBoardBenchS: number;
  /** Bench seconds per CPU second of all those processes: the speed one core could give. */
  simSecondsPerCpuSecond: number;
}

const KEY = '00112233445566778899aabbccddeeff';
const OT_DATASET = [`dataset networkkey ${KEY}`, 'dataset channel 22', 'dataset panid 0x0700', 'dataset extpanid f1b5a1b2c4d5a1bd', 'dataset meshlocalprefix fd00:db8::', 'dataset networkname Thread\\ Network'];
const AGENT_KEYS = {
  stack: 'thread',
  'thread-config-channel': '22',
  'thread-config-panid': '0x0700',
  'thread-config-network-name': '"Thread Network"',
  'thread-config-extended-panid': 'f1b5a1b2c4d5a1bd',
  'thread-master-key': KEY,
  'thread-config-ml-prefix': 'fd000db800000000',
  'router-selection-jitter': '1',
};
/** Grid spacing: 40 m is a good link at the default rig's path loss (≈ −88 dBm), 80 m a weak one. */
const SPACING_M = 40;
const CLOCK_TICKS_PER_S = 100;
/** MLE advertisements back off to their longest interval, 32 s, after a few doublings from 1 s (thread.md, Trickle Imax). */
const SETTLE_US = 120_000_000;

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The sim process and its children (the OpenThread nodes), from /proc. */
function benchPids(simPid: number): number[] {
  const kids: number[] = [];
  for (const task of readdirSync(`/proc/${simPid}/task`)) {
    const text = readFileSync(`/proc/${simPid}/task/${task}/children`, 'utf8').trim();
    if (text) kids.push(...text.split(' ').map(Number));
  }
  return [simPid, ...kids];
}

const cpuOf = (pids: number[]) => pids.reduce((s, p) => s + cpuSeconds(p), 0);

export async function measureThreadIdle(opts: { firmware: ThreadFirmware; nodes: number; windowS: number; program?: string; progress?: (t: string) => void }): Promise<ThreadIdleResult> {
  const say = opts.progress ?? (() => undefined);
  const side = gridSide(opts.nodes);
  const runDir = mkdtempSync(join(tmpdir(), 'meshbench-thread-idle-'));
  const positions: Record<string, { x: number; y: number }> = {};
  const boards: SimSpec['boards'] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const id = `n${i}`;
    positions[id] = { x: (i % side) * SPACING_M, y: Math.floor(i / side) * SPACING_M };
    boards.push({ id, txPowerDbm: 0, ...(opts.firmware === 'openthread' ? { openthread: { program: opts.program! } } : {}) });
  }
  const spec: SimSpec = { runDir, seed: 1, speed: 'max', boards, topology: { kind: 'positions', positions, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 }, radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 } };
  let sim: RunningSim | undefined;
  const transports: SerialTransport[] = [];
  try {
    sim = await launchSim(spec, { readyTimeoutMs: 60_000 });
    const clock = async () => (await sim!.control.call({ op: 'clock' })).nowUs;
    const started = performance.now();
    let attached: () => Promise<number>;
    if (opts.firmware === 'openthread') {
      const clis: OtCli[] = [];
      for (const b of boards) {
        const t = new SerialTransport(sim.serialPath(b.id));
        await t.open();
        transports.push(t);
        const cli = new OtCli(t);
        await cli.resync(30_000);
        clis.push(cli);
      }
      for (const c of ['dataset init new', ...OT_DATASET, 'dataset commit active', 'ifconfig up', 'thread start']) await clis[0]!.command(c);
      for (const cli of clis.slice(1)) for (const c of ['dataset clear', ...OT_DATASET, 'dataset commit active', 'routerselectionjitter 1', 'ifconfig up', 'thread start']) await cli.command(c);
      attached = async () => (await Promise.all(clis.map((c) => c.command('state')))).filter((s) => /^(child|router|leader)$/.test(s[0] ?? '')).length;
    } else {
      const clients: AgentClient[] = [];
      for (const b of boards) {
        const t = new SerialTransport(sim.serialPath(b.id));
        await t.open();
        transports.push(t);
        const c = new AgentClient(t);
        c.defaultTimeoutMs = 60_000;
        await c.request('identify');
        clients.push(c);
      }
      for (const c of clients) await c.request('mesh.init', AGENT_KEYS);
      for (const c of clients) await c.request('mesh.connect');
      attached = async () => (await Promise.all(clients.map((c) => c.request('mesh.status')))).filter((r) => /UP$/.test(r.args.status ?? '')).length;
    }
    for (;;) {
      const up = await attached();
      if (up === opts.nodes) break;
      if (performance.now() - started > 300_000) throw new Error(`${opts.firmware}: ${up} of ${opts.nodes} boards attached after 300 wall seconds`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const joinWallS = (performance.now() - started) / 1000;
    // Past the burst of a fresh partition (router upgrades, trickle advertisements at their shortest interval).
    const settled = (await clock()) + SETTLE_US;
    say(`thread idle: ${opts.nodes} ${opts.firmware} boards attached in ${joinWallS.toFixed(1)} wall s; settling ${SETTLE_US / 1e6} bench s, then idle for ${opts.windowS} wall s`);
    await sim.control.call({ op: 'sleepUntil', t: settled });
    const pids = opts.firmware === 'openthread' ? benchPids(sim.process.pid!) : [sim.process.pid!];
    const b0 = await clock();
    const w0 = performance.now();
    const c0 = cpuOf(pids);
    await new Promise((r) => setTimeout(r, opts.windowS * 1000));
    const b1 = await clock();
    const w1 = performance.now();
    const c1 = cpuOf(pids);
    const benchS = (b1 - b0) / 1e6;
    const wallS = (w1 - w0) / 1000;
    const cpuS = c1 - c0;
    return {
      firmware: opts.firmware,
      nodes: opts.nodes,
      joinWallS,
      windowWallS: wallS,
      windowBenchS: benchS,
      simSecondsPerWallSecond: benchS / wallS,
      cpuMsPerBoardBenchS: (cpuS * 1000) / (opts.nodes * benchS),
      simSecondsPerCpuSecond: benchS / Math.max(cpuS, 1 / CLOCK_TICKS_PER_S),
    };
  } finally {
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    await sim?.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}
