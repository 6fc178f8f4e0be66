// The rig file: a bench described in YAML (docs/rig-file.md). Validated with
// zod; the same schema generates rigs/rig.schema.json for editors.
import { z } from 'zod';
import { BoardIdSchema, BoundsSchema, DEFAULT_BOUNDS, ConfigValueSchema, MAX_BOARDS, RoleSchema } from './common.ts';
import { LabRigSchema } from './lab.ts';

export { BoundsSchema, RoleSchema, StackKindSchema } from './common.ts';

const id = BoardIdSchema;
const ConfigValue = ConfigValueSchema;

const Position = z.object({ x: z.number(), y: z.number(), z: z.number().optional() }).strict();

/** How a board takes part in one network kind: its role there and its own config keys. */
export const StackEntrySchema = z
  .object({
    role: RoleSchema,
    /** mbed-mesh-api keys (without the prefix) that override the network's config for this board. */
    config: z.record(z.string(), ConfigValue).default({}),
  })
  .strict();

/**
 * What a sim board runs: our stack (`meshbench-sim`), or OpenThread's CLI built for
 * virtual time (`openthread-vt`: `program` is its binary, relative to the rig file),
 * which the sim starts and drives on the bench clock and the medium.
 */
export const SimFirmwareSchema = z.enum(['meshbench-sim', 'openthread-vt']);

export const SimBoardSchema = z
  .object({
    id,
    firmware: SimFirmwareSchema.default('meshbench-sim'),
    program: z.string().min(1).optional(),
    position: Position.optional(),
    txPowerDbm: z.number().min(-30).max(20).default(0),
    /**
     * The board's own clock against bench time, as a lab board's crystal differs from its
     * neighbours': `t` = offsetS + bench time × (1 + driftPpm / 10^6). Figures must not depend on it.
     */
    clock: z.object({ offsetS: z.number().min(0).max(1e6).default(0), driftPpm: z.number().min(-1000).max(1000).default(0) }).strict().optional(),
    // The simulated firmware carries both stacks; a board offers the kinds it has an entry for.
    nd: StackEntrySchema.optional(),
    thread: StackEntrySchema.optional(),
  })
  .strict()
  .refine((b) => b.nd !== undefined || b.thread !== undefined, { message: "a board needs an 'nd' or a 'thread' entry (or both)" })
  .refine((b) => (b.firmware === 'openthread-vt') === (b.program !== undefined), { message: "firmware 'openthread-vt' needs 'program' (the ot-cli-ftd virtual-time binary); only it takes one", path: ['program'] })
  .refine((b) => b.firmware !== 'openthread-vt' || (b.thread !== undefined && b.nd === undefined), { message: "an 'openthread-vt' board runs Thread only: give it a 'thread' entry and no 'nd'" });

const Topology = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('positions'),
      exponent: z.number().min(1.5).max(6).default(3),
      refLossDb: z.number().default(40.2),
      shadowingSigmaDb: z.number().min(0).max(20).default(0),
    })
    .strict(),
  z
    .object({
      kind: z.literal('matrix'),
      /** "a-b": loss in dB. */
      links: z.record(z.string().regex(/^[a-z0-9_-]+~[a-z0-9_-]+$/, 'write a link as "<board>~<board>"'), z.number()),
      defaultLossDb: z.number().default(250),
    })
    .strict(),
]);

export const SimRigSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('sim'),
    description: z.string().optional(),
    /** Bench seconds per wall second, or "max". */
    speed: z.union([z.number().positive().max(10000), z.literal('max')]).default(10),
    seed: z.number().int().nonnegative().default(1),
    /** mbed_app.json-shaped network configs per stack kind, relative to the rig file. */
    networks: z.object({ nd: z.string().optional(), thread: z.string().optional() }).strict().default({}),
    radio: z
      .object({
        sensitivityDbm: z.number().default(-100),
        ccaThresholdDbm: z.number().default(-75),
        /** IEEE 802.15.4 §6.9.9: energy (mode 1), carrier (mode 2), carrier-or-energy (mode 3, OR). */
        ccaMode: z.enum(['energy', 'carrier', 'carrier-or-energy']).default('carrier-or-energy'),
        noiseFigureDb: z.number().default(6),
      })
      .strict()
      .default({ sensitivityDbm: -100, ccaThresholdDbm: -75, ccaMode: 'carrier-or-energy', noiseFigureDb: 6 }),
    topology: Topology,
    bounds: BoundsSchema.default(DEFAULT_BOUNDS),
    /** Wall seconds a case may run before it is stopped as an error (default 300; `run --case-timeout` overrides). */
    caseTimeoutS: z.number().positive().optional(),
    boards: z.array(SimBoardSchema).min(1).max(MAX_BOARDS, `at most ${MAX_BOARDS} boards`),
  })
  .strict();

/** A rig file: a simulated bench or boards on a lab runner, told apart by `kind`. */
export const RigSchema = z.discriminatedUnion('kind', [SimRigSchema, LabRigSchema]);

export type Rig = z.infer<typeof RigSchema>;
export type SimRig = z.infer<typeof SimRigSchema>;
export type { LabRig } from './lab.ts';
export type SimBoard = z.infer<typeof SimBoardSchema>;
export type StackEntry = z.infer<typeof StackEntrySchema>;
export type { StackKind } from '../../protocol/mesh.ts';
export type Role = z.infer<typeof RoleSchema>;
export type Bounds = z.infer<typeof BoundsSchema>;
