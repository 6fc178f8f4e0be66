// A 6LoWPAN-ND PSK join captured on the medium and read by Wireshark's own IEEE 802.15.4
// dissector (packet-ieee802154.c), given the PSK as a decryption key: every secured
// frame decrypts and its MIC checks, and the ND/RPL messages inside dissect. Without
// the key no ICMPv6 is visible. This checks our CCM* nonce, authenticated data and aux
// header against an implementation that is not ours. Skipped where tshark cannot be
// installed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { tsharkFields } from '../../support/tshark.ts';
import { tsharkOrSkip } from '../../support/tools.ts';
import { ND_SECURITY_DEFAULTS, type NdSecurity } from '../../../stack/mesh/nd-interface.ts';
import { toHex } from '../../../stack/wire/bytes.ts';
import { line, ndBed } from './bed.ts';

const PSK: NdSecurity = { ...ND_SECURITY_DEFAULTS, mode: 'PSK', keyId: 3 };
const [RS, RA, NS, NA, RPL] = [133, 134, 135, 136, 155];

describe('6LoWPAN-ND PSK frames through tshark', function () {
  this.timeout(300_000); // installing tshark on a fresh machine takes a while
  let tshark = '';
  let dir = '';
  let pcap = '';

  async function fields(key: string | undefined, filter: string, names: string[]): Promise<string[][]> {
    const keyPrefs = key ? ['-o', `uat:ieee802154_keys:"${key}","3","No hash"`] : [];
    return tsharkFields(tshark, pcap, [...keyPrefs, '-o', '6lowpan.context0:fd00:db8::/64'], filter, names);
  }


  before(async function () {
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-nd-psk-'));
    pcap = join(dir, 'nd-psk.pcap');
    const b = ndBed(92, line(2).map((n) => ({ ...n, config: { security: PSK } })));
    b.bed.capture.start(pcap);
    b.nd('br').connect();
    b.connectAll(['r1', 'r2']);
    expect(b.runUntilUp(['r1', 'r2'], 60), 'line joined').to.equal(true);
    b.bed.capture.stop();
  });

  after(() => {
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('with the PSK: every secured frame decrypts, nothing is malformed, RS/RA/NS/NA and RPL dissect', async () => {
    const key = toHex(PSK.key);
    const secured = await fields(key, 'wpan.security == 1', ['frame.number', 'wpan.aux_sec.sec_level', 'wpan.aux_sec.key_id_mode', 'wpan.aux_sec.key_index', 'frame.protocols']);
    expect(secured.length).to.be.above(10);
    for (const [n, level, mode, index, protocols] of secured) {
      expect([level, mode, index], `frame ${n}`).to.deep.equal(['0x05', '0x01', '0x03']);
      expect(protocols, `frame ${n} decrypted`).to.match(/6lowpan/);
    }
    const bad = await fields(key, '_ws.malformed || _ws.expert.severity >= 0x00600000', ['frame.number', 'frame.protocols', '_ws.expert.message']);
    expect(bad.map((r) => r.join(' ')).join('\n')).to.equal('');
    const types = new Set((await fields(key, 'icmpv6', ['icmpv6.type'])).map((r) => Number(r[0])));
    for (const t of [RS, RA, NS, NA, RPL]) expect(types.has(t), `ICMPv6 type ${t}`).to.equal(true);
  });

  it('without the key (or with another) no ICMPv6 is visible', async () => {
    expect(await fields(undefined, 'icmpv6', ['frame.number'])).to.deep.equal([]);
    expect(await fields('00112233445566778899aabbccddeeff', 'icmpv6', ['frame.number'])).to.deep.equal([]);
  });
});
