#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npm start` and
// `npx meshbench` work straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

/** Exit code of a command that could not finish as it should (DESIGN.md: bench not up). */
const BROKEN = 3;

let settled = false;

/**
 * A finished command exits. Its reports and logs are written by then; if
 * something of the run is still scheduled after a grace period for streams to
 * drain, the process ends anyway and says what was left (a CI job must never
 * hang on a run that is over).
 */
function finish(code) {
  settled = true;
  process.exitCode = code;
  setTimeout(() => {
    const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    console.error(`meshbench: exiting with ${left.length} resource(s) still active after the run: ${left.join(', ') || 'none'}`);
    process.exit(code);
  }, 2000).unref();
}

// A promise nobody waited for failed: the command's outcome cannot be trusted. Say so and
// end non-zero, never with the 0 a half-finished run would otherwise exit with.
function internalError(kind, err) {
  console.error(`meshbench: internal error (${kind}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(process.exitCode && process.exitCode !== 0 ? process.exitCode : BROKEN);
}
process.on('unhandledRejection', (err) => internalError('unhandled rejection', err));
process.on('uncaughtException', (err) => internalError('uncaught exception', err));

// Node exits when nothing is left to wait for, even while main() has not settled
// (a promise that will never resolve): that exit is not a success.
process.on('exit', (code) => {
  if (!settled && code === 0) {
    console.error('meshbench: the command stopped without an outcome (nothing was left to wait for); exiting with 3');
    process.exitCode = BROKEN;
  }
});

register();
if (process.argv[2] === 'board' && process.argv.includes('--radio')) {
  // `meshbench board --radio …` is a lab board's process, started on every power-on: it
  // loads only the board (host/main.ts), in this process, so that it answers as soon as
  // it can. It runs until it is stopped and ends the process with its own exit code.
  // (Its help and usage errors go through the CLI below.)
  settled = true;
  const { main } = await import('../host/main.ts');
  await main(process.argv.slice(3)).catch((err) => {
    console.error(`meshbench board: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(BROKEN);
  });
} else {
  const { main } = await import('../harness/cli/main.ts');
  main(process.argv.slice(2)).then(finish, (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    finish(BROKEN);
  });
}
