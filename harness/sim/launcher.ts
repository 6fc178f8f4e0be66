// The one place the harness starts a simulated bench: a child process running
// sim/main.ts, reached afterwards only through the boards' serial links and the
// control channel. The sim exits when its stdin closes, so it dies with us even
// when we are killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath, devLink, type SimSpec } from '../../protocol/sim-control.ts';
import { ControlClient } from './control-client.ts';
import { ErrorCode } from '../errors.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SIM_MAIN = join(REPO, 'sim', 'main.ts');

export class SimStartError extends Error {
  readonly code = ErrorCode.SIM_START;
}

export interface RunningSim {
  process: ChildProcess;
  control: ControlClient;
  serialPath(boardId: string): string;
  /** Ends the sim and waits for it to exit. */
  stop(): Promise<void>;
  /** Last lines the sim wrote to stderr, for error reports. */
  stderrTail(): string;
}

/**
 * How long a sim of this many boards may take to say it is ready: a base for the
 * process and its TypeScript loader, and a share per board (its PTY, link and boot).
 * A fixed 20 s cut off a 64-board soak on a loaded machine.
 */
export function simReadyTimeoutMs(boards: number): number {
  return 20_000 + 250 * boards;
}

/**
 * V8 flags of the sim process. Its live heap is small (about 12 MiB on the default rig)
 * and it allocates fast, so V8's own heap growing factor (up to 4× the live heap after each
 * full collection, raised as the code warms up) let its old generation climb from 59 to
 * 80 MiB over a bench day of soak with nothing retained: RSS that grows with the run.
 * A factor of 1.5 (`node --v8-options`: heap growing factor 1 + heap_growing_percent/100)
 * keeps it at about 53 MiB all day; the extra full collections of a small heap are cheap.
 */
const SIM_NODE_FLAGS = ['--heap-growing-percent=50'];

export async function launchSim(spec: SimSpec, opts: { readyTimeoutMs?: number } = {}): Promise<RunningSim> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? simReadyTimeoutMs(spec.boards.length);
  mkdirSync(spec.runDir, { recursive: true });
  const specFile = join(spec.runDir, 'sim-spec.json');
  writeFileSync(specFile, JSON.stringify(spec, null, 2));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, '--import', tsx, SIM_MAIN, specFile], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new SimStartError(`simulated bench of ${spec.boards.length} boards not ready within ${readyTimeoutMs} ms\n${stderr}`)), readyTimeoutMs);
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('"ready":true')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolveReady();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new SimStartError(`simulated bench exited during start-up (${signal ?? `code ${code}`})\n${stderr}`));
    });
  });
  child.stdout!.resume();

  const control = new ControlClient(controlSocketPath(spec.runDir));
  await control.connect();
  return {
    process: child,
    control,
    serialPath: (id) => devLink(spec.runDir, id),
    stderrTail: () => stderr,
    async stop() {
      control.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.end();
        const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
