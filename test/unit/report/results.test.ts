// results.json and what reads it: figures and units from property names, the
// versioned schema (and its generated JSON Schema in docs/), compare's
// thresholds, the HTML report's self-containedness, shards and quarantine.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareResults, parseThresholdRule } from '../../../harness/report/compare.ts';
import { figuresOf, unitOf } from '../../../harness/report/figures.ts';
import { buildHtml } from '../../../harness/report/html.ts';
import { hopsOf, meshSvg } from '../../../harness/report/mesh-svg.ts';
import { buildResults, readResults, RESULTS_VERSION, resultsJsonSchema, ResultsFileError, writeResults, type Results } from '../../../harness/report/results.ts';
import { niceTicks } from '../../../harness/report/svg.ts';
import { loadQuarantine, QuarantineFileError } from '../../../harness/run/quarantine.ts';
import { parseShard, shardCases, ShardError } from '../../../harness/run/shard.ts';
import { sampleRun, tempDir } from './sample.ts';

const ROOT = join(import.meta.dirname, '../../..');
export const RESULTS_SCHEMA_FILE = join(ROOT, 'docs', 'results.schema.json');

function sample(): Results {
  const dir = tempDir();
  return buildResults(sampleRun(dir), dir, { result: 'failed', bounds: { joinWithinS: 60 } });
}

describe('results.json', () => {
  it('reads figures and their units from the names the suites record', () => {
    expect(unitOf('3hop.r3.saturated.81B.goodput_kbps')).to.deep.equal({ unit: 'kbit/s', better: 'higher' });
    expect(unitOf('3hop.r3.saturated.81B.limit_share_kbps')).to.deep.equal({ unit: 'kbit/s', better: 'none' });
    expect(unitOf('one_frame.102B.pdr')).to.deep.equal({ unit: 'ratio', better: 'higher' });
    expect(unitOf('1hop.r1.light.50B.latency_p99_ms')).to.deep.equal({ unit: 'ms', better: 'lower' });
    expect(unitOf('r2.join_bench_s')).to.deep.equal({ unit: 's', better: 'lower' });
    expect(unitOf('root.off_at_bench_s')).to.deep.equal({ unit: 's', better: 'none' });
    expect(unitOf('r1.hops_to_root')).to.deep.equal({ unit: 'hops', better: 'none' });
    const figs = figuresOf([
      { name: 'id', value: 'JOIN-ND-003' },
      { name: 'peer', value: 'r1' },
      { name: 'x.pdr', value: '0.990' },
      { name: 'lat_ms', value: 'unknown' },
    ]);
    expect(figs).to.deep.equal([{ name: 'x.pdr', value: 0.99, unit: 'ratio', better: 'higher' }]);
  });

  it('is valid against its own schema, round-trips through a file, and refuses other versions by name', () => {
    const r = sample();
    expect(r.version).to.equal(RESULTS_VERSION);
    expect(r.cases.length).to.be.greaterThan(0);
    const dir = tempDir();
    writeResults(join(dir, 'results.json'), r);
    expect(readResults(dir).results).to.deep.equal(r);
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...r, version: 99 }));
    expect(() => readResults(dir)).to.throw(ResultsFileError, /results version 99, this meshbench reads version 1/);
    writeFileSync(join(dir, 'results.json'), '{"x":1}');
    expect(() => readResults(dir)).to.throw(ResultsFileError, /not a meshbench results file/);
  });

  it('docs/results.schema.json is what the zod schema generates (npx tsx scripts/results-schema.ts)', () => {
    expect(JSON.parse(readFileSync(RESULTS_SCHEMA_FILE, 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(resultsJsonSchema())));
  });

  it('compare: per-figure thresholds, the last matching rule wins; verdict turns are regressions, quarantined ones are not', () => {
    const a = sample();
    const b = structuredClone(a);
    const c0 = b.cases[0]!;
    c0.figures = [{ name: 'x.goodput_kbps', value: 80, unit: 'kbit/s', better: 'higher' }];
    a.cases[0]!.figures = [{ name: 'x.goodput_kbps', value: 100, unit: 'kbit/s', better: 'higher' }];
    expect(compareResults(a, b).regressions, '20 % down, default 10 %').to.equal(1);
    expect(compareResults(a, b, [parseThresholdRule('*goodput_kbps=25%')]).regressions).to.equal(0);
    expect(compareResults(a, b, [parseThresholdRule('*=25%'), parseThresholdRule('x.*=5')]).regressions, 'absolute 5 kbit/s').to.equal(1);
    expect(() => parseThresholdRule('goodput')).to.throw(/PATTERN=PERCENT%/);
    const passed = a.cases.findIndex((c) => c.verdict === 'passed');
    b.cases[passed]!.verdict = 'failed';
    b.cases[passed]!.figures = a.cases[passed]!.figures;
    const turned = compareResults(a, b, [parseThresholdRule('*=50%')]);
    expect(turned.verdicts.filter((v) => v.regression).map((v) => v.caseId)).to.deep.equal([a.cases[passed]!.id]);
    b.cases[passed]!.quarantine = { reason: 'known', expires: '2099-01-01' };
    expect(compareResults(a, b, [parseThresholdRule('*=50%')]).regressions).to.equal(0);
  });

  it('the HTML report is one offline page: no script, nothing fetched, the run and every case in it', () => {
    const r = sample();
    const html = buildHtml(r, { history: [r, r] });
    expect(html).not.to.match(/<script|<link |(src|href)="https?:|url\(/i);
    for (const c of r.cases) expect(html).to.include(`id="${c.id}"`);
    expect(html).to.include('Verdicts over the last 3 runs');
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
  });

  it('mesh drawing: hops from the board, else its parent\'s plus one, a root at 0', () => {
    const h = hopsOf([
      { board: 'c', status: 'GLOBAL_UP', role: 'child', parent: 'b', details: {} },
      { board: 'b', status: 'GLOBAL_UP', role: 'router', parent: 'a', details: {} },
      { board: 'a', status: 'GLOBAL_UP', role: 'leader', details: {} },
      { board: 'x', status: 'GLOBAL_UP', role: 'router', details: {} },
      { board: 'n', status: 'GLOBAL_UP', role: 'router', hops: 4, details: {} },
    ]);
    expect(Object.fromEntries(h)).to.deep.equal({ a: 0, b: 1, c: 2, x: undefined, n: 4 });
    expect(niceTicks(0, 97)).to.deep.equal([0, 20, 40, 60, 80, 100]);
  });

  it('mesh drawing: a board whose measured hops are -1 (not measured) is drawn with the unknown, not dropped', () => {
    const nodes = ['br', 'r1', 'r2'].map((board, i) => ({ board, status: 'GLOBAL_UP', role: i ? 'router' : 'leader', details: {} }));
    const svg = meshSvg({ nodes }, 'a mesh', new Map([['r1', 1], ['r2', -1]]));
    for (const b of ['br', 'r1', 'r2']) expect(svg).to.include(`>${b}</text>`);
    expect(svg).to.include('hops unknown');
  });
});

describe('shards and quarantine', () => {
  const keys = Array.from({ length: 54 }, (_, i) => `CASE-${String(i).padStart(3, '0')}`);

  it('--shard i/n: every case in exactly one shard, the same split every time, balanced by recorded durations', () => {
    const parts = [1, 2, 3].map((index) => shardCases(keys, { index, total: 3 }));
    expect(parts.reduce((n, p) => n + p.size, 0)).to.equal(keys.length);
    expect(new Set(parts.flatMap((p) => [...p])).size).to.equal(keys.length);
    expect([...shardCases(keys, { index: 2, total: 3 })]).to.deep.equal([...parts[1]!]);
    // One long case (100 s) and many short ones: it gets a shard nearly to itself.
    const durations = new Map(keys.map((k, i) => [k, i === 7 ? 100 : 2]));
    const loads = [1, 2, 3].map((index) => [...shardCases(keys, { index, total: 3 }, durations)].reduce((s, k) => s + durations.get(k)!, 0));
    const [longest, ...rest] = [...loads].sort((x, y) => y - x);
    expect(longest, 'the long case alone').to.equal(100);
    expect(Math.abs(rest[0]! - rest[1]!), 'the short ones split evenly').to.be.at.most(2);
    const withLong = [1, 2, 3].find((index) => shardCases(keys, { index, total: 3 }, durations).has('CASE-007'))!;
    expect(shardCases(keys, { index: withLong, total: 3 }, durations).size).to.equal(1);
    expect(() => parseShard('4/3')).to.throw(ShardError, /1 ≤ i ≤ n/);
    expect(() => parseShard('1of3')).to.throw(ShardError);
    expect(parseShard('2/3')).to.deep.equal({ index: 2, total: 3 });
  });

  it('quarantine file: entries in force by id; expired ones warn and do not apply; a bad file is named', () => {
    const dir = tempDir();
    const f = join(dir, 'q.yaml');
    writeFileSync(f, 'quarantine:\n  - { id: JOIN-ND-001, reason: flaky radio, expires: 2026-06-30 }\n  - { id: THRU-TH-002, reason: old, expires: 2026-01-01 }\n');
    const q = loadQuarantine(f, new Date('2026-06-30T23:00:00Z'));
    expect([...q.active.keys()]).to.deep.equal(['JOIN-ND-001']);
    expect(q.warnings).to.deep.equal(['quarantine of THRU-TH-002 expired on 2026-01-01 (old): it counts again; fix it or renew the entry']);
    writeFileSync(f, '- { id: JOIN-ND-001, expires: 2026-06-30 }\n');
    expect(() => loadQuarantine(f)).to.throw(QuarantineFileError, /0\.reason/);
    expect(() => loadQuarantine(join(dir, 'none.yaml'))).to.throw(QuarantineFileError, /not found/);
  });
});
