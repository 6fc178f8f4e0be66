// Fragmentation and reassembly (RFC 4944 §5.3, RFC 6282 §2), on a virtual clock.
import { expect } from 'chai';
import { SECOND, type Micros, type Timer, type Timers } from '../../../stack/runtime.ts';
import { fragmentDatagram } from '../../../stack/lowpan/fragment.ts';
import { Reassembler, REASSEMBLY_SESSIONS, REASSEMBLY_TIMEOUT } from '../../../stack/lowpan/reassembly.ts';
import { toHex } from '../../../stack/wire/bytes.ts';
import { compressDatagram } from '../../../stack/wire/iphc.ts';
import { linkLocalFromLinkAddress, type LinkAddress } from '../../../stack/wire/ipv6-address.ts';
import { emitIpv6 } from '../../../stack/wire/ipv6.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import { parseFragHeader, type FragHeader } from '../../../stack/wire/sixlowpan.ts';
import { emitUdp } from '../../../stack/wire/udp.ts';

class VirtualClock implements Timers {
  private t = 0;
  private queue: { at: Micros; seq: number; fn: () => void; live: boolean }[] = [];
  private seq = 0;
  now(): Micros {
    return this.t;
  }
  at(at: Micros, fn: () => void): Timer {
    const e = { at: Math.max(at, this.t), seq: this.seq++, fn, live: true };
    this.queue.push(e);
    return { cancel: () => void (e.live = false) };
  }
  advance(by: Micros): void {
    const end = this.t + by;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const e = this.queue[0];
      if (!e || e.at > end) break;
      this.queue.shift();
      this.t = e.at;
      if (e.live) e.fn();
    }
    this.t = end;
  }
}

const SRC: LinkAddress = { mode: 'short', short: 0x0001 };
const DST: LinkAddress = { mode: 'short', short: 0x0002 };

function udpDatagram(payloadLen: number): Uint8Array {
  const src = linkLocalFromLinkAddress(SRC);
  const dst = linkLocalFromLinkAddress(DST);
  const payload = Uint8Array.from({ length: payloadLen }, (_, i) => (i * 7 + 3) & 0xff);
  const udp = emitUdp({ srcPort: 5683, dstPort: 5683, payload }, src, dst); // ports inline: NHC UDP is 7 bytes
  return emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 17, hopLimit: 64, src, dst, payload: udp });
}

function split(frame: Uint8Array): { frag: FragHeader; rest: Uint8Array } {
  const f = unwrap(parseFragHeader(frame));
  return { frag: f.header, rest: frame.subarray(f.length) };
}

describe('lowpan/fragmentation', () => {
  // Reference §9: 1232-byte UDP payload (1280-byte IPv6), short/short addresses, 116 bytes of MAC payload.
  const datagram = udpDatagram(1232);
  const compressed = unwrap(compressDatagram(datagram, { src: SRC, dst: DST }));
  const frames = unwrap(fragmentDatagram(compressed, { maxPayload: 116, tag: 0xbeef }));

  it('reference §9: 12 frames, FRAG1 = 4 + IPHC 2 + NHC 7 + 96, FRAGN = 5 + 104, last 5 + 96', () => {
    expect(datagram.length).to.equal(1280);
    expect(compressed.headerLength).to.equal(9);
    expect(frames.length).to.equal(12);
    expect(frames[0]!.length).to.equal(109);
    for (const f of frames.slice(1, 11)) expect(f.length).to.equal(109);
    expect(frames[11]!.length).to.equal(101);
    const offsets = frames.slice(1).map((f) => (split(f).frag as Extract<FragHeader, { kind: 'fragN' }>).datagramOffset);
    expect(offsets.slice(0, 3)).to.deep.equal([18, 31, 44]); // 144 / 8, then + 104 / 8
    for (const f of frames) expect(split(f).frag).to.include({ datagramSize: 1280, datagramTag: 0xbeef });
  });

  it('RFC 6282 §2: every non-final fragment covers a multiple of 8 uncompressed bytes, whatever the frame size', () => {
    for (let max = 40; max <= 127; max++) {
      const fs = unwrap(fragmentDatagram(compressed, { maxPayload: max, tag: 1 }));
      let covered = 0;
      fs.forEach((f, i) => {
        const { frag, rest } = split(f);
        expect(f.length).to.be.at.most(max);
        if (frag.kind === 'fragN') expect(frag.datagramOffset * 8).to.equal(covered);
        covered += frag.kind === 'frag1' ? 48 + rest.length - 9 : rest.length;
        if (i < fs.length - 1) expect(covered % 8).to.equal(0);
      });
      expect(covered).to.equal(1280);
    }
  });

  it('a datagram that fits one frame is not fragmented', () => {
    const small = unwrap(compressDatagram(udpDatagram(20), { src: SRC, dst: DST }));
    expect(unwrap(fragmentDatagram(small, { maxPayload: 116, tag: 1 }))).to.deep.equal([small.bytes]);
  });

  describe('reassembly', () => {
    function setup(): { clock: VirtualClock; r: Reassembler; got: Uint8Array[] } {
      const clock = new VirtualClock();
      const got: Uint8Array[] = [];
      const r = new Reassembler({ timers: clock, onDatagram: (d) => got.push(d) });
      return { clock, r, got };
    }
    const feed = (r: Reassembler, f: Uint8Array): void => {
      const { frag, rest } = split(f);
      r.handle(frag, rest, SRC, DST);
    };

    it('rebuilds the exact datagram in order, reversed, and shuffled with duplicates', () => {
      const orders = [frames, [...frames].reverse(), [frames[3]!, frames[0]!, frames[3]!, ...frames.slice(4), frames[0]!, frames[1]!, frames[2]!]];
      for (const order of orders) {
        const { r, got } = setup();
        for (const f of order) feed(r, f);
        expect(got.length).to.equal(1);
        expect(toHex(got[0]!)).to.equal(toHex(datagram));
        expect(r.pending).to.equal(0);
      }
    });

    it('full (8 sessions, as Nanostack keeps), a new datagram evicts the oldest incomplete one and completes', () => {
      const got: Uint8Array[] = [];
      const r = new Reassembler({ timers: new VirtualClock(), onDatagram: (d) => got.push(d) });
      // Eight datagrams that each lost their last fragment, tags 1..8.
      for (let tag = 1; tag <= REASSEMBLY_SESSIONS; tag++) {
        const fs = unwrap(fragmentDatagram(compressed, { maxPayload: 116, tag }));
        for (const f of fs.slice(0, -1)) feed(r, f);
      }
      expect(r.pending).to.equal(REASSEMBLY_SESSIONS);
      for (const f of frames) feed(r, f);
      expect(got.length).to.equal(1);
      expect(toHex(got[0]!)).to.equal(toHex(datagram));
      expect(r.counters.evicted).to.equal(1);
      // Tag 1 was the oldest: its last fragment now starts a buffer of its own that cannot complete.
      feed(r, unwrap(fragmentDatagram(compressed, { maxPayload: 116, tag: 1 })).at(-1)!);
      expect(got.length).to.equal(1);
    });

    it('counts duplicates and ignores them', () => {
      const { r, got } = setup();
      feed(r, frames[0]!);
      feed(r, frames[0]!);
      expect(r.counters.duplicates).to.equal(1);
      for (const f of frames.slice(1)) feed(r, f);
      expect(got.length).to.equal(1);
    });

    it('RFC 4944 §5.3: discards an incomplete datagram after the reassembly timeout (5 s, Nanostack\'s; the RFC allows 60) and counts it', () => {
      expect(REASSEMBLY_TIMEOUT).to.equal(5 * SECOND);
      const { clock, r, got } = setup();
      for (const f of frames.slice(0, 11)) feed(r, f);
      clock.advance(REASSEMBLY_TIMEOUT - 1);
      expect(r.pending).to.equal(1);
      clock.advance(1);
      expect(r.pending).to.equal(0);
      expect(r.counters.timeouts).to.equal(1);
      feed(r, frames[11]!); // too late: starts a new, never-completed buffer
      expect(got.length).to.equal(0);
      clock.advance(REASSEMBLY_TIMEOUT + SECOND);
      expect(r.counters.timeouts).to.equal(2);
    });

    it('a conflicting overlap drops the old buffer and restarts with the new fragment', () => {
      const { r, got } = setup();
      feed(r, frames[0]!);
      feed(r, frames[1]!);
      // A fragment at offset 20 overlaps [144, 248) without matching it.
      const bogus = Uint8Array.of(0xe5, 0x00, 0xbe, 0xef, 20, 1, 2, 3, 4, 5, 6, 7, 8);
      feed(r, bogus);
      expect(r.counters.overlaps).to.equal(1);
      expect(r.pending).to.equal(1);
      // The sender's fragments clash with the bogus one again, which restarts the buffer once more.
      for (const f of frames.slice(1)) feed(r, f);
      expect(r.counters.overlaps).to.equal(2);
      feed(r, frames[0]!);
      expect(got.length).to.equal(1);
      expect(toHex(got[0]!)).to.equal(toHex(datagram));
    });

    it('keys buffers by link source as well as tag', () => {
      const { r, got } = setup();
      const other: LinkAddress = { mode: 'short', short: 0x0009 };
      const { frag, rest } = split(frames[0]!);
      r.handle(frag, rest, other, DST);
      for (const f of frames.slice(1)) feed(r, f);
      expect(got.length).to.equal(0);
      expect(r.pending).to.equal(2);
    });

    it('fills an elided UDP checksum once the datagram is complete (RFC 6282 §4.3.2)', () => {
      const c = unwrap(compressDatagram(datagram, { src: SRC, dst: DST, elideUdpChecksum: true }));
      const fs = unwrap(fragmentDatagram(c, { maxPayload: 116, tag: 7 }));
      const { r, got } = setup();
      for (const f of fs) feed(r, f);
      expect(toHex(got[0]!)).to.equal(toHex(datagram));
    });
  });
});
