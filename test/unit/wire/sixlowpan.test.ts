// 6LoWPAN dispatch, mesh, broadcast and fragment headers. Vectors decoded by tshark 4.0.17
// (fields quoted per line).
import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import {
  classifyDispatch,
  emitBc0,
  emitFragHeader,
  emitMeshHeader,
  parseBc0,
  parseFragHeader,
  parseLowpanFrame,
  parseMeshHeader,
} from '../../../stack/wire/sixlowpan.ts';
import { unwrap } from '../../../stack/wire/result.ts';

describe('wire/sixlowpan', () => {
  it('RFC 4944 §5.1 / RFC 6282 §3.1 dispatch classes', () => {
    expect(classifyDispatch(0x00)).to.equal('nalp');
    expect(classifyDispatch(0x3f)).to.equal('nalp');
    expect(classifyDispatch(0x41)).to.equal('ipv6');
    expect(classifyDispatch(0x42)).to.equal('hc1');
    expect(classifyDispatch(0x50)).to.equal('bc0');
    expect(classifyDispatch(0x60)).to.equal('iphc');
    expect(classifyDispatch(0x7f)).to.equal('iphc');
    expect(classifyDispatch(0x80)).to.equal('mesh');
    expect(classifyDispatch(0xbf)).to.equal('mesh');
    expect(classifyDispatch(0xc5)).to.equal('frag1');
    expect(classifyDispatch(0xe5)).to.equal('fragN');
    expect(classifyDispatch(0xd0)).to.equal('reserved');
    expect(classifyDispatch(0x43)).to.equal('reserved');
  });

  describe('RFC 4944 §5.2 mesh header + §5.3 FRAG1', () => {
    // tshark: hops left 5, originator 0x0001, destination 0x0002, datagram size 1280, tag 0x1234,
    // then IPHC with addresses derived from the mesh addresses (fe80::ff:fe00:1 → fe80::ff:fe00:2).
    const frame = hex(
      'b5' + //         10 V=1 F=1 hops left 5
        '0001 0002' + // originator, final destination (16-bit)
        'c5 00 12 34' + // FRAG1: 11000, size 0x500 = 1280, tag 0x1234
        '7f 33 f3 12 a1 6c', // IPHC onward
    );

    it('peels the headers in order', () => {
      const f = unwrap(parseLowpanFrame(frame));
      expect(f.mesh).to.deep.equal({ hopsLeft: 5, originator: { mode: 'short', short: 1 }, final: { mode: 'short', short: 2 } });
      expect(f.frag).to.deep.equal({ kind: 'frag1', datagramSize: 1280, datagramTag: 0x1234 });
      expect(toHex(f.rest)).to.equal('7f33f312a16c');
    });

    it('round-trips each header', () => {
      const m = unwrap(parseMeshHeader(frame));
      expect(m.length).to.equal(5);
      expect(toHex(emitMeshHeader(m.header))).to.equal('b500010002');
      const f = unwrap(parseFragHeader(frame.subarray(5)));
      expect(f.length).to.equal(4);
      expect(toHex(emitFragHeader(f.header))).to.equal('c5001234');
    });
  });

  describe('RFC 4944 §5.2 mesh header with EUI-64 addresses and deep hops + §5.3 FRAGN', () => {
    // tshark: hops left 15, deep hops left 32, originator 0x00124b0000010203, destination
    // 0x00124b0000040506, datagram size 1280, tag 0x1234, offset 144 (= 18 × 8)
    const frame = hex(
      '8f 20' + //                  10 V=0 F=0 hops left 0xF → deep hops left 0x20
        '00124b0000010203' + //     originator EUI-64
        '00124b0000040506' + //     final destination EUI-64
        'e5 00 12 34 12' + //       FRAGN: 11100, size 1280, tag 0x1234, offset 18
        '00 01 02 03', //           datagram bytes
    );

    it('parses and re-emits', () => {
      const f = unwrap(parseLowpanFrame(frame));
      expect(f.mesh).to.deep.equal({ hopsLeft: 32, originator: { mode: 'ext', ext: hex('00124b0000010203') }, final: { mode: 'ext', ext: hex('00124b0000040506') } });
      expect(f.frag).to.deep.equal({ kind: 'fragN', datagramSize: 1280, datagramTag: 0x1234, datagramOffset: 18 });
      expect(toHex(f.rest)).to.equal('00010203');
      expect(toHex(emitMeshHeader(f.mesh!))).to.equal(toHex(frame.subarray(0, 18)));
      expect(toHex(emitFragHeader(f.frag!))).to.equal('e500123412');
    });
  });

  it('RFC 4944 §11.1 LOWPAN_BC0 (tshark: sequence number 42)', () => {
    expect(unwrap(parseBc0(hex('50 2a')))).to.deep.equal({ sequence: 42, length: 2 });
    expect(toHex(emitBc0(42))).to.equal('502a');
    const f = unwrap(parseLowpanFrame(hex('50 2a 7b 3b 3b 01')));
    expect(f.bc0).to.equal(42);
  });

  it('errors name the field', () => {
    const short = parseFragHeader(hex('e5 00 12 34'));
    expect(short.ok).to.equal(false);
    if (!short.ok) expect(short.error.message).to.match(/fragment header/);
    const nalp = parseLowpanFrame(hex('01 02'));
    expect(nalp.ok).to.equal(false);
    const mesh = parseMeshHeader(hex('85 00 12'));
    expect(mesh.ok).to.equal(false);
  });
});
