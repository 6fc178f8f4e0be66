// rigs/rig.schema.json, generated from the zod schema the loader validates
// with (both kinds of rig), so an editor completes and checks rig files. Regenerate with
// `npx tsx harness/lab/json-schema.ts` (a test fails when the file is stale).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { RigSchema } from '../rig/schema.ts';

export const RIG_SCHEMA_FILE = join(fileURLToPath(new URL('../..', import.meta.url)), 'rigs', 'rig.schema.json');

export function rigJsonSchema(): string {
  const schema = z.toJSONSchema(RigSchema, { io: 'input', unrepresentable: 'any' });
  return JSON.stringify({ ...schema, title: 'meshbench rig file' }, null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(RIG_SCHEMA_FILE, rigJsonSchema());
  console.log(`wrote ${RIG_SCHEMA_FILE}`);
}
