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
  onBoot(cb: (identity: Partial<BoardIdentity>) => void): void;
  close(): Promise<void>;
}
