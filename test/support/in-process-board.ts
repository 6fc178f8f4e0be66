// A board without a PTY: the simulated firmware in this process, reached
// through the harness's FakeTransport. Lets the same board-link tests run
// against the fake and against a real PTY of the simulated bench.
import { Agent } from '../../firmware/agent.ts';
import { FakeTransport } from '../../harness/board/transport.ts';
import { createTestbed } from '../../sim/testbed.ts';
import { StackNode } from '../../stack/node.ts';

export function inProcessBoard(id = 'fake1'): { transport: FakeTransport; runFor(us: number): void } {
  const transport = new FakeTransport(`fake://${id}`);
  let agent: Agent | undefined;
  const bed = createTestbed({
    seed: 1,
    topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 250 },
    nodes: [{ id }],
    build: (env) => {
      const node = new StackNode({ radio: env.radio, timers: env.timers, rng: env.rng, eui64: env.eui64 });
      agent = new Agent({ boardId: id, write: (text) => transport.emitData(text), reboot: () => agent?.boot() }, node);
      return node;
    },
  });
  transport.onWrite = (text) => agent!.receive(new Uint8Array(Buffer.from(text, 'latin1')));
  return { transport, runFor: (us) => bed.runFor(us) };
}
