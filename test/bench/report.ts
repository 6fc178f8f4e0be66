// The HTML report of a default run: its size, how long it takes to write, and how
// long headless Chromium takes to open it (median of several loads, navigation start
// to the load event). Targets (docs/benchmarks.md): < 2 MB and < 2 s. Measured on a
// given run directory (`--report-run reports/latest` after `npm start`), or on a
// default run made for the purpose.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { buildHtml } from '../../harness/report/html.ts';
import { readResults } from '../../harness/report/results.ts';
import { findOnPath } from '../../scripts/ensure-tool.ts';
import { median, round } from './stats.ts';

const ROOT = join(import.meta.dirname, '../..');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export type ReportBenchResult =
  | { skipped: string }
  | { runDir: string; cases: number; htmlBytes: number; resultsBytes: number; svgCount: number; buildMedianMs: number; chromiumLoadMedianMs: number; chromiumLoadsMs: number[]; chromium: string };

export async function measureReport(opts: { runDir?: string; loads?: number; say: (t: string) => void }): Promise<ReportBenchResult> {
  const browser = await findOnPath('chromium');
  if (!browser) return { skipped: 'chromium is not installed (npx tsx scripts/ensure-tool.ts chromium chromium)' };
  let runDir = opts.runDir === undefined ? undefined : resolve(opts.runDir);
  let made: string | undefined;
  if (!runDir) {
    made = mkdtempSync(join(tmpdir(), 'meshbench-bench-report-'));
    runDir = join(made, 'run');
    opts.say('report: a default run to measure its report');
    // The default run exits 0 or 1; either way its report is what is measured.
    await promisify(execFile)(process.execPath, [join(ROOT, 'bin/meshbench.js'), 'run', '--quiet', '--out', runDir, '--reporter', 'dot'], { maxBuffer: 16 << 20 }).catch(() => undefined);
  }
  try {
    const html = join(runDir, 'report.html');
    const { results } = readResults(runDir);
    const builds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      buildHtml(results);
      builds.push(performance.now() - t);
    }
    const profile = mkdtempSync(join(tmpdir(), 'meshbench-bench-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: browser, headless: true, args: CHROMIUM_ARGS, offline: true });
    const loads: number[] = [];
    try {
      const page = await ctx.newPage();
      for (let i = 0; i < (opts.loads ?? 5); i++) {
        await page.goto(`file://${html}?${i}`, { waitUntil: 'load' });
        loads.push(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd'));
      }
    } finally {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    }
    const text = readFileSync(html, 'utf8');
    return {
      runDir: made ? '(a default run made for the measurement)' : runDir,
      cases: results.cases.length,
      htmlBytes: statSync(html).size,
      resultsBytes: statSync(join(runDir, 'results.json')).size,
      svgCount: (text.match(/<svg /g) ?? []).length,
      buildMedianMs: round(median(builds), 1),
      chromiumLoadMedianMs: round(median(loads), 1),
      chromiumLoadsMs: loads.map((l) => round(l, 1)),
      chromium: browser,
    };
  } finally {
    if (made) rmSync(made, { recursive: true, force: true });
  }
}
