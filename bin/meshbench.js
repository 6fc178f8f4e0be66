#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npm start` and
// `npx meshbench` work straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../harness/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 3;
  },
);
