// The dispatcher side of OpenThread's virtual-time protocol for one bench:
// the UDP socket every node of the bench talks to, routing each datagram to
// the board whose port sent it, and a barrier that says when every datagram
// a node sent before some moment has been handled.
import dgram from 'node:dgram';
import { claimPortBlock, type PortBlock } from './port-block.ts';
import { emitVtEvent, parseVtEvent, type VtEvent } from './vt-event.ts';

export interface VtPeer {
  received(event: VtEvent): void;
}

export class VtDispatcher {
  private readonly peers = new Map<number, VtPeer>();
  private barrierSocket: dgram.Socket | undefined;
  private barrierPort = 0;
  private readonly barriers: Array<() => void> = [];
  private closed = false;

  private constructor(
    readonly block: PortBlock,
    private readonly onError: (text: string) => void,
  ) {
    block.socket.on('message', (msg, rinfo) => this.route(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo.port));
  }

  /** Claims a port block for `nodes` nodes (searched from `start`, so parallel runs spread out). */
  static async open(nodes: number, start: number, onError: (text: string) => void): Promise<VtDispatcher> {
    const d = new VtDispatcher(await claimPortBlock(nodes, start), onError);
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve());
    });
    d.barrierSocket = s;
    d.barrierPort = s.address().port;
    return d;
  }

  /** The environment a node process needs to find this dispatcher. */
  env(): Record<string, string> {
    return { PORT_BASE: String(this.block.base), PORT_OFFSET: String(this.block.offset) };
  }

  attach(nodeId: number, peer: VtPeer): void {
    this.peers.set(this.block.nodePort(nodeId), peer);
  }

  send(nodeId: number, event: VtEvent): void {
    if (this.closed) return;
    this.block.socket.send(emitVtEvent(event), this.block.nodePort(nodeId), '127.0.0.1');
  }

  /**
   * Calls `fn` once every datagram already queued for this dispatcher has been
   * handled: the socket's queue is first in, first out, so our own marker comes
   * out after them.
   */
  barrier(fn: () => void): void {
    if (this.closed || !this.barrierSocket) return;
    this.barriers.push(fn);
    this.barrierSocket.send(Uint8Array.of(0), this.block.dispatcherPort, '127.0.0.1');
  }

  private route(msg: Uint8Array, fromPort: number): void {
    if (fromPort === this.barrierPort) {
      this.barriers.shift()?.();
      return;
    }
    const peer = this.peers.get(fromPort);
    if (!peer) return;
    const ev = parseVtEvent(msg);
    if (!ev.ok) {
      this.onError(`virtual-time event from port ${fromPort}: ${ev.error}`);
      return;
    }
    peer.received(ev.value);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.block.socket.close();
    this.barrierSocket?.close();
  }
}
