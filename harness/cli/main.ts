// The `meshbench` command: parse flags (program.ts), call one function per verb, map
// the outcome to an exit code (DESIGN.md: 0 passed, 1 failed, 2 usage or rig file,
// 3 bench not up or lost, 4 interrupted, 5 nothing selected, 6 report not written).
import { FlashPlanError } from '../bench/lab-bench.ts';
import { ResultsFileError } from '../report/results.ts';
import { RigFileError } from '../rig/load.ts';
import { NetworkConfigError } from '../rig/network-config.ts';
import { EXIT_CODES } from '../run/events.ts';
import { OutDirError } from '../run/out-dir.ts';
import { QuarantineFileError } from '../run/quarantine.ts';
import { ShardError } from '../run/shard.ts';
import { SuiteDirError } from '../run/suite-files.ts';
import { SoakProfileError } from '../soak/profile.ts';
import { boardCommand } from './commands/board.ts';
import { buildProgram, commanderExit, CommanderError, UsageError } from './program.ts';
import { ReporterError } from './reporters.ts';

export { DEFAULT_RIG } from './program.ts';

/** Errors that are the user's input (flags, files named on the command line): exit 2 with the message. */
const INPUT_ERRORS = [RigFileError, NetworkConfigError, UsageError, ShardError, QuarantineFileError, ResultsFileError, ReporterError, SuiteDirError, FlashPlanError, SoakProfileError, OutDirError];

export async function main(argv: string[]): Promise<number> {
  const out = { code: 0 };
  const program = buildProgram(out);
  if (argv.length === 0) {
    console.log(program.helpInformation().replace(/\n$/, ''));
    return EXIT_CODES.usage;
  }
  const name = argv[0] ?? '';
  if (name === 'board') return boardCommand(argv.slice(1));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return out.code;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(e);
    if (INPUT_ERRORS.some((k) => e instanceof k) || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = program.commands.find((c) => c.name() === name);
      console.error(`meshbench ${name}: ${(e as Error).message}${e instanceof UsageError && usage ? `\nusage: meshbench ${name} ${usage.usage()}` : ''}`);
      return EXIT_CODES.usage;
    }
    throw e;
  }
}
