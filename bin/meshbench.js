#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npm start` and
// `npx meshbench` work straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
// `meshbench board` is a lab board's process, started on every power-on: it loads only
// its launcher, not the whole CLI (seconds of start-up on a busy runner).
const { main } =
  process.argv[2] === 'board'
    ? { main: async (argv) => (await import('../harness/cli/commands/board.ts')).boardCommand(argv.slice(1)) }
    : await import('../harness/cli/main.ts');

/**
 * A finished command exits. Its reports and logs are written by then; if
 * something of the run is still scheduled after a grace period for streams to
 * drain, the process ends anyway and says what was left (a CI job must never
 * hang on a run that is over).
 */
function finish(code) {
  process.exitCode = code;
  setTimeout(() => {
    const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    console.error(`meshbench: exiting with ${left.length} resource(s) still active after the run: ${left.join(', ') || 'none'}`);
    process.exit(code);
  }, 2000).unref();
}

main(process.argv.slice(2)).then(finish, (err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  finish(3);
});
