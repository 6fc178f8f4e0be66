// The report's plots, from results data: join time per board against hop count,
// goodput / delivery / latency per hop count and payload next to the rig's bounds
// and the analytic limit, and soak timelines. Each reads figures by the names the
// suites record them under (suites/join.spec.ts, suites/throughput.spec.ts).
import { hopsOf } from './mesh-svg.ts';
import type { CaseResult, Results } from './results.ts';
import { chart, type PlotSeries } from './svg.ts';

const STACK_NAME: Record<string, string> = { nd: '6LoWPAN-ND', thread: 'Thread' };

function stackName(s: string | undefined): string {
  return STACK_NAME[s ?? ''] ?? s ?? 'other';
}

/** Points (hops, join seconds) of every board whose join a case timed, with its hop count. */
export function joinPoints(cases: readonly CaseResult[]): Map<string, { x: number; y: number; label: string }[]> {
  const byStack = new Map<string, { x: number; y: number; label: string }[]>();
  for (const c of cases) {
    const fig = new Map(c.figures.map((f) => [f.name, f.value]));
    const meshHops = c.mesh ? hopsOf(c.mesh.nodes) : undefined;
    for (const f of c.figures) {
      const m = /^([a-z0-9_-]+)\.join_bench_s$/.exec(f.name);
      if (!m) continue;
      const board = m[1]!;
      const hops = fig.get(`${board}.hops_to_root`) ?? meshHops?.get(board);
      if (hops === undefined) continue;
      const list = byStack.get(c.stack ?? '') ?? [];
      list.push({ x: hops, y: f.value, label: `${c.id} ${board}: ${hops} hop(s), ${f.value} s` });
      byStack.set(c.stack ?? '', list);
    }
  }
  return byStack;
}

export function joinChart(r: Results): string {
  const pts = joinPoints(r.cases);
  if (pts.size === 0) return '';
  const series: PlotSeries[] = [...pts].map(([stack, points]) => ({ name: `${stackName(stack)} join`, points, style: 'points' }));
  const bound = r.run.bounds?.['joinWithinS'];
  const all = [...pts.values()].flat();
  const xs = all.map((p) => p.x);
  const top = Math.max(...all.map((p) => p.y));
  // A bound far above every join would flatten the points: it is named, not drawn.
  if (bound !== undefined && bound <= top * 3) series.push({ name: `rig bound joinWithinS (${bound} s)`, style: 'bound', color: '#444', points: [Math.min(...xs), Math.max(...xs)].map((x) => ({ x, y: bound })) });
  const title = `Join time per board against hop count${bound !== undefined && bound > top * 3 ? ` (rig bound ${bound} s, off the scale)` : ''}`;
  return chart({ title, xLabel: 'radio hops to the root', yLabel: 'connect → up (bench s)', series, xIntegers: true, yFromZero: true });
}

/** One throughput measurement: a stream of one payload class over some hops. */
export interface StreamFigure {
  stack: string;
  caseId: string;
  hops: number;
  kind: string;
  bytes: number;
  goodputKbps?: number;
  pdr?: number;
  latencyP99Ms?: number;
  limitKbps?: number;
  limitShareKbps?: number;
}

// `<h>hop.<peer>.<kind>.<n>B.<figure>` (THRU-*-002) or `<kind>.<n>B.<figure>` (THRU-*-001, one hop).
// A latency may be recorded per path rather than per payload: `<h>hop.<peer>.latency_p99_ms`.
const STREAM_FIGURE = /^(?:(\d+)hop\.[a-z0-9_-]+\.)?(?:([a-z_]+)\.(\d+)B\.)?(goodput_kbps|pdr|latency_p99_ms|limit_kbps|limit_share_kbps|hops)$/;

export function streamFigures(cases: readonly CaseResult[]): StreamFigure[] {
  const out = new Map<string, StreamFigure>();
  for (const c of cases) {
    for (const f of c.figures) {
      const m = STREAM_FIGURE.exec(f.name);
      if (!m) continue;
      const [, h, kind = 'stream', bytes = '0', what] = m;
      // A bare `hops` or `pdr` with neither hop prefix nor payload is not a stream's.
      if (h === undefined && m[2] === undefined) continue;
      const key = `${c.id}|${h ?? ''}|${kind}|${bytes}`;
      const s = out.get(key) ?? { stack: c.stack ?? '', caseId: c.id, hops: h !== undefined ? Number(h) : NaN, kind, bytes: Number(bytes) };
      if (what === 'goodput_kbps') s.goodputKbps = f.value;
      if (what === 'pdr') s.pdr = f.value;
      if (what === 'latency_p99_ms') s.latencyP99Ms = f.value;
      if (what === 'limit_kbps') s.limitKbps = f.value;
      if (what === 'limit_share_kbps') s.limitShareKbps = f.value;
      if (what === 'hops' && Number.isNaN(s.hops)) s.hops = f.value;
      out.set(key, s);
    }
  }
  return [...out.values()].filter((s) => Number.isFinite(s.hops));
}

function byClass(streams: StreamFigure[]): Map<string, StreamFigure[]> {
  const m = new Map<string, StreamFigure[]>();
  for (const s of streams) {
    const k = s.bytes > 0 ? `${s.kind.replace(/_/g, ' ')} ${s.bytes} B` : s.kind.replace(/_/g, ' ');
    m.set(k, [...(m.get(k) ?? []), s]);
  }
  return m;
}

/** Goodput, delivery and latency per hop count for one stack, with bounds and limits. */
export function throughputCharts(r: Results, stack: string): string[] {
  const streams = streamFigures(r.cases).filter((s) => s.stack === stack);
  if (streams.length === 0) return [];
  const b = r.run.bounds ?? {};
  const classes = byClass(streams);
  const name = stackName(stack);
  const measured = (pick: (s: StreamFigure) => number | undefined, unit: string): PlotSeries[] =>
    [...classes].map(([k, ss]) => ({
      name: k,
      style: 'line' as const,
      points: ss.flatMap((s) => {
        const y = pick(s);
        return y === undefined || y < 0 ? [] : [{ x: s.hops, y, label: `${s.caseId} ${k}, ${s.hops} hop(s): ${y} ${unit}` }];
      }),
    })).filter((s) => s.points.length > 0);

  const goodput = measured((s) => s.goodputKbps, 'kbit/s');
  // The analytic limit: per hop count for saturated streams (the one-hop limit / h), at one hop for THRU-*-001.
  const limits: PlotSeries[] = [];
  const shareByClass = [...classes].filter(([, ss]) => ss.some((s) => s.limitShareKbps !== undefined));
  for (const [k, ss] of shareByClass) {
    const pts = ss.filter((s) => s.limitShareKbps !== undefined).map((s) => ({ x: s.hops, y: s.limitShareKbps!, label: `analytic limit / ${s.hops} hop(s): ${s.limitShareKbps} kbit/s` }));
    limits.push({ name: `analytic limit / hops, ${k}`, style: 'bound', color: '#444', points: pts });
    if (b['multiHopGoodputOfLimit'] !== undefined) {
      const f = b['multiHopGoodputOfLimit'];
      limits.push({ name: `rig bound ${f} × limit / hops`, style: 'bound', color: '#d62728', points: pts.map((p) => ({ x: p.x, y: p.y * f, label: `bound: ${(p.y * f).toFixed(1)} kbit/s` })) });
    }
  }
  for (const s of streams.filter((x) => x.limitKbps !== undefined)) {
    limits.push({ name: `analytic limit ${s.kind.replace(/_/g, ' ')} ${s.bytes} B`, style: 'points', color: '#444', points: [{ x: s.hops, y: s.limitKbps!, label: `${s.caseId} analytic limit: ${s.limitKbps} kbit/s` }] });
    if (b['goodputOfLimit'] !== undefined) {
      const y = s.limitKbps! * b['goodputOfLimit'];
      limits.push({ name: `rig bound ${b['goodputOfLimit']} × limit, ${s.bytes} B`, style: 'points', color: '#d62728', points: [{ x: s.hops, y, label: `bound: ${y.toFixed(1)} kbit/s` }] });
    }
  }
  const hopsSpan = [Math.min(...streams.map((s) => s.hops)), Math.max(...streams.map((s) => s.hops))];
  const flat = (value: number | undefined, label: string, color: string): PlotSeries[] =>
    value === undefined ? [] : [{ name: label, style: 'bound', color, points: hopsSpan.map((x) => ({ x, y: value })) }];
  const pdrBounds = [...flat(b['deliveryRatio'], `rig bound deliveryRatio (${b['deliveryRatio']})`, '#d62728'), ...flat(b['fragmentedDeliveryRatio'], `rig bound fragmentedDeliveryRatio (${b['fragmentedDeliveryRatio']})`, '#ff7f0e')];
  const perHop = b['latencyP99MsPerHop'];
  const latencyBound: PlotSeries[] =
    perHop === undefined ? [] : [{ name: `rig bound ${perHop} ms × hops`, style: 'bound', color: '#d62728', points: [...new Set(streams.map((s) => s.hops))].map((x) => ({ x, y: perHop * x })) }];
  return [
    chart({ title: `${name}: goodput per hop count and payload`, xLabel: 'radio hops', yLabel: 'goodput (kbit/s)', series: [...goodput, ...limits], xIntegers: true, yFromZero: true }),
    chart({ title: `${name}: delivery ratio per hop count and payload`, xLabel: 'radio hops', yLabel: 'delivered / sent', series: [...measured((s) => s.pdr, ''), ...pdrBounds], xIntegers: true, yFromZero: true }),
    chart({ title: `${name}: latency p99 per hop count and payload`, xLabel: 'radio hops', yLabel: 'latency p99 (ms)', series: [...measured((s) => s.latencyP99Ms, 'ms'), ...latencyBound], xIntegers: true, yFromZero: true }),
  ];
}

/** A case's recorded time series (a soak's delivery, latency, reconnects over bench time). */
export function timelineChart(c: CaseResult): string {
  if (!c.series?.length) return '';
  const units = [...new Set(c.series.map((s) => s.unit))];
  return units
    .map((u) =>
      chart({
        title: `${c.id}: timeline${u ? ` (${u})` : ''}`,
        xLabel: 'bench time (s)',
        yLabel: u || 'value',
        series: c.series!.filter((s) => s.unit === u).map((s) => ({ name: s.name, style: 'line', points: s.points.map(([x, y]) => ({ x, y })) })),
        yFromZero: true,
        width: 720,
      }),
    )
    .join('');
}
