// The `meshbench` command line, declared with commander: every option with its
// own help line, environment fallbacks for what a CI job sets once (MESHBENCH_RIG,
// MESHBENCH_OUT...), and one function per verb. Parse errors are usage errors
// (exit 2); the verbs return their own exit codes.
import type { Help} from 'commander';
import { Command, CommanderError, Option } from 'commander';
import { join } from 'node:path';
import { compareResults, formatComparison, parseThresholdRule, type ThresholdRule } from '../report/compare.ts';
import { failsBuild, mergeRunDirs } from '../report/merge-dirs.ts';
import { readResults } from '../report/results.ts';
import { loadRig } from '../rig/load.ts';
import { formatCatalogue, listCases } from '../run/catalogue.ts';
import { EXIT_CODES } from '../run/events.ts';
import { loadQuarantine } from '../run/quarantine.ts';
import { REPO_ROOT, runSuites } from '../run/runner.ts';
import { durationsFrom, parseShard } from '../run/shard.ts';
import { BOARD_HELP, BOARD_SUMMARY, BOARD_USAGE } from './commands/board.ts';
import { boardsCommand } from './commands/boards.ts';
import { checkAgentLabCommand } from './commands/check-agent.ts';
import { doctorLabCommand } from './commands/doctor.ts';
import { flashLabCommand } from './commands/flash.ts';
import { soakCommand } from './commands/soak.ts';
import { seconds, type LabCommand, type Values } from './commands/shared.ts';
import { REPORTER_NAMES, reportersFor } from './reporters.ts';

export const DEFAULT_RIG = join(REPO_ROOT, 'rigs', 'sim-default.yaml');

export class UsageError extends Error {}

export const EXIT_CODE_TEXT = 'exit codes: 0 passed, 1 failed, 2 usage, rig-file or --out error, 3 bench not up or lost, 4 interrupted, 5 nothing selected, 6 report not written';

function int(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} expects a non-negative integer, got '${String(v)}'`);
  return n;
}

function positiveSeconds(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !(n > 0)) throw new UsageError(`--${name} expects seconds (a positive number), got '${String(v)}'`);
  return n;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `IMAGE` or `TARGET=IMAGE`, TARGET a board id or role as rig files spell them. */
function flashRequest(text: string): { target?: string; image: string } {
  const m = /^([a-z0-9][a-z0-9_-]{0,31})=(.+)$/.exec(text);
  return m ? { target: m[1]!, image: m[2]! } : { image: text };
}

/** The usage line, the description, the options with their help, then any text added after. */
function formatHelp(cmd: Command, helper: Help): string {
  const path: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) path.unshift(c.name());
  const lines = [`usage: ${path.join(' ')} ${cmd.usage()}`];
  const description = cmd.description();
  if (description) lines.push('', description);
  const commands = helper.visibleCommands(cmd);
  if (commands.length) {
    lines.push('', 'commands:');
    for (const c of commands) lines.push(`  ${c.name().padEnd(12)} ${c.summary() || c.description().split('\n')[0]}`);
  }
  const options = helper.visibleOptions(cmd);
  if (options.length) {
    lines.push('', 'options:');
    const width = Math.max(...options.map((o) => helper.optionTerm(o).length));
    for (const o of options) {
      const text = helper.optionDescription(o);
      lines.push(`  ${helper.optionTerm(o).padEnd(width)}  ${text.split('\n').join(`\n  ${' '.repeat(width)}  `)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Outcome {
  code: number;
}

function listCasesCommand(out: Outcome): Command {
  return new Command('list-cases')
    .summary('list the conformance cases, and whether a rig can serve each')
    .description(
      'Each case with its stack, what it needs and whether the rig can serve it (without --rig: rigs/sim-default.yaml).\n' +
        'With --grep, --grep-invert, --suites and --shard it lists exactly what `run` with the same options would run.',
    )
    .usage('[--rig FILE] [--suite GLOB] [--suites DIR]... [--grep TEXT [--grep-invert]] [--shard I/N [--durations FILE]] [--json]')
    .addOption(new Option('--rig <file>', 'the rig file to judge the cases against').env('MESHBENCH_RIG'))
    .addOption(new Option('--suite <glob>', "suite files by glob, or a bare name: 'join' is suites/**/join*.spec.ts").env('MESHBENCH_SUITE'))
    .addOption(new Option('--suites <dir>', "a directory of a lab's own *.spec.ts suites (repeatable), instead of the project's").argParser(collect))
    .addOption(new Option('--grep <text>', 'only cases whose full title matches (a regular expression; -TH- works)').env('MESHBENCH_GREP'))
    .addOption(new Option('--grep-invert', 'only cases whose full title does NOT match --grep'))
    .addOption(new Option('--shard <i/n>', 'only the cases of shard i of n').env('MESHBENCH_SHARD'))
    .addOption(new Option('--durations <file>', "a results.json (or run directory) whose case durations balance the shards").env('MESHBENCH_DURATIONS'))
    .addOption(new Option('--json', 'JSON, with the clause each case checks'))
    .action(async (v: Values) => {
      const rig = loadRig(typeof v.rig === 'string' ? v.rig : DEFAULT_RIG);
      const entries = await listCases(REPO_ROOT, {
        suiteGlob: v.suite as string | undefined,
        suiteDirs: v.suites as string[] | undefined,
        rig,
        grep: v.grep as string | undefined,
        grepInvert: v.grepInvert === true,
        ...(typeof v.shard === 'string' ? { shard: parseShard(v.shard) } : {}),
        ...(typeof v.durations === 'string' ? { durations: durationsFrom(v.durations) } : {}),
      });
      if (entries.length === 0) {
        console.error('meshbench list-cases: no case found');
        out.code = EXIT_CODES['nothing-selected'];
        return;
      }
      console.log(v.json === true ? JSON.stringify(entries, null, 2) : formatCatalogue(entries, true));
      out.code = 0;
    });
}

function runCommand(out: Outcome): Command {
  return new Command('run')
    .summary('run conformance suites on a rig (default: the simulated bench)')
    .description(
      'Brings the rig\'s bench up, runs the selected cases on it and writes the run directory:\n' +
        'junit.xml, results.json and report.html (rewritten after every case), serial logs, captures.\n' +
        'Without --out the run directory is reports/<run id> under the current directory.',
    )
    .usage('[options]')
    .addOption(new Option('--rig <file>', 'the rig file (default: rigs/sim-default.yaml, the simulated bench)').env('MESHBENCH_RIG'))
    .addOption(new Option('--suite <glob>', "suite files by glob, or a bare name: 'join' is suites/**/join*.spec.ts").env('MESHBENCH_SUITE'))
    .addOption(new Option('--suites <dir>', "a directory of a lab's own *.spec.ts suites, written against the test API (repeatable); replaces the project's suites").argParser(collect))
    .addOption(new Option('--grep <text>', 'only cases whose full title matches (a regular expression; a value starting with - works: --grep -TH-)').env('MESHBENCH_GREP'))
    .addOption(new Option('--grep-invert', 'run the cases that do NOT match --grep'))
    .addOption(new Option('--shard <i/n>', 'run shard i of n: a deterministic split of the selected cases, balanced by --durations when given').env('MESHBENCH_SHARD'))
    .addOption(new Option('--durations <file>', "a results.json (or run directory) whose case durations balance the shards; give every shard the same file").env('MESHBENCH_DURATIONS'))
    .addOption(new Option('--out <dir>', 'the run directory (default: reports/<run id> under the current directory); one run at a time holds it').env('MESHBENCH_OUT'))
    .addOption(new Option('--seed <n>', "the sim's seed (default: the rig file's)").env('MESHBENCH_SEED'))
    .addOption(new Option('--retries <n>', 'run a failed case again up to n times; a pass on a retry is reported flaky').env('MESHBENCH_RETRIES'))
    .addOption(new Option('--fail-on-flaky', 'a case that passed only on a retry fails the run (exit 1)'))
    .addOption(new Option('--quarantine <file>', 'YAML/JSON list of {id, reason, expires}: those cases run and are reported but never fail the run').env('MESHBENCH_QUARANTINE'))
    .addOption(new Option('--case-timeout <seconds>', "wall seconds a case may take before it is stopped as an error (default: the rig's caseTimeoutS, else 300)").env('MESHBENCH_CASE_TIMEOUT'))
    .addOption(new Option('--speed <x>', "sim rigs: bench seconds per wall second, or 'max'"))
    .addOption(new Option('--reporter <name>', `how progress is shown (repeatable): ${REPORTER_NAMES.join(', ')}, json=FILE`).argParser(collect).env('MESHBENCH_REPORTER'))
    .addOption(new Option('--trend <n>', 'runs beside this one whose results the HTML report shows as a trend (default 10; 0: none)').env('MESHBENCH_TREND'))
    .addOption(new Option('--history <dir>', 'where the earlier runs for the trend are (default: beside the run directory)').env('MESHBENCH_HISTORY'))
    .addOption(new Option('--absolute-attachments', 'write attachment paths in junit.xml absolute (Jenkins junit-attachments)'))
    .addOption(
      new Option('--flash <image>', "lab rigs: flash IMAGE onto every board with a flasher, or TARGET=IMAGE onto a board id or a role (repeatable), under this run's locks; each board must then report the rig's version").argParser(collect),
    )
    .addOption(new Option('--wait-lock <seconds>', 'wait this long for a board, or the --out directory, another run holds (default: fail at once)').env('MESHBENCH_WAIT_LOCK'))
    .addOption(new Option('--quiet', "keep the run's log off stderr (it is still written to run.log)"))
    .addHelpText('after', `\n${EXIT_CODE_TEXT}`)
    .action(async (v: Values) => {
      let speed: number | 'max' | undefined;
      if (v.speed !== undefined) {
        speed = v.speed === 'max' ? 'max' : Number(v.speed);
        if (speed !== 'max' && !(speed > 0)) throw new UsageError(`--speed expects a positive number or 'max'`);
      }
      const caseTimeoutS = positiveSeconds('case-timeout', v.caseTimeout);
      const quarantine = typeof v.quarantine === 'string' ? loadQuarantine(v.quarantine) : undefined;
      for (const w of quarantine?.warnings ?? []) console.error(`meshbench run: warning: ${w}`);
      const reporters = v.reporter === undefined ? ['progress'] : typeof v.reporter === 'string' ? [v.reporter] : (v.reporter as string[]);
      const outcome = await runSuites({
        rigFile: (v.rig as string | undefined) ?? DEFAULT_RIG,
        suiteGlob: v.suite as string | undefined,
        suiteDirs: v.suites as string[] | undefined,
        grep: v.grep as string | undefined,
        grepInvert: v.grepInvert === true,
        ...(typeof v.shard === 'string' ? { shard: parseShard(v.shard) } : {}),
        ...(typeof v.durations === 'string' ? { durations: durationsFrom(v.durations) } : {}),
        outDir: v.out as string | undefined,
        seed: int('seed', v.seed),
        retries: int('retries', v.retries),
        failOnFlaky: v.failOnFlaky === true,
        ...(quarantine ? { quarantine } : {}),
        ...(caseTimeoutS !== undefined ? { caseTimeoutMs: caseTimeoutS * 1000 } : {}),
        speed,
        trend: int('trend', v.trend),
        historyDir: v.history as string | undefined,
        absoluteAttachments: v.absoluteAttachments === true,
        quiet: v.quiet === true,
        lab: { waitLockS: seconds('wait-lock', v.waitLock as string | undefined), flash: ((v.flash as string[] | undefined) ?? []).map(flashRequest) },
        listeners: reportersFor(reporters),
      });
      if (outcome.message) console.error(`meshbench run: ${outcome.message}`);
      out.code = outcome.exitCode;
    });
}

function mergeCommand(out: Outcome): Command {
  return new Command('merge')
    .summary("join the run directories of a run's shards into one report")
    .description(
      'Reads junit.xml and results.json in each DIR (the run directories of `run --shard i/n`) and writes one\n' +
        'junit.xml, results.json and report.html into --out. A case found in two shards keeps its worst verdict.\n' +
        'Exit 1 when a merged case failed (quarantined cases excepted), so the merge step can gate the build.',
    )
    .usage('DIR... --out DIR')
    .argument('<dirs...>', 'run directories of the shards')
    .addOption(new Option('--out <dir>', 'where the merged reports go').env('MESHBENCH_OUT').makeOptionMandatory())
    .addOption(new Option('--fail-on-flaky', 'a case that passed only on a retry fails the merge (exit 1)'))
    .addHelpText('after', '\nexit codes: 0 merged and every case passed, 1 a case failed, 2 usage error or unreadable input')
    .action(async (dirs: string[], v: Values) => {
      const m = await mergeRunDirs(dirs, v.out as string);
      for (const w of m.warnings) console.error(`meshbench merge: warning: ${w}`);
      const t = m.results.totals;
      console.log(`merged ${dirs.length} run(s): ${t.tests} cases, ${t.passed} passed, ${t.failed + t.errors} failed, ${t.skipped} skipped${t.flaky ? `, ${t.flaky} flaky` : ''}${t.quarantined ? `, ${t.quarantined} quarantined` : ''}`);
      console.log(`report: ${join(v.out as string, 'junit.xml')}, ${join(v.out as string, 'report.html')}, ${join(v.out as string, 'results.json')}`);
      out.code = failsBuild(m.results, { failOnFlaky: v.failOnFlaky === true }) ? 1 : 0;
    });
}

function compareCommand(out: Outcome): Command {
  return new Command('compare')
    .summary('verdict changes and figure regressions from run A to run B')
    .description(
      'Compares two runs (run directories or results.json files): verdicts that changed, and figures that moved the\n' +
        'wrong way by more than their threshold. Default thresholds by unit: kbit/s 10 %, ratio 0.02, ms and s 25 %.',
    )
    .usage('A B [--threshold PATTERN=VALUE]... [--all]')
    .argument('<a>', 'the baseline run')
    .argument('<b>', 'the run to judge')
    .addOption(new Option('--threshold <rule>', "a figure's threshold: '*goodput_kbps=15%' (relative) or '*.pdr=0.05' (absolute, in its unit); repeatable, the last match wins").argParser(collect))
    .addOption(new Option('--all', 'also list the figures that moved within their thresholds'))
    .addOption(new Option('--json', 'the comparison as JSON'))
    .addHelpText('after', '\nexit codes: 0 no regression, 1 a regression, 2 usage error or unreadable results')
    .action(async (a: string, b: string, v: Values) => {
      const rules: ThresholdRule[] = ((v.threshold as string[] | undefined) ?? []).map((t) => {
        try {
          return parseThresholdRule(t);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      });
      const ra = readResults(a).results;
      const rb = readResults(b).results;
      const c = compareResults(ra, rb, rules);
      console.log(v.json === true ? JSON.stringify(c, null, 2) : formatComparison(c, ra, rb, { all: v.all === true }));
      out.code = c.regressions > 0 ? 1 : 0;
    });
}

/** A lab command (boards, doctor, flash, check-agent) declared from its table entry. */
function labCommand(name: string, spec: LabCommand, out: Outcome): Command {
  const cmd = new Command(name).summary(spec.summary).description(spec.help ?? spec.summary).usage(spec.usage.replace(/^meshbench \S+ ?/, ''));
  for (const o of spec.options) {
    const opt = new Option(o.flags, o.description);
    if (o.env) opt.env(o.env);
    cmd.addOption(opt);
  }
  if (spec.args) cmd.argument(spec.args);
  cmd.addHelpText('after', `\n${spec.exitCodes}`);
  cmd.action(async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    out.code = await spec.run(command.opts() as Values, command.args);
  });
  return cmd;
}

export function buildProgram(out: Outcome): Command {
  const program = new Command('meshbench')
    .usage('<command> [options]')
    .description('meshbench: conformance runs of 6LoWPAN-ND and Thread mesh boards, on a lab rig or the simulated bench.')
    .addHelpText('after', `\n${EXIT_CODE_TEXT}\n'meshbench <command> --help' describes a command and its options.`)
    .configureHelp({ formatHelp })
    .showHelpAfterError(false)
    .helpCommand('help [command]', 'describe a command');
  program.addCommand(listCasesCommand(out));
  program.addCommand(runCommand(out));
  program.addCommand(soakCommand(out, DEFAULT_RIG, EXIT_CODE_TEXT));
  program.addCommand(mergeCommand(out));
  program.addCommand(compareCommand(out));
  program.addCommand(labCommand('boards', boardsCommand, out));
  program.addCommand(labCommand('flash', flashLabCommand, out));
  program.addCommand(labCommand('doctor', doctorLabCommand, out));
  program.addCommand(labCommand('check-agent', checkAgentLabCommand, out));
  // Listed for help only: main() hands `board` its words untouched (see commands/board.ts).
  program.addCommand(new Command('board').summary(BOARD_SUMMARY).description(BOARD_HELP).usage(BOARD_USAGE.replace(/^meshbench board /, '')));
  const configure = (c: Command) => {
    c.exitOverride()
      .configureHelp({ formatHelp })
      .configureOutput({
        writeOut: (s) => console.log(s.replace(/\n$/, '')),
        writeErr: (s) => console.error(s.replace(/\n$/, '')),
      });
    c.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Commander's own exits: help and version are 0, anything it refused is a usage error. */
export function commanderExit(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
  return EXIT_CODES.usage;
}

export { CommanderError };
