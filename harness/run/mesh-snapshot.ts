// The mesh as the boards report it at the end of a case: each board's
// `mesh.status` (role, parent, hops to the border router, rloc16...) and
// addresses, with each parent resolved to the board that holds it (6LoWPAN-ND
// names its RPL parent by link-local address, Thread a child's parent by RLOC16).
import type { Board } from '../board/board.ts';
import type { MeshNode, MeshSnapshot } from '../report/results.ts';

/** A board that does not answer in this long is drawn as unreachable (it may be powered off). */
const ANSWER_MS = 2000;

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  // A late answer or failure is dropped: never an unhandled rejection.
  return Promise.race([p.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

// Facts kept in the drawing's tooltip and results.json; counters and keys stay out.
const KEPT = ['role', 'phase', 'rank', 'parent', 'rloc16', 'partition_id', 'leader_router_id', 'neighbours', 'children', 'hops_to_br', 'routers', 'channel', 'panid'];

export async function meshSnapshot(boards: readonly Board[], atBenchS?: number): Promise<MeshSnapshot> {
  const answers = await Promise.all(
    boards.map(async (b) => {
      if (!b.powered) return { board: b, status: undefined, addrs: [] as string[] };
      const [status, addrs] = await Promise.all([within(b.status(), ANSWER_MS), within(b.ipAddresses(), ANSWER_MS)]);
      return { board: b, status, addrs: addrs ?? [] };
    }),
  );
  const byAddress = new Map<string, string>();
  const byRloc = new Map<string, string>();
  for (const a of answers) {
    for (const addr of a.addrs) byAddress.set(addr.toLowerCase(), a.board.id);
    const rloc = a.status?.details['rloc16'];
    if (rloc !== undefined) byRloc.set(rloc.toLowerCase(), a.board.id);
  }
  const nodes: MeshNode[] = answers.map((a) => {
    if (!a.status) return { board: a.board.id, status: a.board.powered ? 'unreachable' : 'powered-off', details: {} };
    const d = a.status.details;
    const details: Record<string, string> = {};
    for (const k of KEPT) if (d[k] !== undefined && k !== 'role') details[k] = d[k];
    const node: MeshNode = { board: a.board.id, status: a.status.status, details };
    if (d['role'] !== undefined) node.role = d['role'];
    const p = d['parent']?.toLowerCase();
    const parent = p === undefined ? undefined : (byAddress.get(p) ?? byRloc.get(p));
    if (parent !== undefined && parent !== a.board.id) node.parent = parent;
    const hops = Number(d['hops_to_br']);
    if (d['hops_to_br'] !== undefined && Number.isInteger(hops) && hops >= 0) node.hops = hops;
    return node;
  });
  return atBenchS === undefined ? { nodes } : { atBenchS, nodes };
}
