// A 4 × 4 grid of 6LoWPAN-ND routers (grid neighbours only, 85 dB links, the border router
// in a corner), seeds 1..N: which seeds do not finish joining within 120 s (every router
// connects at once), and, on those that do, the far corner's light press: how long until
// every board's LED follows, up to 5 minutes, with Nanostack's MPL as the real nodes run it
// (the border router on multicast_set_parameters(10, 0, 20, 3, 75), routers on RFC 7731's
// defaults, k = 1), and, for comparison, with routers on the border router's k = 20 too.
// Run: npx tsx test/bench/nd-grid-light.ts [seeds, default 40]
import { DEFAULT_BOUNDS } from '../../harness/rig/common.ts';
import { BORDER_ROUTER_DOMAIN } from '../../stack/net/mpl-forwarder.ts';
import type { NdTuning } from '../../stack/nd/params.ts';
import { SECOND } from '../../stack/runtime.ts';
import { grid, ndBed } from '../unit/nd/bed.ts';
import { median } from './stats.ts';

const SEEDS = Number(process.argv[2] ?? 40);
const JOIN_WITHIN_S = 120;
const LIGHT_WITHIN_S = 300;
/** The rigs' bound for the light on 6LoWPAN-ND (docs/rig-file.md "Bounds"). */
const ND_LIGHT_WITHIN_S = DEFAULT_BOUNDS.ndLightWithinS;

interface SeedResult {
  seed: number;
  /** Routers not GLOBAL_UP after 120 s, with their phase. */
  notJoined: string[];
  joinS?: number;
  /** Press → every LED on, ms; undefined: not within 5 minutes. */
  allLitMs?: number;
  dark: string[];
  /** Boards whose LED came on from another board's re-advertisement (30-59 s later), not the press's own flood. */
  byReadvertisement: number;
}

function runSeed(seed: number, tuning: Partial<NdTuning>): SeedResult {
  const { nodes, links } = grid(4);
  const b = ndBed(seed, nodes, tuning, links);
  const ids = nodes.map((n) => n.id);
  b.nd('br').connect();
  b.connectAll(ids.slice(1));
  const t0 = b.bed.scheduler.now();
  if (!b.runUntilUp(ids.slice(1), JOIN_WITHIN_S)) {
    const notJoined = ids.slice(1).filter((id) => b.nd(id).getConnectionStatus() !== 'GLOBAL_UP');
    return { seed, notJoined: notJoined.map((id) => `${id} (${b.nd(id).tasklet6lowpan?.phase ?? '?'})`), dark: [], byReadvertisement: 0 };
  }
  const joinS = (b.bed.scheduler.now() - t0) / SECOND;
  const firstFrom = new Map<string, string>();
  for (const id of ids) b.nd(id).light().onChange((c) => firstFrom.has(id) || firstFrom.set(id, c.from));
  b.nd('n15').light().pressButton();
  const pressedFrom = b.nd('n15').ipAddresses()[1];
  const pressed = b.bed.scheduler.now();
  const lit = b.bed.runUntil(() => ids.every((id) => b.nd(id).light().ledOn), LIGHT_WITHIN_S * SECOND);
  const dark = ids.filter((id) => !b.nd(id).light().ledOn);
  const byReadvertisement = ids.filter((id) => firstFrom.has(id) && firstFrom.get(id) !== pressedFrom).length;
  return { seed, notJoined: [], joinS, dark, byReadvertisement, ...(lit ? { allLitMs: (b.bed.scheduler.now() - pressed) / 1000 } : {}) };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const MODES: Array<[string, Partial<NdTuning>]> = [
  ['default (routers k = 1)', {}],
  ['routers on the border router k = 20', { mplRouter: BORDER_ROUTER_DOMAIN }],
];

for (const [mode, tuning] of MODES) {
  const results = Array.from({ length: SEEDS }, (_, i) => runSeed(i + 1, tuning));
  const joined = results.filter((r) => r.notJoined.length === 0);
  const lit = joined.filter((r) => r.allLitMs !== undefined).map((r) => r.allLitMs!);
  const joins = joined.map((r) => r.joinS!);
  console.log(`${mode}: seeds 1-${SEEDS}`);
  console.log(`  not joined within ${JOIN_WITHIN_S} s: ${results.length - joined.length} (${results.filter((r) => r.notJoined.length).map((r) => `${r.seed}: ${r.notJoined.join(', ')}`).join('; ') || 'none'})`);
  console.log(`  join, s: median ${median(joins).toFixed(1)}, p90 ${quantile(joins, 0.9).toFixed(1)}, max ${Math.max(...joins).toFixed(1)}`);
  console.log(`  every LED on: ${lit.length} of ${joined.length} joined seeds within ${LIGHT_WITHIN_S} s; within 3 s: ${lit.filter((ms) => ms <= 3000).length}; within the bound (${ND_LIGHT_WITHIN_S} s): ${lit.filter((ms) => ms <= ND_LIGHT_WITHIN_S * 1000).length}`);
  const readvertised = joined.filter((r) => r.byReadvertisement > 0);
  console.log(`  seeds where a board's LED came on from a re-advertisement, not the press's flood: ${readvertised.length} (${readvertised.reduce((n, r) => n + r.byReadvertisement, 0)} boards)`);
  const never = joined.filter((r) => r.allLitMs === undefined);
  if (never.length) console.log(`  dark after ${LIGHT_WITHIN_S} s: ${never.map((r) => `${r.seed}: ${r.dark.join(', ')}`).join('; ')}`);
  if (lit.length) console.log(`  press → all lit, ms: median ${median(lit).toFixed(0)}, p75 ${quantile(lit, 0.75).toFixed(0)}, p90 ${quantile(lit, 0.9).toFixed(0)}, max ${Math.max(...lit).toFixed(0)}`);
}
