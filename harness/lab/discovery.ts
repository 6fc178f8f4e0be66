// Which serial devices are attached, and which of them are the rig's boards.
// SerialPort.list() needs udevadm on Linux; where it fails, the same facts are
// read from sysfs (the USB device above /sys/class/tty/<name>/device) and the
// /dev/serial/by-id links. Both roots are parameters so tests use a fake tree.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SerialPort } from 'serialport';
import type { LabBoard } from '../rig/lab.ts';

export interface SerialDevice {
  path: string;
  /** The /dev/serial/by-id link that points at it, if any. */
  byId?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
}

export interface DiscoveryOptions {
  sysRoot?: string;
  devRoot?: string;
  /** Replaces SerialPort.list (tests); null skips it. */
  list?: (() => Promise<Array<Partial<SerialDevice> & { path: string }>>) | null;
}

export interface Discovery {
  devices: SerialDevice[];
  /** How the list was made, and why a method was not used. */
  notes: string[];
}

function readAttr(dir: string, name: string): string | undefined {
  try {
    const v = readFileSync(join(dir, name), 'utf8').trim();
    return v.length ? v : undefined;
  } catch {
    return undefined;
  }
}

/** by-id links, keyed by the device node they point at. */
function byIdLinks(devRoot: string): Map<string, string> {
  const out = new Map<string, string>();
  const dir = join(devRoot, 'serial', 'by-id');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const target = resolve(dir, readlinkSync(join(dir, n)));
      out.set(basename(target), join('/dev/serial/by-id', n));
    } catch {
      /* a dangling link: the device just went */
    }
  }
  return out;
}

/** Serial devices from sysfs: every tty whose device sits below a USB device. */
export function listFromSysfs(sysRoot = '/sys', devRoot = '/dev'): SerialDevice[] {
  const classDir = join(sysRoot, 'class', 'tty');
  const links = byIdLinks(devRoot);
  const out: SerialDevice[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(classDir);
  } catch {
    return out;
  }
  const top = realpathSync(sysRoot);
  for (const name of names.sort()) {
    let dir: string;
    try {
      dir = realpathSync(join(classDir, name, 'device'));
    } catch {
      continue; // virtual terminals and PTYs have no device
    }
    // Up from the interface (ACM) or port (usb-serial) to the USB device, which has idVendor.
    while (dir.startsWith(top) && dir !== top && !existsSync(join(dir, 'idVendor'))) dir = dirname(dir);
    if (!existsSync(join(dir, 'idVendor'))) continue;
    const dev: SerialDevice = {
      path: join('/dev', name),
      vendorId: readAttr(dir, 'idVendor'),
      productId: readAttr(dir, 'idProduct'),
      serialNumber: readAttr(dir, 'serial'),
      manufacturer: readAttr(dir, 'manufacturer'),
      product: readAttr(dir, 'product'),
    };
    const link = links.get(name);
    if (link) dev.byId = link;
    out.push(dev);
  }
  return out;
}

export async function discover(opts: DiscoveryOptions = {}): Promise<Discovery> {
  const notes: string[] = [];
  const list = opts.list === undefined ? () => SerialPort.list() : opts.list;
  if (list) {
    try {
      const ports = await list();
      const links = byIdLinks(opts.devRoot ?? '/dev');
      const devices = ports
        .filter((p) => p.vendorId !== undefined || p.serialNumber !== undefined)
        .map((p) => {
          const d: SerialDevice = { path: p.path, vendorId: p.vendorId, productId: p.productId, serialNumber: p.serialNumber, manufacturer: p.manufacturer };
          const link = links.get(basename(p.path));
          if (link) d.byId = link;
          return d;
        });
      // An empty list is no proof (udevadm in a container may see no USB device): sysfs gets a look.
      if (devices.length > 0) {
        notes.push('listed by SerialPort.list()');
        return { devices, notes };
      }
      notes.push('SerialPort.list() found no USB serial device; read sysfs and /dev/serial/by-id as well');
    } catch (e) {
      notes.push(`SerialPort.list() failed (${(e as Error).message}); read sysfs and /dev/serial/by-id instead`);
    }
  }
  notes.push(`listed from ${join(opts.sysRoot ?? '/sys', 'class/tty')}`);
  return { devices: listFromSysfs(opts.sysRoot, opts.devRoot), notes };
}

export type MatchState = 'present' | 'missing' | 'duplicate' | 'process';

export interface BoardMatch {
  board: LabBoard;
  state: MatchState;
  /** The device the harness opens (present), or the candidates (duplicate). */
  devices: SerialDevice[];
  /** What we looked for, in words. */
  wanted: string;
}

export interface Matching {
  boards: BoardMatch[];
  /** Attached devices no board of the rig names. */
  unknown: SerialDevice[];
}

/** The device each board was last matched to, so its lock can be keyed on what discovery found. */
const matchedDevice = new WeakMap<LabBoard, SerialDevice>();

/** The device discovery last matched to this board (present boards only). */
export function discoveredDevice(board: LabBoard): SerialDevice | undefined {
  return matchedDevice.get(board);
}

export function matchBoards(boards: LabBoard[], devices: SerialDevice[]): Matching {
  const used = new Set<SerialDevice>();
  const out: BoardMatch[] = boards.map((board) => {
    const p = board.port;
    if (p.kind === 'process') return { board, state: 'process', devices: [], wanted: `process ${p.command.join(' ')}` };
    const hits =
      p.kind === 'usb-serial'
        ? devices.filter((d) => d.serialNumber?.toLowerCase() === p.serial.toLowerCase())
        : p.kind === 'by-id'
          ? devices.filter((d) => d.byId === p.path)
          : devices.filter((d) => d.path === p.path);
    const wanted = p.kind === 'usb-serial' ? `USB serial ${p.serial}` : p.path;
    // A DAPLink shows one tty per serial number; two mean two probes claim one number.
    for (const d of hits) used.add(d);
    const state: MatchState = hits.length === 0 ? 'missing' : hits.length > 1 ? 'duplicate' : 'present';
    if (state === 'present') matchedDevice.set(board, hits[0]!);
    else matchedDevice.delete(board);
    return { board, state, devices: hits, wanted };
  });
  return { boards: out, unknown: devices.filter((d) => !used.has(d)) };
}

/** DAPLink's vendor id (mbed-os-tools detect), for a hint in listings. */
export const DAPLINK_VID = '0d28';

/** The device node to open for a present board: its by-id link when it has one (stable across replugs). */
export function openPath(m: BoardMatch): string | undefined {
  const d = m.state === 'present' ? m.devices[0] : undefined;
  return d ? (d.byId ?? d.path) : undefined;
}

/**
 * Discovery roots from the environment: MESHBENCH_SYSFS_ROOT and
 * MESHBENCH_DEV_ROOT point discovery at another sysfs and /dev tree (a
 * container that mounts the host's elsewhere, or the tests' fake tree);
 * SerialPort.list() is skipped then, since it reads the real one.
 */
export function discoveryFromEnv(env: Record<string, string | undefined> = process.env): DiscoveryOptions {
  const sysRoot = env.MESHBENCH_SYSFS_ROOT;
  const devRoot = env.MESHBENCH_DEV_ROOT;
  if (!sysRoot && !devRoot) return {};
  return { sysRoot, devRoot, list: null };
}

/**
 * The file to open for a device node discovery names (`/dev/ttyACM0`, a
 * `/dev/serial/by-id/...` link): the same path, or under `devRoot` when
 * discovery reads another /dev tree (MESHBENCH_DEV_ROOT).
 */
export function hostPath(path: string, devRoot: string | undefined): string {
  return devRoot && path.startsWith('/dev/') ? join(devRoot, path.slice('/dev/'.length)) : path;
}

/**
 * Where a USB board is now: discovery run again, the board found by its USB
 * serial number when it has one (the rig's match; a board that re-enumerates
 * can come back as another /dev/ttyACMn, and its old node can name another
 * board), else as the rig names it. Undefined while it is not attached (or
 * attached twice).
 */
export async function locateBoard(board: LabBoard, serial: string | undefined, opts: DiscoveryOptions = {}): Promise<string | undefined> {
  const { devices } = await discover(opts);
  const hits = serial !== undefined ? devices.filter((d) => d.serialNumber?.toLowerCase() === serial.toLowerCase()) : matchBoards([board], devices).boards[0]!.devices;
  const d = hits.length === 1 ? hits[0]! : undefined;
  return d ? hostPath(d.byId ?? d.path, opts.devRoot) : undefined;
}
