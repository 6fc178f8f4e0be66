// The switch that keeps outside checks from vanishing in CI: with CI=true or
// MESHBENCH_REQUIRE_TOOLS=1 a tool that cannot be had fails the test that needs
// it; elsewhere the test skips, saying why.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTool, MissingToolError, toolOrSkip, toolsRequired } from '../../support/tools.ts';

describe('test/support/tools: outside tools in CI', () => {
  const saved = { PATH: process.env.PATH, CI: process.env.CI, REQUIRE: process.env.MESHBENCH_REQUIRE_TOOLS };
  let empty = '';
  beforeEach(() => {
    // A PATH with nothing on it: no tool, and no apt-get to install one.
    empty = mkdtempSync(join(tmpdir(), 'meshbench-nopath-'));
    process.env.PATH = empty;
    delete process.env.CI;
    delete process.env.MESHBENCH_REQUIRE_TOOLS;
  });
  afterEach(() => {
    for (const [key, value] of [['PATH', saved.PATH], ['CI', saved.CI], ['MESHBENCH_REQUIRE_TOOLS', saved.REQUIRE]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(empty, { recursive: true, force: true });
  });

  it('reads the switch from CI=true or MESHBENCH_REQUIRE_TOOLS=1 only', () => {
    expect(toolsRequired({})).to.equal(false);
    expect(toolsRequired({ CI: 'true' })).to.equal(true);
    expect(toolsRequired({ MESHBENCH_REQUIRE_TOOLS: '1' })).to.equal(true);
    expect(toolsRequired({ MESHBENCH_REQUIRE_TOOLS: '0', CI: 'false' })).to.equal(false);
  });

  it('without the switch, a missing tool is a reason to skip', async () => {
    const r = await ensureTool('meshbench-absent-tool-a', 'meshbench-absent-package');
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.reason).to.match(/meshbench-absent-tool-a is not installed/);
    let skipped = false;
    const ctx = { timeout: (ms?: number) => ms ?? 2000, skip: () => { skipped = true; throw new Error('skipped'); } } as unknown as Mocha.Context;
    await toolOrSkip(ctx, 'meshbench-absent-tool-a', 'meshbench-absent-package').catch(() => undefined);
    expect(skipped).to.equal(true);
  });

  for (const [name, env] of [['MESHBENCH_REQUIRE_TOOLS=1', 'MESHBENCH_REQUIRE_TOOLS'], ['CI=true', 'CI']] as const) {
    it(`with ${name}, a missing tool fails the test instead of skipping it`, async () => {
      process.env[env] = env === 'CI' ? 'true' : '1';
      const binary = `meshbench-absent-tool-${env.toLowerCase()}`;
      const error = await ensureTool(binary, 'meshbench-absent-package').then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(MissingToolError);
      expect((error as Error).message).to.match(new RegExp(`${binary} is required here`));
      let skipped = false;
      const ctx = { timeout: (ms?: number) => ms ?? 2000, skip: () => { skipped = true; } } as unknown as Mocha.Context;
      const failed = await toolOrSkip(ctx, binary, 'meshbench-absent-package').then(() => undefined, (e: unknown) => e);
      expect(failed).to.be.instanceOf(MissingToolError);
      expect(skipped).to.equal(false);
    });
  }
});
