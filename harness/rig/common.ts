// Pieces both kinds of rig file share (sim rigs in schema.ts, lab rigs in
// lab.ts). Kept apart so schema.ts can build the union of both kinds without
// an import cycle.
import { z } from 'zod';
import { STACK_KINDS } from '../../protocol/mesh.ts';

export const BoardIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, - and _, at most 32');

/**
 * Boards a rig file may have. Each takes a pseudo-terminal or a serial port; a larger
 * count in a rig file is a mistake, not a lab, and once took ~3,700 of a host's 4,096
 * PTYs. The speed benchmark's 1024-board bench is not a rig file: it builds its sim
 * spec itself (test/bench/sim-bench.ts, docs/benchmarks.md) and checks nothing here.
 */
export const MAX_BOARDS = 256;

export const StackKindSchema = z.enum(STACK_KINDS);
export const RoleSchema = z.enum(['border-router', 'router', 'host', 'leader', 'reed', 'end-device']);

/** A configuration value as mbed_app.json writes it. */
export const ConfigValueSchema = z.union([z.string(), z.number(), z.boolean()]);

// Every default comes from outside this simulator; docs/rig-file.md gives each its source
// and the slack it allows (never more than 3× the expected figure).
export const BoundsSchema = z
  .object({
    /** connect → GLOBAL_UP/LOCAL_UP of any board of the rig. */
    joinWithinS: z.number().positive().default(120),
    /** connect on a network that is not there → MESH_BOOTSTRAP_FAILED. */
    bootstrapFailedWithinS: z.number().positive().default(21),
    /** Single-hop UDP goodput at least this fraction of the analytic limit. */
    goodputOfLimit: z.number().min(0).max(1).default(0.7),
    /** Delivery of light streams on good links, one frame or fragmented, at every hop count. */
    deliveryRatio: z.number().min(0).max(1).default(0.99),
    /** Saturated one-frame goodput over h hops at least this fraction of the one-hop analytic limit / min(h, 3). */
    multiHopGoodputOfLimit: z.number().min(0).max(1).default(0.4),
    /** One-way latency (half an echo round trip) p99 at light load at most this, per hop. */
    latencyP99MsPerHop: z.number().positive().default(36),
    /** Light control on Thread: a toggle reaches every board within this. */
    lightWithinS: z.number().positive().default(1),
    /** Light control on 6LoWPAN-ND: a toggle reaches every board within this (Nanostack's MPL, k = 1 on routers). */
    ndLightWithinS: z.number().positive().default(186),
  })
  .strict();

/** Every bound at its default (a rig file that names none). */
export const DEFAULT_BOUNDS: z.infer<typeof BoundsSchema> = { joinWithinS: 120, bootstrapFailedWithinS: 21, goodputOfLimit: 0.7, deliveryRatio: 0.99, multiHopGoodputOfLimit: 0.4, latencyP99MsPerHop: 36, lightWithinS: 1, ndLightWithinS: 186 };

export const NetworksSchema = z.object({ nd: z.string().optional(), thread: z.string().optional() }).strict();
