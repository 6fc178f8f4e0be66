// A capture of the simulated medium must be something Wireshark reads without
// complaint: every frame decodes, FCS good, channel and RSSI from the TAP
// header, and the 6LoWPAN/IPv6/ICMPv6/UDP layers of frames built by our
// emitters. Skipped, saying why, where tshark cannot be installed.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { tsharkOrSkip } from '../support/tools.ts';
import { createTestbed } from '../../sim/testbed.ts';
import { hex } from '../../stack/wire/bytes.ts';
import { emitIcmpv6 } from '../../stack/wire/icmpv6.ts';
import { emitMacFrame, parseMacFrame, type MacFrame } from '../../stack/wire/ieee802154.ts';
import { compressDatagram } from '../../stack/wire/iphc.ts';
import { linkLocalFromLinkAddress, type LinkAddress } from '../../stack/wire/ipv6-address.ts';
import { NextHeader, emitIpv6 } from '../../stack/wire/ipv6.ts';
import { emitUdp } from '../../stack/wire/udp.ts';

const PAN = 0xabcd;
// aTurnaroundTime: the ACK leaves 12 symbols after the data frame (802.15.4-2006 §7.5.6.4).
const TURNAROUND_US = 192;

interface Row {
  number: number;
  protocols: string[];
  fcsOk: string;
  channel: string;
  rss: string;
  malformed: string;
  expertSeverity: string;
}

/** A data frame from `src` to `dst` (extended addresses) carrying an IPv6 datagram compressed with IPHC. */
function lowpanFrame(seq: number, src: Uint8Array, dst: Uint8Array, nextHeader: number, build: (s: Uint8Array, d: Uint8Array) => Uint8Array): Uint8Array {
  const srcLink: LinkAddress = { mode: 'ext', ext: src };
  const dstLink: LinkAddress = { mode: 'ext', ext: dst };
  const s = linkLocalFromLinkAddress(srcLink);
  const d = linkLocalFromLinkAddress(dstLink);
  const datagram = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader, hopLimit: 64, src: s, dst: d, payload: build(s, d) });
  const compressed = compressDatagram(datagram, { src: srcLink, dst: dstLink });
  if (!compressed.ok) throw new Error(compressed.error.message);
  const frame: MacFrame = {
    type: 'data',
    framePending: false,
    ackRequest: true,
    panIdCompression: true,
    version: 0,
    seq,
    dstPan: PAN,
    dst: { mode: 'ext', ext: dst },
    src: { mode: 'ext', ext: src },
    payload: compressed.value.bytes,
  };
  return emitMacFrame(frame);
}

function ackFor(psdu: Uint8Array): Uint8Array | undefined {
  const f = parseMacFrame(psdu);
  if (!f.ok || f.value.type !== 'data' || !f.value.ackRequest) return undefined;
  return emitMacFrame({ type: 'ack', framePending: false, ackRequest: false, panIdCompression: false, version: 0, seq: f.value.seq, dst: { mode: 'none' }, src: { mode: 'none' } });
}

describe('tshark reads captures of the medium (LINKTYPE 283)', function () {
  this.timeout(300_000); // installing tshark on a fresh machine takes a while
  let tshark = '';
  let dir = '';

  before(async function () {
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-tshark-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes an exchange of ICMPv6 echo, UDP, ACKs and a beacon request: no malformed frame, FCS good, channel and RSSI present', async () => {
    const tb = createTestbed({
      seed: 11,
      topology: { kind: 'positions', positions: { a: { x: 0, y: 0 }, b: { x: 8, y: 0 }, c: { x: 16, y: 3 } }, exponent: 3, refLossDb: 40, shadowingSigmaDb: 2 },
      nodes: [{ id: 'a', channel: 15 }, { id: 'b', channel: 15 }, { id: 'c', channel: 15 }],
    });
    // Every node acknowledges unicast data frames addressed to it, aTurnaroundTime after the frame.
    for (const n of tb.nodes) {
      n.radio.onReceive((psdu) => {
        const f = parseMacFrame(psdu);
        if (!f.ok || f.value.type !== 'data' || f.value.dst.mode !== 'ext') return;
        if (Buffer.compare(Buffer.from(f.value.dst.ext), Buffer.from(n.extAddress)) !== 0) return;
        const ack = ackFor(psdu);
        if (ack) n.timers.at(n.timers.now() + TURNAROUND_US, () => n.radio.transmit(ack, () => undefined));
      });
    }
    const a = tb.node('a');
    const b = tb.node('b');
    const c = tb.node('c');
    const frames: Array<[typeof a, Uint8Array]> = [
      // Reference §5 worked example (verified with tshark): link-local UDP "ping" (its own addresses, no ACK expected).
      [a, hex('61 CC 07 CD AB 06 05 04 00 00 4B 12 00 03 02 01 00 00 4B 12 00 7F 33 F3 12 A1 6C 70 69 6E 67 7D 28')],
      // Reference §3: beacon request, seq 1, broadcast.
      [c, hex('03 08 01 FF FF FF FF 07 13 2D')],
      [a, lowpanFrame(1, a.extAddress, b.extAddress, NextHeader.icmpv6, (s, d) => emitIcmpv6({ kind: 'echoRequest', identifier: 0x1234, sequence: 1, data: new TextEncoder().encode('meshbench') }, s, d))],
      [b, lowpanFrame(2, b.extAddress, a.extAddress, NextHeader.icmpv6, (s, d) => emitIcmpv6({ kind: 'echoReply', identifier: 0x1234, sequence: 1, data: new TextEncoder().encode('meshbench') }, s, d))],
      [c, lowpanFrame(3, c.extAddress, b.extAddress, NextHeader.udp, (s, d) => emitUdp({ srcPort: 0xf0b1, dstPort: 0xf0b2, payload: new TextEncoder().encode('light on') }, s, d))],
      [b, lowpanFrame(4, b.extAddress, c.extAddress, NextHeader.udp, (s, d) => emitUdp({ srcPort: 0xf0b2, dstPort: 0xf0b1, payload: new Uint8Array(60).fill(0x42) }, s, d))],
    ];
    const path = join(dir, 'exchange.pcap');
    tb.capture.start(path);
    frames.forEach(([node, psdu], i) => node.timers.at(10_000 * (i + 1), () => node.radio.transmit(psdu, () => undefined)));
    tb.runFor(100_000);
    tb.capture.stop();
    // 6 frames + ACKs for the 4 unicast frames built by our emitters.
    expect(tb.capture.frames).to.equal(10);

    const fields = ['frame.number', 'frame.protocols', 'wpan.fcs_ok', 'wpan-tap.ch_num', 'wpan-tap.rss', '_ws.malformed', '_ws.expert.severity'];
    const out = await execa(tshark, ['-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
    const rows: Row[] = out.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [number, protocols, fcsOk, channel, rss, malformed, expertSeverity] = line.split('\t');
        return { number: Number(number), protocols: (protocols ?? '').split(':'), fcsOk: fcsOk ?? '', channel: channel ?? '', rss: rss ?? '', malformed: malformed ?? '', expertSeverity: expertSeverity ?? '' };
      });
    expect(rows).to.have.length(10);
    for (const r of rows) {
      const where = `frame ${r.number} (${r.protocols.join(':')})`;
      expect(r.protocols[0], where).to.equal('wpan-tap'); // TAP header, then the 802.15.4 MAC layer (wpan)
      expect(r.malformed, where).to.equal('');
      // Expert infos at warning level or above (warning = 0x00600000, error = 0x00800000) mean trouble.
      for (const sev of r.expertSeverity.split(',').filter((x) => x !== '')) expect(Number(sev), `${where} expert severity`).to.be.below(0x00600000);
      expect(r.fcsOk, where).to.match(/^(1|True)$/);
      expect(r.channel, where).to.equal('15');
      expect(Number(r.rss), where).to.be.within(-100, -20);
    }
    const stacks = rows.map((r) => r.protocols.join(':'));
    expect(stacks.filter((s) => s.includes('6lowpan:ipv6:icmpv6')), stacks.join('\n')).to.have.length(2);
    expect(stacks.filter((s) => s.includes('6lowpan:ipv6:udp')), stacks.join('\n')).to.have.length(3);

    // The ICMPv6 echo and UDP checksums our emitters wrote are good by tshark's reckoning.
    const checks = await execa(tshark, ['-r', path, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'icmpv6.checksum.status', '-e', 'udp.checksum.status', '-Y', 'icmpv6 || udp']);
    const statuses = checks.stdout.split(/\s+/).filter((x) => x !== '');
    expect(statuses.length).to.equal(5);
    expect(statuses.every((s) => s === '1'), statuses.join(',')).to.equal(true); // 0 bad, 1 good, 2 unverified
  });
});
