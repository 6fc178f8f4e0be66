// An all-OpenThread rig (a leader, a router, an end device: real ot-cli-ftd
// built for virtual time) runs in lockstep bench time like our own boards: the
// same rig and --seed give byte-identical captures and the same figures, run
// after run (issue "OpenThread nodes on our simulated air", item 5). Each run
// goes through `meshbench run`, so the OpenThread CLI driver, its polling and
// its waits are the ones a user gets.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { meshbench } from '../../support/cli.ts';
import { otBinaryOrSkip } from '../../support/openthread.ts';

const CASES = 'JOIN-TH-002|THRU-TH-003';

interface Results {
  cases: Array<{ id: string; verdict: string; message?: string; figures: Array<{ name: string; value: number }>; attachments: Array<{ path: string; kind: string }> }>;
}

describe('OpenThread nodes in lockstep: the same seed, the same run', function () {
  this.timeout(300_000);
  let dir = '';
  let rig = '';

  before(function () {
    const program = otBinaryOrSkip(this, 'ot-cli-ftd-vt');
    dir = mkdtempSync(join(tmpdir(), 'meshbench-otlock-'));
    rig = join(dir, 'rig.yaml');
    const board = (id: string, x: number, y: number, role: string, config = '{}') =>
      `  - { id: ${id}, firmware: openthread-vt, program: ${JSON.stringify(program)}, position: { x: ${x}, y: ${y} }, thread: { role: ${role}, config: ${config} } }`;
    writeFileSync(
      rig,
      [
        'name: ot-lockstep',
        'kind: sim',
        'speed: max',
        `networks: { thread: ${JSON.stringify(resolve('fixtures/networks/thread-default.json'))} }`,
        'topology: { kind: positions, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 }',
        'boards:',
        // As rigs/sim-openthread.yaml: the leader serves a global prefix; routers upgrade after 1-10 s.
        board('leader', 0, 0, 'border-router', '{ border-router-prefix: "{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00}", router-selection-jitter: 10 }'),
        board('router', 40, 0, 'router', '{ router-selection-jitter: 10 }'),
        board('child', 0, 30, 'end-device'),
        '',
      ].join('\n'),
    );
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  async function run(name: string): Promise<{ out: string; results: Results }> {
    const out = join(dir, name);
    const r = await meshbench(['run', '--rig', rig, '--seed', '7', '--grep', CASES, '--out', out, '--quiet', '--trend', '0']);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.cases.map((c) => c.id), r.stderr).to.deep.equal(['JOIN-TH-002', 'THRU-TH-003']);
    return { out, results };
  }

  it('two runs of one seed: byte-identical captures, the same verdicts and figures', async () => {
    const a = await run('a');
    const b = await run('b');
    for (const c of a.results.cases) expect(c.verdict, `${c.id}: ${c.message ?? ''}`).to.equal('passed');
    expect(b.results.cases.map((c) => [c.id, c.verdict, c.figures])).to.deep.equal(a.results.cases.map((c) => [c.id, c.verdict, c.figures]));
    // The join times are measured, per board, in bench time.
    expect(a.results.cases[0]!.figures.map((f) => f.name)).to.include.members(['router.join_bench_s', 'child.join_bench_s']);
    const captures = a.results.cases.flatMap((c) => c.attachments.filter((x) => x.kind === 'capture').map((x) => x.path));
    expect(captures).to.have.length(2);
    for (const p of captures) {
      const first = readFileSync(join(a.out, p));
      expect(first.length, `${p} holds frames`).to.be.greaterThan(1000);
      expect(readFileSync(join(b.out, p)).equals(first), `${p} byte-identical`).to.equal(true);
    }
  });
});
