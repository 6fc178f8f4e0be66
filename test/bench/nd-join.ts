// Median join time (connect() → GLOBAL_UP, bench seconds) of 6LoWPAN-ND nodes per hop
// count, over 20 seeds, on a line 50 m apart (channel 12 only, as the default rig).
// Two ways: every router connects at once (deeper nodes wait for their parents and
// retry every 5 s), and one after the other (each joins a network that is already up).
// Run: npx tsx test/bench/nd-join.ts
import { line, ndBed } from '../unit/nd/bed.ts';
import { median } from './stats.ts';

const SEEDS = 20;
const HOPS = 3;


function run(mode: 'together' | 'in-turn'): number[][] {
  const perHop: number[][] = Array.from({ length: HOPS }, () => []);
  for (let seed = 1; seed <= SEEDS; seed++) {
    const b = ndBed(seed, line(HOPS));
    b.nd('br').connect();
    const ids = Array.from({ length: HOPS }, (_, i) => `r${i + 1}`);
    const started = new Map<string, number>();
    const start = (id: string): void => {
      started.set(id, b.bed.scheduler.now());
      b.nd(id).connect();
    };
    if (mode === 'together') ids.forEach(start);
    for (const [i, id] of ids.entries()) {
      if (mode === 'in-turn') start(id);
      if (!b.runUntilUp([id], 300)) throw new Error(`seed ${seed}: ${id} did not join`);
      perHop[i]!.push((b.bed.scheduler.now() - started.get(id)!) / 1e6);
    }
  }
  return perHop;
}

for (const mode of ['together', 'in-turn'] as const) {
  const perHop = run(mode);
  console.log(`${mode}: median connect → GLOBAL_UP over ${SEEDS} seeds`);
  perHop.forEach((xs, i) => console.log(`  hop ${i + 1}: ${median(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`));
}
