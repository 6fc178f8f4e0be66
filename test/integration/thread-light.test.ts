// The light-control multicast on a Thread chain a–b–c–d, captured and read by
// Wireshark with the network key: the press at d travels as MPL (RFC 7731) inside an
// IPv6-in-IPv6 tunnel to ff03::fc, as OpenThread sends a group wider than
// realm-local; every router forwards each new message with the outer hop limit one
// lower; the inner datagram (port 1234 to ff15::810a:64d1) arrives unchanged.
// Skipped, saying why, where tshark cannot be installed.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsharkOrSkip } from '../support/tools.ts';
import { SECOND } from '../../stack/runtime.ts';
import { toHex } from '../../stack/wire/bytes.ts';
import { mle, S, TEST_CONFIG, threadBench } from '../unit/thread/thread-bench.ts';

const IDS = ['a', 'b', 'c', 'd'];
const KEY = toHex(TEST_CONFIG.networkKey);

describe('light control on a Thread chain through tshark (MPL tunnel)', function () {
  this.timeout(300_000);
  let tshark = '';
  let dir = '';
  let pcap = '';
  const ext: Record<string, string> = {};
  const hops: Record<string, number[]> = {};

  async function fields(filter: string, names: string[]): Promise<string[][]> {
    // The settings of OpenThread's pktverify WIRESHARK_OVERRIDE_PREFS, with Mbed's mesh-local prefix (thread.md §7).
    const r = await execa(
      tshark,
      [
        '-r', pcap,
        '-o', `uat:ieee802154_keys:"${KEY}","1","Thread hash"`,
        '-o', 'wpan.802154_sec_suite:AES-128 Encryption, 32-bit Integrity Protection',
        '-o', 'thread.thr_seq_ctr:00000000',
        '-o', '6lowpan.context0:fd00:db8::/64',
        '-Y', filter,
        '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...names.flatMap((n) => ['-e', n]),
      ],
      { reject: false, all: true },
    );
    expect(r.exitCode, r.all).to.equal(0);
    return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
  }

  before(async function () {
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-thread-light-'));
    pcap = join(dir, 'light.pcap');

    const lossDb: Record<string, Record<string, number>> = { a: { b: 60 }, b: { c: 60 }, c: { d: 60 } };
    const tb = threadBench({ seed: 301, ids: IDS, topology: { kind: 'matrix', lossDb, defaultLossDb: 200 } });
    // From the start: Wireshark learns who is behind each RLOC16 from the attach, as it must to open frames sent from one.
    tb.capture.start(pcap);
    for (const id of IDS) {
      // The address the node sends from: its random Thread extended address, drawn at boot.
      ext[id] = toHex(tb.node(id).app.stack.mac.getExtAddress()).match(/../g)!.join(':');
      tb.node(id).app.iface.connect();
      expect(tb.runUntil(() => ['leader', 'router'].includes(mle(tb.node(id).app).role), 30 * S), `${id} router`).to.equal(true);
    }
    tb.runFor(30 * S);
    for (const id of IDS) {
      hops[id] = [];
      tb.node(id).app.iface.light().onChange((c) => hops[id]!.push(c.hops));
    }
    expect(tb.node('d').app.iface.light().pressButton()).to.equal(20);
    tb.runFor(1 * SECOND);
    tb.capture.stop();
  });

  after(() => {
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('every board lit once, with the hops the tunnel counted', () => {
    expect(IDS.map((id) => hops[id])).to.deep.equal([[3], [2], [1], [0]]);
  });

  it('decodes with the network key: no malformed frame, no expert warning', async () => {
    const bad = await fields('_ws.malformed || _ws.expert.severity >= 0x00600000', ['frame.number', 'frame.protocols', '_ws.expert.message']);
    expect(bad.map((r) => r.join(' ')).join('\n')).to.equal('');
  });

  it('an MPL tunnel to ff03::fc carrying the light datagram, forwarded by each router with the outer hop limit one lower', async () => {
    const light = toHex(new TextEncoder().encode('t:lights;g:001;s:1;\0'));
    const rows = await fields('udp.dstport == 1234', ['wpan.src64', 'ipv6.dst', 'ipv6.hlim', 'ipv6.opt.mpl.sequence', 'udp.payload']);
    expect(rows.length).to.be.at.least(4);
    for (const [, dsts, hlims, seq, payload] of rows) {
      // Outer then inner IPv6 header.
      expect(dsts).to.equal('ff03::fc,ff15::810a:64d1');
      expect(hlims!.split(',')[1]).to.equal('10'); // the inner datagram keeps the light's hop limit
      expect(seq).to.match(/^(0x[0-9a-f]{2}|\d+)$/);
      expect(payload).to.equal(light);
    }
    expect(new Set(rows.map((r) => r[3])).size).to.equal(1); // one MPL message, however many copies
    const outerBy = (id: string): number | undefined => {
      const r = rows.find((x) => x[0] === ext[id]);
      return r ? Number(r[2]!.split(',')[0]) : undefined;
    };
    expect(IDS.slice().reverse().map(outerBy)).to.deep.equal([64, 63, 62, 61]);
  });
});
