// `npm run test:unit`: mocha in two groups at once, one per core of a CI runner. The
// real-firmware group (ot-cli-ftd and ot-rcp processes, .mocharc.firmware.json) spends its
// time waiting on OpenThread's wall-clock radio, so it runs beside the rest instead of
// after it. Each group is a mocha run of its own with --forbid-only; the rest streams live,
// the firmware group's output follows it whole; the exit code is non-zero if either failed.
// `npx mocha` alone still runs everything in one process (.mocharc.json).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const FIRMWARE_CONFIG = '.mocharc.firmware.json';
const FIRMWARE_SPECS = (JSON.parse(readFileSync(FIRMWARE_CONFIG, 'utf8')) as { spec: string[] }).spec;
const mocha = process.platform === 'win32' ? 'mocha.cmd' : 'mocha';

function run(args: string[], live: boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(mocha, args, { stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (e) => resolve({ code: 1, output: `${output}\nmocha did not start: ${e.message}\n` }));
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const firmware = run(['--config', FIRMWARE_CONFIG], false);
const rest = await run(['--config', '.mocharc.json', ...FIRMWARE_SPECS.flatMap((s) => ['--ignore', s])], true);
const fw = await firmware;
process.stdout.write(`\n── real-firmware tests (${FIRMWARE_CONFIG}), run beside the rest ──\n${fw.output}`);
process.exitCode = rest.code !== 0 ? rest.code : fw.code;
