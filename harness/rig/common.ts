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
  })
  .strict();

export const NetworksSchema = z.object({ nd: z.string().optional(), thread: z.string().optional() }).strict();
