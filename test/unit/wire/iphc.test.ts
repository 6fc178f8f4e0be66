// IPHC/NHC vectors. Each was decoded by tshark 4.0.17 (6LoWPAN dissector, contexts set with
// -o 6lowpan.contextN, UDP checksum checking on); the decoded values are quoted per field.
import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import {
  compressDatagram,
  decompressDatagram,
  decompressHeaders,
  emitIphc,
  iphcDestination,
  iphcSource,
  parseIphc,
  type LowpanContext,
} from '../../../stack/wire/iphc.ts';
import { formatIpv6Address, ipv6, type LinkAddress } from '../../../stack/wire/ipv6-address.ts';
import { parseIpv6 } from '../../../stack/wire/ipv6.ts';
import { emitNhcUdp, parseNhcUdp, emitNhcExtension, parseNhcExtension } from '../../../stack/wire/nhc.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import { parseUdp } from '../../../stack/wire/udp.ts';

const EXT_A: LinkAddress = { mode: 'ext', ext: hex('00124b0000010203') };
const EXT_B: LinkAddress = { mode: 'ext', ext: hex('00124b0000040506') };
const BROADCAST: LinkAddress = { mode: 'short', short: 0xffff };
const CTX: LowpanContext[] = [
  { id: 0, prefix: ipv6('2001:db8:1::'), length: 64 },
  { id: 1, prefix: ipv6('2001:db8:1::'), length: 64 },
  { id: 2, prefix: ipv6('2001:db8:2::'), length: 64 },
];

function roundTripHeader(bytes: Uint8Array): ReturnType<typeof parseIphc> {
  const p = parseIphc(bytes);
  const { header, length } = unwrap(p);
  expect(toHex(emitIphc(header))).to.equal(toHex(bytes.subarray(0, length)));
  return p;
}

describe('wire/iphc', () => {
  describe('RFC 6282 §3.1.1 + §4.3: reference §5 worked example (link-local UDP "ping")', () => {
    const frame = hex(
      '7f 33' + //  IPHC: TF=11 NH=1 HLIM=11 (255) | CID=0 SAC=0 SAM=11 M=0 DAC=0 DAM=11: addresses from the MAC
        'f3 12' + // NHC UDP P=11: ports 0xF0B1 → 0xF0B2
        'a1 6c' + // UDP checksum, inline
        '70 69 6e 67', // "ping"
    );
    const opts = { src: EXT_A, dst: EXT_B };

    it('parses and re-emits the IPHC header', () => {
      const h = unwrap(roundTripHeader(frame)).header;
      expect(h).to.include({ tf: 3, nextHeader: undefined, hlim: 3, hopLimit: 255, sac: false, sam: 3, m: false, dac: false, dam: 3 });
      expect(formatIpv6Address(unwrap(iphcSource(h, EXT_A, [])))).to.equal('fe80::212:4b00:1:203');
      expect(formatIpv6Address(unwrap(iphcDestination(h, EXT_B, [])))).to.equal('fe80::212:4b00:4:506');
    });

    it('decompresses to a 52-byte IPv6/UDP datagram whose checksum A1 6C verifies', () => {
      const d = unwrap(decompressDatagram(frame, opts));
      expect(d.length).to.equal(52);
      const ip = unwrap(parseIpv6(d));
      expect(ip).to.include({ trafficClass: 0, flowLabel: 0, nextHeader: 17, hopLimit: 255 });
      const udp = unwrap(parseUdp(ip.payload, ip.src, ip.dst));
      expect(udp).to.include({ srcPort: 0xf0b1, dstPort: 0xf0b2 });
      expect(new TextDecoder().decode(udp.payload)).to.equal('ping');
      expect(toHex(ip.payload.subarray(6, 8))).to.equal('a16c');
    });

    it('compresses the datagram back to the same 10 bytes (48 header bytes → 6)', () => {
      const d = unwrap(decompressDatagram(frame, opts));
      const c = unwrap(compressDatagram(d, opts));
      expect(toHex(c.bytes)).to.equal(toHex(frame));
      expect(c).to.include({ headerLength: 6, uncompressedHeaderLength: 48, datagramSize: 52 });
    });
  });

  describe('RFC 6282 §3.1.1: CID, TF=01, NH and HLIM inline, SAC=1 SAM=11, DAC=1 DAM=10', () => {
    // link src short 0x0001, link dst short 0x0003; context 1 = 2001:db8:1::/64, 2 = 2001:db8:2::/64
    const frame = hex(
      '68 f6' + //       IPHC: TF=01 NH=0 HLIM=00 | CID=1 SAC=1 SAM=11 M=0 DAC=1 DAM=10
        '12' + //        CID: SCI=1, DCI=2
        '41 23 45' + //  TF=01: ECN=01, pad, flow label 0x12345
        '11' + //        next header UDP (inline)
        '2a' + //        hop limit 42
        '00 02' + //     DAM=10: IID 0000:00ff:fe00:0002 → 2001:db8:2::ff:fe00:2
        '1633 1633 000c 9b27' + // UDP header inline: 5683 → 5683, length 12, checksum 0x9b27 (tshark: correct)
        '70 69 6e 67',
    );
    const opts = { src: { mode: 'short', short: 1 } as LinkAddress, dst: { mode: 'short', short: 3 } as LinkAddress, contexts: CTX };

    it('parses every field and resolves the addresses through the contexts', () => {
      const h = unwrap(roundTripHeader(frame)).header;
      expect(h).to.deep.include({ tf: 1, ecn: 1, flowLabel: 0x12345, nextHeader: 17, hlim: 0, hopLimit: 42, cid: { sci: 1, dci: 2 } });
      expect(formatIpv6Address(unwrap(iphcSource(h, opts.src, CTX)))).to.equal('2001:db8:1::ff:fe00:1');
      expect(formatIpv6Address(unwrap(iphcDestination(h, opts.dst, CTX)))).to.equal('2001:db8:2::ff:fe00:2');
    });

    it('decompresses: traffic class 0x01, flow label 0x12345, UDP checksum good', () => {
      const ip = unwrap(parseIpv6(unwrap(decompressDatagram(frame, opts))));
      expect(ip).to.include({ trafficClass: 0x01, flowLabel: 0x12345, hopLimit: 42, nextHeader: 17 });
      expect(unwrap(parseUdp(ip.payload, ip.src, ip.dst)).dstPort).to.equal(5683);
    });

    it('the compressor picks context 1/2, TF=01, and compresses the UDP header too', () => {
      const d = unwrap(decompressDatagram(frame, opts));
      const c = unwrap(compressDatagram(d, opts));
      // Context 0 has the same prefix as 1 and needs no CID for the source; UDP goes NHC (P=00: 5683 is not 0xF0xx).
      expect(toHex(c.bytes)).to.equal(
        ('6c f6' + //     TF=01 NH=1 HLIM=00 | CID=1 SAC=1 SAM=11 M=0 DAC=1 DAM=10
          '02' + //      SCI=0, DCI=2
          '412345' + //  ECN + flow label
          '2a' + //      hop limit
          '0002' + //    DAM=10
          'f0 1633 1633 9b27' + // NHC UDP P=00, checksum
          '70696e67').replace(/ /g, ''),
      );
      expect(toHex(unwrap(decompressDatagram(c.bytes, opts)))).to.equal(toHex(d));
    });
  });

  describe('RFC 6282 §3.1.1: multicast DAM=11 (ff02::1), SAM=01, TF=10, HLIM=01; §4.3.3 NHC UDP P=01', () => {
    const frame = hex(
      '75 1b' + //        IPHC: TF=10 NH=1 HLIM=01 | SAC=0 SAM=01 M=1 DAC=0 DAM=11
        '2e' + //           TF=10: ECN=00 DSCP=0x2e → traffic class 0xb8
        '1122334455667788' + // SAM=01: IID → fe80::1122:3344:5566:7788
        '01' + //           DAM=11: ff02::01
        'f1 1633 05' + //   NHC UDP P=01: src 5683 inline, dst 0xF005 (61445)
        '0bf3' + //         checksum (tshark: correct)
        '70 69 6e 67',
    );
    const opts = { src: EXT_A, dst: BROADCAST };

    it('parses, decompresses and compresses back to the same bytes', () => {
      const h = unwrap(roundTripHeader(frame)).header;
      expect(h).to.include({ tf: 2, dscp: 0x2e, ecn: 0, hlim: 1, hopLimit: 1, m: true, dam: 3 });
      const d = unwrap(decompressDatagram(frame, opts));
      const ip = unwrap(parseIpv6(d));
      expect(formatIpv6Address(ip.dst)).to.equal('ff02::1');
      expect(formatIpv6Address(ip.src)).to.equal('fe80::1122:3344:5566:7788');
      expect(ip.trafficClass).to.equal(0xb8);
      expect(unwrap(parseUdp(ip.payload, ip.src, ip.dst)).dstPort).to.equal(61445);
      expect(toHex(unwrap(compressDatagram(d, opts)).bytes)).to.equal(toHex(frame));
    });
  });

  describe('RFC 6282 §3.1.1 DAM=10 (32-bit multicast), TF=00, SAM=10; §4.3.2 elided UDP checksum', () => {
    const frame = hex(
      '66 2a' + //        IPHC: TF=00 NH=1 HLIM=10 (64) | SAC=0 SAM=10 M=1 DAC=0 DAM=10
        '8a 0a bc de' + // TF=00: ECN=10 DSCP=0x0a, pad, flow label 0xabcde → traffic class 0x2a
        '00 42' + //        SAM=10 → fe80::ff:fe00:42
        '05 ab cd ef' + //  DAM=10 → ff05::ab:cdef
        'f6 33 1633' + //   NHC UDP C=1 P=10: src 0xF033, dst 5683 inline, checksum elided
        '70 69 6e 67',
    );

    it('recomputes the elided checksum as tshark does (0x4f3b)', () => {
      const h = unwrap(roundTripHeader(frame)).header;
      expect(h).to.include({ tf: 0, ecn: 2, dscp: 0x0a, flowLabel: 0xabcde, hopLimit: 64, sam: 2, dam: 2 });
      const nhc = unwrap(parseNhcUdp(frame.subarray(12)));
      expect(nhc.header).to.deep.equal({ portMode: 2, srcPort: 0xf033, dstPort: 5683, checksum: undefined });
      expect(toHex(emitNhcUdp(nhc.header))).to.equal('f6331633');
      const d = unwrap(decompressDatagram(frame, { src: EXT_A, dst: BROADCAST }));
      const ip = unwrap(parseIpv6(d));
      expect(formatIpv6Address(ip.src)).to.equal('fe80::ff:fe00:42');
      expect(formatIpv6Address(ip.dst)).to.equal('ff05::ab:cdef');
      expect(ip.trafficClass).to.equal(0x2a);
      expect(toHex(ip.payload.subarray(6, 8))).to.equal('4f3b');
      expect(toHex(unwrap(compressDatagram(d, { src: EXT_A, dst: BROADCAST, elideUdpChecksum: true })).bytes)).to.equal(toHex(frame));
    });
  });

  describe('RFC 6282 §3.1.1 DAM=01 (48-bit multicast), SAC=1 SAM=00 (unspecified source)', () => {
    const frame = hex(
      '7b 49' + //           IPHC: TF=11 NH=0 HLIM=11 | SAC=1 SAM=00 M=1 DAC=0 DAM=01
        '3b' + //              next header 59 (no next header)
        '02 01 ff 00 00 01', // DAM=01 → ff02::1:ff00:1 (solicited-node)
    );
    it('decodes :: → ff02::1:ff00:1 and re-encodes identically', () => {
      unwrap(roundTripHeader(frame));
      const d = unwrap(decompressDatagram(frame, { src: EXT_A, dst: BROADCAST }));
      const ip = unwrap(parseIpv6(d));
      expect(formatIpv6Address(ip.src)).to.equal('::');
      expect(formatIpv6Address(ip.dst)).to.equal('ff02::1:ff00:1');
      expect(ip.payload.length).to.equal(0);
      expect(toHex(unwrap(compressDatagram(d, { src: EXT_A, dst: BROADCAST })).bytes)).to.equal(toHex(frame));
    });
  });

  describe('RFC 6282 §3.1.1 M=1 DAC=1 DAM=00 (RFC 3306 prefix-based multicast), SAC=1 SAM=01', () => {
    // context 0 = 2001:db8:1::/64
    const frame = hex(
      '7b 5c' + //                IPHC: TF=11 NH=0 HLIM=11 | SAC=1 SAM=01 M=1 DAC=1 DAM=00
        '3b' + //                   no next header
        '0000000000000007' + //     SAM=01: IID, prefix from context 0 → 2001:db8:1::7
        '3e 00 12 34 56 78', //     ff3e:00LL:PPPP:PPPP:PPPP:PPPP:1234:5678, L/P from context 0
    );
    it('decodes ff3e:40:2001:db8:1:0:1234:5678 and re-encodes identically', () => {
      unwrap(roundTripHeader(frame));
      const opts = { src: EXT_A, dst: BROADCAST, contexts: [CTX[0]!] };
      const d = unwrap(decompressDatagram(frame, opts));
      const ip = unwrap(parseIpv6(d));
      expect(formatIpv6Address(ip.src)).to.equal('2001:db8:1::7');
      expect(formatIpv6Address(ip.dst)).to.equal('ff3e:40:2001:db8:1:0:1234:5678');
      expect(toHex(unwrap(compressDatagram(d, opts)).bytes)).to.equal(toHex(frame));
    });
  });

  describe('RFC 6282 §4.2 NHC extension header: hop-by-hop with the RFC 6553 RPL option, then NHC UDP', () => {
    const frame = hex(
      '7f 33' + //                IPHC as in the reference example, NH=1
        'e1' + //                   NHC EH: EID=0 (hop-by-hop), NH=1 (next header compressed)
        '06' + //                   length 6
        '63 04 00 1e 03 00' + //    RPL option (0x63), len 4, O=R=F=0, instance 0x1e, sender rank 0x0300
        'f3 12 a16c' + //           NHC UDP P=11, checksum 0xa16c (tshark: correct)
        '70 69 6e 67',
    );
    const opts = { src: EXT_A, dst: EXT_B };

    it('decompresses to IPv6 → hop-by-hop (8 bytes) → UDP, and compresses back', () => {
      const eh = unwrap(parseNhcExtension(frame.subarray(2)));
      expect(eh.header.eid).to.equal(0);
      expect(eh.header.nextHeader).to.equal(undefined);
      expect(toHex(emitNhcExtension(eh.header))).to.equal('e106630400 1e0300'.replace(' ', ''));
      const d = unwrap(decompressDatagram(frame, opts));
      expect(d.length).to.equal(60); // tshark: payload length 20
      const ip = unwrap(parseIpv6(d));
      expect(ip.nextHeader).to.equal(0);
      expect(toHex(ip.payload.subarray(0, 8))).to.equal('1100630400' + '1e0300');
      expect(unwrap(parseUdp(ip.payload.subarray(8), ip.src, ip.dst)).srcPort).to.equal(0xf0b1);
      expect(toHex(unwrap(compressDatagram(d, opts)).bytes)).to.equal(toHex(frame));
    });

    it('reports where the UDP header is, for checksum completion after reassembly', () => {
      const h = unwrap(decompressHeaders(frame, opts));
      expect(h.udp).to.deep.equal({ offset: 48, checksumElided: false });
      expect(h.consumed).to.equal(14);
    });
  });

  describe('errors are values', () => {
    it('names the reserved DAC=1 DAM=00 unicast mode', () => {
      const r = parseIphc(hex('7b 04 3b'));
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.message).to.match(/reserved/);
    });
    it('reports a missing context', () => {
      const r = decompressDatagram(hex('7b 5c 3b 0000000000000007 3e 00 12 34 56 78'), { src: EXT_A, dst: BROADCAST });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.message).to.match(/context 0/);
    });
    it('reports truncation', () => {
      const r = parseIphc(hex('78 00 00'));
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.code).to.equal('truncated');
    });
  });
  describe('RFC 6282 §4.2 EID 7: an IPv6-in-IPv6 MPL tunnel as OpenThread sends it (IPHC inside NHC)', () => {
    // The light-control datagram an ot-cli-ftd router (RLOC16 0x0000) sent on our medium,
    // MAC payload after decryption; tshark decoded it as quoted.
    const frame = hex(
      '7e 7a' + //    IPHC: TF=11 NH=1 HLIM=10 (64) | SAC=1 SAM=11 (from the MAC: fd00:db8::ff:fe00:0) M=1 DAM=10
        '03 00 00 fc' + // → ff03::fc
        'e1 04 6d 02 00 01' + // NHC EH hop-by-hop, NH=1, 4 bytes: MPL option, S=0, sequence 1 (PadN elided)
        'ee' + //       NHC EID 7, NH=0: an IPv6 header compressed with IPHC follows
        '7e 59' + //    inner IPHC: TF=11 NH=1 HLIM=10 (64) | SAC=1 SAM=01 (64 bits inline) M=1 DAM=01 (48 bits)
        'bf e6 40 87 cb 6c 97 b1' + // → fd00:db8::bfe6:4087:cb6c:97b1
        '15 00 81 0a 64 d1' + // → ff15::810a:64d1
        'f0 04 d2 04 d2 8f ef' + // NHC UDP: ports 1234 → 1234, checksum 0x8fef inline
        '74 3a 6c 69 67 68 74 73 3b 67 3a 30 30 31 3b 73 3a 30 3b 00', // "t:lights;g:001;s:0;\0"
    );
    const opts = { src: { mode: 'short', short: 0x0000 } as LinkAddress, dst: BROADCAST, contexts: [{ id: 0, prefix: ipv6('fd00:db8::'), length: 64 }] };

    it('decompresses the outer header, the hop-by-hop MPL option and the inner datagram, checksum good', () => {
      const outer = unwrap(parseIpv6(unwrap(decompressDatagram(frame, opts))));
      expect(formatIpv6Address(outer.src)).to.equal('fd00:db8::ff:fe00:0');
      expect(formatIpv6Address(outer.dst)).to.equal('ff03::fc');
      expect(outer.hopLimit).to.equal(64);
      expect(outer.nextHeader).to.equal(0); // hop-by-hop
      // Hop-by-hop: next header 41 (IPv6), length 0, the MPL option, then the PadN the compressor elided.
      expect(toHex(outer.payload.subarray(0, 8))).to.equal('29006d0200010100');
      const inner = unwrap(parseIpv6(outer.payload.subarray(8)));
      expect(formatIpv6Address(inner.src)).to.equal('fd00:db8::bfe6:4087:cb6c:97b1');
      expect(formatIpv6Address(inner.dst)).to.equal('ff15::810a:64d1');
      const udp = unwrap(parseUdp(inner.payload, inner.src, inner.dst));
      expect(udp).to.include({ srcPort: 1234, dstPort: 1234 });
      expect(new TextDecoder().decode(udp.payload)).to.equal('t:lights;g:001;s:0;\0');
    });
  });
});
