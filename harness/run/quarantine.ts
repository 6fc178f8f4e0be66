// The quarantine file: cases known to fail for a reason being worked on. They run
// and are reported (with the reason) but never fail the build, until their entry
// expires; an expired entry is ignored with a warning, so a quarantine cannot be
// forgotten. YAML or JSON, a list of { id, reason, expires: YYYY-MM-DD }.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';

const EntrySchema = z
  .object({
    id: z.string().min(1),
    reason: z.string().min(1, 'say why the case is quarantined'),
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD'),
  })
  .strict();

const ListSchema = z.array(EntrySchema);
const WrappedSchema = z.object({ quarantine: z.array(EntrySchema) }).strict();

export type QuarantineEntry = z.infer<typeof EntrySchema>;

export class QuarantineFileError extends Error {}

export interface Quarantine {
  /** Entries in force, by case id. */
  active: Map<string, QuarantineEntry>;
  /** One line per expired entry. */
  warnings: string[];
}

/** Reads a quarantine file; entries expire at the end of their day (UTC). */
export function loadQuarantine(path: string, now = new Date()): Quarantine {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new QuarantineFileError(`quarantine file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = YAML.parse(text);
  } catch (e) {
    throw new QuarantineFileError(`quarantine file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  // A bare list, or the list under `quarantine:`; each checked with its own schema so an error names the entry.
  const parsed = Array.isArray(data) || data === null ? ListSchema.safeParse(data ?? []) : WrappedSchema.transform((w) => w.quarantine).safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new QuarantineFileError(`quarantine file ${path}: ${i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid'} (a list of { id, reason, expires: YYYY-MM-DD })`);
  }
  const entries = parsed.data;
  const today = now.toISOString().slice(0, 10);
  const q: Quarantine = { active: new Map(), warnings: [] };
  for (const e of entries) {
    if (Number.isNaN(Date.parse(`${e.expires}T00:00:00Z`))) throw new QuarantineFileError(`quarantine file ${path}: ${e.id}: '${e.expires}' is not a date`);
    if (e.expires < today) q.warnings.push(`quarantine of ${e.id} expired on ${e.expires} (${e.reason}): it counts again; fix it or renew the entry`);
    else q.active.set(e.id, e);
  }
  return q;
}
