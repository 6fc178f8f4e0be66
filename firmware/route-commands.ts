// The agent's route command (docs/agent-protocol.md "Routes", an agent extension): the
// next hop the board's own Thread forwarding takes towards an RLOC16, so a host can
// trace a datagram's radio hops through routers of any firmware, as it does on
// OpenThread's CLI with `nexthop`.
import type { Args } from '../protocol/agent.ts';
import type { MeshInterface } from '../stack/mesh/mesh-interface.ts';
import { ThreadInterface } from '../stack/mesh/thread-interface.ts';
import { MAX_ROUTE_COST } from '../stack/thread/constants.ts';
import { AgentError, onlyKeys, type Handler } from './agent-error.ts';

/** Thread's invalid RLOC16 (Thread 1.1 §5.2.1.1), the answer with no route, as OpenThread's `nexthop` gives it. */
export const NO_ROUTE_RLOC16 = 0xfffe;

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

/** An RLOC16 argument: four hex digits, `0x` optional (as `mesh.status` prints `rloc16`, or OpenThread's CLI). */
export function parseRloc16(text: string | undefined, key: string): number {
  if (text === undefined) throw new AgentError('E_BAD_ARGUMENT', `${key}: missing`);
  const m = /^(?:0x)?([0-9a-f]{4})$/i.exec(text);
  if (!m) throw new AgentError('E_BAD_ARGUMENT', `${key}: expected an RLOC16, four hex digits (0x0400)`);
  return parseInt(m[1]!, 16);
}

export class RouteCommands {
  constructor(private readonly mesh: () => MeshInterface) {}

  handlers(): Record<string, Handler> {
    return { 'mesh.nexthop': (a) => this.nextHop(a) };
  }

  /** `next=<rloc16> cost=<n>`: the lookup mesh forwarding makes; `next=0xfffe cost=16` with no route or detached. */
  private nextHop(args: Args): Args {
    onlyKeys(args, ['dest']);
    const dest = parseRloc16(args.dest, 'dest');
    const mesh = this.mesh();
    if (!(mesh instanceof ThreadInterface)) throw new AgentError('E_UNSUPPORTED', `mesh.nexthop is Thread's; this interface is '${mesh.kind}'`);
    const hop = mesh.thread?.mle?.nextHopAndCost(dest);
    if (!hop) return { next: hex4(NO_ROUTE_RLOC16), cost: String(MAX_ROUTE_COST) };
    // An end device knows the cost only as far as its parent's router ID.
    return { next: hex4(hop.next), ...(hop.cost !== undefined ? { cost: String(Math.min(hop.cost, MAX_ROUTE_COST)) } : {}) };
  }
}
