import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialTransport } from '../../../harness/board/transport.ts';
import { checkAgent, formatVerdicts, type Verdict } from '../../../harness/lab/check-agent.ts';
import { PtyProcessTransport } from '../../../harness/lab/pty-process.ts';
import { launchSim, type RunningSim } from '../../../harness/sim/launcher.ts';

const BROKEN = join(import.meta.dirname, '../../../fixtures/fake-tools/broken-agent');
const byId = (vs: Verdict[]) => Object.fromEntries(vs.map((v) => [v.id, v.verdict]));

describe('check-agent', function () {
  this.timeout(40_000);

  it('passes the simulated bench\'s agent on a real PTY, requirement by requirement', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'mb-check-'));
    const sim: RunningSim = await launchSim({
      runDir,
      seed: 5,
      speed: 20,
      boards: [{ id: 'b1', txPowerDbm: 0 }],
      topology: { kind: 'matrix', lossDb: {}, defaultLossDb: 250 },
      radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 },
    });
    const port = new SerialTransport(sim.serialPath('b1'));
    try {
      await port.open();
      const vs = await checkAgent(port, { answerMs: 3000 });
      const failed = vs.filter((v) => v.verdict === 'fail');
      expect(failed, formatVerdicts(vs)).to.deep.equal([]);
      expect(vs.map((v) => v.id)).to.include.members(['identify', 'noop', 'ids', 'unknown-command', 'bad-argument', 'syntax', 'split', 'noise', 'overlong', 'mesh.init', 'mesh.connect', 'mesh.status', 'ip.addrs', 'mesh.disconnect', 'reset', 'once', 't']);
    } finally {
      await port.close();
      await sim.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  it('fails a broken agent on exactly what it gets wrong, with what it answered', async () => {
    const port = new PtyProcessTransport({ command: [process.execPath, BROKEN] });
    await port.open();
    try {
      const vs = await checkAgent(port, { answerMs: 500, bootMs: 500 });
      expect(byId(vs)).to.include({
        identify: 'fail',
        noop: 'pass',
        ids: 'pass',
        'unknown-command': 'fail',
        'bad-argument': 'fail',
        'missing-argument': 'fail',
        syntax: 'fail',
        split: 'fail',
        overlong: 'fail',
        'mesh.status': 'fail',
        reset: 'fail',
        t: 'fail',
      });
      const text = formatVerdicts(vs);
      expect(text).to.match(/FAIL  identify .*\n\s+no 'eui64'/);
      expect(text).to.match(/FAIL  unknown-command .*\n\s+answered err t=\d+ code=E_INTERNAL/);
      expect(text).to.match(/FAIL  t .*\n\s+t went from \d+ to \d+/);
    } finally {
      await port.close();
    }
  });
});
