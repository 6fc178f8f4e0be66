// Pieces both kinds of rig file share (sim rigs in schema.ts, lab rigs in
// lab.ts). Kept apart so schema.ts can build the union of both kinds without
// an import cycle.
import { z } from 'zod';

export const BoardIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, - and _, at most 32');

export const StackKindSchema = z.enum(['nd', 'thread']);
export const RoleSchema = z.enum(['border-router', 'router', 'host', 'leader', 'reed', 'end-device']);

/** A configuration value as mbed_app.json writes it. */
export const ConfigValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export const BoundsSchema = z
  .object({
    /** connect → GLOBAL_UP/LOCAL_UP, per hop. */
    joinWithinS: z.number().positive().default(60),
    /** connect on a network that is not there → MESH_BOOTSTRAP_FAILED. */
    bootstrapFailedWithinS: z.number().positive().default(30),
    /** Throughput cases: single-hop UDP goodput at least this fraction of the analytic limit. */
    goodputOfLimit: z.number().min(0).max(1).default(0.7),
    /** Throughput cases: packet delivery ratio on good links. */
    deliveryRatio: z.number().min(0).max(1).default(0.99),
    /**
     * Multi-hop throughput: lightly loaded 1232-byte datagrams (13 fragments) delivered at
     * least this often. Each fragment must survive every hop, and along a line the node two
     * hops ahead of a sender is a hidden terminal to it.
     */
    fragmentedDeliveryRatio: z.number().min(0).max(1).default(0.5),
    /** Multi-hop throughput: saturated goodput over h hops at least this fraction of the one-hop analytic limit / h. */
    multiHopGoodputOfLimit: z.number().min(0).max(1).default(0.4),
    /** Multi-hop throughput: 99th-percentile latency of a lightly loaded stream at most this, per hop. */
    latencyP99MsPerHop: z.number().positive().default(100),
    /** Light control: a toggle reaches every board within this. */
    lightWithinS: z.number().positive().default(10),
  })
  .strict();

/** Every bound at its default (a rig file that names none). */
export const DEFAULT_BOUNDS: z.infer<typeof BoundsSchema> = { joinWithinS: 60, bootstrapFailedWithinS: 30, goodputOfLimit: 0.7, deliveryRatio: 0.99, fragmentedDeliveryRatio: 0.5, multiHopGoodputOfLimit: 0.4, latencyP99MsPerHop: 100, lightWithinS: 10 };

export const NetworksSchema = z.object({ nd: z.string().optional(), thread: z.string().optional() }).strict();
