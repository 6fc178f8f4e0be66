import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FakeTransport } from '../../../harness/board/transport.ts';
import type { InfraError } from '../../../harness/lab/errors.ts';
import { expectBoot, flash, type CopyIo, type FlashTarget } from '../../../harness/lab/flash.ts';
import { BoardLink } from '../../../harness/lab/probe.ts';
import { parseLabRig } from '../../../harness/lab/rig-file.ts';
import type { LabBoard } from '../../../harness/rig/lab.ts';

const FAKES = join(import.meta.dirname, '../../../fixtures/fake-tools');
const SERIAL = '0240000034544e45001e0010';

/** A board whose firmware is whatever the fake flasher last wrote: it answers identify only if that image "boots". */
function fakeBoard(stateDir: string): FakeTransport {
  const t = new FakeTransport('/dev/serial/by-id/fake');
  t.onWrite = (text) => {
    const m = /^MB> (\d+) identify/.exec(text);
    const file = join(stateDir, `${SERIAL}.image`);
    if (!m || !existsSync(file)) return;
    const v = /version=(\S+)/.exec(readFileSync(file, 'latin1'));
    if (v) t.emitData(`MB< ${m[1]} ok t=100 firmware=meshbench-agent version=${v[1]} protocol=1 board=x eui64=0011223344556677 stacks=nd\n`);
  };
  return t;
}

function labBoard(extra: Record<string, unknown>): LabBoard {
  const b = { id: 'r1', stack: 'nd', roles: ['router'], firmware: 'meshbench-agent', port: { kind: 'usb-serial', serial: SERIAL }, ...extra };
  return parseLabRig('x.yaml', { name: 'x', kind: 'lab', networks: { nd: 'n.json' }, boards: [b] }).rig.boards[0]!;
}

async function infra(p: Promise<unknown>): Promise<InfraError> {
  try {
    await p;
  } catch (e) {
    return e as InfraError;
  }
  throw new Error('expected an infrastructure error');
}

describe('flashing', function () {
  this.timeout(15_000);
  let dir: string;
  let state: string;
  let image: string;
  let env: Record<string, string>;
  const drives: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mb-flash-'));
    state = mkdtempSync(join(tmpdir(), 'mb-board-'));
    image = join(dir, 'agent.bin');
    writeFileSync(image, 'FIRMWARE version=1.2.3 \x00\x01\x02');
    env = { PATH: `${FAKES}:${process.env.PATH}`, FAKE_BOARD_STATE_DIR: state, FAKE_TOOLS_LOG: join(dir, 'tools.log') };
  });
  afterEach(() => {
    for (const d of drives.splice(0)) d.kill();
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });
  const target = (board: LabBoard): FlashTarget => ({ board, image, serial: SERIAL, port: '/dev/ttyACM0', env });
  const toolLog = () => readFileSync(join(dir, 'tools.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);

  it('pyocd: flash -t <target> -u <usb serial> <image>, then the board boots with the expected version', async () => {
    const board = labBoard({ flasher: { kind: 'pyocd', target: 'k64f' }, version: '1.2.3' });
    const r = await flash(target(board));
    expect(r.output).to.match(/programmed \d+ bytes/);
    expect(toolLog()).to.deep.equal([['pyocd', 'flash', '-t', 'k64f', '-u', SERIAL, image]]);
    const link = new BoardLink(fakeBoard(state), 'meshbench-agent');
    await link.transport.open();
    expect(await expectBoot(board, link, 1000, 'flashed')).to.deep.equal({ firmware: 'meshbench-agent', version: '1.2.3' });
  });

  it('pyocd exits non-zero: an infrastructure error at once, with pyocd\'s own message', async () => {
    const board = labBoard({ flasher: { kind: 'pyocd', target: 'k64f' } });
    const t0 = Date.now();
    const e = await infra(flash({ ...target(board), env: { ...env, FAKE_PYOCD_FAIL: 'No connected debug probes' } }));
    expect(Date.now() - t0).to.be.below(3000);
    expect([e.code, e.exitCode]).to.deep.equal(['ERR_TOOL_FAILED', 3]);
    expect(e.message).to.match(/^r1: pyocd flash failed \(pyocd flash -t k64f .*: exit code 1\)\n.*C No connected debug probes/);
  });

  it('a flasher that is not installed is named, with a pointer to doctor', async () => {
    const board = labBoard({ flasher: { kind: 'pyocd', target: 'k64f' } });
    const e = await infra(flash({ ...target(board), env: { PATH: dir } }));
    expect(e.code).to.equal('ERR_TOOL_MISSING');
    expect(e.message).to.match(/'pyocd' is not installed or not on PATH \(meshbench doctor/);
  });

  it('command template: placeholders filled, argument array passed as is (no shell)', async () => {
    const board = labBoard({ flasher: { kind: 'command', argv: ['flash-cmd', '--image', '{image}', '--serial', '{serial}', '--port', '{port}', '--note', '$(touch x); {board}'] } });
    await flash(target(board));
    expect(toolLog()).to.deep.equal([['flash-cmd', '--image', image, '--serial', SERIAL, '--port', '/dev/ttyACM0', '--note', '$(touch x); r1']]);
    const e = await infra(flash({ ...target(board), env: { ...env, FAKE_FLASH_FAIL: 'target not responding (SWD)' } }));
    expect(e.message).to.match(/r1: flash command failed \(.*exit code 2\)\nERROR: target not responding \(SWD\)/);
  });

  it('a flasher that hangs is cut off at its timeout', async () => {
    const board = labBoard({ flasher: { kind: 'command', argv: ['flash-cmd', '--image', '{image}'], timeoutS: 0.5 } });
    const e = await infra(flash({ ...target(board), env: { ...env, FAKE_FLASH_HANG: '1' } }));
    expect(e.code).to.equal('ERR_TOOL_TIMEOUT');
  });

  it('board never boots after a flash: an infrastructure error naming the port, not a test timeout', async () => {
    writeFileSync(image, 'garbage that does not boot');
    const board = labBoard({ flasher: { kind: 'pyocd', target: 'k64f' } });
    await flash(target(board));
    const link = new BoardLink(fakeBoard(state), 'meshbench-agent');
    await link.transport.open();
    const e = await infra(expectBoot(board, link, 600, 'flashed with pyocd'));
    expect(e.message).to.equal('r1: flashed with pyocd, but the board did not answer within 600 ms (no boot banner, no answer to identify) on /dev/serial/by-id/fake');
  });

  it('a board that boots another version is refused', async () => {
    const board = labBoard({ flasher: { kind: 'pyocd', target: 'k64f' }, version: '2.0.0' });
    await flash(target(board));
    const link = new BoardLink(fakeBoard(state), 'meshbench-agent');
    await link.transport.open();
    expect((await infra(expectBoot(board, link, 1000, 'flashed'))).message).to.match(/answers version '1.2.3', the rig expects '2.0.0'/);
  });

  describe('DAPLink mass-storage copy (htrun: FAIL.TXT, remount count)', () => {
    function drive(extraEnv: Record<string, string> = {}, id = SERIAL): Promise<string> {
      const mount = join(dir, `DAPLINK-${id}`);
      const child = spawn(join(FAKES, 'daplink-drive'), [mount, id], { env: { ...process.env, ...env, ...extraEnv }, stdio: ['pipe', 'pipe', 'inherit'] });
      drives.push(child);
      return new Promise((r) => child.stdout!.once('data', () => r(mount)));
    }

    it('copies, waits for the remount with a higher count, and the board runs the image', async () => {
      const mount = await drive();
      const board = labBoard({ flasher: { kind: 'daplink', mount, remountTimeoutS: 5 } });
      const r = await flash(target(board));
      expect(r.output).to.match(/remount count 0 → 1/);
      expect(readFileSync(join(state, `${SERIAL}.image`), 'latin1')).to.match(/version=1\.2\.3/);
    });

    it('FAIL.TXT after the remount: retried, then reported with its text', async () => {
      const mount = await drive({ FAKE_DAPLINK_FAIL: 'error: The hex file cannot be decoded. Checksum calculation failure occurred.' });
      const board = labBoard({ flasher: { kind: 'daplink', mount, remountTimeoutS: 5, retries: 2 } });
      const e = await infra(flash(target(board)));
      expect(e.message).to.match(/r1: DAPLink copy to .* failed after 2 attempt\(s\): copy 1: FAIL\.TXT: error: The hex file cannot be decoded.*; copy 2: FAIL\.TXT/);
    });

    it('remount count unchanged: the interface firmware did not take the image', async () => {
      const mount = await drive({ FAKE_DAPLINK_STUCK: '1' });
      const board = labBoard({ flasher: { kind: 'daplink', mount, remountTimeoutS: 0.3, retries: 2 } });
      const e = await infra(flash(target(board)));
      expect(e.message).to.match(/failed after 2 attempt\(s\): copy 1: the drive did not remount within 0.3 s \(remount count still 0\)/);
    });

    it('the copy is fsynced, file and directory, before the wait for the remount', async () => {
      // The drive takes the image only after 2 s: on a loaded machine it could otherwise leave before our directory sync (which the copy then rightly skips).
      const mount = await drive({ FAKE_DAPLINK_SETTLE_MS: '2000' });
      const board = labBoard({ flasher: { kind: 'daplink', mount, remountTimeoutS: 5 } });
      // The real file operations, watched: which descriptor is synced, and when.
      const ops: string[] = [];
      const names = new Map<number, string>();
      const copyIo: CopyIo = {
        openSync: (path, flags, mode) => {
          const fd = openSync(path, flags, mode);
          names.set(fd, path === mount ? 'dir' : basename(path));
          ops.push(`open ${names.get(fd)}`);
          return fd;
        },
        writeSync: (fd, data) => {
          ops.push(`write ${names.get(fd)}`);
          return writeSync(fd, data);
        },
        fsyncSync: (fd) => {
          ops.push(`fsync ${names.get(fd)}`);
          fsyncSync(fd);
        },
        closeSync: (fd) => {
          ops.push(`close ${names.get(fd)}`);
          closeSync(fd);
        },
      };
      const r = await flash({ ...target(board), copyIo });
      expect(r.output).to.match(/remount count 0 → 1/);
      expect(ops).to.deep.equal(['open agent.bin', 'write agent.bin', 'fsync agent.bin', 'close agent.bin', 'open dir', 'fsync dir', 'close dir']);
      expect(readFileSync(join(state, `${SERIAL}.image`), 'latin1')).to.match(/version=1\.2\.3/);
    });

    it('a directory that is not the DAPLink drive is refused before anything is copied: no DETAILS.TXT, or another board\'s', async () => {
      const empty = join(dir, 'media-DAPLINK');
      mkdirSync(empty);
      const board = labBoard({ flasher: { kind: 'daplink', mount: empty, remountTimeoutS: 1 } });
      const e = await infra(flash(target(board)));
      expect([e.code, e.message]).to.deep.equal(['ERR_DAPLINK_MOUNT', `r1: ${empty} is not a DAPLink drive (no DETAILS.TXT with a Unique ID: nothing mounted there, or another disk); fix flasher.mount`]);
      expect(readdirSync(empty), 'nothing copied').to.deep.equal([]);

      // A real drive, but another DAPLink's: its Unique ID is not this board's USB serial.
      const other = await drive({}, '0240000099999999aaaa0000');
      const wrong = labBoard({ flasher: { kind: 'daplink', mount: other, remountTimeoutS: 1 } });
      const e2 = await infra(flash(target(wrong)));
      expect(e2.message).to.equal(`r1: ${other} is the drive of DAPLink 0240000099999999aaaa0000, not of this board (USB serial ${SERIAL}); fix flasher.mount`);
      expect(readdirSync(other).sort(), 'nothing copied').to.deep.equal(['DETAILS.TXT', 'MBED.HTM']);
    });

    it('FAIL.TXT the board writes after the copy is reported with its text (one attempt)', async () => {
      const mount = await drive({ FAKE_DAPLINK_FAIL: 'error: The interface firmware FAILED to reset/halt the target MCU\r\ntype: target' });
      const board = labBoard({ flasher: { kind: 'daplink', mount, remountTimeoutS: 5, retries: 1 } });
      const e = await infra(flash(target(board)));
      expect([e.code, e.message]).to.deep.equal(['ERR_DAPLINK_FAIL', `r1: DAPLink copy to ${mount} failed after 1 attempt(s): copy 1: FAIL.TXT: error: The interface firmware FAILED to reset/halt the target MCU type: target`]);
    });

    it('the drive never comes back', async () => {
      const mount = await drive({ FAKE_DAPLINK_GONE: '1' });
      const board = labBoard({ flasher: { kind: 'daplink', mount, remountTimeoutS: 0.5 } });
      expect((await infra(flash(target(board)))).message).to.match(/the drive did not come back within 0.5 s/);
      expect((await infra(flash(target(board)))).message).to.match(/the DAPLink drive is not mounted at /);
    });
  });
});
