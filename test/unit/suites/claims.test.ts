// Issue-level rule for the conformance suites: every number a case's `checks` claims is
// used by that case's code (test/support/claims.ts), and the check itself can fail.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { unusedClaims } from '../../support/claims.ts';

const SUITES = join(import.meta.dirname, '../../../suites');
const SUPPORT = join(SUITES, 'support');
const supportFiles = readdirSync(SUPPORT)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(SUPPORT, f));

describe('case claims (checks) are asserted', function () {
  for (const f of readdirSync(SUITES).filter((x) => x.endsWith('.spec.ts'))) {
    it(`suites/${f}: every number a case's checks names is used by the case`, () => {
      const unused = unusedClaims(join(SUITES, f), supportFiles);
      expect(unused.map((u) => `${u.caseId}: '${u.text}'`)).to.deep.equal([]);
    });
  }

  it('finds a claim no code of its case uses, and accepts one in seconds used as µs', () => {
    const source = `
      testCase({ id: 'X-ND-001', title: 't', checks: 'a retry every 7 s', needs: { stack: 'nd' } }, async function () {
        await wait(3e6);
      });
      testCase({ id: 'X-ND-002', title: 't', checks: 'a retry every 7 s', needs: { stack: 'nd' } }, async function () {
        expectWithin(2);
      });
      function expectWithin(n: number) { expect(n).to.be.at.most(7e6); }
    `;
    const unused = unusedClaims(join(SUITES, 'virtual.spec.ts'), [], source);
    expect(unused.map((u) => [u.caseId, u.text])).to.deep.equal([['X-ND-001', '7 s']]);
  });
});
