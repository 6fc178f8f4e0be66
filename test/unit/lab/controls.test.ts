import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTransport } from '../../../harness/board/transport.ts';
import { LabControls, type LabBoardHandle } from '../../../harness/lab/controls.ts';
import { BoardLink } from '../../../harness/lab/probe.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';
import { parseLabRig } from '../../../harness/lab/rig-file.ts';
import type { LabBoard } from '../../../harness/rig/lab.ts';

const FAKES = join(import.meta.dirname, '../../../fixtures/fake-tools');
const FAKE_OT = join(import.meta.dirname, '../../../fixtures/fake-ot-cli/ot-cli-ftd.js');

/** A board that answers identify while `alive`, and prints its boot lines when it gets a serial break. */
class FakeBoard extends FakeTransport {
  alive = true;
  wakesOnBreak = false;
  constructor() {
    super('/dev/null');
    this.onWrite = (text) => {
      const m = /^MB> (\d+) identify/.exec(text);
      if (m && this.alive) this.emitData(`MB< ${m[1]} ok t=5 firmware=meshbench-agent version=1.0.0 protocol=1 board=x eui64=0011223344556677 stacks=nd\n`);
    };
  }
  override async sendBreak(): Promise<void> {
    await super.sendBreak();
    if (this.wakesOnBreak) {
      this.alive = true;
      this.emitData('\x00\x1b[0mboot noise\r\nMB! 0 boot firmware=meshbench-agent version=1.0.0 protocol=1 board=x eui64=0011223344556677 stacks=nd\n');
    }
  }
}

function labBoard(extra: Record<string, unknown>): LabBoard {
  const b = { id: 'r1', stack: 'nd', roles: ['router'], firmware: 'meshbench-agent', port: { kind: 'usb-serial', serial: '0240000012345678' }, ...extra };
  return parseLabRig('x.yaml', { name: 'x', kind: 'lab', networks: { nd: 'n.json' }, boards: [b] }).rig.boards[0]!;
}

describe('lab controls: reset, power, recovery', function () {
  this.timeout(15_000);
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mb-ctl-'));
    env = { PATH: `${FAKES}:${process.env.PATH}`, FAKE_TOOLS_LOG: join(dir, 'tools.log'), FAKE_UHUBCTL_STATE: join(dir, 'hub.json'), FAKE_BOARD_STATE_DIR: dir };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const toolLog = () => readFileSync(join(dir, 'tools.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);

  async function setup(board: LabBoard, first: FakeBoard, next: () => FakeBoard = () => new FakeBoard()) {
    await first.open();
    const h: LabBoardHandle = { board, port: '/dev/null', serial: '0240000012345678', link: new BoardLink(first, board.firmware), makeTransport: next };
    const controls = new LabControls(new Map([[board.id, h]]), { rigName: 'lab', env, answerMs: 300, offMs: 10 });
    return { h, controls };
  }

  it('resets by serial break with the port kept open: the boot lines after it are read, none lost', async () => {
    const t = new FakeBoard();
    t.alive = false;
    t.wakesOnBreak = true;
    const { h, controls } = await setup(labBoard({}), t);
    const boots: string[] = [];
    h.link.agent!.listen({ event: (e) => boots.push(`${e.name} ${e.args.version}`), log: (l) => boots.push(`log ${l}`) });
    const health = await controls.ensureAnswering('r1');
    expect(health).to.deep.equal({ healthy: true, steps: ['reset'] });
    expect(t.breaks).to.equal(1);
    expect(boots.slice(0, 2)).to.deep.equal(['log \\x00\\x1b[0mboot noise', 'boot 1.0.0']);
  });

  it('resets by the flasher: pyocd reset -t <target> -u <uid>', async () => {
    const { controls } = await setup(labBoard({ flasher: { kind: 'pyocd', target: 'nrf52840' }, reset: 'flasher' }), new FakeBoard());
    await controls.reset('r1');
    expect(toolLog()).to.deep.equal([['pyocd', 'reset', '-t', 'nrf52840', '-u', '0240000012345678']]);
  });

  it('a board that stays silent after a reset is power-cycled (uhubctl off, on) and its port reopened', async () => {
    const t = new FakeBoard();
    t.alive = false;
    const { h, controls } = await setup(labBoard({ power: { kind: 'uhubctl', hub: '1-1', port: 3 } }), t);
    const health = await controls.ensureAnswering('r1');
    expect(health).to.deep.equal({ healthy: true, steps: ['reset', 'power-cycle'] });
    expect(toolLog()).to.deep.equal([
      ['uhubctl', '-l', '1-1', '-p', '3', '-a', 'off'],
      ['uhubctl', '-l', '1-1', '-p', '3', '-a', 'on'],
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'hub.json'), 'utf8'))).to.deep.equal({ '1-1:3': 'on' });
    expect(t.isOpen).to.equal(false);
    expect(h.link.transport).to.not.equal(t);
  });

  it('a board that never answers is marked unhealthy for the rest of the run, with the reason', async () => {
    const dead = () => Object.assign(new FakeBoard(), { alive: false });
    const { controls } = await setup(labBoard({ power: { kind: 'command', on: ['uhubctl', '-l', '1-1', '-p', '1', '-a', 'on'], off: ['uhubctl', '-l', '1-1', '-p', '1', '-a', 'off'] } }), dead(), dead);
    const h = await controls.ensureAnswering('r1');
    expect(h.healthy).to.equal(false);
    expect(h.reason).to.equal('r1: unhealthy for the rest of the run: no answer within 300 ms; no answer after reset; no answer after power-cycle');
    expect(await controls.ensureAnswering('r1')).to.equal(h); // not retried
  });

  it('a power tool that fails is part of the reason (uhubctl: no such hub)', async () => {
    const t = Object.assign(new FakeBoard(), { alive: false });
    const { controls } = await setup(labBoard({ power: { kind: 'uhubctl', hub: '9-9', port: 1 } }), t);
    const h = await controls.ensureAnswering('r1');
    expect(h.reason).to.match(/power-cycle failed: r1: power off \(uhubctl\) failed \(uhubctl -l 9-9 -p 1 -a off: exit code 1\)/);
  });

  it("a host-process board's power is its process: a process that died is started again", async () => {
    const board = labBoard({ firmware: 'openthread-cli', stack: 'nd', port: { kind: 'process', command: [process.execPath, FAKE_OT, '7'] } });
    const make = () => new PtyProcessTransport({ command: [process.execPath, FAKE_OT, '7'], env: { FAKE_OT_NET_DIR: dir } });
    const first = make();
    await first.open();
    const h: LabBoardHandle = { board, port: 'process', link: new BoardLink(first, 'openthread-cli'), makeTransport: make };
    const controls = new LabControls(new Map([['r1', h]]), { rigName: 'lab', env, answerMs: 2000, offMs: 10 });
    expect(await h.link.identify(2000)).to.include({ firmware: 'openthread-cli' });
    await first.close(); // the port vanishes mid-run
    const health = await controls.ensureAnswering('r1');
    expect(health).to.deep.equal({ healthy: true, steps: ['reset'] });
    expect((await h.link.identify(2000))?.version).to.match(/^OPENTHREAD\//);
    await h.link.transport.close();
  });

  it("a host-process board that refuses to start: the reason names its exit and its last line", async () => {
    // As OpenThread's simulation CLI does for a node id above its network size.
    const command = [process.execPath, '-e', "console.error('Invalid NodeId: 40'); process.exit(1)"];
    const board = labBoard({ firmware: 'openthread-cli', stack: 'nd', port: { kind: 'process', command } });
    const make = () => new PtyProcessTransport({ command });
    const first = make();
    await first.open();
    const h: LabBoardHandle = { board, port: 'process', link: new BoardLink(first, 'openthread-cli'), makeTransport: make };
    const controls = new LabControls(new Map([['r1', h]]), { rigName: 'lab', env, answerMs: 1000, offMs: 10 });
    const health = await controls.ensureAnswering('r1');
    expect(health.healthy).to.equal(false);
    expect(health.reason).to.include('its port is closed (process ended (exit code 1, its last line: "Invalid NodeId: 40"))');
  });

  it('says which controls a lab rig lacks', async () => {
    const { controls } = await setup(labBoard({}), new FakeBoard());
    expect(controls.supports('reset')).to.equal(true);
    expect(controls.supports('power')).to.equal(false);
    await controls.jam().then(
      () => expect.fail('jammed'),
      (e: Error) => expect(e.message).to.equal("rig 'lab' has no 'jam' control"),
    );
  });
});
