// What the lab integration tests share: the real binary with an environment
// of our choosing, a fake sysfs/dev tree with one DAPLink, and lab rig files
// of fake ot-cli-ftd boards.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseStringPromise } from 'xml2js';

export const ROOT = join(import.meta.dirname, '../../..');
export const CLI = join(ROOT, 'bin/meshbench.js');
export const FAKE_TOOLS = join(ROOT, 'fixtures/fake-tools');
export const FAKE_OT = join(ROOT, 'fixtures/fake-ot-cli/ot-cli-ftd.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `meshbench <args>` with `env` over this process's environment. */
export function meshbench(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }));
  });
}

export const DAPLINK_SERIAL = '0240000034544e45001e0010';

/** A sysfs and /dev tree as Linux lays it out for one DAPLink (cdc_acm) at ttyACM0 with its by-id link. */
export function fakeUsbTree(root: string): { sys: string; dev: string } {
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  const usb = join(sys, 'devices/pci0000:00/0000:00:14.0/usb1/1-1');
  mkdirSync(join(usb, '1-1:1.1'), { recursive: true });
  for (const [k, v] of Object.entries({ idVendor: '0d28', idProduct: '0204', serial: DAPLINK_SERIAL, manufacturer: 'ARM', product: 'DAPLink CMSIS-DAP' })) writeFileSync(join(usb, k), v + '\n');
  mkdirSync(join(sys, 'class/tty/ttyACM0'), { recursive: true });
  symlinkSync(join(usb, '1-1:1.1'), join(sys, 'class/tty/ttyACM0/device'));
  mkdirSync(join(dev, 'serial/by-id'), { recursive: true });
  symlinkSync('../../ttyACM0', join(dev, `serial/by-id/usb-ARM_DAPLink_CMSIS-DAP_${DAPLINK_SERIAL}-if01`));
  return { sys, dev };
}

export interface FakeOtBoard {
  id: string;
  node: number;
  roles?: string[];
  env?: Record<string, string>;
  config?: Record<string, string | number>;
  extra?: string;
}

/** A lab rig of fake ot-cli-ftd host-process boards sharing one radio in the run's directory. */
export function fakeOtRig(opts: { name?: string; boards: FakeOtBoard[]; lockDir: string; speed?: number; answerTimeoutS?: number; more?: string }): string {
  const q = JSON.stringify;
  const boards = opts.boards.map((b) => {
    const env = { FAKE_OT_NET_DIR: '{runDir}/ot-net', ...b.env };
    return [
      `  - id: ${b.id}`,
      '    stack: thread',
      `    roles: [${(b.roles ?? ['router']).join(', ')}]`,
      '    firmware: openthread-cli',
      '    version: fake-1.4.0',
      `    port: { kind: process, command: [${q(process.execPath)}, ${q(FAKE_OT)}, "--time-speed={speed}", "${b.node}"], env: ${q(env)} }`,
      ...(b.config ? [`    config: ${q(b.config)}`] : []),
      ...(b.extra ? [b.extra] : []),
    ].join('\n');
  });
  return [
    `name: ${opts.name ?? 'fake-ot'}`,
    'kind: lab',
    `speed: ${opts.speed ?? 20}`,
    `networks: { thread: ${q(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
    `lockDir: ${q(opts.lockDir)}`,
    `answerTimeoutS: ${opts.answerTimeoutS ?? 2}`,
    ...(opts.more ? [opts.more] : []),
    'boards:',
    ...boards,
    '',
  ].join('\n');
}

/**
 * A child process that holds a board lock, as another run would: it takes the
 * lock, says so, and keeps it until it exits (after `forMs`, or when killed).
 */
export async function lockHolder(board: string, key: string, opts: { dir: string; runId: string; forMs?: number }): Promise<ChildProcess> {
  const lockTs = new URL('../../../harness/lab/lock.ts', import.meta.url).href;
  const script = `
    const { BoardLock } = await import(${JSON.stringify(lockTs)});
    await BoardLock.acquire(${JSON.stringify(board)}, ${JSON.stringify(key)}, { dir: ${JSON.stringify(opts.dir)}, runId: ${JSON.stringify(opts.runId)} });
    console.log('locked');
    setTimeout(() => {}, ${opts.forMs ?? 3_600_000});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) before it took the lock`)));
  });
  return child;
}

/** Resolves when the child has exited. */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/**
 * The real ot-cli-ftd (OpenThread's simulation build) named by
 * MESHBENCH_OT_CLI_FTD, a path taken from the repository root when relative.
 * Without it: `missing` says why and how to get one. CI (CI=true, or
 * MESHBENCH_REQUIRE_TOOLS=1) must fail then, never skip.
 */
export function realOtCliFtd(): { path: string } | { missing: string; required: boolean } {
  const required = process.env.MESHBENCH_REQUIRE_TOOLS === '1' || process.env.CI === 'true';
  const given = process.env.MESHBENCH_OT_CLI_FTD;
  const how = "build OpenThread's simulation CLI (docs/openthread.md, 'The simulation build') and set MESHBENCH_OT_CLI_FTD to its ot-cli-ftd";
  if (!given) return { missing: `MESHBENCH_OT_CLI_FTD is not set: ${how}`, required };
  const path = isAbsolute(given) ? given : resolve(ROOT, given);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { missing: `MESHBENCH_OT_CLI_FTD=${given}: no executable at ${path}; ${how}`, required };
  }
  return { path };
}

export interface RealOtBoard {
  id: string;
  /** The simulation's node id, 1..33. */
  node: number;
  roles: string[];
  config?: Record<string, string | number>;
}

/**
 * A lab rig of real ot-cli-ftd processes, as a lab writes one
 * (rigs/lab-ot-simulation.example.yaml): each run's boards keep their
 * settings in the run directory and share a radio on the run's own
 * PORT_OFFSET.
 */
export function realOtRig(opts: { name?: string; bin: string; boards: RealOtBoard[]; lockDir: string; speed?: number }): string {
  const q = JSON.stringify;
  const boards = opts.boards.map((b) =>
    [
      `  - id: ${b.id}`,
      '    stack: thread',
      `    roles: [${b.roles.join(', ')}]`,
      '    firmware: openthread-cli',
      `    port: { kind: process, command: [${q(opts.bin)}, "--time-speed={speed}", "${b.node}"], cwd: "{runDir}", env: { PORT_OFFSET: "{portOffset}" } }`,
      ...(b.config ? [`    config: ${q(b.config)}`] : []),
    ].join('\n'),
  );
  return [
    `name: ${opts.name ?? 'real-ot'}`,
    'kind: lab',
    `speed: ${opts.speed ?? 10}`,
    `networks: { thread: ${q(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
    `lockDir: ${q(opts.lockDir)}`,
    'boards:',
    ...boards,
    '',
  ].join('\n');
}

/** The cases of a JUnit report with their verdict, message and properties. */
export interface Case {
  name: string;
  verdict: 'passed' | 'failed' | 'error' | 'skipped';
  message: string;
  properties: Map<string, string[]>;
}

export async function casesOf(junit: string): Promise<Case[]> {
  type Tc = { $: { name: string }; failure?: Array<{ $?: { message?: string } }>; error?: Array<{ $?: { message?: string } }>; skipped?: Array<{ $?: { message?: string } }>; properties?: Array<{ property: Array<{ $: { name: string; value: string } }> }> };
  const xml = (await parseStringPromise(readFileSync(junit, 'utf8'))) as { testsuites: { testsuite?: Array<{ testcase?: Tc[] }> } };
  const out: Case[] = [];
  for (const s of xml.testsuites.testsuite ?? []) {
    for (const tc of s.testcase ?? []) {
      const properties = new Map<string, string[]>();
      for (const p of tc.properties?.[0]?.property ?? []) properties.set(p.$.name, [...(properties.get(p.$.name) ?? []), p.$.value]);
      const [verdict, node] = tc.failure ? (['failed', tc.failure] as const) : tc.error ? (['error', tc.error] as const) : tc.skipped ? (['skipped', tc.skipped] as const) : (['passed', undefined] as const);
      out.push({ name: tc.$.name, verdict, message: node?.[0]?.$?.message ?? '', properties });
    }
  }
  return out;
}

/**
 * The Thread cases a rig on OpenThread's simulated radio cannot serve, and the reason each
 * skip must give: no attenuator or partition control, and that radio is one broadcast
 * domain, so no board is more than one hop away.
 */
export const NOT_SERVABLE_ON_OT_SIMULATION: Readonly<Record<string, RegExp>> = {
  'RECOV-TH-004': /needs rig control 'attenuate'/,
  'RECOV-TH-006': /needs rig control 'partition'/,
  'JOIN-TH-003': /^not applicable to this firmware: .*SIMULATION.*one broadcast domain/,
  'RECOV-TH-003': /^not applicable to this firmware: .*one broadcast domain/,
  'THRU-TH-002': /^not applicable to this firmware: .*one broadcast domain/,
};
