// Sixteen boards on a 4 × 4 grid through the agent, each on its own PTY in the
// sim process (fixtures/rigs/sim-grid16.yaml): the joins the in-process tests
// make of a 16-node grid, made by the suites over serial. The far corner is six
// hops from the border router / leader.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { meshbench, propertiesOf, type JUnitXml } from '../support/cli.ts';

const RIG = join(import.meta.dirname, '../../fixtures/rigs/sim-grid16.yaml');

describe('a 16-board grid through the agent (6LoWPAN-ND and Thread)', function () {
  this.timeout(300_000);
  let out = '';
  after(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('joins through routers hop by hop and all at once, on both network kinds', async () => {
    out = mkdtempSync(join(tmpdir(), 'meshbench-grid16-'));
    const r = await meshbench(['run', '--rig', RIG, '--grep', 'JOIN-(ND|TH)-00[34]', '--out', out, '--quiet']);
    expect(r.code, r.stdout.slice(-4000) + r.stderr).to.equal(0);
    const xml = (await parseStringPromise(readFileSync(join(out, 'junit.xml'), 'utf8'))) as JUnitXml;
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases.map((c) => c.$.name.split(' ')[0]).sort()).to.deep.equal(['JOIN-ND-003', 'JOIN-ND-004', 'JOIN-TH-003', 'JOIN-TH-004']);
    expect(cases.filter((c) => c.failure || c.error || c.skipped).map((c) => c.$.name)).to.deep.equal([]);
    for (const c of cases) {
      const p = propertiesOf(c);
      expect(p.get('board'), `${c.$.name}: the boards it used`).to.have.length(16);
      // Measured by the stacks: the corner is 3 + 3 grid steps away, so at least 6 hops. The mesh
      // need not take the shortest path (a node keeps the first good parent it hears), never more than 15.
      if (c.$.name.includes('-003')) expect(Number(p.get('hops')?.[0]), `${c.$.name}: hops`).to.be.within(6, 15);
    }
  });
});
