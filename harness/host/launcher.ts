// The one place the harness starts our host-process board (host/main.ts): as a
// child process, reached afterwards only through its stdio (the agent protocol,
// a probe's JSON answer, a sniffer's pcap stream). The harness never imports host/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RcpProbeResult } from '../../protocol/rcp-probe.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOST_MAIN = join(REPO, 'host', 'main.ts');

/** The argv that runs host/main.ts with `args` (node with tsx's loader, as bin/meshbench.js runs the CLI). */
export function hostBoardArgv(args: string[]): string[] {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return [process.execPath, '--import', tsx, HOST_MAIN, ...args];
}

/** `meshbench board ...`: the board in a child that shares our stdio; resolves with its exit code. */
export function runHostBoard(args: string[]): Promise<number> {
  const [file, ...rest] = hostBoardArgv(args);
  const child = spawn(file!, rest, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((r) =>
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      r(code ?? (signal ? 4 : 3));
    }),
  );
}

/** Asks an RCP (the `--radio` words of a board, and its `--baud`) what it is: version, capabilities, channel. */
export function probeRcp(radioWords: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; baud?: string } = {}): Promise<RcpProbeResult> {
  const [file, ...rest] = hostBoardArgv(['--probe', ...(opts.baud ? ['--baud', opts.baud] : []), '--radio', ...radioWords]);
  return new Promise((resolvePromise) => {
    let out = '';
    let err = '';
    const child: ChildProcess = spawn(file!, rest, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolvePromise(JSON.parse(line) as RcpProbeResult);
      } catch {
        resolvePromise({ ok: false, link: radioWords.join(' '), problem: `the probe ended (${signal ?? `code ${code}`}) without an answer${err ? `: ${err.trim().split('\n').pop()}` : ''}` });
      }
    });
  });
}

/** A sniffer RCP: a child writing a pcap stream of one channel on its stdout. */
export function spawnSniffer(radioWords: string[], channel: number, opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  const [file, ...rest] = hostBoardArgv(['--sniff', String(channel), '--radio', ...radioWords]);
  return spawn(file!, rest, { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: { ...process.env, ...opts.env } });
}

/**
 * The `--radio` words of a process board that runs `meshbench board` (its command names
 * meshbench, then `board`); undefined for any other command.
 */
export function radioWordsOf(command: string[]): string[] | undefined {
  const at = command.findIndex((w, i) => w === 'board' && i > 0 && /(^|\/)meshbench(\.js)?$/.test(command[i - 1]!));
  if (at < 0) return undefined;
  const radio = command.indexOf('--radio', at);
  if (radio < 0 || radio === command.length - 1) return undefined;
  const first = command[radio + 1]!;
  return first.startsWith('spawn:') ? command.slice(radio + 1) : [first];
}

/** The `--baud` of a process board that runs `meshbench board` on a serial port, if it names one. */
export function baudOf(command: string[]): string | undefined {
  const words = radioWordsOf(command);
  if (!words || words[0]!.startsWith('spawn:')) return undefined;
  // Before --radio spawn:…, or anywhere for a serial radio: the board's own option.
  const at = command.indexOf('--baud');
  return at >= 0 ? command[at + 1] : undefined;
}
