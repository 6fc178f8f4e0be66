// Spawning the real `meshbench` binary in integration tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../bin/meshbench.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `meshbench <args>`; `killAfter` sends SIGTERM once stdout satisfies it. */
export function meshbench(args: string[], opts: { killAfter?: (out: string) => boolean; cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!killed && opts.killAfter?.(stdout)) {
        killed = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The parts of a JUnit report (as xml2js reads it) the tests look at. */
export interface JUnitXml {
  testsuites: {
    $: Record<string, string>;
    testsuite: Array<{
      $: Record<string, string>;
      /** The suite's own properties, then the run's (rig, seed, boards: the schema allows none on testsuites). */
      properties?: Array<{ property: Array<{ $: { name: string; value: string } }> }>;
      testcase: Array<{
        $: { name: string } & Record<string, string>;
        failure?: unknown[];
        error?: unknown[];
        flakyFailure?: unknown[];
        skipped?: Array<{ $?: Record<string, string> }>;
        'system-out'?: string[];
        properties?: Array<{ property: Array<{ $: { name: string; value: string } }> }>;
      }>;
    }>;
  };
}

/** A test case's properties as name → values. */
export function propertiesOf(tc: JUnitXml['testsuites']['testsuite'][number]['testcase'][number]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of tc.properties?.[0]?.property ?? []) m.set(p.$.name, [...(m.get(p.$.name) ?? []), p.$.value]);
  return m;
}
