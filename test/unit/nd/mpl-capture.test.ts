// Nanostack's MPL on a 3-hop 6LoWPAN-ND line, captured on the medium and read by Wireshark's
// own dissectors: the light message carries the MPL option (RFC 7731 §4.2) with one sequence
// on every copy, and the MPL control messages (§4.3, ICMPv6 159) go to ff02::fc with hop
// limit 255 and dissect as seed infos naming that sequence. Nothing malformed, no expert
// warning. Skipped, saying why, where tshark cannot be installed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { tsharkFields } from '../../support/tshark.ts';
import { tsharkOrSkip } from '../../support/tools.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { line, ndBed } from './bed.ts';

describe("Nanostack's MPL through tshark (3-hop line)", function () {
  this.timeout(300_000); // installing tshark on a fresh machine takes a while
  let tshark = '';
  let dir = '';
  let pcap = '';

  // 6LoWPAN-ND's context 0 is the mesh prefix the RAs announce.
  const fields = (filter: string, names: string[]): Promise<string[][]> => tsharkFields(tshark, pcap, ['-o', '6lowpan.context0:fd00:db8::/64'], filter, names);


  before(async function () {
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-nd-mpl-'));
    pcap = join(dir, 'nd-mpl.pcap');
    const b = ndBed(93, line(3));
    b.bed.capture.start(pcap);
    b.nd('br').connect();
    b.connectAll(['r1', 'r2', 'r3']);
    expect(b.runUntilUp(['r1', 'r2', 'r3'], 60), 'line joined').to.equal(true);
    for (const id of ['br', 'r1', 'r2', 'r3']) b.nd(id).light();
    b.nd('r3').light().pressButton();
    // Every node's control Trickle starts with I anywhere up to Imax (5 minutes).
    b.bed.runFor(5 * 60 * SECOND);
    b.bed.capture.stop();
    for (const id of ['br', 'r1', 'r2', 'r3']) expect(b.nd(id).light().ledOn, `${id} LED`).to.equal(true);
  });

  after(() => {
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('nothing malformed, no expert warning', async () => {
    // Expert infos at warning level or above (0x00600000) mean trouble; chat and notes do not.
    const bad = await fields('_ws.malformed || _ws.expert.severity >= 0x00600000', ['frame.number', 'frame.protocols', '_ws.expert.message']);
    expect(bad.map((r) => r.join(' ')).join('\n')).to.equal('');
  });

  it('every light copy carries the MPL option (S = 0); control messages go to ff02::fc with hop limit 255 and name sequences that flew', async () => {
    // The press, and the example's own re-advertisements every 30-60 s after a message.
    const copies = await fields('udp.dstport == 1234 && ipv6.dst == ff15::810a:64d1', ['ipv6.opt.mpl.sequence', 'ipv6.opt.mpl.flag.s']);
    expect(copies.length).to.be.at.least(3); // r3's press, sent on by r2 and r1 at least
    expect(copies.every((r) => r[0] !== '' && r[1] === '0'), 'MPL option, S = 0 (the seed is the IPv6 source)').to.equal(true);
    const flew = new Set(copies.map((r) => parseInt(r[0]!, 16)));
    const controls = await fields('icmpv6.type == 159', ['ipv6.dst', 'ipv6.hlim', 'icmpv6.mpl.seed_info.sequence']);
    expect(controls.length).to.be.above(0);
    for (const [dst, hlim] of controls) expect([dst, hlim]).to.deep.equal(['ff02::fc', '255']);
    // What a node holds is named in its bitmap (what it dropped, only by a MinSequence past it).
    const named = controls.flatMap(([, , held]) => (held ? held.split(',').map(Number) : []));
    expect(named.length).to.be.above(0);
    expect(named.every((seq) => flew.has(seq)), `named ${[...new Set(named)].join(',')}; flew ${[...flew].join(',')}`).to.equal(true);
  });
});
