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
      // Every UDP and light command, and their events, proven by one board alone (its own multicast copies): none skipped.
      const udpLight = ['udp.open', 'udp.open-in-use', 'udp.send-args', 'udp.no-socket', 'udp.join', 'udp.leave', 'udp.send', 'udp-event', 'udp.burst', 'udp.burst-event', 'udp.stats', 'udp.close', 'light.get', 'light.press', 'light-event'];
      expect(Object.fromEntries(vs.filter((v) => udpLight.includes(v.id)).map((v) => [v.id, v.verdict])), formatVerdicts(vs)).to.deep.equal(Object.fromEntries(udpLight.map((id) => [id, 'pass'])));
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
      const vs = await checkAgent(port, { answerMs: 500, bootMs: 500, upMs: 500 });
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
        'udp.open': 'pass',
        'udp.open-in-use': 'fail',
        'udp.send-args': 'fail',
        'udp.no-socket': 'fail',
        'udp.join': 'fail',
        'udp.leave': 'fail',
        'udp.send': 'pass',
        'udp-event': 'skip',
        'udp.burst': 'pass',
        'udp.burst-event': 'fail',
        'udp.stats': 'fail',
        'udp.close': 'fail',
        'light.get': 'pass',
        'light.press': 'fail',
        'light-event': 'fail',
      });
      const text = formatVerdicts(vs);
      expect(text).to.match(/FAIL  identify .*\n\s+no 'eui64'/);
      expect(text).to.match(/FAIL  unknown-command .*\n\s+answered err t=\d+ code=E_INTERNAL/);
      expect(text).to.match(/FAIL  t .*\n\s+t went from \d+ to \d+/);
      expect(text).to.match(/FAIL  udp.open-in-use .*\n\s+port 49152: result=0; port 1234: result=0/);
      expect(text).to.match(/SKIP  udp-event .*\n\s+the board is not up on its own within 500 ms .*; udp.send answered result=-3006/);
      expect(text).to.match(/FAIL  udp.stats .*\n\s+no integer max_hops/);
      expect(text).to.match(/FAIL  udp.close .*\n\s+close: result=0; again: result=0;/);
      expect(text).to.match(/FAIL  light-event .*\n\s+no light event within 500 ms/);
    } finally {
      await port.close();
    }
  });
});
