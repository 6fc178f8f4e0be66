// What a lab user types and copies: the `--radio` words a rig's process board and the
// doctor's probe read from its command, the by-id lookup of `usb:SERIAL`, and every
// `meshbench board` command docs/rcp.md and rigs/lab-rcp.example.yaml show (they must
// parse as printed: an option renamed in the code and not in the docs fails here);
// `meshbench boards` naming the dongle of each such board.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { boards } from '../../../harness/cli/commands/boards.ts';
import { doctor } from '../../../harness/lab/doctor.ts';
import { baudOf, radioWordsOf } from '../../../harness/host/launcher.ts';
import { devicePath, findUsbSerial } from '../../../host/rcp/byte-link.ts';
import { HOST_RCP_API_VERSION, rcpApiProblem } from '../../../host/rcp/rcp-radio.ts';
import { parseHostArgs } from '../../../host/main.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('a process board running `meshbench board`: its radio words and baud rate', () => {
  it('reads --radio words (all of them after spawn:) and --baud of a serial radio only', () => {
    expect(radioWordsOf(['meshbench', 'board', '--id', 'b', '--radio', 'usb:E1A2B3C4D5E6', '--baud', '1000000'])).to.deep.equal(['usb:E1A2B3C4D5E6']);
    expect(baudOf(['meshbench', 'board', '--id', 'b', '--radio', 'usb:E1A2B3C4D5E6', '--baud', '1000000'])).to.equal('1000000');
    expect(baudOf(['/usr/bin/node', '/x/bin/meshbench.js', 'board', '--baud', '460800', '--radio', '/dev/ttyACM0'])).to.equal('460800');
    expect(baudOf(['meshbench', 'board', '--radio', '/dev/ttyACM0'])).to.equal(undefined);
    // After spawn:CMD every word is the command's: a --baud there is not the board's.
    expect(radioWordsOf(['meshbench', 'board', '--radio', 'spawn:ot-rcp', '--baud', '9', '2'])).to.deep.equal(['spawn:ot-rcp', '--baud', '9', '2']);
    expect(baudOf(['meshbench', 'board', '--radio', 'spawn:ot-rcp', '--baud', '9', '2'])).to.equal(undefined);
    expect(radioWordsOf(['ot-cli-ftd', 'board', '--radio', 'x'])).to.equal(undefined);
  });
});

describe('usb:SERIAL: the by-id link udev makes for the dongle', () => {
  let dev: string;
  beforeEach(() => {
    dev = mkdtempSync(join(tmpdir(), 'mb-rcp-dev-'));
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    writeFileSync(join(dev, 'ttyACM3'), '');
    writeFileSync(join(dev, 'ttyACM4'), '');
  });
  afterEach(() => rmSync(dev, { recursive: true, force: true }));

  it('finds its first interface in either case, and says what is missing', () => {
    const byId = join(dev, 'serial', 'by-id');
    // A J-Link OB of a DK shows two interfaces under one serial number; the first is its UART.
    symlinkSync('../../ttyACM4', join(byId, 'usb-SEGGER_J-Link_001050012345-if02'));
    symlinkSync('../../ttyACM3', join(byId, 'usb-SEGGER_J-Link_001050012345-if00'));
    symlinkSync('../../ttyACM9', join(byId, 'usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_E1A2B3C4D5E6-if00'));
    expect(findUsbSerial('001050012345', dev)).to.equal(join(dev, 'ttyACM3'));
    expect(() => findUsbSerial('e1a2b3c4d5e6', dev)).to.throw(/points at no device \(it was just unplugged\?\)$/);
    expect(() => findUsbSerial('C0FFEE012345', dev)).to.throw(`no USB serial device with serial number C0FFEE012345 under ${byId}`);
    // A serial number is no part of another one.
    expect(() => findUsbSerial('50012345', dev)).to.throw(/no USB serial device with serial number 50012345/);
    expect(() => findUsbSerial('x', join(dev, 'nowhere'), join(dev, 'nosys'))).to.throw(`no USB serial device with serial number x (no ${join(dev, 'nowhere', 'serial/by-id')}, nor in ${join(dev, 'nosys', 'class/tty')})`);
  });

  it('without udev\'s by-id links (a container), finds the tty of that serial number in sysfs, as discovery does', () => {
    const sys = join(dev, 'sys');
    const usb = join(sys, 'devices/pci0000:00/0000:00:14.0/usb1/1-2');
    mkdirSync(join(usb, '1-2:1.0'), { recursive: true });
    for (const [k, v] of Object.entries({ idVendor: '1915', idProduct: 'cafe', serial: 'E1A2B3C4D5E6' })) writeFileSync(join(usb, k), `${v}\n`);
    mkdirSync(join(sys, 'class/tty/ttyACM5'), { recursive: true });
    symlinkSync(join(usb, '1-2:1.0'), join(sys, 'class/tty/ttyACM5/device'));
    // A serial port on the board, not on USB: no idVendor above it, so no `serial` of its ancestors counts.
    mkdirSync(join(sys, 'devices/platform/serial8250/tty/ttyS0'), { recursive: true });
    writeFileSync(join(sys, 'devices/serial'), 'D00D00D00D00\n');
    mkdirSync(join(sys, 'class/tty/ttyS0'), { recursive: true });
    symlinkSync(join(sys, 'devices/platform/serial8250/tty/ttyS0'), join(sys, 'class/tty/ttyS0/device'));
    rmSync(join(dev, 'serial'), { recursive: true });
    expect(findUsbSerial('e1a2b3c4d5e6', dev, sys)).to.equal(join(dev, 'ttyACM5'));
    expect(() => findUsbSerial('C0FFEE012345', dev, sys)).to.throw(/^no USB serial device with serial number C0FFEE012345 \(no /);
    expect(() => findUsbSerial('D00D00D00D00', dev, sys)).to.throw(/^no USB serial device with serial number D00D00D00D00 /);
  });

  it('maps a /dev path into the /dev tree discovery reads (MESHBENCH_DEV_ROOT), and leaves others', () => {
    expect(devicePath('/dev/ttyACM0', dev)).to.equal(join(dev, 'ttyACM0'));
    expect(devicePath('/dev/ttyACM0', undefined)).to.equal('/dev/ttyACM0');
    expect(devicePath('/tmp/pty', dev)).to.equal('/tmp/pty');
  });
});

describe('the `meshbench board` commands docs/rcp.md and rigs/lab-rcp.example.yaml show', () => {
  /** The words after `meshbench board` of every such line in the doc's sh blocks. */
  function docCommands(): string[][] {
    const doc = readFileSync(join(ROOT, 'docs', 'rcp.md'), 'utf8');
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    return blocks
      .flatMap((b) => b.split('\n'))
      .map((l) => /(?:^|\s)(?:npx )?meshbench board (.*?)(?:\s*>\s*\S+)?$/.exec(l.replace(/#.*$/, '').trim())?.[1])
      .filter((rest): rest is string => rest !== undefined)
      .map((rest) => rest.replace(/<serial>/g, 'E1A2B3C4D5E6').split(/\s+/));
  }

  it('every one in the doc parses as printed (usb:, a device, spawn:, --probe, --sniff)', () => {
    const cmds = docCommands();
    const kinds = cmds.map((argv) => {
      const a = parseHostArgs(argv);
      return `${a.radio.kind}/${a.mode.kind}`;
    });
    expect(new Set(kinds)).to.deep.equal(new Set(['usb-serial/board', 'serial/board', 'spawn/board', 'usb-serial/probe', 'usb-serial/sniff']));
  });

  it('the example rig\'s process boards run one that parses, on a dongle\'s 12-hex-digit serial number or its by-id link', () => {
    const rig = YAML.parse(readFileSync(join(ROOT, 'rigs', 'lab-rcp.example.yaml'), 'utf8')) as { boards: Array<{ id: string; port: { kind: string; command?: string[] } }> };
    const ours = rig.boards.filter((b) => b.port.kind === 'process');
    expect(ours.map((b) => b.id)).to.deep.equal(['ours1', 'ours2']);
    for (const b of ours) {
      const argv = b.port.command!;
      expect(argv.slice(0, 2)).to.deep.equal(['meshbench', 'board']);
      const radio = parseHostArgs(argv.slice(2).map((w) => w.replace('{board}', b.id))).radio;
      // ot-nrf528xx's USB serial number: 12 hex digits (Nordic's app_usbd_serial_num.c, FICR.DEVICEADDR).
      if (radio.kind === 'usb-serial') expect(radio.serial).to.match(/^[0-9A-F]{12}$/);
      else expect(radio.kind === 'serial' && radio.path).to.match(/^\/dev\/serial\/by-id\/usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_[0-9A-F]{12}-if00$/);
    }
  });
});

describe('`meshbench boards --rig`: the dongles of our RCP boards', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** sysfs and /dev as Linux lays them out for ot-nrf528xx dongles (cdc_acm; 1915:cafe, 12 hex digits of serial number). */
  function dongles(serials: string[]): { sysRoot: string; devRoot: string } {
    const sysRoot = join(root, 'sys');
    const devRoot = join(root, 'dev');
    mkdirSync(join(devRoot, 'serial', 'by-id'), { recursive: true });
    serials.forEach((serial, i) => {
      const usb = join(sysRoot, `devices/pci0000:00/0000:00:14.0/usb1/1-${i + 1}`);
      mkdirSync(join(usb, `1-${i + 1}:1.0`), { recursive: true });
      for (const [k, v] of Object.entries({ idVendor: '1915', idProduct: 'cafe', serial, manufacturer: 'Nordic Semiconductor', product: 'nRF528xx OpenThread Device' })) writeFileSync(join(usb, k), `${v}\n`);
      mkdirSync(join(sysRoot, `class/tty/ttyACM${i}`), { recursive: true });
      symlinkSync(join(usb, `1-${i + 1}:1.0`), join(sysRoot, `class/tty/ttyACM${i}/device`));
      symlinkSync(`../../ttyACM${i}`, join(devRoot, 'serial', 'by-id', `usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_${serial}-if00`));
    });
    return { sysRoot, devRoot };
  }

  it('a board on an attached dongle is there, one whose dongle is not is missing (exit 3), and its dongle is no unknown device', async () => {
    root = mkdtempSync(join(tmpdir(), 'mb-rcp-boards-'));
    const tree = dongles(['E1A2B3C4D5E6', 'D00D00D00D00']);
    const rig = join(root, 'rig.yaml');
    const board = (id: string, radio: string) => `  - { id: ${id}, stack: thread, roles: [router], firmware: meshbench-agent, port: { kind: process, command: [meshbench, board, --id, "{board}", --radio, "${radio}"] } }`;
    writeFileSync(rig, ['name: rcp-boards', 'kind: lab', `networks: { thread: ${JSON.stringify(join(ROOT, 'fixtures/networks/thread-default.json'))} }`, `lockDir: ${JSON.stringify(join(root, 'locks'))}`, 'boards:', board('ours1', 'usb:e1a2b3c4d5e6'), board('ours2', 'usb:F1E2D3C4B5A6'), board('ours3', '/dev/serial/by-id/usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_D00D00D00D00-if00'), ''].join('\n'));
    const lines: string[] = [];
    const code = await boards({ rig, identify: false, list: null, ...tree }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).to.include('  ours1: host process, its RCP at /dev/serial/by-id/usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_E1A2B3C4D5E6-if00');
    expect(text).to.include('  ours2: host process, its RCP (usb:F1E2D3C4B5A6) is not attached');
    expect(text).to.include('  ours3: host process, its RCP at /dev/serial/by-id/usb-Nordic_Semiconductor_nRF528xx_OpenThread_Device_D00D00D00D00-if00');
    expect(text).to.not.include('unknown:');
    expect(code).to.equal(3);
  });
});

describe('doctor: the sniffer\'s channel against the rig\'s networks', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('warns of a sniffer on another channel than the network (thread-default.json: 22), not of one on it', async () => {
    root = mkdtempSync(join(tmpdir(), 'mb-rcp-sniffch-'));
    const rig = join(root, 'rig.yaml');
    const write = (channel: number) =>
      writeFileSync(
        rig,
        [
          'name: sniffed',
          'kind: lab',
          `networks: { thread: ${JSON.stringify(join(ROOT, 'fixtures/networks/thread-default.json'))} }`,
          `lockDir: ${JSON.stringify(join(root, 'locks'))}`,
          'boards:',
          '  - { id: ours1, stack: thread, roles: [router], firmware: meshbench-agent, port: { kind: process, command: [meshbench, board, --radio, "usb:E1A2B3C4D5E6"] } }',
          `sniffer: { radio: ["usb:F00DF00DF00D"], channel: ${channel} }`,
          '',
        ].join('\n'),
      );
    write(15);
    const off = await doctor(rig, { noProbe: true, list: null, sysRoot: join(root, 'sys'), devRoot: join(root, 'dev') });
    expect(off.warnings).to.include('sniffer: channel 15, but networks.thread on 22: its captures will hold none of their frames; set sniffer.channel');
    write(22);
    const on = await doctor(rig, { noProbe: true, list: null, sysRoot: join(root, 'sys'), devRoot: join(root, 'dev') });
    expect(on.warnings.filter((w) => w.startsWith('sniffer:'))).to.deep.equal([]);
  });
});

describe('the RCP API versions (OpenThread RadioSpinel::CheckRcpApiVersion)', () => {
  it('refuses an RCP that needs a newer host than this one; takes one that serves ours, or says nothing', () => {
    expect(HOST_RCP_API_VERSION).to.equal(11);
    expect(rcpApiProblem({ rcpApiVersion: 11, rcpMinHostApiVersion: 4 })).to.equal(undefined);
    expect(rcpApiProblem({ rcpApiVersion: 13, rcpMinHostApiVersion: 11 })).to.equal(undefined);
    expect(rcpApiProblem({})).to.equal(undefined);
    expect(rcpApiProblem({ rcpApiVersion: 14, rcpMinHostApiVersion: 12 })).to.match(/^the RCP's firmware needs a host of RCP API version 12 or later; this host speaks 11: /);
  });
});
