// What our board on an RCP reports as its identity, from the RCP's NCP_VERSION.
import { expect } from 'chai';
import { Agent } from '../../../firmware/agent.ts';
import { airOfRcp, rcpBoardIdentity } from '../../../host/identity.ts';
import { LineSplitter, type AgentLine } from '../../../protocol/agent.ts';
import { createTestbed } from '../../../sim/testbed.ts';
import { StackNode } from '../../../stack/node.ts';

describe('host: the RCP board\'s identity', () => {
  // The string the simulated ot-rcp answers to NCP_VERSION (OpenThread's otGetVersionString).
  const SIM = 'OPENTHREAD/a3c41fa; SIMULATION; Dec  3 2026 10:12:13';
  // An nRF52840 build's form: the platform field names the chip.
  const NRF = 'OPENTHREAD/thread-reference-20230706; NRF52840; Jul  6 2023 12:00:00';

  it('names our firmware and the RCP\'s version, and the air from its platform', () => {
    expect(rcpBoardIdentity(SIM)).to.deep.equal({
      firmware: 'meshbench-rcp',
      version: `0.1.0 on ${SIM}`,
      extra: { rcp: SIM, air: 'no-airtime' },
    });
    expect(rcpBoardIdentity(NRF).extra).to.deep.equal({ rcp: NRF, air: 'ieee802154' });
  });

  it('claims no air from a version it cannot read', () => {
    expect(airOfRcp('SOMEVENDOR-RCP 1.2')).to.equal(undefined);
    expect(airOfRcp('OPENTHREAD/abc')).to.equal(undefined);
    expect(rcpBoardIdentity('SOMEVENDOR-RCP 1.2').extra).to.deep.equal({ rcp: 'SOMEVENDOR-RCP 1.2' });
  });
});

describe('agent: a host that says what the firmware is', () => {
  it('answers identify and prints its banner with that kind, version and keys', () => {
    const SIM = 'OPENTHREAD/a3c41fa; SIMULATION; Dec  3 2026 10:12:13';
    let agent: Agent | undefined;
    const lines: AgentLine[] = [];
    const splitter = new LineSplitter();
    createTestbed<StackNode>({
      seed: 1,
      topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 200 },
      nodes: [{ id: 'ours' }],
      build: (env) => {
        const node = new StackNode({ radio: env.radio, timers: env.timers, rng: env.rng, eui64: env.eui64 });
        agent = new Agent({ boardId: env.id, identity: rcpBoardIdentity(SIM), write: (t) => lines.push(...splitter.push(new TextEncoder().encode(t))), reboot: () => undefined }, node);
        return node;
      },
    });
    agent!.boot();
    agent!.receive(new TextEncoder().encode('MB> 1 identify\n'));
    const banner = lines.find((l) => l.kind === 'event' && l.name === 'boot');
    const answer = lines.find((l) => l.kind === 'response');
    for (const l of [banner, answer]) {
      const args = (l as { args: Record<string, string> }).args;
      expect([args.firmware, args.version, args.rcp, args.air]).to.deep.equal(['meshbench-rcp', `0.1.0 on ${SIM}`, SIM, 'no-airtime']);
    }
    expect(lines.some((l) => l.kind === 'log' && l.text === 'meshbench meshbench-rcp 0.1.0 on ' + SIM + ' (board ours)')).to.equal(true);
  });
});
