// A soak profile (docs/soak.md): how long, what traffic, what churn at what rates,
// and what each window is checked against. Its own YAML file, validated here; the
// bounds it leaves out come from the rig's `bounds` (docs/rig-file.md).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ErrorCode } from '../errors.ts';

const seconds = z.number().positive();

const Churn = z.discriminatedUnion('kind', [
  /** Reset pin (serial break on a lab, the sim's reset control). */
  z.object({ kind: z.literal('reset'), perHour: seconds }).strict(),
  /** Power off for `offS`, then on (a pulled USB cable). */
  z.object({ kind: z.literal('power-cycle'), perHour: seconds, offS: seconds.default(5) }).strict(),
  /** disconnect(), `gapS` of bench time, connect(). */
  z.object({ kind: z.literal('disconnect'), perHour: seconds, gapS: seconds.default(5) }).strict(),
  /** Extra attenuation on the links from one board to every other for `forS`. */
  z.object({ kind: z.literal('fade'), perHour: seconds, db: seconds.default(30), forS: seconds.default(30) }).strict(),
  /** One board cut off the air for `forS`. */
  z.object({ kind: z.literal('partition'), perHour: seconds, forS: seconds.default(60) }).strict(),
  /** One board moved to `channel` for `forS`, then back (mesh.config, no disconnect). */
  z.object({ kind: z.literal('channel'), perHour: seconds, channel: z.number().int().min(11).max(26), forS: seconds.default(60) }).strict(),
]);
export type Churn = z.infer<typeof Churn>;

export const SoakProfileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The network kind the soak runs. */
    stack: z.enum(['nd', 'thread']),
    /** Bench seconds (simulated bench) or wall seconds (a lab). */
    durationS: seconds,
    windowS: seconds,
    traffic: z
      .object({
        /** Every board but the root sends one generated datagram to the root this often. */
        unicastPeriodS: seconds.optional(),
        unicastBytes: z.number().int().min(12).max(1232).default(32),
        /** A board, in turn, presses its light button this often (multicast toggle to all). */
        lightPeriodS: seconds.optional(),
      })
      .strict(),
    churn: z.array(Churn).default([]),
    checks: z
      .object({
        /** Share of the window's unicast datagrams delivered (default: the rig's deliveryRatio). */
        deliveryMin: z.number().min(0).max(1).optional(),
        /** p99 one-way latency, ms (default: the rig's latencyP99MsPerHop × the farthest board's hops). */
        latencyP99MaxMs: seconds.optional(),
        /** Every board churned is up again within this many seconds (default: the rig's joinWithinS). */
        backWithinS: seconds.optional(),
        /** Table bounds (mesh.status `neighbours`, `children`, `routes`); defaults in soakBounds(). */
        maxNeighbours: z.number().int().positive().optional(),
        maxChildren: z.number().int().positive().optional(),
        maxRoutes: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .refine((p) => p.windowS <= p.durationS, { message: 'windowS is longer than durationS', path: ['windowS'] });

export type SoakProfile = z.infer<typeof SoakProfileSchema>;

export class SoakProfileError extends Error {
  readonly code = ErrorCode.SOAK_PROFILE;
}

export function parseSoakProfile(text: string, where: string): SoakProfile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new SoakProfileError(`${where}: not YAML: ${(e as Error).message}`);
  }
  const r = SoakProfileSchema.safeParse(raw);
  if (!r.success) throw new SoakProfileError(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function loadSoakProfile(file: string): SoakProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SoakProfileError(`cannot read soak profile ${file}: ${(e as Error).message}`);
  }
  return parseSoakProfile(text, file);
}
