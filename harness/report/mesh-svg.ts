// A drawing of the mesh as the boards reported it at the end of a case: one column
// per hop count from the root, an arrow from each board to the parent it named,
// colour by role. Nothing is inferred beyond what a board said, except a hop count
// one more than the parent's when the board gave none.
import type { MeshNode, MeshSnapshot } from './results.ts';
import { esc } from './svg.ts';

const ROLE_COLOR: Record<string, string> = {
  leader: '#d62728',
  'border-router': '#d62728',
  router: '#1f77b4',
  reed: '#17becf',
  child: '#2ca02c',
  'end-device': '#2ca02c',
  host: '#2ca02c',
  detached: '#7f7f7f',
  disabled: '#7f7f7f',
};

function isRoot(n: MeshNode): boolean {
  return n.role === 'leader' || n.role === 'border-router' || n.details['hops_to_br'] === '0';
}

/** Hops per board: reported, or the parent's plus one, or 0 for a root; undefined when unknown. */
export function hopsOf(nodes: readonly MeshNode[]): Map<string, number | undefined> {
  const byId = new Map(nodes.map((n) => [n.board, n]));
  const memo = new Map<string, number | undefined>();
  const visit = (n: MeshNode, seen: Set<string>): number | undefined => {
    if (memo.has(n.board)) return memo.get(n.board);
    let h: number | undefined = n.hops;
    if (h === undefined && n.status !== 'unreachable' && isRoot(n)) h = 0;
    if (h === undefined && n.parent !== undefined && !seen.has(n.parent)) {
      const p = byId.get(n.parent);
      const ph = p ? visit(p, new Set([...seen, n.board])) : undefined;
      if (ph !== undefined) h = ph + 1;
    }
    memo.set(n.board, h);
    return h;
  };
  for (const n of nodes) visit(n, new Set());
  return memo;
}

/**
 * `measured`: hops the case itself measured per board (its probes), used where a
 * board reported none (a Thread router does not say how far the leader is).
 */
export function meshSvg(snapshot: MeshSnapshot, title: string, measured: ReadonlyMap<string, number> = new Map()): string {
  const nodes = snapshot.nodes.map((n) => (n.hops === undefined && measured.has(n.board) ? { ...n, hops: measured.get(n.board)! } : n));
  if (nodes.length === 0) return '';
  // A hop count that is no whole number ≥ 0 (a board that reported -1: not measured) goes with the unknown.
  const hops = new Map([...hopsOf(nodes)].map(([board, h]) => [board, h !== undefined && Number.isInteger(h) && h >= 0 ? h : undefined]));
  const known = [...hops.values()].filter((h): h is number => h !== undefined);
  const maxHop = known.length ? Math.max(...known) : 0;
  const columns: MeshNode[][] = [];
  for (let h = 0; h <= maxHop; h++) columns.push(nodes.filter((n) => hops.get(n.board) === h));
  const unknown = nodes.filter((n) => hops.get(n.board) === undefined);
  if (unknown.length) columns.push(unknown);
  const colW = 130;
  const rowH = 58;
  const rows = Math.max(...columns.map((c) => c.length), 1);
  const W = Math.max(260, columns.length * colW + 40);
  const H = rows * rowH + 60;
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, ci) => col.forEach((n, ri) => pos.set(n.board, { x: 40 + ci * colW + colW / 2 - 20, y: 46 + ri * rowH + rowH / 2 - 10 })));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="mesh" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#555"/></marker></defs>');
  columns.forEach((_, ci) => {
    const label = ci <= maxHop && (ci < columns.length - 1 || !unknown.length) ? `${ci} hop${ci === 1 ? '' : 's'}` : 'hops unknown';
    out.push(`<text x="${40 + ci * colW + colW / 2 - 20}" y="18" text-anchor="middle" class="tick">${label}</text>`);
  });
  for (const n of nodes) {
    if (n.parent === undefined) continue;
    const a = pos.get(n.board);
    const b = pos.get(n.parent);
    if (!a || !b) continue;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const r = 16;
    out.push(
      `<line x1="${(a.x + (dx / len) * r).toFixed(1)}" y1="${(a.y + (dy / len) * r).toFixed(1)}" x2="${(b.x - (dx / len) * r).toFixed(1)}" y2="${(b.y - (dy / len) * r).toFixed(1)}" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"><title>${esc(`${n.board} → parent ${n.parent}`)}</title></line>`,
    );
  }
  for (const n of nodes) {
    const p = pos.get(n.board)!;
    const down = n.status === 'unreachable' || n.status === 'DISCONNECTED';
    const color = down ? '#bbbbbb' : (ROLE_COLOR[n.role ?? ''] ?? '#9467bd');
    const said = Object.entries({ status: n.status, role: n.role ?? '', ...n.details })
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    out.push(`<g class="node"><title>${esc(`${n.board}: ${said}`)}</title>`);
    out.push(`<circle cx="${p.x}" cy="${p.y}" r="16" fill="${color}"${down ? ' stroke="#555" stroke-dasharray="3 2"' : ''}/>`);
    out.push(`<text x="${p.x}" y="${p.y + 4}" text-anchor="middle" class="nid">${esc(n.board)}</text>`);
    const sub = [n.role, n.details['rloc16'] ? `rloc ${n.details['rloc16']}` : n.details['rank'] ? `rank ${n.details['rank']}` : undefined].filter(Boolean).join(' · ');
    out.push(`<text x="${p.x}" y="${p.y + 30}" text-anchor="middle" class="tick">${esc(down ? n.status.toLowerCase() : sub)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('');
}
