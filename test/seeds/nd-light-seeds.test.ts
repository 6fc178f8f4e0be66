// The 6LoWPAN-ND light cases of the default run on seeds 1-10, each seed a whole run on the
// default simulated rig: no failure, no skip, no rerun. Nanostack's MPL leaves some toggles to
// its control-message repair (docs/rig-file.md "Bounds", `ndLightWithinS`), so one seed is
// not enough to judge it; `npm run test:seeds` runs this beside the Thread sweep.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, type JUnitXml } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('the 6LoWPAN-ND light cases of the default run on seeds 1-10', function () {
  this.timeout(600_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: every LIGHT-ND case passes`, async () => {
      const out = mkdtempSync(join(tmpdir(), `meshbench-nd-light-seed${seed}-`));
      dirs.push(out);
      const r = await meshbench(['run', '--grep=LIGHT-ND-', '--seed', String(seed), '--out', out, '--quiet'], { cwd: ROOT });
      const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as JUnitXml;
      const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
      const bad = cases.filter((c) => c.failure || c.error || c.skipped || c.flakyFailure).map((c) => c.$.name);
      expect(bad, `seed ${seed}: ${r.stdout.slice(-3000)}${r.stderr}`).to.deep.equal([]);
      expect(cases.map((c) => c.$.name.split(' ')[0]).sort(), 'the LIGHT-ND cases').to.deep.equal(['LIGHT-ND-001', 'LIGHT-ND-002', 'LIGHT-ND-003', 'LIGHT-ND-004']);
      expect(r.code).to.equal(0);
    });
  }
});
