// report.html: one self-contained page per run, beside junit.xml and results.json.
// Everything is inline (style, SVG plots drawn here); no script and nothing fetched,
// so it opens offline and from a CI artifact store. Links to serial logs and
// captures are relative, so the run directory can be moved as a whole.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './junit.ts';
import { meshSvg } from './mesh-svg.ts';
import { joinChart, throughputCharts, timelineChart } from './plots.ts';
import { readResults, type CaseResult, type Results } from './results.ts';
import { chart, esc } from './svg.ts';

export const REPORT_HTML = 'report.html';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header,main{max-width:1180px;margin:0 auto;padding:12px 20px}
header{background:#fff;border-bottom:1px solid #ddd;max-width:none}
h1{font-size:20px;margin:6px 0}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.v{display:inline-block;min-width:58px;text-align:center;border-radius:3px;color:#fff;font-size:12px;padding:0 4px}
.passed{background:#2a8a2a}.failed,.error{background:#c62828}.skipped{background:#999}.flaky{background:#d98b00}.quarantined{background:#6a4fb3}
details.case{background:#fff;border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 10px}
details.case>summary{cursor:pointer}
pre{background:#f4f4f4;padding:6px;overflow:auto;max-height:320px;white-space:pre-wrap}
.plots{display:flex;flex-wrap:wrap;gap:10px}.plots>svg,.plots>p{background:#fff;border:1px solid #ddd}
svg text{font:11px system-ui,sans-serif;fill:#333}svg .ct{font-size:13px;font-weight:600}svg .al{font-size:12px}
svg .grid{stroke:#e6e6e6}svg .axis{stroke:#999}svg .frame{fill:none;stroke:#999}svg .nid{fill:#fff;font-weight:700}
.strip span{display:inline-block;width:10px;height:12px;margin-right:1px}
.muted{color:#777}.empty{color:#777;padding:8px}
`;

function table(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function badge(c: Pick<CaseResult, 'verdict' | 'flaky' | 'quarantine' | 'interrupted'>): string {
  const label = c.interrupted ? 'interrupted' : c.flaky ? 'flaky' : c.verdict;
  const cls = c.flaky ? 'flaky' : c.verdict;
  return `<span class="v ${cls}">${esc(label)}</span>${c.quarantine ? ' <span class="v quarantined">quarantined</span>' : ''}`;
}

function fmtSeconds(s: number): string {
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}

function runFacts(r: Results): string {
  const run = r.run;
  const rows: [string, string][] = [
    ['result', esc(run.result)],
    ['rig', esc(run.rig ?? '?')],
    ['seed', esc(run.seed ?? '?')],
    ['started', esc(run.startedAt)],
    ['wall time', esc(fmtSeconds(run.time))],
    ['host', esc(run.hostname)],
    ['run id', esc(run.id)],
  ];
  if (run.shard) rows.push(['shard', `${run.shard.index}/${run.shard.total}`]);
  if (run.boards.length) rows.push(['boards', run.boards.map((b) => `${esc(b.id)} <span class="muted">${esc(b.firmware)} ${esc(b.version)}</span>`).join('<br>')]);
  for (const p of run.properties) rows.push([p.name, esc(p.value)]);
  if (run.bounds) rows.push(['bounds', Object.entries(run.bounds).map(([k, v]) => `${esc(k)}=${v}`).join(', ')]);
  return table(rows);
}

function totalsLine(r: Results): string {
  const t = r.totals;
  const parts = [`${t.tests} cases`, `<span class="v passed">${t.passed} passed</span>`, `<span class="v failed">${t.failed + t.errors} failed</span>`, `<span class="v skipped">${t.skipped} skipped</span>`];
  if (t.flaky) parts.push(`<span class="v flaky">${t.flaky} flaky</span>`);
  if (t.quarantined) parts.push(`<span class="v quarantined">${t.quarantined} quarantined</span>`);
  return `<p>${parts.join(' ')}</p>`;
}

function problem(c: CaseResult): string {
  if (c.verdict === 'passed') return '';
  const parts: string[] = [];
  if (c.message) parts.push(`<p><b>${esc(c.type ?? c.verdict)}</b>: ${esc(c.message)}</p>`);
  if (c.expected !== undefined || c.actual !== undefined) parts.push(table([['expected', `<pre>${esc(c.expected ?? '')}</pre>`], ['actual', `<pre>${esc(c.actual ?? '')}</pre>`]]));
  if (c.details) parts.push(`<details><summary>details</summary><pre>${esc(c.details)}</pre></details>`);
  return parts.join('');
}

function caseSection(c: CaseResult, history: readonly Results[]): string {
  const open = c.verdict === 'failed' || c.verdict === 'error' ? ' open' : '';
  const out: string[] = [`<details class="case" id="${esc(c.id)}"${open}><summary>${badge(c)} <b>${esc(c.name)}</b> <span class="muted">${c.time.toFixed(1)} s${c.hops !== undefined ? ` · ${esc(c.hops)} hop(s)` : ''}</span>${historyStrip(c, history)}</summary>`];
  const facts: [string, string][] = [];
  if (c.checks) facts.push(['checks', esc(c.checks)]);
  if (c.needs) facts.push(['needs', esc(c.needs)]);
  if (c.boards.length) facts.push(['boards', esc(c.boards.join(', '))]);
  if (c.quarantine) facts.push(['quarantined', `${esc(c.quarantine.reason)} (until ${esc(c.quarantine.expires)})`]);
  for (const f of c.facts) facts.push([f.name, esc(f.value)]);
  if (facts.length) out.push(table(facts));
  out.push(problem(c));
  if (c.attempts.length) {
    out.push(`<h3>${c.flaky ? 'failed attempts before the pass' : 'earlier attempts'}</h3>`);
    for (const a of c.attempts) out.push(`<p><b>${esc(a.kind)}</b>: ${esc(a.message ?? '')}</p>`);
  }
  if (c.figures.length) {
    out.push(`<table><tr><th>figure</th><th>value</th><th>unit</th></tr>${c.figures.map((f) => `<tr><td>${esc(f.name)}</td><td class="n">${f.value}</td><td>${esc(f.unit)}</td></tr>`).join('')}</table>`);
  }
  const links = c.attachments.map((a) => `<a href="${esc(a.path.split('/').map(encodeURIComponent).join('/'))}">${esc(a.kind === 'serial' ? `serial log ${a.board ?? ''}` : a.kind === 'capture' ? 'capture (pcap)' : a.path.split('/').pop() ?? a.path)}</a>`);
  if (links.length) out.push(`<p>evidence: ${links.join(' · ')}</p>`);
  if (c.mesh?.nodes.length) out.push(`<h3>the mesh as the boards reported it${c.mesh.atBenchS !== undefined ? ` at bench ${c.mesh.atBenchS.toFixed(1)} s` : ''}</h3>${meshSvg(c.mesh, `${c.id} mesh`, measuredHops(c))}`);
  const timeline = timelineChart(c);
  if (timeline) out.push(`<div class="plots">${timeline}</div>`);
  out.push('</details>');
  return out.join('');
}

/** Hops per board as the case measured them: `<board>.hops_to_root`, or a `<n>hop.<board>.` stream. */
function measuredHops(c: CaseResult): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of c.figures) {
    const toRoot = /^([a-z0-9_-]+)\.hops_to_root$/.exec(f.name);
    if (toRoot) m.set(toRoot[1]!, f.value);
    const stream = /^(\d+)hop\.([a-z0-9_-]+)\./.exec(f.name);
    if (stream && !m.has(stream[2]!)) m.set(stream[2]!, Number(stream[1]));
  }
  return m;
}

/** This case's verdicts in earlier runs, oldest first: one coloured mark each. */
function historyStrip(c: CaseResult, history: readonly Results[]): string {
  if (history.length === 0) return '';
  const colour = { passed: '#2a8a2a', failed: '#c62828', error: '#c62828', skipped: '#bbb' } as const;
  const marks = history.map((h) => {
    const old = h.cases.find((x) => x.id === c.id && x.name === c.name) ?? h.cases.find((x) => x.id === c.id);
    const bg = old ? (old.flaky ? '#d98b00' : colour[old.verdict]) : '#eee';
    return `<span style="background:${bg}" title="${esc(`${h.run.startedAt}: ${old ? old.verdict : 'not run'}`)}"></span>`;
  });
  return ` <span class="strip" title="earlier runs">${marks.join('')}</span>`;
}

function trendSection(r: Results, history: readonly Results[]): string {
  if (history.length === 0) return '';
  const runs = [...history, r];
  const pts = (pick: (x: Results) => number) => runs.map((x, i) => ({ x: i + 1 - runs.length, y: pick(x), label: `${x.run.startedAt}: ${pick(x)}` }));
  const counts = chart({
    title: `Verdicts over the last ${runs.length} runs`,
    xLabel: 'run (0 = this one)',
    yLabel: 'cases',
    series: [
      { name: 'passed', style: 'line', color: '#2a8a2a', points: pts((x) => x.totals.passed) },
      { name: 'failed', style: 'line', color: '#c62828', points: pts((x) => x.totals.failed + x.totals.errors) },
      { name: 'flaky', style: 'line', color: '#d98b00', points: pts((x) => x.totals.flaky) },
    ],
    xIntegers: true,
    yFromZero: true,
  });
  const wall = chart({ title: 'Wall time per run', xLabel: 'run (0 = this one)', yLabel: 'seconds', series: [{ name: 'wall time', style: 'line', points: pts((x) => Number(x.run.time.toFixed(1))) }], xIntegers: true, yFromZero: true });
  const rows = runs
    .map((x) => `<tr><td>${esc(x.run.startedAt)}</td><td>${esc(x.run.id)}</td><td>${esc(x.run.result)}</td><td class="n">${x.totals.passed}</td><td class="n">${x.totals.failed + x.totals.errors}</td><td class="n">${x.totals.flaky}</td><td class="n">${fmtSeconds(x.run.time)}</td></tr>`)
    .join('');
  return `<h2>Trend</h2><div class="plots">${counts}${wall}</div><table><tr><th>started</th><th>run</th><th>result</th><th>passed</th><th>failed</th><th>flaky</th><th>wall time</th></tr>${rows}</table>`;
}

export interface HtmlOptions {
  /** Earlier runs, oldest first, for the trend. */
  history?: readonly Results[];
}

export function buildHtml(r: Results, opts: HtmlOptions = {}): string {
  const history = opts.history ?? [];
  const stacks = [...new Set(r.cases.map((c) => c.stack).filter((s): s is string => s !== undefined))];
  const plots = [joinChart(r), ...stacks.flatMap((s) => throughputCharts(r, s))].filter((p) => p !== '');
  const suites = [...new Set(r.cases.map((c) => c.suite))];
  const body: string[] = [];
  body.push(`<header><h1>${esc(r.run.name)} — ${esc(r.run.result)}</h1>${totalsLine(r)}</header><main>`);
  // A board lost mid-run explains the failures of every case after it: said before the cases.
  const unhealthy = r.run.unhealthy ?? [];
  if (unhealthy.length) body.push(`<h2 id="unhealthy-boards">Unhealthy boards</h2><ul>${unhealthy.map((u) => `<li><span class="v failed">${esc(u.board)}</span> ${esc(u.reason)}</li>`).join('')}</ul>`);
  body.push(`<h2>Run</h2>${runFacts(r)}`);
  if (plots.length) body.push(`<h2>Figures</h2><div class="plots">${plots.join('')}</div>`);
  body.push(trendSection(r, history));
  const failing = r.cases.filter((c) => c.verdict === 'failed' || c.verdict === 'error');
  if (failing.length) body.push(`<h2>Failed</h2><ul>${failing.map((c) => `<li><a href="#${esc(c.id)}">${esc(c.name)}</a>${c.quarantine ? ' (quarantined)' : ''}: ${esc(c.message ?? '')}</li>`).join('')}</ul>`);
  body.push('<h2>Cases</h2>');
  for (const s of suites) {
    body.push(`<h3>${esc(s)}</h3>`);
    for (const c of r.cases.filter((x) => x.suite === s)) body.push(caseSection(c, history));
  }
  body.push(`<p class="muted">meshbench results format ${esc(r.format)} v${r.version}; data in results.json, JUnit in junit.xml.</p></main>`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(`${r.run.name}: ${r.run.result}`)}</title><style>${STYLE}</style></head><body>${body.join('\n')}</body></html>\n`;
}

export function writeHtml(path: string, r: Results, opts: HtmlOptions = {}): void {
  writeFileAtomic(path, buildHtml(r, opts));
}

/**
 * The earlier runs beside `runDir` (its sibling run directories, as `meshbench run`
 * makes them under reports/), newest `n`, oldest first; unreadable ones are left out.
 */
export function historyBeside(runDir: string, n: number, historyDir?: string): Results[] {
  if (n <= 0) return [];
  const root = historyDir ?? join(runDir, '..');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const found: Results[] = [];
  for (const name of names) {
    const dir = join(root, name);
    if (dir === runDir || name === 'latest') continue;
    try {
      if (!statSync(dir).isDirectory()) continue;
      found.push(readResults(dir).results);
    } catch {
      // not a run directory, or an older run without results.json
    }
  }
  return found.sort((a, b) => Date.parse(a.run.startedAt) - Date.parse(b.run.startedAt)).slice(-n);
}
