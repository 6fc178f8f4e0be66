// `meshbench flash --rig FILE [--board ID] [--wait-lock S] IMAGE`: flash one
// board (or every board with a flasher), with the board locked and its port
// kept open, then check it boots with the rig's version. Failures: exit 3 at
// once, with the flasher's own message.
import { randomUUID } from 'node:crypto';
import { discover, discoveryFromEnv, matchBoards, type DiscoveryOptions } from '../../lab/discovery.ts';
import { InfraError } from '../../lab/errors.ts';
import { expectBoot, flash } from '../../lab/flash.ts';
import { defaultLockDir, lockBoards } from '../../lab/lock.ts';
import { lockKey, openBoard } from '../../lab/open.ts';
import { loadLabRig } from '../../lab/rig-file.ts';
import { consoleIo, guarded, LabUsageError, seconds, type Io, type LabCommand, type Values } from './shared.ts';
import { ErrorCode } from '../../errors.ts';

export interface FlashOptions extends DiscoveryOptions {
  rig: string;
  image: string;
  board?: string;
  waitLockS?: number;
  lockDir?: string;
  runId?: string;
  env?: Record<string, string>;
  bootMs?: number;
}

export async function flashCommand(opts: FlashOptions, io: Io = consoleIo): Promise<number> {
  return guarded(io, 'flash', async () => {
    const loaded = loadLabRig(opts.rig);
    const chosen = loaded.rig.boards.filter((b) => (opts.board ? b.id === opts.board : b.flasher.kind !== 'none'));
    if (!chosen.length) throw new InfraError(ErrorCode.NO_BOARD, opts.board ? `rig '${loaded.rig.name}' has no board '${opts.board}'` : `no board of rig '${loaded.rig.name}' has a flasher`);
    const matching = matchBoards(chosen, (await discover(opts)).devices);
    const locks = await lockBoards(
      matching.boards.map((m) => ({ id: m.board.id, key: lockKey(m.board, { rigDir: loaded.dir, speed: loaded.rig.speed }, m) })),
      { dir: opts.lockDir ?? loaded.rig.lockDir ?? defaultLockDir(), runId: opts.runId ?? `flash-${randomUUID().slice(0, 8)}`, waitS: opts.waitLockS ?? 0 },
    );
    try {
      for (const m of matching.boards) {
        // Open first and keep the port open through the flash: the boot lines are not lost.
        const h = await openBoard(m, { rigDir: loaded.dir, speed: loaded.rig.speed });
        try {
          const r = await flash({ board: m.board, image: opts.image, port: h.port, serial: h.serial, env: opts.env });
          io.out(`${m.board.id}: flashed with ${r.tool}`);
          // A flashed board gets twice the rig's answer time to boot and answer.
          const a = await expectBoot(m.board, h.link, opts.bootMs ?? loaded.rig.answerTimeoutS * 2000, `flashed with ${r.tool}`);
          io.out(`${m.board.id}: boots ${a.firmware} ${a.version}`);
        } finally {
          await h.link.transport.close();
        }
      }
    } finally {
      for (const l of locks) l.release();
    }
    return 0;
  });
}

export const flashLabCommand: LabCommand = {
  summary: 'flash a lab board (or all) with its flasher, then check it boots',
  usage: 'meshbench flash --rig FILE [--board ID] [--wait-lock SECONDS] IMAGE',
  help: [
    "Flashes IMAGE onto one board (--board) or onto every board of the rig that names a flasher, with",
    "the board's flasher (pyocd, a DAPLink drive copy, or a command template), holding the board's lock",
    'and its port open meanwhile; then the board must boot and answer with the version the rig names.',
    "A failing flasher stops at once with the flasher's own words.",
  ].join('\n'),
  exitCodes: 'exit codes: 0 flashed and booted, 2 usage or rig-file error, 3 flasher, port, boot or lock problem',
  options: [
    { flags: '--rig <file>', description: 'a lab rig file (kind: lab); required', env: 'MESHBENCH_RIG' },
    { flags: '--board <id>', description: 'only this board' },
    { flags: '--wait-lock <seconds>', description: 'wait this long for a board another run holds (default: fail at once)', env: 'MESHBENCH_WAIT_LOCK' },
  ],
  args: '<image>',
  run: (v: Values, positionals: string[]) => {
    const image = positionals[0];
    if (!image || positionals.length > 1) throw new LabUsageError('expects exactly one IMAGE');
    if (typeof v.rig !== 'string') throw new LabUsageError('--rig FILE is required');
    return flashCommand({ rig: v.rig, image, board: v.board as string | undefined, waitLockS: seconds('wait-lock', v.waitLock), ...discoveryFromEnv() });
  },
};
