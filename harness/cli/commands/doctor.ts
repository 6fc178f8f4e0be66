// `meshbench doctor --rig FILE`: what would stop a lab run, one line per problem.
import { discoveryFromEnv } from '../../lab/discovery.ts';
import { doctor, type DoctorOptions } from '../../lab/doctor.ts';
import { consoleIo, guarded, LabUsageError, type Io, type LabCommand, type Values } from './shared.ts';

export async function doctorCommand(rig: string, opts: DoctorOptions = {}, io: Io = consoleIo): Promise<number> {
  return guarded(io, 'doctor', async () => {
    const r = await doctor(rig, opts);
    for (const l of r.ok) io.out(`ok       ${l}`);
    for (const l of r.warnings) io.out(`warning  ${l}`);
    for (const l of r.problems) io.out(`PROBLEM  ${l}`);
    io.out(r.problems.length ? `${r.problems.length} problem(s) to fix` : 'all good');
    return r.problems.length ? 3 : 0;
  });
}

export const doctorLabCommand: LabCommand = {
  summary: 'check a lab rig: file, ports, permissions, tools, every board\'s answer',
  usage: 'meshbench doctor --rig FILE [--no-probe]',
  help: [
    'Checks what would stop a lab run, before the run: the rig file, its network configs, the tools',
    'each board needs on PATH (pyocd, uhubctl, command templates, host-process commands), the DAPLink',
    'drives, that every board is attached once, that its port can be opened, and that it answers',
    'with the version the rig names. One line per problem, with what to do about it.',
  ].join('\n'),
  exitCodes: 'exit codes: 0 all good, 2 usage or rig-file error, 3 a problem found',
  options: [
    { flags: '--rig <file>', description: 'a lab rig file (kind: lab); required', env: 'MESHBENCH_RIG' },
    { flags: '--no-probe', description: 'do not open ports or ask boards (another run may hold them)' },
  ],
  run: (v: Values) => {
    if (typeof v.rig !== 'string') throw new LabUsageError('--rig FILE is required');
    return doctorCommand(v.rig, { noProbe: v.probe === false, ...discoveryFromEnv() });
  },
};
