// The attach bound of OpenThread boards on our air (docs/benchmarks.md): an
// OpenThread child's attach on the simulated medium within ±25 % of the same
// firmware's on OpenThread's own simulated radio, and within ±25 % of our stack's
// on our medium. Every figure is on the attaching node's own clock, so neither
// the harness's polling nor the host's load enters it:
// - OpenThread: its MLE counter `Time Detached Milli`, detached once, from
//   `thread start` until it became a child (`Attach Attempts: 1` is checked); on
//   our air its clock is the bench clock, on its own radio wall × speed;
// - ours: the `mesh.connect` answer to the LOCAL_UP event (board timestamps, bench time).
// Each trial attaches one FTD to a leader formed alone on a fresh air; trial i
// runs the sim with seed i + 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../../harness/board/agent-client.ts';
import { AgentDriver } from '../../harness/board/agent-driver.ts';
import type { BoardDriver, MeshEventRecord } from '../../harness/board/driver.ts';
import { OpenThreadCliDriver, OtCli } from '../../harness/board/drivers/openthread-cli.ts';
import { SerialTransport } from '../../harness/board/transport.ts';
import { launchSim, type RunningSim } from '../../harness/sim/launcher.ts';
import type { SimSpec } from '../../protocol/sim-control.ts';
import { THREAD, until } from '../integration/rcp/support.ts';
import { attachOnce } from './rcp.ts';
import { median } from './stats.ts';

export interface OtAttachResult {
  trials: number;
  /** Per trial, ms of the node's own clock. */
  otOnOurAirMs: number[];
  otOnOwnRadioMs: number[];
  oursOnOurAirMs: number[];
  /** Medians: OpenThread on our air over OpenThread on its own radio, and over ours on our air. */
  ratioToOwnRadio: number;
  ratioToOurs: number;
}

/** 10 m apart: a strong link (about −70 dBm at the default path loss), so no frame is lost to the channel. */
const SPACING_M = 10;
/** The default rig's speed: OpenThread's 750 ms Parent Request wait is 15 wall ms, far above a CLI round trip. */
const SPEED = 50;
const ATTACH_WALL_MS = 120_000;

interface SimBoard {
  driver: BoardDriver;
  events: MeshEventRecord[];
}

async function pairOnOurAir<T>(firmware: 'openthread' | 'meshbench', seed: number, program: string, body: (leader: SimBoard, child: SimBoard) => Promise<T>): Promise<T> {
  const runDir = mkdtempSync(join(tmpdir(), 'meshbench-ot-attach-'));
  const ids = ['leader', 'child'];
  const spec: SimSpec = {
    runDir,
    seed,
    speed: SPEED,
    boards: ids.map((id) => ({ id, txPowerDbm: 0, ...(firmware === 'openthread' ? { openthread: { program } } : {}) })),
    topology: { kind: 'positions', positions: { leader: { x: 0, y: 0 }, child: { x: SPACING_M, y: 0 } }, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 },
    radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 },
  };
  let sim: RunningSim | undefined;
  const boards: SimBoard[] = [];
  try {
    sim = await launchSim(spec, { readyTimeoutMs: 60_000 });
    for (const id of ids) {
      const t = new SerialTransport(sim.serialPath(id));
      await t.open();
      let driver: BoardDriver;
      if (firmware === 'openthread') {
        const cli = new OtCli(t);
        await cli.resync(30_000);
        driver = new OpenThreadCliDriver(cli, { pollMs: 50 });
      } else {
        const client = new AgentClient(t);
        client.defaultTimeoutMs = 30_000;
        driver = new AgentDriver(client);
      }
      const events: MeshEventRecord[] = [];
      driver.onMeshEvent((e) => events.push(e));
      boards.push({ driver, events });
    }
    return await body(boards[0]!, boards[1]!);
  } finally {
    await Promise.all(boards.map((b) => b.driver.close().catch(() => undefined)));
    await sim?.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** OpenThread forms a network only from a complete dataset (the OpenThread README beside its binaries). */
async function completeDataset(d: BoardDriver): Promise<void> {
  const cli = (d as OpenThreadCliDriver).cli;
  for (const c of ['dataset init active', 'dataset activetimestamp 1', 'dataset commit active']) await cli.command(c);
}

async function otOnOurAir(program: string, seed: number): Promise<number> {
  return pairOnOurAir('openthread', seed, program, async (leader, child) => {
    await leader.driver.meshInit('thread', THREAD);
    await completeDataset(leader.driver);
    await leader.driver.connect();
    await until('OpenThread leader', () => leader.events.find((e) => e.status === 'LOCAL_UP'), ATTACH_WALL_MS);
    await child.driver.meshInit('thread', THREAD); // an FTD, as on its own radio: it attaches as a child first
    await completeDataset(child.driver);
    await child.driver.connect();
    await until('OpenThread child', () => child.events.find((e) => e.status === 'LOCAL_UP'), ATTACH_WALL_MS);
    const counters = (await (child.driver as OpenThreadCliDriver).cli.command('counters mle')).join('\n');
    const detached = /^Time Detached Milli: (\d+)$/m.exec(counters);
    const attempts = /^Attach Attempts: (\d+)$/m.exec(counters);
    if (!detached || attempts?.[1] !== '1') throw new Error(`ot-cli-ftd on the sim air: no single attach in its MLE counters:\n${counters}`);
    return Number(detached[1]);
  });
}

async function oursOnOurAir(seed: number): Promise<number> {
  return pairOnOurAir('meshbench', seed, '', async (leader, child) => {
    await leader.driver.meshInit('thread', THREAD);
    await leader.driver.connect();
    await until('our leader', () => leader.events.find((e) => e.status === 'LOCAL_UP'), ATTACH_WALL_MS);
    await child.driver.meshInit('thread', THREAD);
    const c = await child.driver.connect();
    const up = await until('our child', () => child.events.find((e) => e.status === 'LOCAL_UP'), ATTACH_WALL_MS);
    return (up.t - c.t) / 1000;
  });
}

export async function measureOtAttach(opts: { vtProgram: string; ftd: string; rcp: string; trials: number; progress: (t: string) => void }): Promise<OtAttachResult> {
  const otOnOurAirMs: number[] = [];
  const otOnOwnRadioMs: number[] = [];
  const oursOnOurAirMs: number[] = [];
  for (let i = 0; i < opts.trials; i++) {
    otOnOurAirMs.push(await otOnOurAir(opts.vtProgram, i + 1));
    // Speed 2 on its own radio, as the RCP benchmark: the attach is then 600 wall ms, far above the driver's 50 ms polling.
    otOnOwnRadioMs.push((await attachOnce('ot', { rcp: opts.rcp, ftd: opts.ftd }, 2)).ownMs);
    oursOnOurAirMs.push(await oursOnOurAir(i + 1));
    opts.progress(`openthread attach trial ${i + 1}: ot-cli-ftd on our air ${otOnOurAirMs.at(-1)} ms, on its own radio ${otOnOwnRadioMs.at(-1)} ms, ours ${oursOnOurAirMs.at(-1)!.toFixed(0)} ms (own clocks)`);
  }
  const onOurAir = median(otOnOurAirMs);
  return {
    trials: opts.trials,
    otOnOurAirMs,
    otOnOwnRadioMs,
    oursOnOurAirMs,
    ratioToOwnRadio: onOurAir / median(otOnOwnRadioMs),
    ratioToOurs: onOurAir / median(oursOnOurAirMs),
  };
}
