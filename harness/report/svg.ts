// Plots as inline SVG strings, drawn when the report is written: no script, no
// network, nothing for the browser to fetch. One chart kind covers what the report
// shows: points and lines over a numeric x axis, with dashed lines for bounds and
// limits, a legend, and a tooltip (<title>) on every point.

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface PlotPoint {
  x: number;
  y: number;
  /** Tooltip text. */
  label?: string;
}

export interface PlotSeries {
  name: string;
  points: PlotPoint[];
  /** points: markers only; line: markers joined; bound: a dashed line without markers. */
  style: 'points' | 'line' | 'bound';
  color?: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  /** Integer ticks on x (hop counts). */
  xIntegers?: boolean;
  /** Start y at zero (ratios, throughput). */
  yFromZero?: boolean;
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** 1, 2 or 5 × 10^k steps, about `count` of them, covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const d = lo === 0 ? 1 : Math.abs(lo) / 2;
    return niceTicks(lo - d, hi + d, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  // From the last step at or below lo to the first at or above hi: the axis ends on a tick.
  const top = Math.ceil(hi / step - 1e-9) * step;
  for (let v = Math.floor(lo / step + 1e-9) * step; v <= top + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return String(Number(v.toFixed(1)));
  return String(Number(v.toPrecision(3)));
}

/** A chart as an <svg> element, or a short note when there is nothing to plot. */
export function chart(spec: ChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (pts.length === 0) return `<p class="empty">${esc(spec.title)}: nothing measured</p>`;
  const W = spec.width ?? 560;
  const legendRows = Math.ceil(spec.series.length / 2);
  const H = (spec.height ?? 300) + legendRows * 16;
  const m = { l: 58, r: 16, t: 28, b: 44 + legendRows * 16 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  let xmin = Math.min(...pts.map((p) => p.x));
  let xmax = Math.max(...pts.map((p) => p.x));
  let ymin = Math.min(...pts.map((p) => p.y));
  let ymax = Math.max(...pts.map((p) => p.y));
  if (spec.yFromZero) ymin = Math.min(0, ymin);
  if (spec.xIntegers) {
    xmin = Math.floor(xmin) - 0.5;
    xmax = Math.ceil(xmax) + 0.5;
  }
  const yt = niceTicks(ymin, ymax + (ymax - ymin) * 0.05);
  ymin = Math.min(ymin, yt[0]!);
  ymax = Math.max(ymax, yt[yt.length - 1]!);
  const xt = spec.xIntegers ? range(Math.ceil(xmin), Math.floor(xmax)) : niceTicks(xmin, xmax);
  if (!spec.xIntegers) {
    xmin = Math.min(xmin, xt[0]!);
    xmax = Math.max(xmax, xt[xt.length - 1]!);
  }
  const sx = (x: number) => m.l + (xmax === xmin ? pw / 2 : ((x - xmin) / (xmax - xmin)) * pw);
  const sy = (y: number) => m.t + ph - (ymax === ymin ? ph / 2 : ((y - ymin) / (ymax - ymin)) * ph);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">`);
  out.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="ct">${esc(spec.title)}</text>`);
  for (const t of yt) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${m.l - 6}" y="${y}" dy="4" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  for (const t of xt) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" class="axis"/><text x="${x}" y="${m.t + ph + 16}" text-anchor="middle" class="tick">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="frame"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" text-anchor="middle" class="al">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" class="al">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const ps = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (s.style !== 'points' && ps.length > 1) {
      const d = ps.map((p, j) => `${j ? 'L' : 'M'}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.style === 'bound' ? 1.5 : 2}"${s.style === 'bound' ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    if (s.style === 'bound' && ps.length === 1) {
      const y = sy(ps[0]!.y).toFixed(1);
      out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    }
    for (const p of ps) {
      const tip = `${s.name}: ${p.label ?? `${fmt(p.x)}, ${fmt(p.y)}`}`;
      const shape = s.style === 'bound' ? `r="2.5"` : `r="4"`;
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" ${shape} fill="${color}"><title>${esc(tip)}</title></circle>`);
    }
    const lx = m.l + (i % 2) * (pw / 2);
    const ly = H - legendRows * 16 + Math.floor(i / 2) * 16 - 2;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.style === 'bound' ? ' stroke-dasharray="4 3"' : ''}/><text x="${lx + 22}" y="${ly}" class="lg">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}
