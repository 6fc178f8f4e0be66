// What the RCP integration tests share: OpenThread's real binaries (env
// MESHBENCH_OT_RCP / MESHBENCH_OT_CLI_FTD, else beside the repository), a run
// directory and PORT_OFFSET of their own (one simulated air per test), and
// boards on PTYs: ot-cli-ftd behind the OpenThread CLI driver, ours
// (`meshbench board --radio spawn:ot-rcp N`) behind the agent driver.
import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { AgentClient } from '../../../harness/board/agent-client.ts';
import { AgentDriver } from '../../../harness/board/agent-driver.ts';
import type { MeshEventRecord } from '../../../harness/board/driver.ts';
import { OpenThreadCliDriver, OtCli } from '../../../harness/board/drivers/openthread-cli.ts';
import { defaultLockDir, PortOffset } from '../../../harness/lab/lock.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';
import { otBinDir } from '../../support/openthread.ts';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const MESHBENCH = join(ROOT, 'bin/meshbench.js');

const required = () => process.env.CI === 'true' || process.env.MESHBENCH_REQUIRE_TOOLS === '1';

/** The binary named by `envName`, else `name` in the OpenThread bin directory; skipped (failed in CI) when absent. */
export function otBinary(ctx: Mocha.Context, envName: 'MESHBENCH_OT_RCP' | 'MESHBENCH_OT_CLI_FTD', name: string): string {
  const path = resolve(process.env[envName] ?? join(otBinDir(), name));
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    const why = `${name} is not at ${path} (set ${envName})`;
    if (required()) throw new Error(why);
    console.warn(`    skipping: ${why}`);
    ctx.skip();
  }
}

let offset: PortOffset | undefined;

/**
 * This test process's PORT_OFFSET (the simulation's ports are 9000 + 34 × offset + node), taken
 * under the lock directory `meshbench run` takes its `{portOffset}` under, so no run or other
 * test process of this machine shares the air; held until the process ends. (An offset from
 * the process id, as before, could meet a run's, and on one air a foreign network's frames
 * count as security errors, which JOIN-TH cases assert are none.)
 */
export function portOffset(): number {
  offset ??= PortOffset.allocate(`rcp-test-${process.pid}`, defaultLockDir());
  return offset.offset;
}

/** mbed-mesh-api keys both kinds of board take (the reference network, thread-default.json). */
export const THREAD: Record<string, string> = {
  'thread-master-key': '00112233445566778899aabbccddeeff',
  'thread-config-panid': '0x0700',
  'thread-config-channel': '22',
  'thread-config-extended-panid': 'f1b5a1b2c4d5a1bd',
  'thread-config-network-name': 'Thread Network',
  'thread-config-ml-prefix': 'fd000db800000000',
};

export interface OtBoard {
  driver: OpenThreadCliDriver;
  events: MeshEventRecord[];
  /** Every line the board printed (kept in a failed test's directory). */
  serial: string[];
}
export interface OurBoard {
  driver: AgentDriver;
  events: MeshEventRecord[];
  serial: string[];
  /** The board's process (node; its RCP is a child of it). */
  pid: number;
}

/** The lines `t` prints, collected as they come. */
function linesOf(t: PtyProcessTransport): string[] {
  const lines: string[] = [];
  let partial = '';
  t.onData((b) => {
    const split = (partial + Buffer.from(b).toString('latin1')).split(/\r?\n/);
    partial = split.pop() ?? '';
    lines.push(...split);
  });
  return lines;
}

export async function otBoard(bin: string, node: number, opts: { speed: number; cwd: string; offset: number }): Promise<OtBoard> {
  const t = new PtyProcessTransport({ command: [bin, `--time-speed=${opts.speed}`, String(node)], cwd: opts.cwd, env: { PORT_OFFSET: String(opts.offset) } });
  const serial = linesOf(t);
  await t.open();
  const driver = new OpenThreadCliDriver(new OtCli(t), { pollMs: 50 });
  const events: MeshEventRecord[] = [];
  driver.onMeshEvent((e) => events.push(e));
  return { driver, events, serial };
}

/** OpenThread forms a network only from a complete dataset: the Active Timestamp too (the OpenThread README beside its binaries). */
export async function completeOtDataset(b: OtBoard): Promise<void> {
  await b.driver.cli.command('dataset init active');
  await b.driver.cli.command('dataset activetimestamp 1');
  await b.driver.cli.command('dataset commit active');
}

export async function ourBoard(rcp: string, node: number, opts: { speed: number; cwd: string; offset: number; id: string }): Promise<OurBoard> {
  const t = new PtyProcessTransport({
    command: [process.execPath, MESHBENCH, 'board', '--time-speed', String(opts.speed), '--id', opts.id, '--radio', `spawn:${rcp}`, String(node)],
    cwd: opts.cwd,
    env: { PORT_OFFSET: String(opts.offset) },
  });
  const serial = linesOf(t);
  await t.open();
  const client = new AgentClient(t);
  // Starting node, loading the stack and setting up the RCP take seconds on a busy machine.
  client.defaultTimeoutMs = 30_000;
  const driver = new AgentDriver(client);
  const events: MeshEventRecord[] = [];
  driver.onMeshEvent((e) => events.push(e));
  return { driver, events, serial, pid: t.pid! };
}

export async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
