// MESH_BOOTSTRAP_START_FAILED (reference mbed-mesh-api.md §3): the interface does not come
// up (here: no channel of page 0 selected), the status is DISCONNECTED, no retry is
// armed, connect() is refused while the tasklet still owns the interface, and
// disconnect() then connect() recovers. Also the tasklet → nsapi_error_t mapping of
// connect() (reference §1: tasklet connect -1/-2 → -3002/-3007, -3 → -3012).
import { expect } from 'chai';
import { MeshInterface, type MeshTasklet, type TaskletEvents } from '../../../stack/mesh/mesh-interface.ts';
import type { DatagramService } from '../../../stack/net/datagram.ts';
import { SECOND, SeededRng, type Timers } from '../../../stack/runtime.ts';
import { ndBed } from './bed.ts';

describe('MESH_BOOTSTRAP_START_FAILED (6LoWPAN-ND)', function () {
  for (const [what, config] of [
    ['a channel mask with no channel of page 0 (channel 10 only)', { channel: 0, channelMask: 1 << 10 }],
    ['an empty channel mask', { channel: 0, channelMask: 0 }],
    ['6lowpan-nd-channel=5, outside 11..26', { channel: 5, channelMask: 1 << 12 }],
  ] as const) {
    it(`${what}: DISCONNECTED, no callback, no retry; connect() -3012 until disconnect()`, function () {
      const b = ndBed(31, [
        { id: 'br', x: 0, y: 0, role: 'border-router' },
        { id: 'r1', x: 40, y: 0, config },
      ]);
      b.nd('br').connect();
      const r1 = b.nd('r1');
      expect(r1.connect()).to.equal(0); // the failure comes as an event, as from nd_tasklet.c
      expect(r1.history.map((e) => [e.event, e.status, e.callback])).to.deep.equal([['MESH_BOOTSTRAP_START_FAILED', 'DISCONNECTED', false]]);
      expect(r1.getConnectionStatus()).to.equal('DISCONNECTED');
      expect(r1.details()).to.include({ phase: 'start-failed', last_failure: 'interface up failed (no channel of page 0 selected)' });
      b.bed.runFor(30 * SECOND);
      expect(r1.history, 'no retry is armed').to.have.length(1);
      expect(r1.ipAddresses()).to.deep.equal([]);
      // The tasklet still owns the interface.
      expect(r1.connect()).to.equal(-3012);
      expect(r1.history).to.have.length(1);
      // Recovery: disconnect (0, no callback: the status does not change), then connect.
      expect(r1.disconnect()).to.equal(0);
      expect(r1.history[1]).to.deep.include({ event: 'MESH_DISCONNECTED', status: 'DISCONNECTED', callback: false });
      r1.config.channel = 12;
      r1.config.channelMask = 1 << 12;
      expect(r1.connect()).to.equal(0);
      expect(r1.history[2]).to.deep.include({ event: 'MESH_BOOTSTRAP_STARTED', status: 'CONNECTING', callback: true });
      expect(b.runUntilUp(['r1'], 30)).to.equal(true);
    });
  }

  it('a retry after MESH_BOOTSTRAP_FAILED that cannot bring the interface up: CONNECTING → DISCONNECTED, callback suppressed, retries stop', function () {
    const b = ndBed(32, [{ id: 'r1', x: 0, y: 0 }]); // no border router: every attempt fails
    const r1 = b.nd('r1');
    expect(r1.connect()).to.equal(0);
    b.bed.runFor(3 * SECOND);
    expect(r1.history.map((e) => e.event)).to.include('MESH_BOOTSTRAP_FAILED');
    expect(r1.getConnectionStatus()).to.equal('CONNECTING');
    r1.config.channel = 0;
    r1.config.channelMask = 0; // as `mesh.config` would: applies from the next attempt
    b.bed.runFor(10 * SECOND);
    const last = r1.history[r1.history.length - 1]!;
    // mbed-os #10434: CONNECTING → DISCONNECTED by START_FAILED runs no callback.
    expect(last).to.deep.include({ event: 'MESH_BOOTSTRAP_START_FAILED', status: 'DISCONNECTED', callback: false });
    const n = r1.history.length;
    b.bed.runFor(30 * SECOND);
    expect(r1.history).to.have.length(n);
    expect(r1.connect()).to.equal(-3012);
  });

  it('a border router with no usable channel fails to start the same way', function () {
    const b = ndBed(33, [{ id: 'br', x: 0, y: 0, role: 'border-router', config: { channel: 0, channelMask: 0 } }]);
    expect(b.nd('br').connect()).to.equal(0);
    expect(b.nd('br').history.map((e) => e.event)).to.deep.equal(['MESH_BOOTSTRAP_START_FAILED']);
    expect(b.nd('br').getConnectionStatus()).to.equal('DISCONNECTED');
    expect(b.nd('br').connect()).to.equal(-3012);
  });
});

/** An interface whose tasklet's connect() returns what the test says (Nanostack's tasklet results). */
class FixedResultInterface extends MeshInterface {
  readonly kind = 'nd' as const;
  constructor(
    timers: Timers,
    private readonly result: number,
  ) {
    super(timers, new SeededRng(1));
  }
  protected createTasklet(_events: TaskletEvents): MeshTasklet {
    return {
      connect: () => this.result,
      disconnect: () => undefined,
      active: false,
      hasLinkLocalAddress: () => false,
      hasGlobalAddress: () => false,
      addresses: () => [],
      details: () => ({}),
    };
  }
  protected datagrams(): DatagramService {
    throw new Error('not used');
  }
}

describe('connect(): tasklet results as nsapi_error_t (LoWPANNDInterface::mesh_connect, map_mesh_error)', () => {
  const timers: Timers = { now: () => 0, at: () => ({ cancel: () => undefined }) };
  for (const [tasklet, nsapi, why] of [
    [0, 0, 'ok'],
    [-1, -3002, 'MESH_ERROR_PARAM → NSAPI_ERROR_UNSUPPORTED'],
    [-2, -3007, 'MESH_ERROR_MEMORY → NSAPI_ERROR_NO_MEMORY'],
    [-3, -3012, 'MESH_ERROR_STATE (the tasklet still owns an interface) → NSAPI_ERROR_DEVICE_ERROR'],
    [-7, -3012, 'MESH_ERROR_UNKNOWN → NSAPI_ERROR_DEVICE_ERROR'],
  ] as const) {
    it(`${tasklet} → ${nsapi} (${why})`, () => {
      expect(new FixedResultInterface(timers, tasklet).connect()).to.equal(nsapi);
    });
  }
});
