// Sim rig fields for OpenThread virtual-time boards (docs/rig-file.md):
// `firmware: openthread-vt` with its `program`, Thread only; the launch spec
// carries the program's absolute path.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isSimRig, loadRig, RigFileError } from '../../../harness/rig/load.ts';
import { simSpecOf } from '../../../harness/sim/spec.ts';

describe('sim rigs with OpenThread virtual-time boards', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rig-ot-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (boards: string) => {
    const path = join(dir, 'rig.yaml');
    writeFileSync(path, `name: t\nkind: sim\nnetworks: { thread: th.json, nd: nd.json }\ntopology: { kind: positions }\nboards:\n${boards}`);
    return loadRig(path);
  };
  const problems = (boards: string): string => {
    try {
      load(boards);
    } catch (e) {
      expect(e).to.be.instanceOf(RigFileError);
      return (e as Error).message;
    }
    return '';
  };

  it('rigs/sim-openthread.yaml loads: every board an OpenThread node, its program beside the repository', () => {
    const loaded = loadRig(resolve('rigs/sim-openthread.yaml'));
    expect(isSimRig(loaded)).to.equal(true);
    if (!isSimRig(loaded)) return;
    expect(loaded.rig.boards.map((b) => b.firmware)).to.deep.equal(Array(5).fill('openthread-vt'));
    const spec = simSpecOf(loaded.rig, { runDir: '/run', seed: 1, speed: 'max', rigDir: loaded.dir });
    expect(spec.boards[0]!.openthread!.program).to.equal(resolve('..', 'shared/openthread/bin/ot-cli-ftd-vt'));
    expect(spec.boards[0]).to.not.have.property('eui64');
  });

  it('an openthread-vt board needs its program, runs Thread only; a meshbench-sim board takes no program', () => {
    expect(problems('  - { id: a, firmware: openthread-vt, thread: { role: router }, position: { x: 0, y: 0 } }\n')).to.match(/needs 'program'/);
    expect(problems('  - { id: a, firmware: openthread-vt, program: ot, nd: { role: router }, thread: { role: router }, position: { x: 0, y: 0 } }\n')).to.match(/runs Thread only/);
    expect(problems('  - { id: a, program: ot, thread: { role: router }, position: { x: 0, y: 0 } }\n')).to.match(/needs 'program'.*only it takes one/);
    expect(problems('  - { id: a, firmware: openthread-vt, program: ot, thread: { role: router }, position: { x: 0, y: 0 } }\n')).to.equal('');
  });
});
