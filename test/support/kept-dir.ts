// A test's run directory (serial logs, Spinel logs, a run's results.json and junit.xml,
// OpenThread's settings) is the evidence of a failure: it is removed when the test
// passed and kept, with its path printed, when it did not, so a case that fails once in
// many runs can be read afterwards instead of rerun.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Removes `dir` unless the test `ctx` ran failed; a kept directory's path goes to stderr. */
export function removeUnlessFailed(ctx: Mocha.Context, dir: string | undefined): void {
  if (dir === undefined) return;
  const test = ctx.currentTest ?? ctx.test;
  if (test?.state === 'failed') {
    console.error(`      kept for the failed test "${test.title}": ${dir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Writes lines a test held in memory (a board's serial output) into `dir` as `name`, so a kept directory has them. */
export function keepLines(dir: string, name: string, lines: readonly string[]): void {
  writeFileSync(join(dir, name), lines.length > 0 ? `${lines.join('\n')}\n` : '');
}
