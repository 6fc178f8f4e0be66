// A block of UDP ports of its own for one bench's OpenThread virtual-time
// nodes. A node binds PORT_BASE + PORT_OFFSET × 34 + its node id and sends to
// PORT_BASE + PORT_OFFSET × 34 (OpenThread examples/platforms/simulation:
// MAX_NETWORK_SIZE 33 plus the dispatcher), so a run that owns its
// dispatcher port and finds every node port free can never share a radio with
// another run on the machine.
import dgram from 'node:dgram';

/** OpenThread's simulation: at most 33 nodes per offset (MAX_NETWORK_SIZE). */
export const MAX_NODES_PER_BLOCK = 33;
const BLOCK = MAX_NODES_PER_BLOCK + 1;
/** Below Linux's ephemeral range (32768…), so no outgoing socket takes a node's port. */
export const VT_PORT_BASE = 20000;
const BLOCKS = Math.floor((32768 - VT_PORT_BASE) / BLOCK);

export interface PortBlock {
  base: number;
  offset: number;
  dispatcherPort: number;
  /** The socket bound to the dispatcher port. */
  socket: dgram.Socket;
  nodePort(nodeId: number): number;
}

function bind(port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(port, '127.0.0.1', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

/** Binds the dispatcher port of the first block (from `start`) whose `nodes` node ports are free too. */
export async function claimPortBlock(nodes: number, start: number): Promise<PortBlock> {
  if (nodes < 1 || nodes > MAX_NODES_PER_BLOCK) throw new RangeError(`${nodes} OpenThread nodes on one air: OpenThread's simulation takes 1..${MAX_NODES_PER_BLOCK}`);
  for (let i = 0; i < BLOCKS; i++) {
    const offset = (start + i) % BLOCKS;
    const dispatcherPort = VT_PORT_BASE + offset * BLOCK;
    const socket = await bind(dispatcherPort);
    if (!socket) continue;
    let free = true;
    for (let id = 1; id <= nodes && free; id++) {
      const probe = await bind(dispatcherPort + id);
      if (probe) probe.close();
      else free = false;
    }
    if (free) return { base: VT_PORT_BASE, offset, dispatcherPort, socket, nodePort: (id) => dispatcherPort + id };
    socket.close();
  }
  throw new Error(`no free block of ${BLOCK} UDP ports for OpenThread nodes from ${VT_PORT_BASE} to 32767`);
}
