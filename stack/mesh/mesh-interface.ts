// MeshInterfaceNanostack's behaviour: the status cache, the event → status
// mapping with its suppressions, and the result codes of connect/disconnect
// (reference mbed-mesh-api.md §1–§3). The protocol work lives in a tasklet
// (ND or Thread), as in Nanostack's nd_tasklet.c / thread_tasklet.c.
import { LightControl } from '../apps/light-control.ts';
import type { DatagramService, EchoReplyReceived, ReceivedDatagram } from '../net/datagram.ts';
import type { Micros, Rng, Timers } from '../runtime.ts';
import { MeshEvent, Nsapi, type ConnectionStatus, type MeshEventName, type StackKind } from '../../protocol/mesh.ts';
import { REFUSAL_RESULT, UdpSockets, type MeshUdpSocket, type UdpEndpoint, type UdpOpenOptions } from './udp-socket.ts';

export interface MeshEventRecord {
  at: Micros;
  event: MeshEventName;
  /** The NSAPI status after the event. */
  status: ConnectionStatus;
  /** Whether the application's status callback ran (Mbed calls it only on a change, with exceptions). */
  callback: boolean;
}

/** What a protocol tasklet reports to the interface. */
export interface TaskletEvents {
  event(e: MeshEventName): void;
}

/** The protocol engine behind an interface (Nanostack's tasklet). */
export interface MeshTasklet {
  /** Starts bootstrapping; returns a tasklet result (0 ok, <0 Nanostack error). */
  connect(): number;
  /** Tears down registrations, routes and timers; the radio stays on. */
  disconnect(): void;
  /** Whether a bootstrap is under way or done (the tasklet owns the interface). */
  readonly active: boolean;
  hasLinkLocalAddress(): boolean;
  hasGlobalAddress(): boolean;
  addresses(): string[];
  /** Extra status facts for the agent's `mesh.status` (role, parent, ...). */
  details(): Record<string, string>;
}

export abstract class MeshInterface implements UdpEndpoint {
  abstract readonly kind: StackKind;
  private status: ConnectionStatus = 'DISCONNECTED';
  private listeners: Array<(r: MeshEventRecord) => void> = [];
  protected tasklet: MeshTasklet | undefined;
  readonly history: MeshEventRecord[] = [];
  private sockets: UdpSockets | undefined;
  /** The last bootstrap did not start (MESH_BOOTSTRAP_START_FAILED): the tasklet owns the interface until disconnect(). */
  private startFailed = false;
  private lightApp: LightControl | undefined;

  constructor(
    protected readonly timers: Timers,
    private readonly rng: Rng,
  ) {}

  /** Builds the tasklet; called by connect() the first time, as Mbed registers the phy on first connect. */
  protected abstract createTasklet(events: TaskletEvents): MeshTasklet;

  /** The stack's UDP service that this interface's sockets use. */
  protected abstract datagrams(): DatagramService;

  /**
   * UDPSocket::open(interface) and bind(port) (0: an ephemeral port): the socket, or the
   * nsapi_error_t that failed (PARAMETER for a port in use). Sockets may be opened before
   * connect() and stay open across disconnect(), as Mbed's do.
   */
  openUdp(port: number, onReceive: (d: ReceivedDatagram) => void, opts?: UdpOpenOptions): { result: number; socket?: MeshUdpSocket } {
    this.sockets ??= new UdpSockets(this.datagrams());
    return this.sockets.openUdp(port, onReceive, opts);
  }

  /**
   * An ICMPv6 Echo Request (RFC 4443 §4.1), as Nanostack's and OpenThread's ping send it:
   * 0, or the nsapi_error_t a UDP send would get for the destination. Replies go to `onEchoReply`.
   */
  echoRequest(dst: Uint8Array, identifier: number, sequence: number, data: Uint8Array, hopLimit: number): number {
    const refused = this.datagrams().echoRequest(dst, identifier, sequence, data, hopLimit);
    return refused ? REFUSAL_RESULT[refused] : Nsapi.OK;
  }

  onEchoReply(handler: (r: EchoReplyReceived) => void): void {
    this.datagrams().onEchoReply(handler);
  }

  /** The mesh-minimal light-control app on this interface, started on first use (port 1234, group ff15::810a:64d1). */
  light(): LightControl {
    if (!this.lightApp) {
      this.lightApp = new LightControl({ udp: this, timers: this.timers, rng: this.rng });
      this.lightApp.start();
    }
    return this.lightApp;
  }

  getConnectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** Every mesh event with the status it produced (a superset of the app callbacks). */
  onEvent(listener: (r: MeshEventRecord) => void): void {
    this.listeners.push(listener);
  }

  connect(): number {
    // Thread's guard is checked first (MeshInterfaceNanostack / ThreadInterface::connect).
    if (this.kind === 'thread') {
      if (this.status === 'LOCAL_UP' || this.status === 'GLOBAL_UP') return Nsapi.IS_CONNECTED;
      if (this.status === 'CONNECTING') return Nsapi.ALREADY;
    }
    if (!this.tasklet) this.tasklet = this.createTasklet({ event: (e) => this.handleEvent(e) });
    // After MESH_BOOTSTRAP_START_FAILED the tasklet still owns the interface and no retry
    // runs: connect() is refused until disconnect() (reference §3, "DISCONNECTED via START_FAILED").
    if (this.tasklet.active && this.startFailed) return Nsapi.DEVICE_ERROR;
    if (this.tasklet.active) {
      // The seed's promise: from an error state the app may connect again without
      // disconnect. Our tasklet accepts it and restarts bootstrap at once.
      if (this.status === 'CONNECTING' || this.status === 'DISCONNECTED') {
        this.tasklet.disconnect();
      } else {
        return Nsapi.DEVICE_ERROR; // ND, connected: the tasklet still owns the interface
      }
    }
    // Tasklet connect -1/-2/-3 → MESH_ERROR_PARAM/MEMORY/STATE → NSAPI_ERROR_UNSUPPORTED/NO_MEMORY/DEVICE_ERROR
    // (LoWPANNDInterface::mesh_connect and map_mesh_error; reference §1–§2).
    const r = this.tasklet.connect();
    if (r >= 0) return Nsapi.OK;
    if (r === -1) return Nsapi.UNSUPPORTED;
    if (r === -2) return Nsapi.NO_MEMORY;
    return Nsapi.DEVICE_ERROR;
  }

  disconnect(): number {
    // After initialize() but before connect() there is an interface and no tasklet: DEVICE_ERROR
    // (reference §1); the agent answers NO_CONNECTION when initialize() was never called.
    if (!this.tasklet) return Nsapi.DEVICE_ERROR;
    if (!this.tasklet.active) return Nsapi.DEVICE_ERROR;
    this.tasklet.disconnect();
    // The DISCONNECTED callback runs synchronously inside disconnect().
    this.handleEvent('MESH_DISCONNECTED');
    return Nsapi.OK;
  }

  ipAddresses(): string[] {
    return this.tasklet?.addresses() ?? [];
  }

  details(): Record<string, string> {
    return this.tasklet?.details() ?? {};
  }

  /** network_handler() of MeshInterfaceNanostack.cpp. */
  private handleEvent(event: MeshEventName): void {
    const previous = this.status;
    let next = previous;
    let callback = false;
    switch (MeshEvent[event]) {
      case MeshEvent.MESH_CONNECTED: {
        const global = this.tasklet?.hasGlobalAddress() ?? false;
        const local = this.tasklet?.hasLinkLocalAddress() ?? false;
        if (global) {
          next = 'GLOBAL_UP';
          callback = true; // fires even from GLOBAL_UP
        } else if (local) {
          next = 'LOCAL_UP';
          callback = previous !== next;
        }
        break;
      }
      case MeshEvent.MESH_CONNECTED_LOCAL:
        next = 'LOCAL_UP';
        callback = previous !== next;
        break;
      case MeshEvent.MESH_CONNECTED_GLOBAL:
        next = 'GLOBAL_UP';
        callback = previous !== next;
        break;
      case MeshEvent.MESH_BOOTSTRAP_STARTED:
      case MeshEvent.MESH_BOOTSTRAP_FAILED:
        next = 'CONNECTING';
        // Suppressed: GLOBAL_UP → CONNECTING by BOOTSTRAP_STARTED (mbed-os #8439, #10434).
        callback = previous !== next && !(previous === 'GLOBAL_UP' && event === 'MESH_BOOTSTRAP_STARTED');
        break;
      case MeshEvent.MESH_DISCONNECTED:
        next = 'DISCONNECTED';
        callback = previous !== next;
        break;
      case MeshEvent.MESH_BOOTSTRAP_START_FAILED:
        next = 'DISCONNECTED';
        callback = previous !== next && previous !== 'CONNECTING';
        break;
    }
    this.status = next;
    if (event === 'MESH_BOOTSTRAP_START_FAILED') this.startFailed = true;
    else if (event === 'MESH_DISCONNECTED' || event === 'MESH_BOOTSTRAP_STARTED') this.startFailed = false;
    const record: MeshEventRecord = { at: this.timers.now(), event, status: next, callback };
    this.history.push(record);
    if (this.history.length > 256) this.history.shift();
    for (const l of this.listeners) l(record);
  }
}
