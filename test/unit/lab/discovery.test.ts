import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, listFromSysfs, matchBoards } from '../../../harness/lab/discovery.ts';
import { parseLabRig } from '../../../harness/lab/rig-file.ts';

// A sysfs tree as a Linux 6.x kernel lays it out for a DAPLink (cdc_acm, interface 1.1)
// and an FTDI cable (ftdi_sio: the tty hangs below a port dir below the interface).
function fakeTree(root: string): { sys: string; dev: string } {
  const sys = join(root, 'sys');
  const dev = join(root, 'dev');
  const usb = (path: string, attrs: Record<string, string>) => {
    mkdirSync(join(sys, path), { recursive: true });
    for (const [k, v] of Object.entries(attrs)) writeFileSync(join(sys, path, k), v + '\n');
  };
  usb('devices/pci0000:00/0000:00:14.0/usb1/1-1', { idVendor: '0d28', idProduct: '0204', serial: '0240000034544e45001e0010', manufacturer: 'ARM', product: 'DAPLink CMSIS-DAP' });
  usb('devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.1', { bInterfaceClass: '02' });
  usb('devices/pci0000:00/0000:00:14.0/usb1/1-2', { idVendor: '0403', idProduct: '6001', serial: 'A10KZ3', manufacturer: 'FTDI', product: 'FT232R USB UART' });
  usb('devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/ttyUSB0', {});
  usb('devices/pci0000:00/0000:00:14.0/usb1/1-3', { idVendor: '0d28', idProduct: '0204', serial: '0240000034544e45002a0011', manufacturer: 'ARM', product: 'DAPLink CMSIS-DAP' });
  usb('devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.1', {});
  usb('devices/virtual/tty/tty0', {});
  const cls = join(sys, 'class', 'tty');
  for (const [name, target] of [
    ['ttyACM0', '1-1/1-1:1.1'],
    ['ttyUSB0', '1-2/1-2:1.0/ttyUSB0'],
    ['ttyACM1', '1-3/1-3:1.1'],
  ] as const) {
    mkdirSync(join(cls, name), { recursive: true });
    symlinkSync(join(sys, 'devices/pci0000:00/0000:00:14.0/usb1', target), join(cls, name, 'device'));
  }
  mkdirSync(join(cls, 'tty0'), { recursive: true }); // no device link: skipped
  mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
  symlinkSync('../../ttyACM0', join(dev, 'serial/by-id/usb-ARM_DAPLink_CMSIS-DAP_0240000034544e45001e0010-if01'));
  return { sys, dev };
}

const rig = (boards: unknown[]) => parseLabRig('lab.yaml', { name: 'l', kind: 'lab', networks: { nd: 'nd.json' }, boards }).rig;
const b = (id: string, port: unknown) => ({ id, stack: 'nd', roles: ['router'], firmware: 'meshbench-agent', port });

describe('discovery', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'mb-disc-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads path, vid/pid, serial number and manufacturer from sysfs, and the by-id link', () => {
    const { sys, dev } = fakeTree(root);
    const devices = listFromSysfs(sys, dev);
    expect(devices).to.deep.equal([
      { path: '/dev/ttyACM0', vendorId: '0d28', productId: '0204', serialNumber: '0240000034544e45001e0010', manufacturer: 'ARM', product: 'DAPLink CMSIS-DAP', byId: '/dev/serial/by-id/usb-ARM_DAPLink_CMSIS-DAP_0240000034544e45001e0010-if01' },
      { path: '/dev/ttyACM1', vendorId: '0d28', productId: '0204', serialNumber: '0240000034544e45002a0011', manufacturer: 'ARM', product: 'DAPLink CMSIS-DAP' },
      { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', serialNumber: 'A10KZ3', manufacturer: 'FTDI', product: 'FT232R USB UART' },
    ]);
  });

  it('falls back to sysfs when SerialPort.list() throws (no udevadm), and says so', async () => {
    const { sys, dev } = fakeTree(root);
    const d = await discover({ sysRoot: sys, devRoot: dev, list: () => Promise.reject(new Error('spawn udevadm ENOENT')) });
    expect(d.devices).to.have.length(3);
    expect(d.notes[0]).to.match(/SerialPort\.list\(\) failed \(spawn udevadm ENOENT\); read sysfs/);
  });

  it('looks in sysfs too when SerialPort.list() finds no USB serial device', async () => {
    const { sys, dev } = fakeTree(root);
    const d = await discover({ sysRoot: sys, devRoot: dev, list: () => Promise.resolve([{ path: '/dev/ttyS0' }]) });
    expect(d.devices).to.have.length(3);
    expect(d.notes[0]).to.match(/found no USB serial device; read sysfs/);
  });

  it('uses SerialPort.list() where it works, adding the by-id link', async () => {
    const { sys, dev } = fakeTree(root);
    const d = await discover({ sysRoot: sys, devRoot: dev, list: () => Promise.resolve([{ path: '/dev/ttyACM0', vendorId: '0d28', productId: '0204', serialNumber: '0240000034544e45001e0010', manufacturer: 'ARM' }, { path: '/dev/ttyS0' }]) });
    expect(d.devices.map((x) => [x.path, x.byId])).to.deep.equal([['/dev/ttyACM0', '/dev/serial/by-id/usb-ARM_DAPLink_CMSIS-DAP_0240000034544e45001e0010-if01']]);
  });

  it('matches the rig: present, missing, duplicate, unknown', () => {
    const { sys, dev } = fakeTree(root);
    const devices = listFromSysfs(sys, dev);
    devices.push({ ...devices[1]!, path: '/dev/ttyACM7' }); // a second probe with the same serial number
    const m = matchBoards(
      rig([
        b('br', { kind: 'usb-serial', serial: '0240000034544E45001E0010' }),
        b('r1', { kind: 'usb-serial', serial: '0240000034544e45002a0011' }),
        b('r2', { kind: 'by-id', path: '/dev/serial/by-id/usb-SEGGER_J-Link_000683000000-if00' }),
        b('r3', { kind: 'tty', path: '/dev/ttyUSB0' }),
        b('p', { kind: 'process', command: ['ot-cli-ftd', '1'] }),
      ]).boards,
      devices,
    );
    expect(m.boards.map((x) => [x.board.id, x.state, x.devices.map((d) => d.path)])).to.deep.equal([
      ['br', 'present', ['/dev/ttyACM0']],
      ['r1', 'duplicate', ['/dev/ttyACM1', '/dev/ttyACM7']],
      ['r2', 'missing', []],
      ['r3', 'present', ['/dev/ttyUSB0']],
      ['p', 'process', []],
    ]);
    expect(m.unknown).to.deep.equal([]);
    const m2 = matchBoards(rig([b('br', { kind: 'usb-serial', serial: '0240000034544e45001e0010' })]).boards, devices);
    expect(m2.unknown.map((d) => d.path)).to.deep.equal(['/dev/ttyACM1', '/dev/ttyUSB0', '/dev/ttyACM7']);
  });
});
