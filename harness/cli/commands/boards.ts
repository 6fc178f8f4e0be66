// `meshbench boards [--rig FILE] [--no-identify]`: attached serial devices, and
// with a rig file which of its boards are present, missing, duplicated, and
// what each present board answers.
import { discover, discoveryFromEnv, matchBoards, type DiscoveryOptions, type SerialDevice } from '../../lab/discovery.ts';
import { radioWordsOf } from '../../host/launcher.ts';
import type { LabBoard } from '../../rig/lab.ts';
import { lockForProbe } from '../../lab/doctor.ts';
import { describeMatch, openBoard } from '../../lab/open.ts';
import { loadLabRig } from '../../lab/rig-file.ts';
import { consoleIo, guarded, type Io, type LabCommand, type Values } from './shared.ts';

export interface BoardsOptions extends DiscoveryOptions {
  rig?: string;
  identify?: boolean;
  answerMs?: number;
}

export async function boards(opts: BoardsOptions, io: Io = consoleIo): Promise<number> {
  return guarded(io, 'boards', async () => {
    const loaded = opts.rig ? loadLabRig(opts.rig) : undefined;
    const found = await discover(opts);
    for (const n of found.notes) io.err(`(${n})`);
    for (const w of loaded?.warnings ?? []) io.err(`warning: ${w}`);
    io.out('PATH            VID:PID    SERIAL                     MANUFACTURER  BY-ID');
    for (const d of found.devices) {
      io.out(`${d.path.padEnd(15)} ${`${d.vendorId ?? '?'}:${d.productId ?? '?'}`.padEnd(10)} ${(d.serialNumber ?? '-').padEnd(26)} ${(d.manufacturer ?? '-').padEnd(13)} ${d.byId ?? '-'}`);
    }
    if (!found.devices.length) io.out('(no USB serial devices)');
    if (!loaded) return 0;
    const m = matchBoards(loaded.rig.boards, found.devices);
    io.out('');
    io.out(`rig ${loaded.rig.name}:`);
    let bad = 0;
    const rcps = new Set<SerialDevice>();
    for (const b of m.boards) {
      if (b.state === 'missing' || b.state === 'duplicate') {
        bad++;
        io.out(`  ${describeMatch(b)}`);
        continue;
      }
      // Our board on a dongle: the dongle is the board's device, attached or not.
      const rcp = rcpOf(b.board, found.devices);
      if (rcp?.devices.length === 0) {
        bad++;
        io.out(`  ${b.board.id}: host process, its RCP (${rcp.radio}) is not attached`);
        continue;
      }
      for (const d of rcp?.devices ?? []) rcps.add(d);
      let answer = '';
      // A board another run holds is not opened: its run owns the port.
      const held = opts.identify === false ? undefined : await lockForProbe(b, { rigDir: loaded.dir, speed: loaded.rig.speed }, loaded.rig.lockDir);
      if (typeof held === 'string') answer = ` ${held}; not asked`;
      else if (held) {
        try {
          const h = await openBoard(b, { rigDir: loaded.dir, speed: loaded.rig.speed });
          try {
            const a = await h.link.identify(opts.answerMs ?? 2000, 500, { answerOnly: true });
            answer = a ? ` answers ${a.firmware} ${a.version}` : ' does not answer';
          } finally {
            await h.link.transport.close();
          }
        } catch (e) {
          answer = ` cannot be opened: ${(e as Error).message.split('\n')[0]}`;
        } finally {
          held.release();
        }
      }
      const where = rcp ? `host process, its RCP at ${rcp.devices[0]!.byId ?? rcp.devices[0]!.path}` : b.state === 'process' ? 'host process' : `present at ${b.devices[0]!.byId ?? b.devices[0]!.path}`;
      io.out(`  ${b.board.id}: ${where}${answer}`);
    }
    for (const d of m.unknown.filter((u) => !rcps.has(u))) io.out(`  unknown: ${d.path} (serial ${d.serialNumber ?? '?'}) is in no board of the rig`);
    return bad ? 3 : 0;
  });
}

/**
 * The attached devices a process board running `meshbench board` on a dongle uses: by its
 * USB serial number (`usb:SERIAL`, as the rig's USB boards are matched) or its device path
 * or by-id link; undefined for any other board, or a radio that is a process.
 */
export function rcpOf(board: LabBoard, devices: SerialDevice[]): { radio: string; devices: SerialDevice[] } | undefined {
  const radio = board.port.kind === 'process' ? radioWordsOf(board.port.command)?.[0] : undefined;
  if (!radio || radio.startsWith('spawn:') || /\{[^}]*\}/.test(radio)) return undefined;
  const serial = radio.startsWith('usb:') ? radio.slice(4).toLowerCase() : undefined;
  const hits = devices.filter((d) => (serial !== undefined ? d.serialNumber?.toLowerCase() === serial : d.path === radio || d.byId === radio));
  return { radio, devices: hits };
}

export const boardsCommand: LabCommand = {
  summary: 'list attached serial devices and match them to a lab rig',
  usage: 'meshbench boards [--rig FILE] [--no-identify]',
  help: [
    'Lists the USB serial devices attached (path, VID:PID, serial number, maker, /dev/serial/by-id link).',
    'With --rig, says for each board of the lab rig whether it is present, missing or matched twice,',
    "and what it answers (the agent's identify, or `version` on the OpenThread CLI).",
  ].join('\n'),
  exitCodes: 'exit codes: 0 every board present, 2 rig-file error, 3 a board missing or matched twice',
  options: [
    { flags: '--rig <file>', description: 'a lab rig file (kind: lab)', env: 'MESHBENCH_RIG' },
    { flags: '--no-identify', description: 'do not open the ports (another run may hold them)' },
  ],
  run: (v: Values) => boards({ rig: v.rig as string | undefined, identify: v.identify !== false, ...discoveryFromEnv() }),
};
