// The byte stream to an RCP: a child process speaking Spinel on its stdio
// (OpenThread's simulation ot-rcp) or a serial port (an nRF52840 dongle on USB).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SerialPort } from 'serialport';

export interface ByteLink {
  readonly description: string;
  write(bytes: Uint8Array): void;
  onData(fn: (bytes: Uint8Array) => void): void;
  /** The link ended (process exit, port closed); `why` for the log. */
  onClose(fn: (why: string) => void): void;
  close(): Promise<void>;
}

export type RadioSpec = { kind: 'spawn'; command: string[] } | { kind: 'serial'; path: string; baudRate: number } | { kind: 'usb-serial'; serial: string; baudRate: number };

/** The RCP's default UART rate (OpenThread's nRF528xx ot-rcp: 115200 8N1; docs/rcp.md). */
export const DEFAULT_BAUD = 115200;

/**
 * `spawn:CMD ARG...` (a child speaking Spinel on stdio), a device path (`/dev/ttyACM0`,
 * `/dev/serial/by-id/...`), or `usb:SERIAL` (the USB serial number, found under
 * /dev/serial/by-id as the lab's boards are). `extra` are the words after `spawn:CMD`.
 */
export function parseRadioSpec(text: string, extra: string[] = [], baudRate = DEFAULT_BAUD): RadioSpec {
  if (text.startsWith('spawn:')) {
    const cmd = text.slice('spawn:'.length);
    if (!cmd) throw new Error('--radio spawn: needs a command, e.g. spawn:ot-rcp 2');
    return { kind: 'spawn', command: [cmd, ...extra] };
  }
  if (extra.length) throw new Error(`unexpected arguments after --radio ${text}: ${extra.join(' ')}`);
  if (text.startsWith('usb:')) {
    const serial = text.slice(4);
    if (!/^[A-Za-z0-9._-]{4,}$/.test(serial)) throw new Error(`--radio usb:${serial}: a USB serial number is 4 or more letters, digits, '.', '_' or '-'`);
    return { kind: 'usb-serial', serial, baudRate };
  }
  if (text.startsWith('/')) return { kind: 'serial', path: text, baudRate };
  throw new Error(`--radio ${text}: expected a serial device path, usb:SERIAL or spawn:COMMAND`);
}

/** The radio as a user wrote it: `usb:SERIAL`, the device path, or the command. */
export function describeRadio(spec: RadioSpec): string {
  if (spec.kind === 'spawn') return `process ${spec.command.join(' ')}`;
  return spec.kind === 'serial' ? `serial ${spec.path}` : `usb:${spec.serial}`;
}

/**
 * The device of the USB serial number `serial` (either case, as the harness's discovery matches
 * it): the /dev/serial/by-id link udev names usb-<vendor>_<product>_<serial>-if<NN>, its first
 * interface; where there is none (a container without udev), the tty whose USB device in sysfs
 * has that `serial`, as discovery reads it. Under MESHBENCH_DEV_ROOT and MESHBENCH_SYSFS_ROOT
 * when set, the trees the harness's discovery reads.
 */
export function findUsbSerial(serial: string, devRoot = process.env.MESHBENCH_DEV_ROOT ?? '/dev', sysRoot = process.env.MESHBENCH_SYSFS_ROOT ?? '/sys'): string {
  const dir = join(devRoot, 'serial/by-id');
  let names: string[] | undefined;
  try {
    names = readdirSync(dir);
  } catch {
    names = undefined;
  }
  const wanted = `_${serial.toLowerCase()}-if`;
  const hits = (names ?? []).filter((n) => n.toLowerCase().includes(wanted)).sort();
  if (hits.length > 0) {
    try {
      return realpathSync(join(dir, hits[0]!));
    } catch {
      throw new Error(`${join(dir, hits[0]!)} points at no device (it was just unplugged?)`);
    }
  }
  const tty = ttyOfUsbSerial(serial, sysRoot);
  if (tty) return join(devRoot, tty);
  throw new Error(names ? `no USB serial device with serial number ${serial} under ${dir}` : `no USB serial device with serial number ${serial} (no ${dir}, nor in ${join(sysRoot, 'class/tty')})`);
}

/** The tty (ttyACM0) whose USB device (the first directory above it with idVendor) has serial number `serial`. */
function ttyOfUsbSerial(serial: string, sysRoot: string): string | undefined {
  const classDir = join(sysRoot, 'class/tty');
  let names: string[];
  try {
    names = readdirSync(classDir).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    let at: string;
    try {
      at = realpathSync(join(classDir, name, 'device'));
    } catch {
      continue; // a virtual terminal or PTY has no device
    }
    for (let up = 0; up < 4 && !existsSync(join(at, 'idVendor')); up++) at = dirname(at);
    if (!existsSync(join(at, 'idVendor'))) continue; // not a USB device
    try {
      if (readFileSync(join(at, 'serial'), 'utf8').trim().toLowerCase() === serial.toLowerCase()) return name;
    } catch {
      /* no serial number: not this one */
    }
  }
  return undefined;
}

/** A device path (`/dev/…`) in the /dev tree of MESHBENCH_DEV_ROOT when set, as the harness's discovery maps it. */
export function devicePath(path: string, devRoot = process.env.MESHBENCH_DEV_ROOT): string {
  return devRoot && path.startsWith('/dev/') ? join(devRoot, path.slice('/dev/'.length)) : path;
}

export function openByteLink(spec: RadioSpec, opts: { cwd?: string; env?: Record<string, string>; onStderr?: (text: string) => void } = {}): Promise<ByteLink> {
  if (spec.kind === 'spawn') return Promise.resolve(new ProcessLink(spec.command, opts));
  const path = spec.kind === 'serial' ? devicePath(spec.path) : findUsbSerial(spec.serial);
  return SerialLink.open(path, spec.baudRate);
}

class ProcessLink implements ByteLink {
  private readonly child: ChildProcess;
  private readonly closeFns: Array<(why: string) => void> = [];
  private readonly exited: Promise<void>;
  readonly description: string;

  constructor(command: string[], opts: { cwd?: string; env?: Record<string, string>; onStderr?: (text: string) => void }) {
    const [file, ...args] = command;
    this.description = `process ${command.join(' ')}`;
    this.child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    this.child.stderr!.on('data', (d: Buffer) => opts.onStderr?.(d.toString()));
    this.exited = new Promise((r) => this.child.once('close', () => r()));
    this.child.once('error', (e) => this.closeFns.forEach((f) => f(`cannot start ${file}: ${e.message}`)));
    this.child.once('exit', (code, signal) => this.closeFns.forEach((f) => f(`${file} exited (${signal ?? `code ${code}`})`)));
    // A write to a child that died is reported by 'exit'; the pipe's own EPIPE is not news.
    this.child.stdin!.on('error', () => {});
  }
  write(bytes: Uint8Array): void {
    if (this.child.stdin!.writable) this.child.stdin!.write(bytes);
  }
  onData(fn: (bytes: Uint8Array) => void): void {
    this.child.stdout!.on('data', (d: Buffer) => fn(new Uint8Array(d)));
  }
  onClose(fn: (why: string) => void): void {
    this.closeFns.push(fn);
  }
  async close(): Promise<void> {
    this.closeFns.length = 0;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}

class SerialLink implements ByteLink {
  private readonly closeFns: Array<(why: string) => void> = [];
  private constructor(
    private readonly port: SerialPort,
    readonly description: string,
  ) {
    port.on('close', () => this.closeFns.forEach((f) => f(`${description} closed`)));
  }

  static async open(path: string, baudRate: number): Promise<ByteLink> {
    // Loaded here, not at the top: a board on a simulated RCP (spawn:) never needs it, and it is a
    // native binding that took 120-180 ms of every such board's start (measured), at every reset.
    const { SerialPort } = await import('serialport');
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      port.open((e) => {
        if (!e) return resolve(new SerialLink(port, `serial ${path} at ${baudRate} baud`));
        // serialport's message names the path already ("No such file or directory, cannot open /dev/…").
        const why = e.message.replace(/^Error:? /, '');
        // It locks a port it opens (flock): another process has this one, a board or sniffer of a run.
        if (/cannot lock port/i.test(why)) return reject(new Error(`${path} is in use by another process (a board or sniffer of a run?): ${why}`));
        reject(new Error(why.includes(path) ? why : `cannot open ${path}: ${why}`));
      });
    });
  }
  write(bytes: Uint8Array): void {
    this.port.write(Buffer.from(bytes));
  }
  onData(fn: (bytes: Uint8Array) => void): void {
    this.port.on('data', (d: Buffer) => fn(new Uint8Array(d)));
  }
  onClose(fn: (why: string) => void): void {
    this.closeFns.push(fn);
  }
  close(): Promise<void> {
    this.closeFns.length = 0;
    return new Promise((r) => (this.port.isOpen ? this.port.close(() => r()) : r()));
  }
}
