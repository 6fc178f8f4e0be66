// Many nodes in one test, on one bench clock, without PTYs or a wall clock:
// the medium, a scheduler and a seeded RNG per node. Runs are reproducible
// from the seed. What runs on each node (a bare radio, a MAC, a whole stack)
// is the caller's: pass `build` and it gets each node's radio, timers and rng.
import { SeededRng, type Micros, type Rng, type Timers } from '../stack/runtime.ts';
import { Capture } from './capture/capture.ts';
import { Medium, type MediumOptions, type MediumRadio, type NodeId, type Topology } from './medium/medium.ts';
import { Scheduler } from './medium/scheduler.ts';

export interface TestbedNodeSpec {
  id: NodeId;
  /** EUI-64 in natural byte order; default 00:12:4b:00:00:00:XX:XX with XX:XX = index + 1. */
  extAddress?: Uint8Array;
  channel?: number;
  txPowerDbm?: number;
}

/** What a node's software gets from the testbed (the shape of the stack's NodeEnv). */
export interface TestbedNodeEnv {
  id: NodeId;
  radio: MediumRadio;
  timers: Timers;
  rng: Rng;
  eui64: Uint8Array;
}

export interface TestbedNode<T> {
  id: NodeId;
  radio: MediumRadio;
  extAddress: Uint8Array;
  rng: SeededRng;
  timers: Timers;
  /** What `build` returned for this node (undefined without `build`). */
  app: T;
}

export interface TestbedOptions<T> {
  seed: number;
  topology: Topology;
  nodes: TestbedNodeSpec[];
  /** Receiver and CCA settings of the medium. */
  medium?: Omit<MediumOptions, 'scheduler' | 'rng' | 'topology'>;
  /** Builds each node's software, in node order, once all radios are attached. */
  build?: (env: TestbedNodeEnv) => T;
}

export interface Testbed<T> {
  scheduler: Scheduler;
  medium: Medium;
  rng: SeededRng;
  nodes: Array<TestbedNode<T>>;
  node(id: NodeId): TestbedNode<T>;
  /** Advances bench time by `us`, running every event due. */
  runFor(us: Micros): void;
  /** Runs events until `predicate()` holds (checked before each event); false if `limitUs` of bench time passed first. */
  runUntil(predicate: () => boolean, limitUs: Micros): boolean;
  capture: Capture;
}

export function defaultExtAddress(index: number): Uint8Array {
  const n = index + 1;
  return Uint8Array.of(0x00, 0x12, 0x4b, 0x00, 0x00, 0x00, (n >> 8) & 0xff, n & 0xff);
}

export function createTestbed<T = undefined>(opts: TestbedOptions<T>): Testbed<T> {
  const rng = new SeededRng(opts.seed);
  const scheduler = new Scheduler();
  // Forks in a fixed order (medium first, then nodes in order) keep each stream independent of the others' use.
  const medium = new Medium({ ...opts.medium, scheduler, rng: rng.fork(), topology: opts.topology });
  const attached = opts.nodes.map((spec, i) => {
    const radio = medium.attach(spec.id, {
      ...(spec.channel !== undefined ? { channel: spec.channel } : {}),
      ...(spec.txPowerDbm !== undefined ? { txPowerDbm: spec.txPowerDbm } : {}),
    });
    return { spec, radio, extAddress: spec.extAddress ?? defaultExtAddress(i), rng: rng.fork() };
  });
  const nodes: Array<TestbedNode<T>> = attached.map((a) => ({
    id: a.spec.id,
    radio: a.radio,
    extAddress: a.extAddress,
    rng: a.rng,
    timers: scheduler,
    app: (opts.build ? opts.build({ id: a.spec.id, radio: a.radio, timers: scheduler, rng: a.rng, eui64: a.extAddress }) : undefined) as T,
  }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    scheduler,
    medium,
    rng,
    nodes,
    node(id) {
      const n = byId.get(id);
      if (!n) throw new Error(`no node ${id} in this testbed`);
      return n;
    },
    runFor(us) {
      scheduler.runUntil(scheduler.now() + us);
    },
    runUntil(predicate, limitUs) {
      return scheduler.runWhileNot(predicate, scheduler.now() + limitUs);
    },
    capture: new Capture(medium),
  };
}
