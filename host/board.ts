// A board of our own on a real radio: the firmware agent and the stack in this
// process, the agent protocol on stdin/stdout (a lab rig runs it as a `process`
// board behind a PTY), the radio an RCP over Spinel, time the wall clock's (times
// the speed of a simulated RCP). The Spinel exchange is logged on stdout as plain
// lines, which the agent protocol's host keeps as the board's serial log.
import { Agent } from '../firmware/agent.ts';
import { StackNode } from '../stack/node.ts';
import { SeededRng } from '../stack/runtime.ts';
import { openByteLink, type RadioSpec } from './rcp/byte-link.ts';
import { RcpRadio } from './rcp/rcp-radio.ts';
import { SpinelLink } from './rcp/spinel-link.ts';
import { WallTimers } from './wall-timers.ts';
import { FirmwareTimers } from '../firmware/firmware-timers.ts';
import { rcpBoardIdentity } from './identity.ts';

export interface BoardOptions {
  radio: RadioSpec;
  boardId: string;
  speed: number;
  seed: number;
  /** Log the Spinel exchange (every frame both ways) on the serial output. */
  spinelLog: boolean;
  input: NodeJS.ReadableStream;
  output: { write(text: string): unknown };
}

export async function runBoard(opts: BoardOptions): Promise<{ stop(): Promise<void>; closed: Promise<string> }> {
  const out = (line: string) => opts.output.write(`${line}\r\n`);
  const timers = new WallTimers(opts.speed, (e) => out(`host ! ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  const byteLink = await openByteLink(opts.radio, { onStderr: (t) => t.split('\n').filter(Boolean).forEach((l) => out(`rcp stderr: ${l}`)) });
  let closedWhy: (why: string) => void = () => {};
  const closed = new Promise<string>((r) => (closedWhy = r));
  byteLink.onClose((why) => closedWhy(why));
  const log = opts.spinelLog ? out : (line: string) => (line.includes(' ! ') ? out(line) : undefined);
  const spinel = new SpinelLink(byteLink, log);
  // A radio that cannot be set up again after a reset leaves the board deaf: it ends as a dead board does.
  const radio = new RcpRadio(spinel, timers, out, { onLost: (why) => closedWhy(why) });
  const info = await radio.open();
  out(`host: seed ${opts.seed} (--seed reproduces this board's random draws)`);
  out(`rcp: ${byteLink.description}: ${info.ncpVersion}; Spinel ${info.protocol.major}.${info.protocol.minor}; RCP API ${info.rcpApiVersion ?? '?'}; EUI-64 ${Buffer.from(info.eui64).toString('hex')}; radio caps 0x${info.radioCaps.toString(16)}`);

  const identity = rcpBoardIdentity(info.ncpVersion);
  const rng = new SeededRng(opts.seed);
  let current: { agent: Agent; timers: FirmwareTimers } | undefined;
  const boot = () => {
    if (current) current.timers.alive = false;
    const ft = new FirmwareTimers(timers);
    const node = new StackNode({ radio, timers: ft, rng: rng.fork(), eui64: info.eui64 });
    const agent = new Agent({ boardId: opts.boardId, identity, write: (text) => opts.output.write(text), reboot: () => boot() }, node);
    current = { agent, timers: ft };
    agent.boot();
  };
  boot();
  opts.input.on('data', (d: Buffer) => current?.agent.receive(new Uint8Array(d)));

  return {
    closed,
    async stop() {
      timers.stop();
      await byteLink.close();
    },
  };
}
