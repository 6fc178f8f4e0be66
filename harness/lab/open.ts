// From a rig entry and what discovery found to an open, locked board link.
import { SerialTransport, type Transport } from '../board/transport.ts';
import type { LabBoard } from '../rig/lab.ts';
import type { LabBoardHandle } from './controls.ts';
import { openPath, type BoardMatch } from './discovery.ts';
import { InfraError } from './errors.ts';
import { BoardLink } from './probe.ts';
import { PtyProcessTransport } from './pty-process.ts';

/** What a board's lock is keyed on: the physical board, however a rig file names it. */
export function lockKey(b: LabBoard): string {
  const p = b.port;
  if (p.kind === 'usb-serial') return `usb-serial:${p.serial.toLowerCase()}`;
  if (p.kind === 'process') return `process:${p.cwd ?? ''}:${p.command.join(' ')}`;
  return `path:${p.path}`;
}

export function describeMatch(m: BoardMatch): string {
  if (m.state === 'missing') return `${m.board.id}: missing (${m.wanted} is not attached)`;
  if (m.state === 'duplicate') return `${m.board.id}: ${m.wanted} matches ${m.devices.length} devices (${m.devices.map((d) => d.path).join(', ')}); unplug one or name the board by its by-id path`;
  return `${m.board.id}: ${m.state}`;
}

/** Opens a matched board's port (or starts its process) and wraps it for the controls. */
export async function openBoard(m: BoardMatch): Promise<LabBoardHandle> {
  const b = m.board;
  let make: () => Transport;
  let port: string;
  if (b.port.kind === 'process') {
    const spec = { command: b.port.command, cwd: b.port.cwd, env: b.port.env };
    make = () => new PtyProcessTransport(spec);
    port = `process:${b.port.command.join(' ')}`;
  } else {
    const path = openPath(m);
    if (!path) throw new InfraError('ERR_BOARD_MISSING', describeMatch(m), b.id);
    make = () => new SerialTransport(path, b.baudRate);
    port = path;
  }
  const t = make();
  try {
    await t.open();
  } catch (e) {
    throw new InfraError('ERR_PORT_OPEN', `${b.id}: ${(e as Error).message}`, b.id);
  }
  const serial = b.port.kind === 'usb-serial' ? b.port.serial : m.devices[0]?.serialNumber;
  return { board: b, port, serial, link: new BoardLink(t, b.firmware), makeTransport: make };
}
