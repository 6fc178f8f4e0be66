// The Thread cases of the default run on seeds 1-10, each seed a whole run on the
// default simulated rig: no failure, no skip, no rerun. Too long for `npm test`
// (about a minute a seed); `npm run test:seeds` runs it, and CI runs it after `npm test`.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, type JUnitXml } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('the Thread cases of the default run on seeds 1-10', function () {
  this.timeout(600_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: every Thread case passes`, async () => {
      const out = mkdtempSync(join(tmpdir(), `meshbench-seed${seed}-`));
      dirs.push(out);
      const r = await meshbench(['run', '--grep=-TH-', '--seed', String(seed), '--out', out, '--quiet'], { cwd: ROOT });
      const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as JUnitXml;
      const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
      const bad = cases.filter((c) => c.failure || c.error || c.skipped || c.flakyFailure).map((c) => c.$.name);
      expect(bad, `seed ${seed}: ${r.stdout.slice(-3000)}${r.stderr}`).to.deep.equal([]);
      expect(cases.length, 'Thread cases run').to.be.at.least(20);
      expect(cases.every((c) => c.$.name.split(' ')[0]!.includes('-TH-')), 'only Thread cases').to.equal(true);
      expect(r.code).to.equal(0);
    });
  }
});
