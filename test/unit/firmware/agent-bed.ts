// Several boards' firmware (Agent on a StackNode) in one test, on the medium, driven
// line by line as a host would drive them over serial: a request goes in, the agent
// answers it at once (its handlers are synchronous), events pile up per board.
import { Agent } from '../../../firmware/agent.ts';
import { formatRequest, LineSplitter, type AgentLine, type Args } from '../../../protocol/agent.ts';
import { createTestbed, type Testbed } from '../../../sim/testbed.ts';
import type { Topology } from '../../../sim/medium/topology.ts';
import { StackNode } from '../../../stack/node.ts';
import { SECOND } from '../../../stack/runtime.ts';

export interface Reply {
  ok: boolean;
  args: Args;
}

export interface BoardEvent {
  t: number;
  name: string;
  args: Args;
}

export interface AgentBoard {
  id: string;
  node: StackNode;
  events: BoardEvent[];
  request(command: string, args?: Args): Reply;
  /** `request` that must answer ok; returns its keys. */
  ok(command: string, args?: Args): Args;
}

export interface AgentBed {
  bed: Testbed<StackNode>;
  board(id: string): AgentBoard;
  runFor(us: number): void;
  runUntil(predicate: () => boolean, limitUs: number): boolean;
}

export function agentBed(seed: number, ids: string[], topology: Topology): AgentBed {
  const boards = new Map<string, AgentBoard>();
  const bed = createTestbed<StackNode>({
    seed,
    topology,
    nodes: ids.map((id) => ({ id })),
    build: (env) => {
      const node = new StackNode({ radio: env.radio, timers: env.timers, rng: env.rng, eui64: env.eui64 });
      const splitter = new LineSplitter();
      const replies: Reply[] = [];
      const events: BoardEvent[] = [];
      const agent = new Agent(
        {
          boardId: env.id,
          write: (text) => {
            for (const line of splitter.push(new TextEncoder().encode(text)) as AgentLine[]) {
              if (line.kind === 'response') replies.push({ ok: line.ok, args: line.args });
              else if (line.kind === 'event') events.push({ t: line.t, name: line.name, args: line.args });
            }
          },
          reboot: () => undefined,
        },
        node,
      );
      let nextId = 1;
      const request = (command: string, args: Args = {}): Reply => {
        agent.receive(new TextEncoder().encode(formatRequest(nextId++, command, args)));
        const r = replies.shift();
        if (!r) throw new Error(`${env.id}: no answer to ${command}`);
        return r;
      };
      boards.set(env.id, {
        id: env.id,
        node,
        events,
        request,
        ok: (command, args) => {
          const r = request(command, args);
          if (!r.ok) throw new Error(`${env.id} ${command}: ${r.args.code} ${r.args.msg}`);
          return r.args;
        },
      });
      return node;
    },
  });
  return {
    bed,
    board: (id) => {
      const b = boards.get(id);
      if (!b) throw new Error(`no board ${id}`);
      return b;
    },
    runFor: (us) => bed.runFor(us),
    runUntil: (p, limit) => bed.runUntil(p, limit),
  };
}

/** ND boards on channel 12 in a line 50 m apart (the ND tests' geometry): br, r1, r2, r3. */
export function ndAgentLine(seed: number): AgentBed {
  const ids = ['br', 'r1', 'r2', 'r3'];
  const positions = Object.fromEntries(ids.map((id, i) => [id, { x: i * 50, y: 0 }]));
  const bed = agentBed(seed, ids, { kind: 'positions', positions, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 });
  const channel = { '6lowpan-nd-channel': '12', '6lowpan-nd-channel-mask': '(1<<12)' };
  for (const id of ids) bed.board(id).ok('mesh.init', { stack: 'nd', ...channel, ...(id === 'br' ? { role: 'border-router' } : {}) });
  return bed;
}

/** Connects every listed board and runs until they are all GLOBAL_UP (or LOCAL_UP for Thread). */
export function connectAll(bed: AgentBed, ids: string[], up: 'GLOBAL_UP' | 'LOCAL_UP', limitS = 120): void {
  for (const id of ids) bed.board(id).ok('mesh.connect');
  const isUp = (): boolean => ids.every((id) => bed.board(id).node.mesh?.getConnectionStatus() === up);
  if (!bed.runUntil(isUp, limitS * SECOND)) throw new Error(`not all of ${ids.join(',')} reached ${up}`);
}
