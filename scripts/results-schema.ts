// docs/results.schema.json, the JSON Schema of results.json, generated from the zod
// schema meshbench validates every results file with (harness/report/results.ts).
// Regenerate with `npx tsx scripts/results-schema.ts`; a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultsJsonSchema } from '../harness/report/results.ts';

const file = join(fileURLToPath(new URL('..', import.meta.url)), 'docs', 'results.schema.json');
writeFileSync(file, `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
