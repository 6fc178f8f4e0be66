// One board's stack: the owner of its MAC and mesh interface (as OpenThread's
// Instance owns its components). The host (sim process, many-node test) gives
// it a radio, timers, randomness and its EUI-64.
import { Mac } from './mac/mac.ts';
import type { MeshInterface } from './mesh/mesh-interface.ts';
import { LoWPANNDInterface, type NdConfig } from './mesh/nd-interface.ts';
import { ThreadInterface, type ThreadConfig } from './mesh/thread-interface.ts';
import { Nsapi, STACK_KINDS, type StackKind } from '../protocol/mesh.ts';
import type { Radio } from './phy.ts';
import type { Rng, Timers } from './runtime.ts';

export interface NodeEnv {
  radio: Radio;
  timers: Timers;
  rng: Rng;
  /** IEEE EUI-64, natural byte order. */
  eui64: Uint8Array;
}

export type MeshConfig = { kind: 'nd'; nd: NdConfig } | { kind: 'thread'; thread: ThreadConfig };

export class StackNode {
  readonly mac: Mac;
  mesh: MeshInterface | undefined;

  constructor(readonly env: NodeEnv) {
    // A channel access failure is tried again: Nanostack's adaptation layer hands the frame
    // back to the MAC on MLME_BUSY_CHAN (lowpan_adaptation_interface.c), OpenThread's SubMac
    // retries it; here bounded by macMaxFrameRetries, so a jammed channel still fails a send.
    this.mac = new Mac({ radio: env.radio, timers: env.timers, rng: env.rng, extAddress: env.eui64, retryOnChannelAccessFailure: true });
  }

  /** MeshInterface::initialize(). Returns an nsapi_error_t. */
  initMesh(config: MeshConfig): number {
    if (this.mesh) return Nsapi.IS_CONNECTED; // a second initialize: Mbed halts on a different phy, refuses the same one
    this.mesh = config.kind === 'thread' ? new ThreadInterface(this.env, this.mac, config.thread) : new LoWPANNDInterface(this.env, this.mac, config.nd);
    return Nsapi.OK;
  }

  supportedStacks(): StackKind[] {
    return [...STACK_KINDS];
  }
}
