// Boards' IPv6 address text read into bytes and one spelling: the vectors are RFC 5952's
// own examples (§2 the spellings of one address, §4 the one to print) and the forms the
// boards print (OpenThread's CLI every group, our agent compressed); the bytes are written
// out by hand from the address, not produced by the formatter under test.
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalIpv6, formatIpv6, isLinkLocalAddress, isLinkLocalIpv6, parseIpv6, samePrefix64, type Ipv6Bytes } from '../../../harness/board/ipv6-address.ts';

const hex = (s: string): Ipv6Bytes => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

function bytesOf(text: string): Ipv6Bytes {
  const p = parseIpv6(text);
  if (!p.ok) throw new Error(p.error);
  return p.bytes;
}

describe('IPv6 address text as boards print it', () => {
  it('reads text into its 16 bytes, in network order', () => {
    expect(bytesOf('2001:db8::1')).to.deep.equal(hex('2001 0db8 0000 0000 0000 0000 0000 0001'));
    expect(bytesOf('::')).to.deep.equal(hex('0000 0000 0000 0000 0000 0000 0000 0000'));
    expect(bytesOf('ff02::1')).to.deep.equal(hex('ff02 0000 0000 0000 0000 0000 0000 0001'));
    expect(bytesOf('1::')).to.deep.equal(hex('0001 0000 0000 0000 0000 0000 0000 0000'));
    // An RLOC as OpenThread's `ipaddr` prints it (openthread-cli.md §4) and as our agent does.
    const rloc = hex('fd00 0db8 0000 0000 0000 00ff fe00 0801');
    expect(bytesOf('fd00:db8:0:0:0:ff:fe00:801')).to.deep.equal(rloc);
    expect(bytesOf('fd00:db8::ff:fe00:801')).to.deep.equal(rloc);
    expect(bytesOf('FD00:DB8::FF:FE00:801')).to.deep.equal(rloc);
  });

  it('reads every spelling RFC 5952 §2 lists for one address as that address', () => {
    // §2.1 leading zeros, §2.2 how many zero groups "::" takes and where, §2.3 case.
    const same = (forms: string[]) => expect(new Set(forms.map((f) => Buffer.from(bytesOf(f)).toString('hex'))).size, forms.join(' = ')).to.equal(1);
    same(['2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:001', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:01', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1']);
    same(['2001:db8:aaaa:bbbb:cccc:dddd::1', '2001:db8:aaaa:bbbb:cccc:dddd:0:1']);
    same(['2001:db8:0:0:0::1', '2001:db8:0:0::1', '2001:db8:0::1', '2001:db8::1']);
    same(['2001:db8::aaaa:0:0:1', '2001:db8:0:0:aaaa::1']);
    same(['2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:AAAA', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa']);
  });

  it('spells an address as RFC 5952 §4 asks', () => {
    const vectors: [string, string][] = [
      ['2001:0db8::0001', '2001:db8::1'], // §4.1 leading zeros suppressed
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // §4.2.1 "::" as far as it goes
      ['2001:db8::0:1', '2001:db8::1'], // §4.2.1
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
      ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2, from a spelling RFC 4291 allows
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 the longest run
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
      ['2001:DB8::AbCd', '2001:db8::abcd'], // §4.3 lower case
      ['fd00:db8:0:0:0:ff:fe00:fc00', 'fd00:db8::ff:fe00:fc00'], // OpenThread's CLI, every group
      ['0:0:0:0:0:0:0:0', '::'],
    ];
    for (const [text, want] of vectors) {
      expect(canonicalIpv6(text), text).to.equal(want);
      expect(formatIpv6(bytesOf(text)), `${text} via its bytes`).to.equal(want);
    }
  });

  it('reads an embedded IPv4 address (RFC 4291 §2.2 form 3) and spells it in hex', () => {
    expect(bytesOf('::ffff:192.0.2.1')).to.deep.equal(hex('0000 0000 0000 0000 0000 ffff c000 0201'));
    expect(canonicalIpv6('::FFFF:192.0.2.1')).to.equal('::ffff:c000:201');
  });

  it('refuses a zone index with a reason, as it refuses text that is no address', () => {
    const zoned = parseIpv6('fe80::1%wpan0');
    expect(zoned.ok).to.equal(false);
    if (!zoned.ok) expect(zoned.error).to.match(/zone index/);
    expect(canonicalIpv6('fe80::1%wpan0')).to.equal(undefined);
    expect(canonicalIpv6('fe80::1%25wpan0')).to.equal(undefined);
    for (const junk of ['', 'not an address', '::1]/x', 'fd00::1 ', ' fd00::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'fd00::1::2', 'g::1', '12345::1', '::1.2.3', '::256.0.0.1', '[::1]']) {
      const p = parseIpv6(junk);
      expect(p.ok, JSON.stringify(junk)).to.equal(false);
      if (!p.ok) expect(p.error).to.include(`'${junk}'`);
    }
  });

  it('round-trips any 16 bytes through its text, and any spelling of an address to its one text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(bytesOf(formatIpv6(b))).to.deep.equal(b);
      }),
    );
    // Every group written with leading zeros and in capitals (as a lab's firmware may): the same address.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const full = Buffer.from(b).toString('hex').toUpperCase().match(/.{4}/g)!.join(':');
        expect(canonicalIpv6(full)).to.equal(formatIpv6(b));
      }),
    );
    expect(() => formatIpv6(new Uint8Array(4))).to.throw(/16 bytes, not 4/);
  });

  it('tells a link-local address and a shared /64 prefix from the bytes', () => {
    expect(isLinkLocalIpv6(bytesOf('fe80:0:0:0:3475:b02e:1bd9:72f0'))).to.equal(true);
    expect(isLinkLocalIpv6(bytesOf('FEBF::1')), 'fe80::/10 reaches febf').to.equal(true);
    expect(isLinkLocalIpv6(bytesOf('fec0::1'))).to.equal(false);
    expect(isLinkLocalIpv6(bytesOf('fd00:db8::1'))).to.equal(false);
    expect(samePrefix64(bytesOf('fd00:db8:0:0:c5af:e33:839c:3aa0'), bytesOf('fd00:db8::ff:fe00:801'))).to.equal(true);
    expect(samePrefix64(bytesOf('fd00:db8:0:1::1'), bytesOf('fd00:db8::1'))).to.equal(false);
  });

  it('reads printed text as link-local or not; text that is no address is not', () => {
    expect(isLinkLocalAddress('FE80::1'), 'capitals, as a lab firmware may print').to.equal(true);
    expect(isLinkLocalAddress('fe9f:0:0:0:0:0:0:1'), 'fe80::/10 without the fe80: spelling').to.equal(true);
    expect(isLinkLocalAddress('fd00:db8::fe80:1')).to.equal(false);
    expect(isLinkLocalAddress('fe80:garbled')).to.equal(false);
  });
});
