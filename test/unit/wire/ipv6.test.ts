// IPv6 header, extension headers, UDP and address text. Byte vectors were decoded by
// tshark 4.0.17 (fields quoted per line); address text examples are RFC 5952's own.
import { expect } from 'chai';
import { hex, toHex } from '../../../stack/wire/bytes.ts';
import {
  formatIpv6Address,
  iidFromLinkAddress,
  ipv6,
  isLinkLocal,
  linkLocalFromLinkAddress,
  multicastScope,
  parseIpv6Address,
  Scope,
} from '../../../stack/wire/ipv6-address.ts';
import {
  compressSourceRoute,
  emitHopByHop,
  emitIpv6,
  emitRoutingHeader,
  expandSourceRoute,
  parseHopByHop,
  parseIpv6,
  parseRoutingHeader,
  type SourceRoutingHeader,
} from '../../../stack/wire/ipv6.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import { emitUdp, parseUdp } from '../../../stack/wire/udp.ts';

describe('wire/ipv6-address', () => {
  it('RFC 5952 §4: canonical text form', () => {
    expect(formatIpv6Address(ipv6('2001:0db8:0000:0000:0000:0000:0000:0001'))).to.equal('2001:db8::1'); // §4.1 leading zeros, §4.2.1 longest run
    expect(formatIpv6Address(ipv6('2001:db8:0:1:1:1:1:1'))).to.equal('2001:db8:0:1:1:1:1:1'); // §4.2.2 one zero group stays
    expect(formatIpv6Address(ipv6('2001:0:0:1:0:0:0:1'))).to.equal('2001:0:0:1::1'); // §4.2.3 longest run wins
    expect(formatIpv6Address(ipv6('2001:db8:0:0:1:0:0:1'))).to.equal('2001:db8::1:0:0:1'); // §4.2.3 first of equal runs
    expect(formatIpv6Address(ipv6('2001:DB8::AAAA'))).to.equal('2001:db8::aaaa'); // §4.3 lower case
    expect(formatIpv6Address(new Uint8Array(16))).to.equal('::');
    expect(formatIpv6Address(ipv6('::ffff:192.0.2.1'))).to.equal('::ffff:c000:201');
  });

  it('rejects malformed text, naming it', () => {
    for (const t of ['1::2::3', '1:2:3:4:5:6:7', '12345::', 'g::1', '1:2:3:4:5:6:7:8::']) {
      const r = parseIpv6Address(t);
      expect(r.ok, t).to.equal(false);
    }
  });

  it('RFC 4944 §6: link-local from an EUI-64 inverts the U/L bit (reference §5: fe80::212:4b00:1:203)', () => {
    const ext = { mode: 'ext', ext: hex('00124b0000010203') } as const;
    expect(toHex(iidFromLinkAddress(ext))).to.equal('02124b0000010203');
    expect(formatIpv6Address(linkLocalFromLinkAddress(ext))).to.equal('fe80::212:4b00:1:203');
  });

  it('RFC 6282 §3.2.2: link-local from a short address (tshark: fe80::ff:fe00:1)', () => {
    expect(formatIpv6Address(linkLocalFromLinkAddress({ mode: 'short', short: 1 }))).to.equal('fe80::ff:fe00:1');
  });

  it('RFC 4291 §2.7 multicast scopes', () => {
    expect(multicastScope(ipv6('ff02::1a'))).to.equal(Scope.linkLocal);
    expect(multicastScope(ipv6('ff03::fc'))).to.equal(Scope.realmLocal);
    expect(multicastScope(ipv6('ff3e:40:2001:db8:1:0:1234:5678'))).to.equal(Scope.global);
    expect(multicastScope(ipv6('fe80::1'))).to.equal(undefined);
    expect(isLinkLocal(ipv6('febf::1'))).to.equal(true);
  });
});

describe('wire/ipv6', () => {
  // tshark: IPv6 2001:db8:1::1 → 2001:db8:1::2, payload length 16, next header 43, hop limit 64;
  // "Routing Header for IPv6 (RPL Source Route)": next header 59, length 1 (16 bytes), type 3,
  // segments left 2, CmprI 15, CmprE 15, padding 6, addresses 2001:db8:1::3, 2001:db8:1::4.
  const packet = hex(
    '60000000 0010 2b 40' + //                 version 6, TC 0, flow 0 | payload length 16 | next header 43 | hop limit 64
      '20010db8000100000000000000000001' + //  source
      '20010db8000100000000000000000002' + //  destination
      '3b 01 03 02' + //                       SRH: next header 59, hdr ext len 1, routing type 3, segments left 2
      'ff 60 0000' + //                        CmprI 15 | CmprE 15, Pad 6, reserved
      '03 04' + //                             addresses, one octet each
      '000000000000', //                       padding
  );

  it('RFC 8200 §3 header round trip', () => {
    const p = unwrap(parseIpv6(packet));
    expect(p).to.deep.include({ trafficClass: 0, flowLabel: 0, nextHeader: 43, hopLimit: 64 });
    expect(formatIpv6Address(p.dst)).to.equal('2001:db8:1::2');
    expect(p.payload.length).to.equal(16);
    expect(toHex(emitIpv6(p))).to.equal(toHex(packet));
    expect(parseIpv6(packet.subarray(0, 50)).ok).to.equal(false);
  });

  it('RFC 6554 §3 source routing header: parse, expand, emit, and compress from full addresses', () => {
    const p = unwrap(parseIpv6(packet));
    const { header, length } = unwrap(parseRoutingHeader(p.payload));
    expect(length).to.equal(16);
    expect(header).to.deep.equal({ type: 3, nextHeader: 59, segmentsLeft: 2, cmprI: 15, cmprE: 15, pad: 6, addresses: [hex('03'), hex('04')] });
    const srh = header as SourceRoutingHeader;
    expect(expandSourceRoute(srh, p.dst).map(formatIpv6Address)).to.deep.equal(['2001:db8:1::3', '2001:db8:1::4']);
    expect(toHex(emitRoutingHeader(header))).to.equal(toHex(p.payload));
    expect(toHex(emitRoutingHeader(compressSourceRoute(59, p.dst, [ipv6('2001:db8:1::3'), ipv6('2001:db8:1::4')])))).to.equal(toHex(p.payload));
  });

  it('RFC 6554 §3: a route with different prefixes keeps CmprI/CmprE apart', () => {
    const dst = ipv6('2001:db8:1::2');
    const srh = compressSourceRoute(17, dst, [ipv6('2001:db8:2::5'), ipv6('2001:db8:1::9')]);
    expect(srh).to.include({ cmprI: 5, cmprE: 15 });
    const back = unwrap(parseRoutingHeader(emitRoutingHeader(srh))).header as SourceRoutingHeader;
    expect(expandSourceRoute(back, dst).map(formatIpv6Address)).to.deep.equal(['2001:db8:2::5', '2001:db8:1::9']);
  });

  it('RFC 6553 §3 RPL option in a hop-by-hop header (tshark: RPL Option 0x63, instance 0x1e, rank 0x0300)', () => {
    const hbh = hex('11 00 63 04 00 1e 03 00'); // next header UDP, hdr ext len 0 | option 0x63, len 4, O R F = 0, instance 0x1e, rank 0x0300
    const { header, length } = unwrap(parseHopByHop(hbh));
    expect(length).to.equal(8);
    expect(header).to.deep.equal({
      nextHeader: 17,
      options: [{ kind: 'rpl', type: 0x63, down: false, rankError: false, forwardingError: false, instanceId: 0x1e, senderRank: 0x300 }],
    });
    expect(toHex(emitHopByHop(header))).to.equal(toHex(hbh));
  });

  it('RFC 8200 §4.2: pads options to 8 octets and keeps unknown options', () => {
    const h = { nextHeader: 59, options: [{ kind: 'unknown' as const, type: 0x3e, data: hex('aabb') }] };
    const bytes = emitHopByHop(h);
    expect(toHex(bytes)).to.equal('3b003e02aabb' + '0100'); // PadN with 0 data bytes fills the last 2
    expect(unwrap(parseHopByHop(bytes)).header.options).to.deep.equal([...h.options, { kind: 'padN', length: 0 }]);
  });
});

describe('wire/udp', () => {
  it('RFC 8200 §8.1 checksum over the pseudo-header (reference §5: A1 6C)', () => {
    const src = ipv6('fe80::212:4b00:1:203');
    const dst = ipv6('fe80::212:4b00:4:506');
    const bytes = hex('f0b1 f0b2 000c a16c 70696e67'); // ports, length 12, checksum, "ping"
    const d = unwrap(parseUdp(bytes, src, dst));
    expect(d).to.deep.equal({ srcPort: 0xf0b1, dstPort: 0xf0b2, payload: hex('70696e67') });
    expect(toHex(emitUdp(d, src, dst))).to.equal(toHex(bytes));
    const bad = parseUdp(hex('f0b1 f0b2 000c a16d 70696e67'), src, dst);
    expect(bad.ok).to.equal(false);
    const zero = parseUdp(hex('f0b1 f0b2 000c 0000 70696e67'), src, dst);
    expect(zero.ok).to.equal(false);
  });
});
