// `meshbench board`: our agent and stack on an RCP, as a process. The harness
// starts this file through harness/host/launcher.ts; it is never imported there.
//
//   board --radio <device | usb:SERIAL | spawn:COMMAND ARG...> [--time-speed N] [--id ID] [--seed N] [--baud N] [--no-spinel-log]
//   board --probe --radio ...            prints the RCP's version, capabilities and channel as JSON, then exits (3: no RCP answered)
//   board --sniff CHANNEL --radio ...    a promiscuous RCP: a pcap stream (LINKTYPE 283) on stdout
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBoard } from './board.ts';
import { parseRadioSpec, type RadioSpec } from './rcp/byte-link.ts';
import { probeRcp } from './probe.ts';
import { runSniffer } from './sniffer.ts';

export const USAGE = 'usage: meshbench board --radio <device | usb:SERIAL | spawn:COMMAND ARG...> [--time-speed N] [--id ID] [--seed N] [--baud N] [--no-spinel-log] [--probe | --sniff CHANNEL]';

export interface HostArgs {
  radio: RadioSpec;
  speed: number;
  id: string;
  seed: number;
  spinelLog: boolean;
  mode: { kind: 'board' } | { kind: 'probe' } | { kind: 'sniff'; channel: number };
}

/** Everything after `spawn:COMMAND` belongs to that command; the board's own options come before --radio. */
export function parseHostArgs(argv: string[]): HostArgs {
  const at = argv.indexOf('--radio');
  if (at < 0 || at === argv.length - 1) throw new Error(`--radio is required\n${USAGE}`);
  const radioText = argv[at + 1]!;
  const spawnWords = radioText.startsWith('spawn:') ? argv.slice(at + 2) : [];
  const own = [...argv.slice(0, at), ...(radioText.startsWith('spawn:') ? [] : argv.slice(at + 2))];
  const { values } = parseArgs({
    args: own,
    options: {
      'time-speed': { type: 'string' },
      id: { type: 'string' },
      seed: { type: 'string' },
      baud: { type: 'string' },
      'no-spinel-log': { type: 'boolean' },
      probe: { type: 'boolean' },
      sniff: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const num = (name: string, text: string | undefined, dflt: number, ok: (n: number) => boolean) => {
    if (text === undefined) return dflt;
    const n = Number(text);
    if (!Number.isFinite(n) || !ok(n)) throw new Error(`--${name} ${text}: not a valid value\n${USAGE}`);
    return n;
  };
  const speed = num('time-speed', values['time-speed'], 1, (n) => n > 0 && n <= 1000);
  const baud = num('baud', values.baud, 115200, (n) => Number.isInteger(n) && n > 0);
  let radio = parseRadioSpec(radioText, spawnWords, baud);
  // A simulated RCP runs at the board's speed unless its command says otherwise.
  if (radio.kind === 'spawn' && speed !== 1 && !radio.command.some((w) => w.startsWith('--time-speed'))) {
    radio = { kind: 'spawn', command: [radio.command[0]!, `--time-speed=${speed}`, ...radio.command.slice(1)] };
  }
  const sniff = values.sniff === undefined ? undefined : num('sniff', values.sniff, 0, (n) => Number.isInteger(n) && n >= 11 && n <= 26);
  if (values.probe && sniff !== undefined) throw new Error(`--probe and --sniff exclude each other\n${USAGE}`);
  return {
    radio,
    speed,
    id: values.id ?? 'host',
    // A real board's random draws (attach start delay, response jitters, MLE challenges) differ
    // from board to board and from boot to boot, as OpenThread's do; one fixed default seed
    // gave every board the same attach delay each time. --seed reproduces a boot (logged).
    seed: num('seed', values.seed, randomInt(2 ** 31), (n) => Number.isInteger(n) && n >= 0),
    spinelLog: !values['no-spinel-log'],
    mode: values.probe ? { kind: 'probe' } : sniff !== undefined ? { kind: 'sniff', channel: sniff } : { kind: 'board' },
  };
}

/** Runs the board, probe or sniffer of `argv` (the words after `board`); the process ends with its exit code. */
export async function main(argv: string[]): Promise<void> {
  let args: HostArgs;
  try {
    args = parseHostArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  if (args.mode.kind === 'probe') {
    const info = await probeRcp(args.radio);
    process.stdout.write(JSON.stringify(info) + '\n');
    process.exit(info.ok ? 0 : 3);
  }
  const running =
    args.mode.kind === 'sniff'
      ? await runSniffer({ radio: args.radio, channel: args.mode.channel, output: process.stdout, log: (l) => process.stderr.write(l + '\n'), input: process.stdin })
      : await runBoard({ radio: args.radio, boardId: args.id, speed: args.speed, seed: args.seed, spinelLog: args.spinelLog, input: process.stdin, output: process.stdout });
  const stop = async (code: number) => {
    await running.stop();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  // A launcher that goes away closes our stdin: the board goes with it. A sniffer reads nothing
  // there, but must notice the end too (or it outlives a killed run, holding its dongle).
  process.stdin.on('end', () => void stop(0));
  if (args.mode.kind === 'sniff') process.stdin.resume();
  // The board's power is its process; a lost radio is a dead board.
  void running.closed.then(async (why) => {
    process.stderr.write(`meshbench board: the radio link ended: ${why}\n`);
    await stop(3);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`meshbench board: ${e.message}\n`);
    process.exit(3);
  });
}
