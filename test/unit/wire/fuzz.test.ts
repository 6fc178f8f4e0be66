// Every wire parser of stack/wire takes bytes from the air, so any bytes at all
// must give a result (a value or an error), never an exception: each prefix of
// each vector (a frame cut short anywhere), and a few thousand random inputs per
// parser (fast-check, seeded so a failure reproduces).
import { expect } from 'chai';
import fc from 'fast-check';
import { upperLayerChecksum } from '../../../stack/wire/checksum.ts';
import { parseIcmpv6 } from '../../../stack/wire/icmpv6.ts';
import { parseMacFrame, parseMacCommand, parseMacFrameWithoutFcs } from '../../../stack/wire/ieee802154.ts';
import { decompressDatagram, decompressHeaders, iphcDestination, iphcSource, parseIphc, type LowpanContext } from '../../../stack/wire/iphc.ts';
import { ipv6, parseIpv6Address, type LinkAddress } from '../../../stack/wire/ipv6-address.ts';
import { extensionHeaderLength, parseHopByHop, parseIpv6, parseOptions, parseRoutingHeader } from '../../../stack/wire/ipv6.ts';
import { parseMleAuxHeader, parseMleFrame, parseMleMessage } from '../../../stack/wire/mle.ts';
import { parseMplControl } from '../../../stack/wire/mpl-control.ts';
import { parseNdBeaconPayload } from '../../../stack/wire/nd-beacon.ts';
import { parseNdOptions } from '../../../stack/wire/ndp.ts';
import { parseNhcExtension, parseNhcUdp } from '../../../stack/wire/nhc.ts';
import type { Result } from '../../../stack/wire/result.ts';
import { parseRplMessage, parseRplOptions } from '../../../stack/wire/rpl.ts';
import { classifyDispatch, parseBc0, parseFragHeader, parseLowpanFrame, parseMeshHeader } from '../../../stack/wire/sixlowpan.ts';
import { parseUdp } from '../../../stack/wire/udp.ts';
import { EXT_A, EXT_B, HOP_BY_HOP, ICMPV6, IPV6_SRH, LOWPAN, MAC_FRAMES, MLE_FRAMES, MLE_MESSAGES, ND_BEACON_PAYLOAD } from './vectors.ts';

const SRC = ipv6('fe80::212:4b00:1:203');
const DST = ipv6('2001:db8:1::1');
const CONTEXTS: LowpanContext[] = [
  { id: 0, prefix: ipv6('2001:db8:1::'), length: 64 },
  { id: 1, prefix: ipv6('2001:db8:1::'), length: 64 },
  { id: 2, prefix: ipv6('2001:db8:2::'), length: 64 },
];
const LINKS: Array<{ src: LinkAddress; dst: LinkAddress }> = [
  { src: { mode: 'ext', ext: EXT_A }, dst: { mode: 'ext', ext: EXT_B } },
  { src: { mode: 'short', short: 1 }, dst: { mode: 'short', short: 0xffff } },
];

/** Fails with the parser and the input when `parse` throws or returns something that is not a Result. */
function mustReturn(name: string, bytes: Uint8Array, parse: () => Result<unknown> | unknown): void {
  let r: unknown;
  try {
    r = parse();
  } catch (e) {
    expect.fail(`${name} threw on ${Buffer.from(bytes).toString('hex') || '(empty)'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r !== null && typeof r === 'object' && 'ok' in r) return;
  expect.fail(`${name} returned ${String(r)} on ${Buffer.from(bytes).toString('hex')}`);
}

/** The parsers of bytes, each wrapped to take just the bytes. */
const PARSERS: Record<string, (b: Uint8Array) => unknown> = {
  parseMacFrame,
  parseMacFrameWithoutFcs,
  parseMacCommand: (b) => parseMacCommand(b[0] ?? 0, b.subarray(1), ((b[0] ?? 0) & 1) as 0 | 1),
  parseLowpanFrame,
  parseMeshHeader,
  parseFragHeader,
  parseBc0,
  parseIphc,
  iphcAddresses: (b) => {
    const h = parseIphc(b);
    if (!h.ok) return h;
    for (const link of LINKS) {
      iphcSource(h.value.header, link.src, CONTEXTS);
      iphcDestination(h.value.header, link.dst, CONTEXTS);
    }
    return h;
  },
  decompressHeaders: (b) => {
    for (const link of LINKS) {
      decompressHeaders(b, { ...link, contexts: CONTEXTS });
      decompressHeaders(b, { ...link, contexts: CONTEXTS, datagramSize: 1280 });
    }
    return decompressHeaders(b, LINKS[0]!);
  },
  decompressDatagram: (b) => decompressDatagram(b, { ...LINKS[0]!, contexts: CONTEXTS }),
  parseNhcUdp,
  parseNhcExtension,
  parseIpv6,
  parseOptions,
  parseHopByHop,
  parseRoutingHeader,
  extensionHeaderLength,
  parseIcmpv6Unverified: (b) => parseIcmpv6(b, SRC, DST, { verify: false }),
  // With its checksum made right, so the message is parsed past the checksum check.
  parseIcmpv6: (b) => {
    const m = b.slice();
    if (m.length >= 4) {
      m[2] = m[3] = 0;
      const c = upperLayerChecksum(SRC, DST, 58, m);
      m[2] = c >> 8;
      m[3] = c & 0xff;
    }
    return parseIcmpv6(m, SRC, DST);
  },
  parseUdp: (b) => {
    const m = b.slice();
    if (m.length >= 8) {
      m[4] = m.length >> 8; // length: the whole input
      m[5] = m.length & 0xff;
      m[6] = m[7] = 0;
      const c = upperLayerChecksum(SRC, DST, 17, m) || 0xffff;
      m[6] = c >> 8;
      m[7] = c & 0xff;
    }
    return parseUdp(m, SRC, DST);
  },
  parseNdOptions,
  parseRplOptions,
  parseRplMessage: (b) => parseRplMessage(b[0] ?? 0, b.subarray(1)),
  parseRplMessageKnownCode: (b) => parseRplMessage((b[0] ?? 0) & 3, b.subarray(1)),
  parseMplControl,
  parseNdBeaconPayload,
  parseMleFrame,
  parseMleMessage,
  parseMleAuxHeader,
  parseIpv6Address: (b) => parseIpv6Address(new TextDecoder().decode(b)),
  classifyDispatch: (b) => ({ ok: true, value: classifyDispatch(b[0] ?? 0) }),
};

/** Which parsers each family of vectors feeds (every parser also gets every vector in the random runs). */
const CORPUS: Array<{ family: string; vectors: Uint8Array[]; parsers: string[] }> = [
  { family: '802.15.4 frames', vectors: Object.values(MAC_FRAMES), parsers: ['parseMacFrame', 'parseMacFrameWithoutFcs', 'parseMacCommand'] },
  {
    family: '6LoWPAN frames',
    vectors: [...Object.values(LOWPAN), ...Object.values(MAC_FRAMES).map((f) => f.subarray(23, f.length - 2))],
    parsers: ['parseLowpanFrame', 'parseMeshHeader', 'parseFragHeader', 'parseBc0', 'parseIphc', 'iphcAddresses', 'decompressHeaders', 'decompressDatagram', 'parseNhcUdp', 'parseNhcExtension'],
  },
  { family: 'IPv6 and extension headers', vectors: [IPV6_SRH, HOP_BY_HOP, IPV6_SRH.subarray(40)], parsers: ['parseIpv6', 'parseHopByHop', 'parseRoutingHeader', 'parseOptions', 'extensionHeaderLength'] },
  {
    family: 'ICMPv6, ND and RPL',
    vectors: Object.values(ICMPV6).map((x) => x.bytes),
    parsers: ['parseIcmpv6Unverified', 'parseIcmpv6', 'parseUdp'],
  },
  {
    family: 'ND options and RPL bodies',
    vectors: Object.values(ICMPV6).flatMap((x) => [x.bytes.subarray(4), x.bytes.subarray(8), x.bytes.subarray(24), x.bytes.subarray(40)]),
    parsers: ['parseNdOptions', 'parseRplOptions', 'parseRplMessage', 'parseRplMessageKnownCode', 'parseMplControl'],
  },
  { family: 'the ND beacon payload', vectors: [ND_BEACON_PAYLOAD], parsers: ['parseNdBeaconPayload'] },
  { family: 'MLE', vectors: [...Object.values(MLE_MESSAGES), ...Object.values(MLE_FRAMES)], parsers: ['parseMleFrame', 'parseMleMessage', 'parseMleAuxHeader'] },
];

describe('wire parsers never throw', function () {
  this.timeout(60_000);

  for (const { family, vectors, parsers } of CORPUS) {
    it(`${family}: every prefix of every vector gives a result`, () => {
      let calls = 0;
      for (const name of parsers) {
        const parse = PARSERS[name]!;
        for (const vector of vectors) {
          for (let n = 0; n <= vector.length; n++) {
            const prefix = vector.slice(0, n);
            mustReturn(name, prefix, () => parse(prefix));
            calls++;
          }
        }
      }
      expect(calls).to.be.greaterThan(vectors.length);
    });
  }

  it('every prefix of every vector through every parser', () => {
    const all = CORPUS.flatMap((c) => c.vectors);
    for (const [name, parse] of Object.entries(PARSERS)) {
      for (const vector of all) for (let n = 0; n <= vector.length; n++) mustReturn(name, vector.subarray(0, n), () => parse(vector.subarray(0, n)));
    }
  });

  // Random bytes, and vectors with random bytes changed: most random input fails early,
  // mutations of real frames reach deep into each parser.
  const seeds = CORPUS.flatMap((c) => c.vectors);
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
    .map(([vector, changes, cut]) => {
      const out = vector.slice(0, vector.length === 0 ? 0 : (cut % (vector.length + 1)) || vector.length);
      for (const [at, value] of changes) if (out.length) out[at % out.length] = value;
      return out;
    });
  const input = fc.oneof(fc.uint8Array({ maxLength: 140 }), mutated);

  for (const [name, parse] of Object.entries(PARSERS)) {
    it(`${name}: 2000 random and mutated inputs each give a result`, () => {
      fc.assert(
        fc.property(input, (bytes) => {
          mustReturn(name, bytes, () => parse(bytes));
        }),
        { numRuns: 2000, seed: 18 },
      );
    });
  }
});
