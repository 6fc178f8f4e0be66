// The floor of a serial round trip: a bare PTY (made by the sim's own PTY helper)
// whose only job is to answer every agent request line with `ok`. Nothing else runs
// in this process. Prints {"ready":true} once the link exists; exits when stdin closes.
//   tsx test/bench/echo-pty.ts <link path>
import { BoardPty } from '../../sim/pty.ts';

const linkPath = process.argv[2];
if (!linkPath) {
  process.stderr.write('usage: echo-pty.ts <link path>\n');
  process.exit(2);
}

let pending = '';
const pty: BoardPty = new BoardPty(linkPath, (bytes) => {
  pending += Buffer.from(bytes).toString('latin1');
  let nl: number;
  let out = '';
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    const m = /^MB> (\d+) /.exec(line);
    if (m) out += `MB< ${m[1]} ok t=0\n`;
  }
  if (out) pty.write(out);
});

const stop = (): void => {
  pty.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.stdout.write(JSON.stringify({ ready: true, path: linkPath }) + '\n');
