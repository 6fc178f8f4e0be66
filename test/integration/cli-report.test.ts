// The run's reports through the real binary, on a lab's own suite directory
// (fixtures/lab-suites, imported by package name): progress with N/M and a heartbeat,
// results.json against its schema, report.html in headless Chromium, compare, shards
// merged against one run, quarantine, fail-on-flaky, the case timeout.
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { ResultsSchema, type Results } from '../../harness/report/results.ts';
import { chromiumOrSkip } from '../support/browser.ts';
import { meshbench, type CliResult, type JUnitXml } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const RIG = join(ROOT, 'fixtures/rigs/sim-two.yaml');
const SUITES = join(ROOT, 'fixtures/lab-suites');
/** Where tests keep what a person may want to look at after a run (reports/ is not in git). */
export const ARTIFACTS = join(ROOT, 'reports', 'test-artifacts');

function readJson(path: string): Results {
  return ResultsSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

describe('meshbench run reports: results.json, report.html, compare, shards, quarantine', function () {
  this.timeout(240_000);
  let dir: string;
  let quarantine: string;
  let a: CliResult;
  const runArgs = () => ['run', '--rig', RIG, '--suites', SUITES, '--quarantine', quarantine, '--retries', '1', '--case-timeout', '3', '--quiet'];

  before(async function () {
    this.timeout(240_000);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-reports-'));
    quarantine = join(dir, 'quarantine.yaml');
    writeFileSync(quarantine, ['- id: FIX-022', "  reason: known fault, tracked in the lab's issue 7", '  expires: 2099-12-31', '- id: FIX-021', '  reason: expired long ago', '  expires: 2020-01-01', ''].join('\n'));
    a = await meshbench([...runArgs(), '--reporter', 'progress', '--reporter', `json=${join(dir, 'events.ndjson')}`, '--out', join(dir, 'a')], { env: { MESHBENCH_HEARTBEAT_S: '1' } });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 for a failure; progress shows N/M, a heartbeat naming what the case waits for, and the quarantined case; an expired entry warns', () => {
    expect(a.code, a.stdout + a.stderr).to.equal(1);
    expect(a.stdout).to.match(/^ {2}\[1\/6\] LAB-ND-001 /m);
    expect(a.stdout).to.match(/^ {2}… \[5\/6\] FIX-024 \d+s, waiting for br: an event that never comes \(within 2\.5 s of bench time\)$/m);
    expect(a.stdout).to.match(/✗ FIX-022 .*\(quarantined: known fault, tracked in the lab's issue 7 \(until 2099-12-31\)\)/);
    expect(a.stdout).to.match(/Timeout of 3000ms exceeded/);
    expect(a.stderr).to.include('quarantine of FIX-021 expired on 2020-01-01 (expired long ago): it counts again');
    expect(a.stdout).to.match(/report: .*junit\.xml, .*report\.html, .*results\.json/);
  });

  it('results.json: valid against its schema, every verdict, figures with units, the timeline, the mesh and evidence that exists', () => {
    const r = readJson(join(dir, 'a', 'results.json'));
    expect(r.run.result).to.equal('failed');
    expect(r.run.finishedAt).to.be.a('string');
    expect(r.run.rig).to.equal('sim-two');
    expect(r.run.bounds?.['joinWithinS']).to.be.a('number');
    const by = new Map(r.cases.map((c) => [c.id, c]));
    expect([...by.keys()]).to.deep.equal(['LAB-ND-001', 'FIX-021', 'FIX-022', 'FIX-023', 'FIX-024', 'FIX-025']);
    expect(by.get('LAB-ND-001')!.verdict).to.equal('passed');
    expect(by.get('LAB-ND-001')!.figures).to.deep.include({ name: 'soak.pdr', value: 0.96, unit: 'ratio', better: 'higher' });
    expect(by.get('LAB-ND-001')!.series?.[0]?.points).to.have.length(5);
    const mesh = by.get('LAB-ND-001')!.mesh!;
    expect(mesh.nodes.map((n) => n.board)).to.deep.equal(['br']);
    expect(mesh.nodes[0]).to.include({ role: 'border-router', hops: 0 });
    const failed = by.get('FIX-021')!;
    expect(failed).to.include({ verdict: 'failed', type: 'AssertionError' });
    expect(failed.expected).to.include('GLOBAL_UP');
    expect(failed.actual).to.include('CONNECTING');
    expect(failed.quarantine, 'an expired entry does not apply').to.equal(undefined);
    expect(by.get('FIX-022')!.quarantine).to.deep.equal({ reason: "known fault, tracked in the lab's issue 7", expires: '2099-12-31' });
    expect(by.get('FIX-023')).to.include({ verdict: 'passed', flaky: true });
    expect(by.get('FIX-025')).to.include({ verdict: 'error' });
    expect(r.totals).to.deep.include({ tests: 6, passed: 3, failed: 2, errors: 1, flaky: 1, quarantined: 1 });
    for (const c of r.cases) for (const at of c.attachments) expect(existsSync(join(dir, 'a', at.path)), at.path).to.equal(true);
    expect(by.get('LAB-ND-001')!.attachments.map((x) => x.kind)).to.include.members(['capture', 'serial', 'mesh']);
    const events = readFileSync(join(dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; verdict?: string });
    expect(events[0]!.event).to.equal('runBegin');
    expect(events.at(-1)!.event).to.equal('runEnd');
    expect(events.filter((e) => e.event === 'caseEnd').map((e) => e.verdict)).to.deep.equal(['passed', 'failed', 'failed', 'passed', 'passed', 'error']);
  });

  it('report.html opens in headless Chromium with no console error, shows the run, the verdicts, the failure, the plots and the mesh; a screenshot is kept', async function () {
    const html = join(dir, 'a', 'report.html');
    const text = readFileSync(html, 'utf8');
    expect(text, 'nothing fetched: no script, no remote URL').not.to.match(/<script|<link |(src|href)="https?:/i);
    const browser = await chromiumOrSkip(this);
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      const failedRequests: string[] = [];
      page.on('requestfailed', (req) => failedRequests.push(req.url()));
      await page.goto(`file://${html}`, { waitUntil: 'load' });
      expect(await page.title()).to.equal('meshbench sim-two: failed');
      const body = await page.locator('body').innerText();
      expect(body).to.include('rig\tsim-two');
      expect(body).to.match(/6 cases/);
      expect(await page.locator('details.case').count()).to.equal(6);
      const failing = page.locator('details.case#FIX-021');
      expect(await failing.getAttribute('open'), 'a failed case is open').to.equal('');
      expect(await failing.innerText()).to.match(/expected\s+\{\s+"status": "GLOBAL_UP"/);
      expect(await page.locator('details.case#FIX-022 .quarantined').count()).to.equal(1);
      expect(await page.locator('svg.chart[aria-label^="Join time per board"]').count(), 'join plot').to.equal(1);
      expect(await page.locator('details.case#LAB-ND-001 svg.chart[aria-label="LAB-ND-001: timeline (ratio)"]').count(), 'timeline').to.equal(1);
      expect(await page.locator('details.case#LAB-ND-001 svg.mesh g.node').count(), 'mesh drawing').to.equal(1);
      const serial = await page.locator('details.case#LAB-ND-001 a', { hasText: 'serial log br' }).getAttribute('href');
      expect(existsSync(join(dir, 'a', serial!)), `link ${serial}`).to.equal(true);
      mkdirSync(ARTIFACTS, { recursive: true });
      // Every case opened, so the screenshot shows each one's evidence.
      const closed = page.locator('details.case:not([open]) > summary');
      for (let n = await closed.count(); n > 0; n--) await closed.first().click();
      await page.screenshot({ path: join(ARTIFACTS, 'report-lab-suite.png'), fullPage: true });
      expect(statSync(join(ARTIFACTS, 'report-lab-suite.png')).size).to.be.greaterThan(10_000);
      expect(errors, 'console errors').to.deep.equal([]);
      expect(failedRequests, 'requests that failed').to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it('compare: a run against itself has no regression (exit 0); a figure that fell and a verdict that turned are regressions (exit 1)', async () => {
    const worse = readJson(join(dir, 'a', 'results.json'));
    const lab = worse.cases.find((c) => c.id === 'LAB-ND-001')!;
    lab.figures.find((f) => f.name === 'soak.pdr')!.value = 0.9;
    worse.cases.find((c) => c.id === 'FIX-024')!.verdict = 'failed';
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'b', 'results.json'), JSON.stringify(worse));
    const [same, r, strict] = await Promise.all([
      meshbench(['compare', join(dir, 'a'), join(dir, 'a', 'results.json')]),
      meshbench(['compare', join(dir, 'a'), join(dir, 'b'), '--threshold', 'soak.*=0.1']),
      meshbench(['compare', join(dir, 'a'), join(dir, 'b')]),
    ]);
    expect(same.code, same.stdout + same.stderr).to.equal(0);
    expect(same.stdout.trim().split('\n').at(-1)).to.equal('no regression');
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.include('REGRESSION FIX-024: passed → failed');
    expect(r.stdout, 'within its own threshold of 0.1').not.to.include('soak.pdr');
    expect(strict.stdout).to.include('REGRESSION LAB-ND-001 soak.pdr: 0.96 → 0.9 ratio (threshold 0.02 ratio)');
    expect(strict.stdout).to.match(/^2 regression\(s\)$/m);
  });

  it('a case timeout cuts the case, never the harness\'s own work around it (a hook cut would end the suite)', async () => {
    // 50 ms is less than the recorder and the mesh snapshot take: before, the first case's after-each hook timed out and every later case was "not run".
    const r = await meshbench(['run', '--rig', RIG, '--suites', SUITES, '--quarantine', quarantine, '--retries', '1', '--case-timeout', '0.05', '--grep', 'FIX-02', '--quiet', '--out', join(dir, 'short')]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const verdicts = readJson(join(dir, 'short', 'results.json')).cases.map((c) => `${c.id} ${c.verdict}`);
    expect(verdicts).to.deep.equal(['FIX-021 failed', 'FIX-022 failed', 'FIX-023 passed', 'FIX-024 error', 'FIX-025 error']);
  });

  it('shards 1/3, 2/3 and 3/3 merged give the cases and verdicts of the one run, in one junit.xml, results.json and report.html', async () => {
    const shards = await Promise.all([1, 2, 3].map((i) => meshbench([...runArgs(), '--shard', `${i}/3`, '--out', join(dir, `shard${i}`)])));
    const sizes = shards.map((s) => readJson(join(dir, `shard${shards.indexOf(s) + 1}`, 'results.json')).cases.length);
    expect(sizes.reduce((x, y) => x + y), 'every case in one shard').to.equal(6);
    expect(Math.max(...sizes) - Math.min(...sizes), 'balanced').to.be.at.most(1);
    const merged = await meshbench(['merge', ...[1, 2, 3].map((i) => join(dir, `shard${i}`)), '--out', join(dir, 'merged')]);
    expect(merged.code, merged.stdout + merged.stderr).to.equal(1);
    const one = readJson(join(dir, 'a', 'results.json'));
    const all = readJson(join(dir, 'merged', 'results.json'));
    const verdicts = (r: Results) => r.cases.map((c) => `${c.id} ${c.verdict}${c.flaky ? ' flaky' : ''}${c.quarantine ? ' quarantined' : ''}`).sort();
    expect(verdicts(all)).to.deep.equal(verdicts(one));
    for (const c of all.cases) for (const at of c.attachments) expect(existsSync(join(dir, 'merged', at.path)), at.path).to.equal(true);
    const xml = (await parseStringPromise(readFileSync(join(dir, 'merged', 'junit.xml'), 'utf8'))) as JUnitXml;
    expect(xml.testsuites.$.tests).to.equal('6');
    expect(readFileSync(join(dir, 'merged', 'report.html'), 'utf8')).to.include('FIX-025');
  });

  it('--fail-on-flaky: a pass on a retry fails the run (exit 1); without it the run passes', async () => {
    const base = ['run', '--rig', RIG, '--suites', SUITES, '--grep', 'FIX-023', '--retries', '1', '--quiet', '--reporter', 'dot'];
    const [lenient, strict] = await Promise.all([meshbench([...base, '--out', join(dir, 'lenient')]), meshbench([...base, '--fail-on-flaky', '--out', join(dir, 'strict')])]);
    expect(lenient.code, lenient.stdout + lenient.stderr).to.equal(0);
    expect(lenient.stdout).to.match(/^!$/m);
    expect(strict.code, strict.stdout + strict.stderr).to.equal(1);
    copyFileSync(join(dir, 'strict', 'junit.xml'), join(dir, 'strict.xml'));
    expect(readFileSync(join(dir, 'strict.xml'), 'utf8')).to.include('<flakyFailure');
  });
});
