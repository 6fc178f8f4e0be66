// Serial round trip: `noop` requests, one at a time, over a board's PTY with the
// harness's own client (SerialTransport + AgentClient), next to the same client
// against a bare PTY whose process only answers `ok` (echo-pty.ts). The two are
// measured in alternating blocks, so a machine busy with something else for a while
// weighs on both alike.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../harness/board/agent-client.ts';
import { SerialTransport } from '../../harness/board/transport.ts';
import { median, quantile } from './stats.ts';

export interface RttSummary {
  medianMs: number;
  p99Ms: number;
  samples: number;
}

export function summarize(ms: readonly number[]): RttSummary {
  return { medianMs: median(ms), p99Ms: quantile(ms, 0.99), samples: ms.length };
}

/** `count` noop round trips, one after the other; wall milliseconds each. */
export async function noopRoundTrips(client: AgentClient, count: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await client.request('noop');
    ms.push(performance.now() - t0);
  }
  return ms;
}

export interface EchoPty {
  client: AgentClient;
  close(): Promise<void>;
}

/** Starts the bare echo PTY in a process of its own and opens it as the harness opens a board. */
export async function startEchoPty(): Promise<EchoPty> {
  const dir = mkdtempSync(join(tmpdir(), 'meshbench-echo-'));
  const link = join(dir, 'echo');
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const script = fileURLToPath(new URL('./echo-pty.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', tsx, script, link], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    child.stdin!.end();
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"ready":true')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the echo PTY process exited (code ${code}) before it was ready`)));
    });
    const transport = new SerialTransport(link);
    await transport.open();
    return {
      client: new AgentClient(transport),
      async close() {
        await transport.close();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface SerialRttResult {
  agentMedianMs: number;
  agentP99Ms: number;
  rawPtyMedianMs: number;
  rawPtyP99Ms: number;
  samples: number;
}

/**
 * `samples` noops to each, in `blocks` alternating blocks, after a warm-up of a few
 * dozen unmeasured round trips on each (JIT, first reads).
 */
export async function compareRoundTrips(agent: AgentClient, raw: AgentClient, samples: number, blocks = 10): Promise<SerialRttResult> {
  await noopRoundTrips(agent, 30);
  await noopRoundTrips(raw, 30);
  const a: number[] = [];
  const r: number[] = [];
  const per = Math.ceil(samples / blocks);
  for (let i = 0; i < blocks; i++) {
    a.push(...(await noopRoundTrips(agent, per)));
    r.push(...(await noopRoundTrips(raw, per)));
  }
  const as = summarize(a);
  const rs = summarize(r);
  return { agentMedianMs: as.medianMs, agentP99Ms: as.p99Ms, rawPtyMedianMs: rs.medianMs, rawPtyP99Ms: rs.p99Ms, samples: a.length };
}
