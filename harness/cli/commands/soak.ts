// `meshbench soak`: a soak profile on a rig (harness/soak/soak.ts, docs/soak.md).
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { RigFileError } from '../../rig/load.ts';
import { REPO_ROOT } from '../../run/runner.ts';
import { loadSoakProfile, SoakProfileError } from '../../soak/profile.ts';
import { runSoak } from '../../soak/soak.ts';

export const DEFAULT_SOAK_PROFILE = join(REPO_ROOT, 'fixtures', 'soak', 'default.yaml');

export function soakCommand(out: { code: number }, defaultRig: string, exitText: string): Command {
  return new Command('soak')
    .summary('hours of traffic and churn on a rig, checked window by window')
    .description(
      'Brings the rig up, starts the profile\'s network, then runs its traffic and churn for its duration\n' +
        '(bench time on the simulated bench, in lockstep: same seed, same windows; real time on a lab rig).\n' +
        'Writes series.jsonl (one line per finished window), junit.xml (one testcase per check, rewritten\n' +
        'after every window) and a capture per window into the run directory.',
    )
    .usage('[options]')
    .addOption(new Option('--rig <file>', 'the rig file (default: rigs/sim-default.yaml)').env('MESHBENCH_RIG'))
    .addOption(new Option('--profile <file>', 'the soak profile (default: fixtures/soak/default.yaml)').env('MESHBENCH_SOAK_PROFILE'))
    .addOption(new Option('--duration <seconds>', "overrides the profile's duration (bench seconds)"))
    .addOption(new Option('--window <seconds>', "overrides the profile's window (bench seconds)"))
    .addOption(new Option('--out <dir>', 'the run directory (default: reports/soak-<run id>)').env('MESHBENCH_OUT'))
    .addOption(new Option('--seed <n>', "the sim's seed (default: the rig file's)").env('MESHBENCH_SEED'))
    .addOption(new Option('--speed <x>', "sim rigs: bench seconds per wall second, or 'max'"))
    .addOption(new Option('--quiet', "keep the log off stderr (it is still written to run.log)"))
    .addHelpText('after', `\n${exitText}`)
    .action(async (v: Record<string, unknown>) => {
      const num = (name: string, x: unknown): number | undefined => {
        if (x === undefined) return undefined;
        const n = Number(x);
        if (!(n > 0)) throw new SoakProfileError(`--${name} expects a positive number, got '${String(x)}'`);
        return n;
      };
      const profile = loadSoakProfile(typeof v.profile === 'string' ? v.profile : DEFAULT_SOAK_PROFILE);
      const duration = num('duration', v.duration);
      const window = num('window', v.window);
      if (duration !== undefined) profile.durationS = duration;
      if (window !== undefined) profile.windowS = window;
      if (profile.windowS > profile.durationS) profile.windowS = profile.durationS;
      let speed: number | 'max' | undefined;
      if (v.speed !== undefined) speed = v.speed === 'max' ? 'max' : num('speed', v.speed);
      const seed = v.seed === undefined ? undefined : Number(v.seed);
      if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new SoakProfileError(`--seed expects a non-negative integer, got '${String(v.seed)}'`);
      try {
        const r = await runSoak({
          rigFile: typeof v.rig === 'string' ? v.rig : defaultRig,
          profile,
          ...(seed !== undefined ? { seed } : {}),
          ...(speed !== undefined ? { speed } : {}),
          ...(typeof v.out === 'string' ? { outDir: v.out } : {}),
          quiet: v.quiet === true,
          onWindow: (w) =>
            console.log(
              `window ${w.window} [${w.startS}-${w.endS} s]: delivery ${w.delivery === null ? '-' : w.delivery.toFixed(3)}, p99 ${w.latencyP99Ms === null ? '-' : `${w.latencyP99Ms.toFixed(1)} ms`}, churn ${w.churns}, rejoins ${w.rejoins}${w.notBack.length + w.stuck.length ? `, problems: ${[...w.notBack, ...w.stuck].join('; ')}` : ''}`,
            ),
        });
        console.log(`${r.windows.length} window(s); series: ${r.seriesPath}; report: ${r.reportPath}`);
        out.code = r.exitCode;
      } catch (e) {
        if (e instanceof RigFileError || e instanceof SoakProfileError) throw e;
        const code = (e as { exitCode?: number }).exitCode;
        console.error(`meshbench soak: ${(e as Error).message}`);
        out.code = code ?? 3;
      }
    });
}
