// An OpenThread node's /dev/urandom drawn from the bench's seed (sim/openthread/entropy.ts).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededUrandomAvailable, withSeededUrandom, writeSeededEntropy } from '../../../sim/openthread/entropy.ts';
import { SeededRng } from '../../../stack/runtime.ts';

describe('sim/openthread: a seeded /dev/urandom', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-entropy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the same seed writes the same bytes; another seed, other bytes', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, n)) as [string, string, string];
    writeSeededEntropy(a, new SeededRng(7));
    writeSeededEntropy(b, new SeededRng(7));
    writeSeededEntropy(c, new SeededRng(8));
    expect(readFileSync(a).equals(readFileSync(b))).to.equal(true);
    expect(readFileSync(a).equals(readFileSync(c))).to.equal(false);
    expect(readFileSync(a).length).to.equal(1 << 20);
  });

  it('a program started through it reads the file as /dev/urandom; a path with shell syntax is only a path', function () {
    const can = seededUrandomAvailable();
    if (!can.ok) {
      // A host without unprivileged user namespaces: OpenThread runs then read the host's urandom, and the run log says so.
      console.log(`      skipped: no namespace of its own here (${can.why})`);
      this.skip();
    }
    const file = join(dir, "we'ird $(touch pwned) name");
    writeSeededEntropy(file, new SeededRng(1));
    const { command, args } = withSeededUrandom(file, 'head', ['-c', '64', '/dev/urandom']);
    const got = execFileSync(command, args, { cwd: dir }); // were the name run as shell text, pwned would appear here
    expect(got.equals(readFileSync(file).subarray(0, 64))).to.equal(true);
    expect(() => readFileSync(join(dir, 'pwned'))).to.throw();
  });
});
