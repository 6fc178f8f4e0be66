// The `meshbench` command: parse flags, call one function per verb, map the
// outcome to an exit code (DESIGN.md: 0 passed, 1 failed, 2 usage or rig file,
// 3 bench not up, 4 interrupted, 5 nothing selected).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join } from 'node:path';
import { loadRig, RigFileError } from '../rig/load.ts';
import { NetworkConfigError } from '../rig/network-config.ts';
import { EXIT_CODES } from '../run/events.ts';
import { formatCatalogue, listCases } from '../run/catalogue.ts';
import { REPO_ROOT, runSuites } from '../run/runner.ts';
import { boardsCommand } from './commands/boards.ts';
import { checkAgentLabCommand } from './commands/check-agent.ts';
import { doctorLabCommand } from './commands/doctor.ts';
import { flashLabCommand } from './commands/flash.ts';
import { seconds } from './commands/shared.ts';
import { progressReporter } from './progress.ts';

export const DEFAULT_RIG = join(REPO_ROOT, 'rigs', 'sim-default.yaml');

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  usage: string;
  /** What `--help` prints below the usage line. */
  help?: string;
  options: Options;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

function int(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} expects a non-negative integer, got '${String(v)}'`);
  return n;
}

const COMMANDS: Record<string, Command> = {
  'list-cases': {
    summary: 'list the conformance cases, and whether a rig can serve each',
    usage: 'meshbench list-cases [--rig FILE] [--suite GLOB] [--json]',
    help: 'Each case with its stack, what it needs and whether the rig can serve it (without --rig: rigs/sim-default.yaml).\n--json adds the clause each case checks.',
    options: { rig: { type: 'string' }, suite: { type: 'string' }, json: { type: 'boolean' } },
    async run(v) {
      // As `run` does: without --rig, the default simulated bench.
      const rig = loadRig(typeof v.rig === 'string' ? v.rig : DEFAULT_RIG);
      const entries = await listCases(REPO_ROOT, { suiteGlob: v.suite as string | undefined, rig });
      if (entries.length === 0) {
        console.error('meshbench list-cases: no case found');
        return EXIT_CODES['nothing-selected'];
      }
      console.log(v.json === true ? JSON.stringify(entries, null, 2) : formatCatalogue(entries, true));
      return 0;
    },
  },
  run: {
    summary: 'run conformance suites on a rig (default: the simulated bench)',
    usage: 'meshbench run [--rig FILE] [--suite GLOB] [--grep TEXT] [--out DIR] [--seed N] [--retries N] [--speed X|max] [--absolute-attachments] [--wait-lock SECONDS]',
    options: {
      'wait-lock': { type: 'string' },
      rig: { type: 'string' },
      suite: { type: 'string' },
      grep: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      retries: { type: 'string' },
      speed: { type: 'string' },
      'absolute-attachments': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
    async run(v) {
      let speed: number | 'max' | undefined;
      if (v.speed !== undefined) {
        speed = v.speed === 'max' ? 'max' : Number(v.speed);
        if (speed !== 'max' && !(speed > 0)) throw new UsageError(`--speed expects a positive number or 'max'`);
      }
      const outcome = await runSuites({
        rigFile: (v.rig as string | undefined) ?? DEFAULT_RIG,
        suiteGlob: v.suite as string | undefined,
        grep: v.grep as string | undefined,
        outDir: v.out as string | undefined,
        seed: int('seed', v.seed),
        retries: int('retries', v.retries),
        speed,
        absoluteAttachments: v['absolute-attachments'] === true,
        quiet: v.quiet === true,
        lab: { waitLockS: seconds('wait-lock', v['wait-lock']) },
        listeners: [progressReporter()],
      });
      return outcome.exitCode;
    },
  },
  boards: boardsCommand,
  flash: flashLabCommand,
  doctor: doctorLabCommand,
  'check-agent': checkAgentLabCommand,
};

function help(): string {
  const lines = ['usage: meshbench <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push('', 'exit codes: 0 passed, 1 failed, 2 usage or rig-file error, 3 bench not up, 4 interrupted, 5 nothing selected');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : EXIT_CODES.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`meshbench: unknown command '${name}'\n\n${help()}`);
    return EXIT_CODES.usage;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (values.help) {
      console.log(`usage: ${command.usage}${command.help ? `\n\n${command.help}` : ''}`);
      return 0;
    }
    return await command.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (e) {
    if (e instanceof RigFileError || e instanceof NetworkConfigError) {
      console.error(`meshbench: ${e.message}`);
      return EXIT_CODES.usage;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`meshbench ${name}: ${(e as Error).message}\nusage: ${command.usage}`);
      return EXIT_CODES.usage;
    }
    throw e;
  }
}
