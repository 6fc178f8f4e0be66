// Our stack on ot-rcp against references on the same machine:
// - attach: connect → attached of our Thread node through ot-rcp, against an
//   ot-cli-ftd child's on the same simulated radio, to the same ot-cli-ftd leader
//   (OpenThread is the reference; the bound is ±25 %);
// - agent no-op round trip on an RCP board against a simulated board's (≤ 2×).
// Wall milliseconds, measured by the harness's own drivers over PTYs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeOtDataset, otBoard, ourBoard, portOffset, THREAD, until } from '../integration/rcp/support.ts';
import { noopRoundTrips, summarize } from './serial-rtt.ts';
import { startGridBench } from './sim-bench.ts';
import { median } from './stats.ts';

export interface RcpBenchResult {
  speed: number;
  trials: number;
  /** connect → LOCAL_UP, wall ms, per trial. */
  oursAttachMs: number[];
  otChildAttachMs: number[];
  attachRatio: number;
  rcpNoopMedianMs: number;
  simNoopMedianMs: number;
  noopSamples: number;
}

async function attachOnce(kind: 'ours' | 'ot', bins: { rcp: string; ftd: string }, speed: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mb-rcp-bench-'));
  const offset = portOffset();
  const leader = await otBoard(bins.ftd, 1, { speed, cwd: dir, offset });
  try {
    await leader.driver.meshInit('thread', THREAD);
    await completeOtDataset(leader);
    await leader.driver.connect();
    await until('leader', () => leader.events.find((e) => e.status === 'LOCAL_UP'), 120_000);
    if (kind === 'ours') {
      const b = await ourBoard(bins.rcp, 2, { speed, cwd: dir, offset, id: 'ours' });
      try {
        await b.driver.identify(); // started and set up before the clock starts
        await b.driver.meshInit('thread', THREAD);
        const t0 = performance.now();
        await b.driver.connect();
        await until('ours attached', () => b.events.find((e) => e.status === 'LOCAL_UP'), 120_000);
        return performance.now() - t0;
      } finally {
        await b.driver.close();
      }
    }
    const c = await otBoard(bins.ftd, 2, { speed, cwd: dir, offset });
    try {
      await c.driver.identify();
      await c.driver.meshInit('thread', THREAD); // an FTD, as ours: both attach as a child first
      await completeOtDataset(c);
      const t0 = performance.now();
      await c.driver.connect();
      await until('OpenThread child attached', () => c.events.find((e) => e.status === 'LOCAL_UP'), 120_000);
      return performance.now() - t0;
    } finally {
      await c.driver.close();
    }
  } finally {
    await leader.driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureRcp(opts: { rcp: string; ftd: string; trials: number; samples: number; speed: number; progress: (t: string) => void }): Promise<RcpBenchResult> {
  const oursAttachMs: number[] = [];
  const otChildAttachMs: number[] = [];
  for (let i = 0; i < opts.trials; i++) {
    oursAttachMs.push(await attachOnce('ours', opts, opts.speed));
    otChildAttachMs.push(await attachOnce('ot', opts, opts.speed));
    opts.progress(`rcp: attach trial ${i + 1}: ours ${oursAttachMs.at(-1)!.toFixed(0)} ms, ot-cli-ftd child ${otChildAttachMs.at(-1)!.toFixed(0)} ms`);
  }
  // No-op round trips: an RCP board (idle, set up) and a simulated board of a 4-board bench.
  const dir = mkdtempSync(join(tmpdir(), 'mb-rcp-bench-'));
  let rcpNoop: number[];
  const b = await ourBoard(opts.rcp, 3, { speed: 1, cwd: dir, offset: portOffset(), id: 'rtt' });
  try {
    await b.driver.identify();
    rcpNoop = await noopRoundTrips(b.driver.client, opts.samples);
  } finally {
    await b.driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sim = await startGridBench({ nodes: 4, seed: 1, speed: 1, progress: opts.progress });
  let simNoop: number[];
  try {
    simNoop = await noopRoundTrips(sim.boards[0]!.client, opts.samples);
  } finally {
    await sim.close();
  }
  const rcpS = summarize(rcpNoop);
  const simS = summarize(simNoop);
  return {
    speed: opts.speed,
    trials: opts.trials,
    oursAttachMs,
    otChildAttachMs,
    attachRatio: median(oursAttachMs) / median(otChildAttachMs),
    rcpNoopMedianMs: rcpS.medianMs,
    simNoopMedianMs: simS.medianMs,
    noopSamples: opts.samples,
  };
}
