// Attach timing of the Thread stack on the simulated medium, over 20 seeds:
// a lone router-eligible node becoming leader, an end device attaching as a
// child, and a router-eligible node attaching then becoming router (with the
// 1 s jitter test frameworks use and with Thread's default 120 s).
//   npx tsx test/bench/thread-attach.ts [seeds]
import { createTestbed } from '../../sim/testbed.ts';
import { THREAD_DEFAULTS, type ThreadConfig, type ThreadInterface } from '../../stack/mesh/thread-interface.ts';
import { StackNode } from '../../stack/node.ts';
import { SECOND, type Micros } from '../../stack/runtime.ts';
import { median } from './stats.ts';

const SEEDS = Number(process.argv[2] ?? 20);

function bench(seed: number, joiner: Partial<ThreadConfig>) {
  const tb = createTestbed<ThreadInterface>({
    seed,
    topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 60 },
    nodes: [{ id: 'leader', channel: 22 }, { id: 'joiner', channel: 22 }],
    build: (env) => {
      const node = new StackNode(env);
      node.initMesh({ kind: 'thread', thread: { ...THREAD_DEFAULTS, ...(env.id === 'joiner' ? joiner : {}) } });
      return node.mesh as ThreadInterface;
    },
  });
  const role = (id: string): string => tb.node(id).app.thread?.mle?.role ?? 'disabled';
  return { tb, role };
}


function fmt(us: Micros[]): string {
  const s = us.map((x) => x / SECOND);
  return `median ${median(s).toFixed(3)} s  (min ${Math.min(...s).toFixed(3)}, max ${Math.max(...s).toFixed(3)}, n=${s.length})`;
}

const leader: Micros[] = [];
const child: Micros[] = [];
const reedChild: Micros[] = [];
const router1: Micros[] = [];
const router120: Micros[] = [];

for (let seed = 1; seed <= SEEDS; seed++) {
  for (const [kind, joiner] of [
    ['med', { deviceType: 'minimal-end-device' }],
    ['reed1', { routerSelectionJitterS: 1 }],
    ['reed120', {}],
  ] as const) {
    const { tb, role } = bench(seed, joiner);
    const t0 = tb.scheduler.now();
    tb.node('leader').app.connect();
    tb.runUntil(() => role('leader') === 'leader', 20 * SECOND);
    if (kind === 'med') leader.push(tb.scheduler.now() - t0);
    const t1 = tb.scheduler.now();
    tb.node('joiner').app.connect();
    if (!tb.runUntil(() => role('joiner') === 'child', 20 * SECOND)) throw new Error(`seed ${seed}: ${kind} did not attach`);
    const attached = tb.scheduler.now() - t1;
    if (kind === 'med') child.push(attached);
    else {
      reedChild.push(attached);
      if (!tb.runUntil(() => role('joiner') === 'router', 200 * SECOND)) throw new Error(`seed ${seed}: ${kind} did not become router`);
      (kind === 'reed1' ? router1 : router120).push(tb.scheduler.now() - t1);
    }
  }
}

console.log(`Thread attach on the simulated medium, ${SEEDS} seeds, Mbed defaults (channel 22)`);
console.log(`leader (lone router-eligible node, connect → leader):      ${fmt(leader)}`);
console.log(`child (minimal end device, connect → child):              ${fmt(child)}`);
console.log(`router-eligible node, connect → child (REED):             ${fmt(reedChild)}`);
console.log(`router-eligible node, connect → router, jitter 1 s:       ${fmt(router1)}`);
console.log(`router-eligible node, connect → router, jitter 120 s:     ${fmt(router120)}`);
