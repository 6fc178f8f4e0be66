// What the harness needs from a board, whatever firmware it runs. The agent
// driver speaks docs/agent-protocol.md; other firmware kinds (e.g. the
// OpenThread CLI) get a driver that maps the same calls onto their commands.
import type { StackKind } from '../rig/schema.ts';

export interface BoardIdentity {
  firmware: string;
  version: string;
  protocol?: string;
  eui64?: string;
  stacks: StackKind[];
  /**
   * The air the board's radio is on, when its firmware tells: 'ieee802154' a
   * real 2.4 GHz radio; 'no-airtime' a simulated radio whose frames take no
   * time on the air and reach every node (OpenThread's simulation platform).
   */
  air?: 'ieee802154' | 'no-airtime';
}

/** One mesh event as the Mesh API reports it, stamped with board time (µs). */
export interface MeshEventRecord {
  t: number;
  event: string;
  /** The NSAPI connection status after the event. */
  status: string;
  /** Whether the app's status callback ran (Mbed suppresses some). */
  callback: boolean;
}

export interface BoardStatus {
  status: string;
  /** Anything else the firmware tells: role, channel, panid, rloc16, partition, parent... */
  details: Record<string, string>;
}

/** A result code with the board time at which the board answered. */
export interface Timed<T> {
  value: T;
  t: number;
}

/** What an application on the board reported: a datagram, a finished burst, the light. */
export type AppEvent =
  /** `hopsInferred`: the driver told the hops from tables, not from a packet (an OpenThread CLI board off a direct link). */
  | { kind: 'udp'; t: number; socket: number; src: string; srcPort: number; length: number; hops: number; hopsInferred?: boolean; head: string }
  | { kind: 'udp.burst'; t: number; socket: number; sent: number; failed: number }
  | { kind: 'light'; t: number; led: boolean; from: string; hops: number; hopsInferred?: boolean }
  | ({ kind: 'ping'; t: number } & PingResult);

/**
 * A finished ping: Echo Requests sent, replies received, and their round trips timed on the
 * pinging board's own clock (µs; -1 without a reply), so no other board's clock enters.
 */
export interface PingResult {
  sent: number;
  received: number;
  rttMinUs: number;
  rttP50Us: number;
  rttP99Us: number;
  rttMaxUs: number;
  /** The most radio hops a reply travelled (-1 without a reply). */
  maxHops: number;
}

export interface PingRequest {
  /** Echo data bytes (at least 12: the agent stamps a sequence number and its send time). */
  length: number;
  count: number;
  intervalUs: number;
}

/** A UDP socket's counters (docs/agent-protocol.md, `udp.stats`). */
export interface UdpStats {
  rxPackets: number;
  rxBytes: number;
  /** Board time of the first and last datagram received (µs). */
  rxFirstT: number;
  rxLastT: number;
  maxHops: number;
  /** Whether maxHops was inferred from tables rather than measured from a packet. */
  maxHopsInferred?: boolean;
  latP50Us: number;
  latP99Us: number;
  txPackets: number;
  txFailed: number;
}

/** A datagram to send: given bytes, or a generated payload of this length (sequence number and send time first). */
export type UdpPayload = { data: Uint8Array } | { length: number };

export interface BoardDriver {
  readonly kind: string;
  identify(): Promise<BoardIdentity>;
  /** MeshInterface::initialize with mbed-mesh-api keys; returns an nsapi_error_t. */
  meshInit(stack: StackKind, config: Record<string, string>): Promise<Timed<number>>;
  /** Change configuration keys for the next bootstrap attempt. */
  meshConfig(config: Record<string, string>): Promise<void>;
  connect(): Promise<Timed<number>>;
  disconnect(): Promise<Timed<number>>;
  status(): Promise<BoardStatus>;
  ipAddresses(): Promise<string[]>;
  /** Firmware-level reset command (rig controls do the hardware reset). */
  softReset(): Promise<void>;
  onMeshEvent(cb: (e: MeshEventRecord) => void): void;
  /** Opens a UDP socket bound to `port` (0: any); `events` asks for an event per datagram. */
  udpOpen(port: number, events: boolean): Promise<Timed<{ result: number; socket?: number }>>;
  /** sendto(): bytes sent, or a negative nsapi_error_t. */
  udpSend(socket: number, addr: string, port: number, payload: UdpPayload, hopLimit?: number): Promise<Timed<number>>;
  /** Starts `count` generated datagrams back to back (or `intervalUs` apart); a `udp.burst` event ends it. */
  udpBurst(socket: number, addr: string, port: number, length: number, count: number, intervalUs?: number): Promise<Timed<number>>;
  udpStats(socket: number): Promise<UdpStats>;
  udpClose(socket: number): Promise<Timed<number>>;
  /** The light-control example's button: toggles and multicasts; the sendto() result and the new state. */
  lightPress(): Promise<Timed<{ result: number; state: boolean }>>;
  lightGet(): Promise<{ led: boolean; received: number; sent: number }>;
  onAppEvent(cb: (e: AppEvent) => void): void;
  /** The board's clock now (µs): the `t` of a no-op request, for estimating its offset from the bench clock. */
  boardTime(): Promise<number>;
  /** Starts a ping (ICMPv6 Echo, RFC 4443) to `addr`: 0 or a negative nsapi_error_t; a `ping` app event ends it. */
  ping(addr: string, req: PingRequest): Promise<Timed<number>>;
  onBoot(cb: (identity: Partial<BoardIdentity>) => void): void;
  close(): Promise<void>;
}
