// A many-node Thread bench on the simulated medium: each node a StackNode with a
// ThreadInterface, on one bench clock, reproducible from the seed.
import { createTestbed, type Testbed } from '../../../sim/testbed.ts';
import type { Topology } from '../../../sim/medium/topology.ts';
import { StackNode } from '../../../stack/node.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { THREAD_DEFAULTS, type ThreadConfig, type ThreadInterface } from '../../../stack/mesh/thread-interface.ts';
import type { MeshEventRecord } from '../../../stack/mesh/mesh-interface.ts';
import { ThreadMle } from '../../../stack/thread/mle-engine.ts';

export interface ThreadBenchNode {
  stack: StackNode;
  iface: ThreadInterface;
  events: MeshEventRecord[];
}

export interface ThreadBenchOptions {
  seed: number;
  ids: string[];
  topology?: Topology;
  /** Per-node config overrides. */
  config?: (id: string, index: number) => Partial<ThreadConfig>;
  channel?: (id: string) => number;
}

/** Test defaults: Mbed's dataset with a 1 s router selection jitter, as Thread test frameworks use. */
export const TEST_CONFIG: ThreadConfig = { ...THREAD_DEFAULTS, routerSelectionJitterS: 1, childTimeoutS: 240 };

export function threadBench(opts: ThreadBenchOptions): Testbed<ThreadBenchNode> {
  return createTestbed<ThreadBenchNode>({
    seed: opts.seed,
    topology: opts.topology ?? { kind: 'matrix', lossDb: {}, defaultLossDb: 60 },
    nodes: opts.ids.map((id) => ({ id, channel: opts.channel?.(id) ?? TEST_CONFIG.channel })),
    build: (env) => {
      const stack = new StackNode(env);
      const index = opts.ids.indexOf(env.id);
      const config: ThreadConfig = { ...TEST_CONFIG, ...opts.config?.(env.id, index) };
      stack.initMesh({ kind: 'thread', thread: config });
      const iface = stack.mesh as ThreadInterface;
      const events: MeshEventRecord[] = [];
      iface.onEvent((r) => events.push(r));
      return { stack, iface, events };
    },
  });
}

/** The engine behind a node's public view, for tests that look inside the Thread room. */
export function mle(n: ThreadBenchNode): ThreadMle {
  const e = n.iface.thread?.mle;
  if (!e) throw new Error('connect() first');
  if (!(e instanceof ThreadMle)) throw new Error('not our Thread engine');
  return e;
}

export function partitionOf(n: ThreadBenchNode): number | undefined {
  return n.iface.thread?.mle?.partition?.partitionId;
}

/** Every node attached and in one partition. */
export function allInOnePartition(tb: Testbed<ThreadBenchNode>, ids?: string[]): boolean {
  const nodes = (ids ?? tb.nodes.map((n) => n.id)).map((id) => tb.node(id).app);
  const p = nodes.map((n) => (n.iface.thread?.mle?.isAttached() ? partitionOf(n) : undefined));
  return p.every((x) => x !== undefined && x === p[0]);
}

export const S = SECOND;
