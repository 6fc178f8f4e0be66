// Shards and selection of the default run, without a bench: `list-cases` selects
// exactly as `run` does (cli-report.test.ts runs real shards and merges them).
import { expect } from 'chai';
import { join } from 'node:path';
import { meshbench } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');

function ids(stdout: string): string[] {
  return (JSON.parse(stdout) as { id: string }[]).map((e) => e.id);
}

describe('list-cases: shards of the default run and --grep / --grep-invert', function () {
  this.timeout(120_000);

  it('shards 1/3, 2/3 and 3/3 hold every case of the default run once, balanced; -TH- and its inverse split it by stack', async () => {
    const [all, s1, s2, s3, th, notTh] = await Promise.all(
      [[], ['--shard', '1/3'], ['--shard', '2/3'], ['--shard', '3/3'], ['--grep', '-TH-'], ['--grep', '-TH-', '--grep-invert']].map((extra) => meshbench(['list-cases', '--json', ...extra], { cwd: ROOT })),
    );
    for (const r of [all, s1, s2, s3, th, notTh]) expect(r?.code, r?.stderr).to.equal(0);
    const every = ids(all!.stdout);
    expect(every.length).to.be.greaterThan(40);
    const shards = [s1, s2, s3].map((r) => ids(r!.stdout));
    expect(shards.flat().sort()).to.deep.equal([...every].sort());
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
    expect(ids(th!.stdout).every((id) => id.includes('-TH-'))).to.equal(true);
    expect(ids(notTh!.stdout).every((id) => id.includes('-ND-'))).to.equal(true);
    expect(ids(th!.stdout).length + ids(notTh!.stdout).length).to.equal(every.length);
  });
});
