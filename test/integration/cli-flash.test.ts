// `run --flash`: images flashed by the rig's flashers under the run's own locks,
// per board id or role, before any case; each board must then report the rig's
// version, or the run stops (exit 3) saying which image it was flashed with. A
// target the rig does not have is a usage error before anything is touched.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_TOOLS, fakeOtRig, meshbench } from './lab/support.ts';

describe('meshbench run --flash on a lab rig (fake ot-cli-ftd boards, fake flasher)', function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mb-flashrun-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function rig(name: string, version?: string): string {
    const flasher = '    flasher: { kind: command, argv: [flash-cmd, --image, "{image}", --serial, "{board}"] }';
    let text = fakeOtRig({ name, lockDir: join(dir, 'locks'), boards: [{ id: 'br', node: 1, roles: ['border-router', 'leader'], extra: flasher }, { id: 'r1', node: 2, extra: flasher }] });
    if (version) text = text.replace('version: fake-1.4.0', `version: ${version}`);
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, text);
    return path;
  }

  it('flashes per board and per role under the run\'s locks, then runs; a board reporting another version stops the run (exit 3); an unknown target is exit 2', async () => {
    writeFileSync(join(dir, 'leader.hex'), ':00000001FF leader\n');
    writeFileSync(join(dir, 'router.hex'), ':00000001FF router\n');
    const env = { PATH: `${FAKE_TOOLS}:${process.env.PATH}`, FAKE_BOARD_STATE_DIR: dir };
    const common = ['run', '--suite', 'fixtures/suites/slow.spec.ts', '--grep', 'FIX-010', '--quiet'];
    // The good run first: the others flash the same boards (the images land in one directory).
    const ok = await meshbench([...common, '--rig', rig('good'), '--flash', `br=${join(dir, 'leader.hex')}`, '--flash', `router=${join(dir, 'router.hex')}`, '--out', join(dir, 'ok')], env);
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'br.image'), 'utf8')).to.include('leader');
    expect(readFileSync(join(dir, 'r1.image'), 'utf8')).to.include('router');
    expect(readFileSync(join(dir, 'ok', 'run.log'), 'utf8')).to.match(/"board":"br".*"msg":"flashed"/);
    const [wrong, unknown] = await Promise.all([
      meshbench([...common, '--rig', rig('newer', 'fake-2.0.0'), '--flash', join(dir, 'router.hex'), '--out', join(dir, 'wrong')], env),
      meshbench([...common, '--rig', rig('typo'), '--flash', `gateway=${join(dir, 'router.hex')}`, '--out', join(dir, 'typo')], env),
    ]);
    expect(wrong.code, wrong.stdout + wrong.stderr).to.equal(3);
    expect(wrong.stdout + wrong.stderr).to.match(/board br was flashed with \S+router\.hex but runs openthread-cli version '[^']*fake-1\.4\.0[^']*', the rig expects 'fake-2\.0\.0'/);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("--flash gateway=");
    expect(unknown.stderr).to.include("rig 'typo' has no board or role 'gateway'");
  });
});
