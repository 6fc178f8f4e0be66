// A capture of a whole attach (leader, child, router upgrade, Link Request/Accept,
// advertisements, Address Solicit, secured data) checked with Wireshark's own
// dissectors (thread.md §7): with the network key every MLE message decrypts and
// decodes, with no malformed frame; with another key nothing does, which shows
// the air carries ciphertext. tshark is installed where missing (skipped, saying why, where it cannot be).
import { expect } from 'chai';
import { execa } from 'execa';
import { tsharkOrSkip } from '../../support/tools.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../stack/wire/bytes.ts';
import { TEST_CONFIG, mle, S, threadBench } from './thread-bench.ts';

const KEY = toHex(TEST_CONFIG.networkKey);
const OTHER_KEY = 'ffeeddccbbaa99887766554433221100';

async function fields(pcap: string, key: string, filter: string, names: string[]): Promise<string[][]> {
  // The settings of OpenThread's pktverify WIRESHARK_OVERRIDE_PREFS, with our mesh-local prefix.
  const r = await execa(
    'tshark',
    [
      '-r', pcap,
      '-o', `uat:ieee802154_keys:"${key}","1","Thread hash"`,
      '-o', 'wpan.802154_sec_suite:AES-128 Encryption, 32-bit Integrity Protection',
      '-o', 'thread.thr_seq_ctr:00000000',
      '-o', '6lowpan.context0:fd00:db8::/64',
      '-d', 'udp.port==61631,coap',
      '-Y', filter,
      '-T', 'fields', ...names.flatMap((n) => ['-e', n]),
    ],
    { reject: false, all: true },
  );
  expect(r.exitCode, r.all).to.equal(0);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

describe('attach capture against tshark (thread.md §7)', function () {
  this.timeout(60_000);
  let dir: string;
  let pcap: string;

  before(async function () {
    await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'thread-attach-'));
    pcap = join(dir, 'attach.pcap');
    const tb = threadBench({ seed: 81, ids: ['leader', 'joiner', 'med'], config: (id) => (id === 'med' ? { deviceType: 'minimal-end-device' } : {}) });
    tb.capture.start(pcap);
    tb.node('leader').app.iface.connect();
    tb.runFor(8 * S);
    tb.node('joiner').app.iface.connect();
    tb.runUntil(() => mle(tb.node('joiner').app).role === 'router', 10 * S);
    tb.node('med').app.iface.connect();
    tb.runFor(6 * S);
    tb.node('joiner').app.iface.thread!.sendUdp(mle(tb.node('leader').app).rlocAddress!, 49999, 49999, new TextEncoder().encode('hello'));
    tb.runFor(1 * S);
    tb.capture.stop();
    expect(mle(tb.node('joiner').app).role).to.equal('router');
    expect(mle(tb.node('med').app).role).to.equal('child');
  });
  after(() => {
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('with the network key: every MLE command of an attach decodes, and no frame is malformed', async () => {
    const malformed = await fields(pcap, KEY, '_ws.malformed || _ws.expert.severity == "Error"', ['frame.number', '_ws.expert.message']);
    expect(malformed, malformed.map((m) => m.join(' ')).join('\n')).to.deep.equal([]);
    const cmds = new Set((await fields(pcap, KEY, 'mle', ['mle.cmd'])).map((r) => Number(r[0])));
    // Link Request 0, Link Accept And Request 2, Link Accept 1, Advertisement 4, Parent Request 9,
    // Parent Response 10, Child ID Request 11, Child ID Response 12.
    for (const c of [0, 1, 2, 4, 9, 10, 11, 12]) expect(cmds, `MLE command ${c}`).to.include(c);
    const undecoded = await fields(pcap, KEY, 'mle && !mle.cmd', ['frame.number']);
    expect(undecoded).to.deep.equal([]);
    // MAC-secured frames decrypt too: the Address Solicit (CoAP POST a/as) and the data.
    const coap = await fields(pcap, KEY, 'coap', ['coap.code', 'coap.opt.uri_path']);
    expect(coap.some((r) => r[0] === '2' && r[1] === 'a,as')).to.equal(true);
    const data = await fields(pcap, KEY, 'udp.dstport == 49999', ['data.data']);
    expect(data.map((r) => r[0])).to.include('68656c6c6f');
  });

  it('with another key: no MLE command and no secured payload decodes', async () => {
    expect(await fields(pcap, OTHER_KEY, 'mle.cmd', ['mle.cmd'])).to.deep.equal([]);
    expect(await fields(pcap, OTHER_KEY, 'coap || udp.dstport == 49999', ['frame.number'])).to.deep.equal([]);
    // The MLE messages are still there, as ciphertext.
    expect((await fields(pcap, OTHER_KEY, 'mle', ['frame.number'])).length).to.be.above(10);
  });
});
