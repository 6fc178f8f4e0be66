// `meshbench soak` on the default rig, a few bench minutes at a churn rate that
// makes every kind happen: a JSON line per window as it goes, a JUnit testcase per
// check, a capture per window; and a soak killed with SIGKILL leaves a valid JUnit
// and every window it finished.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { CLI, meshbench, propertiesOf, type JUnitXml } from '../support/cli.ts';
import { captureProblems, filesUnder, keysIn } from '../support/tshark.ts';
import { tsharkOrSkip } from '../support/tools.ts';

const ROOT = join(import.meta.dirname, '../..');

const PROFILE = `
name: short
stack: nd
durationS: 240
windowS: 60
traffic: { unicastPeriodS: 10, lightPeriodS: 60 }
churn:
  - { kind: reset, perHour: 30 }
  - { kind: power-cycle, perHour: 15, offS: 5 }
  - { kind: partition, perHour: 15, forS: 20 }
  - { kind: fade, perHour: 15, db: 40, forS: 20 }
`;

async function junitOf(dir: string): Promise<JUnitXml> {
  return (await parseStringPromise(readFileSync(join(dir, 'junit.xml'), 'utf8'))) as JUnitXml;
}

const linesOf = (dir: string) =>
  readFileSync(join(dir, 'series.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { window: number; startS: number; endS: number; churns: number; rejoins: number; delivery: number | null; delivered: number; latencyP50Ms: number | null; latencyErrorMaxMs: number | null; harness: { openFds: number } });

/**
 * 6LoWPAN-ND's context 0 is the mesh prefix (stack/mesh/nd-interface.ts), which tshark learns
 * only from an RA in the same capture, and a window may hold none; MPL control messages (ICMPv6,
 * whose checksum tshark checks) go from a seed's context-compressed address (mpl.c mpl_send_control).
 */
const ND_CONTEXT = ['-o', '6lowpan.context0:fd00:db8::/64'];

describe('meshbench soak', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshbench-soak-'));
    writeFileSync(join(dir, 'short.yaml'), PROFILE);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a short profile window by window: series, one testcase per check, a capture per window that tshark decodes', async function () {
    const out = join(dir, 'short');
    const r = await meshbench(['soak', '--profile', join(dir, 'short.yaml'), '--seed', '2', '--speed', 'max', '--out', out, '--quiet'], { cwd: ROOT });
    expect([0, 1], r.stdout + r.stderr).to.include(r.code);
    const series = linesOf(out);
    expect(series.map((w) => [w.window, w.startS, w.endS])).to.deep.equal([
      [0, 0, 60],
      [1, 60, 120],
      [2, 120, 180],
      [3, 180, 240],
    ]);
    expect(series.reduce((n, w) => n + w.churns, 0), 'churn happened').to.be.greaterThan(0);
    expect(series.reduce((n, w) => n + w.rejoins, 0), 'boards came back').to.be.greaterThan(0);
    expect(series.some((w) => w.delivery !== null), 'datagrams judged').to.equal(true);
    // Latency on the bench clock through each board's clock offset: a figure with its error bound wherever datagrams arrived.
    for (const w of series.filter((x) => x.delivered > 0)) {
      expect(w.latencyP50Ms, `window ${w.window} latency`).to.be.a('number').and.greaterThan(0);
      expect(w.latencyErrorMaxMs, `window ${w.window} latency error bound`).to.be.a('number').and.at.least(0);
    }
    for (let i = 0; i < 4; i++) expect(existsSync(join(out, 'windows', `w000${i}.pcap`)), `window ${i} capture`).to.equal(true);
    const xml = await junitOf(out);
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases.map((c) => c.$.name.split(' ')[0])).to.deep.equal([
      'SOAK-delivery',
      'SOAK-latency',
      'SOAK-back-after-churn',
      'SOAK-no-stuck-board',
      'SOAK-tables-bounded',
      'SOAK-no-duplicate-address',
      'SOAK-agent-heap',
    ]);
    for (const c of cases.slice(0, 6)) expect(propertiesOf(c).get('windows'), c.$.name).to.deep.equal(['4']);
    // The sim firmware reports no heap: that check says so instead of passing.
    expect(cases[6]!.skipped, 'heap check skipped').to.not.equal(undefined);
    // A failing check lists its windows with their bench time and capture.
    for (const c of cases.filter((x) => x.failure)) expect(JSON.stringify(c.failure)).to.match(/window \d+ \(bench \d+-\d+ s, capture windows\/w\d{4}\.pcap\)/);
    expect(r.code).to.equal(cases.some((c) => c.failure) ? 1 : 0);
    // Every window's capture decodes in Wireshark: no malformed frame, no expert warning.
    const tshark = await tsharkOrSkip(this);
    const keys = keysIn(filesUnder(join(ROOT, 'fixtures/networks'), '.json'));
    const found: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { problems } = await captureProblems(tshark, join(out, 'windows', `w000${i}.pcap`), keys, ND_CONTEXT);
      for (const x of problems) found.push(`w000${i}.pcap frame ${x.frame} (${x.protocols}): ${x.messages}`);
    }
    expect(found, 'frames tshark calls malformed or warns about').to.deep.equal([]);
  });

  it('killed with SIGKILL, leaves a valid JUnit and every window it finished', async () => {
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [CLI, 'soak', '--profile', join(dir, 'short.yaml'), '--duration', '36000', '--seed', '5', '--speed', 'max', '--out', out, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if ((stdout.match(/^window /gm) ?? []).length >= 3) {
          clearInterval(check);
          child.kill('SIGKILL');
          resolve();
        }
      }, 50);
      child.once('exit', () => {
        clearInterval(check);
        reject(new Error(`soak ended before it was killed: ${stdout}`));
      });
    });
    await new Promise((r) => child.once('exit', r));
    const series = linesOf(out);
    expect(series.length).to.be.at.least(3);
    expect(series.map((w) => w.window)).to.deep.equal(series.map((_, i) => i));
    const xml = await junitOf(out);
    const windows = Number(propertiesOf(xml.testsuites.testsuite[0]!.testcase[0]!).get('windows')?.[0]);
    // The JUnit is rewritten right after each line: it counts every line, or all but the last.
    expect(windows).to.be.within(series.length - 1, series.length);
  });
});
