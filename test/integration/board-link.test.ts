// One board-link test, two transports (as node-serialport tests its bindings):
// a board of the simulated bench behind a real PTY opened with serialport, and
// the same firmware in this process behind the fake transport.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient, type AgentError } from '../../harness/board/agent-client.ts';
import { SerialTransport, type Transport } from '../../harness/board/transport.ts';
import { launchSim, type RunningSim } from '../../harness/sim/launcher.ts';
import { inProcessBoard } from '../support/in-process-board.ts';

function boardLinkSuite(name: string, open: () => Promise<{ transport: Transport; done(): Promise<void> }>) {
  describe(`board link: ${name}`, function () {
    this.timeout(30_000);
    let transport: Transport;
    let client: AgentClient;
    let done: () => Promise<void>;
    const logs: string[] = [];

    before(async () => {
      ({ transport, done } = await open());
      await transport.open();
      client = new AgentClient(transport);
      client.listen({ log: (text) => logs.push(text) });
    });
    after(async () => {
      await transport.close();
      await done();
    });

    it('identifies the board: firmware kind, version, protocol version', async () => {
      const { args } = await client.request('identify');
      expect(args.firmware).to.equal('meshbench-sim');
      expect(args.protocol).to.equal('1');
      expect(args.eui64).to.match(/^[0-9a-f]{16}$/);
      expect(args.stacks!.split(',')).to.include('nd');
    });

    it('answers requests in order with their ids and board time', async () => {
      const replies = await Promise.all([1, 2, 3, 4, 5].map(() => client.request('noop')));
      const ts = replies.map((r) => r.t);
      expect(ts.every((t) => Number.isFinite(t))).to.equal(true);
      expect([...ts].sort((a, b) => a - b)).to.deep.equal(ts);
    });

    it('reports protocol errors with stable codes', async () => {
      const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: AgentError) => e.code);
      expect(await codeOf(client.request('no.such.command'))).to.equal('E_UNKNOWN_COMMAND');
      expect(await codeOf(client.request('mesh.connect'))).to.equal('E_STATE');
      expect(await codeOf(client.request('mesh.init', { stack: 'zigbee' }))).to.equal('E_BAD_ARGUMENT');
      expect(await codeOf(client.request('mesh.init', { stack: 'nd', 'no-such-key': '1' }))).to.equal('E_BAD_ARGUMENT');
    });

    it('survives garbage, NUL and ESC bytes, half lines and an over-long line', async () => {
      await client.writeRaw(new Uint8Array([0x00, 0x1b, 0x5b, 0x41, 0xff, 0x0a]));
      await client.writeRaw('half a line without end');
      await client.writeRaw('\n' + 'z'.repeat(2000) + '\n');
      const { args } = await client.request('identify');
      expect(args.firmware).to.equal('meshbench-sim');
    });

    it('initialises a 6LoWPAN-ND interface with mbed-mesh-api keys and answers with nsapi codes', async () => {
      const init = await client.request('mesh.init', { stack: 'nd', '6lowpan-nd-channel': '12', '6lowpan-nd-channel-mask': '(1<<12)' });
      expect(init.args.result).to.equal('0');
      expect((await client.request('mesh.status')).args.status).to.equal('DISCONNECTED');
      // A second initialize() is refused (Mbed: -3015 for the same phy).
      expect((await client.request('mesh.init', { stack: 'nd' })).args.result).to.equal('-3015');
      // disconnect() after initialize() but before connect(): -3012, no tasklet yet (reference §1).
      expect((await client.request('mesh.disconnect')).args.result).to.equal('-3012');
    });
  });
}

boardLinkSuite('fake transport, firmware in process', async () => {
  const b = inProcessBoard();
  return { transport: b.transport, done: async () => undefined };
});

boardLinkSuite('serialport on a PTY of the simulated bench', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'meshbench-link-'));
  const sim: RunningSim = await launchSim({
    runDir,
    seed: 3,
    speed: 10,
    boards: [{ id: 'b1', txPowerDbm: 0 }],
    topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 250 },
    radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 },
  });
  return {
    transport: new SerialTransport(sim.serialPath('b1')),
    done: async () => {
      await sim.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
});
