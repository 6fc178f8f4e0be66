// A lab rig's sniffer: ot-rcp in promiscuous mode next to a real ot-cli-ftd leader
// on one simulated air. A case's capture holds the frames heard while it ran, in
// LINKTYPE 283 with the RCP's RSSI and LQI, and tshark decodes them as Thread MLE.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabSniffer } from '../../../harness/host/lab-sniffer.ts';
import { tsharkOrSkip } from '../../support/tools.ts';
import { completeOtDataset, otBinary, otBoard, ourBoard, portOffset, THREAD, until } from './support.ts';

describe('a sniffer RCP gives a case its capture', function () {
  this.timeout(120_000);
  it('captures an OpenThread leader\'s MLE advertisements between startCase and stopCase, with RSSI and LQI in the TAP header; our board\'s attach under its random extended address', async function () {
    const rcp = otBinary(this, 'MESHBENCH_OT_RCP', 'ot-rcp');
    const ftd = otBinary(this, 'MESHBENCH_OT_CLI_FTD', 'ot-cli-ftd');
    const tshark = await tsharkOrSkip(this);
    const dir = mkdtempSync(join(tmpdir(), 'mb-rcp-sniff-'));
    const offset = portOffset();
    const sniffer = new LabSniffer([`spawn:${rcp}`, '--time-speed=10', '7'], 22, { cwd: dir, env: { PORT_OFFSET: String(offset) } });
    const leader = await otBoard(ftd, 1, { speed: 10, cwd: dir, offset });
    try {
      await sniffer.start();
      await leader.driver.meshInit('thread', THREAD);
      await completeOtDataset(leader);
      await leader.driver.connect();
      await until('leader', () => leader.events.find((e) => e.status === 'LOCAL_UP'));
      const pcap = join(dir, 'capture.pcap');
      const before = sniffer.frames;
      const wallS = () => (performance.timeOrigin + performance.now()) / 1000;
      const startS = wallS();
      sniffer.startCase(pcap);
      // MLE advertisements come every few seconds of Thread time (Trickle); at 10x a few arrive in a couple of wall seconds.
      await until('three frames', () => (sniffer.frames >= before + 3 ? true : undefined), 30_000);
      const stopping = sniffer.stopCase();
      const stopS = wallS();
      await stopping;
      const r = await execa(tshark, ['-r', pcap, '-o', `uat:ieee802154_keys:"${THREAD['thread-master-key']}","1","Thread hash"`, '-T', 'fields', '-e', 'wpan-tap.rss', '-e', 'wpan-tap.lqi', '-e', 'wpan-tap.ch_num', '-e', 'mle.cmd', '-e', '_ws.malformed', '-e', 'frame.time_epoch'], { all: true, reject: false });
      expect(r.exitCode, r.all).to.equal(0);
      const rows = r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
      // (Three frames had arrived; one read late may be stamped before startCase, and is not the case's.)
      expect(rows.length).to.be.at.least(1);
      // The frames of the case: none stamped before startCase (by the sniffer process's wall clock;
      // 50 ms allows for two processes' reading of it); it ends at the sniffer's mark, after every
      // frame its RCP heard before stopCase, so a frame read late may be stamped after stopS.
      const stamps = rows.map((row) => Number(row[5]));
      expect(stamps.filter((t) => !(t >= startS - 0.05)), `stamps ${stamps.join(', ')} vs start ${startS} (stop ${stopS})`).to.deep.equal([]);
      expect(readFileSync(pcap).readUInt32LE(20)).to.equal(283);
      for (const [rss, lqi, ch, , malformed] of rows) {
        expect(Number(rss)).to.equal(-20); // what ot-rcp's simulated radio reports for every frame (its STREAM_RAW RSSI)
        expect(lqi).to.not.equal('');
        expect(ch).to.equal('22');
        expect(malformed ?? '').to.equal('');
      }
      // MLE command type 4 is an Advertisement (MLE command types: 0 Link Request … 4 Advertisement).
      expect(rows.some((row) => row[3] === '4'), JSON.stringify(rows)).to.equal(true);

      // Our board attaching in a case of its own: tshark finds its MLE under the random extended
      // address it reports (not the RCP's EUI-64), and opens it with the network key.
      const ours = await ourBoard(rcp, 2, { speed: 10, cwd: dir, offset, id: 'ours' });
      try {
        const joinPcap = join(dir, 'join.pcap');
        sniffer.startCase(joinPcap);
        await ours.driver.meshInit('thread', THREAD);
        await ours.driver.connect();
        await until('our node attached', () => ours.events.find((e) => e.status === 'LOCAL_UP'));
        const ext = (await ours.driver.status()).details.ext_address ?? '';
        await sniffer.stopCase();
        expect(ext).to.match(/^[0-9a-f]{16}$/);
        const j = await execa(tshark, ['-r', joinPcap, '-o', `uat:ieee802154_keys:"${THREAD['thread-master-key']}","1","Thread hash"`, '-T', 'fields', '-e', 'wpan.src64', '-e', 'mle.cmd', '-e', '_ws.malformed'], { all: true, reject: false });
        expect(j.exitCode, j.all).to.equal(0);
        const joinRows = j.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
        const fromUs = joinRows.filter((row) => row[0]?.replaceAll(':', '') === ext);
        // MLE command types 9 Parent Request and 11 Child ID Request: our attach, decrypted.
        expect(fromUs.map((row) => row[1]), JSON.stringify(joinRows)).to.include.members(['9', '11']);
        expect(joinRows.filter((row) => (row[2] ?? '') !== ''), 'malformed').to.deep.equal([]);
      } finally {
        await ours.driver.close();
      }
    } finally {
      await leader.driver.close();
      await sniffer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
