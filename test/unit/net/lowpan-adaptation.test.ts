// The 6LoWPAN adaptation both stacks share (stack/net/lowpan-adaptation.ts): datagrams out
// through IPHC, mesh header and fragments, and back in through relaying, reassembly and
// decompression (RFC 4944 §5.2, §5.3; RFC 6282).
import { expect } from 'chai';
import type { Timer, Timers } from '../../../stack/runtime.ts';
import { LowpanAdaptation, macPayloadRoom, relayMeshFrame, type Arrival } from '../../../stack/net/lowpan-adaptation.ts';
import { ipv6, linkLocalFromLinkAddress, type Ipv6Address, type LinkAddress } from '../../../stack/wire/ipv6-address.ts';
import { emitIpv6 } from '../../../stack/wire/ipv6.ts';
import type { LowpanContext } from '../../../stack/wire/iphc.ts';
import { unwrap } from '../../../stack/wire/result.ts';
import { parseFragHeader, parseMeshHeader, type MeshHeader } from '../../../stack/wire/sixlowpan.ts';
import { emitUdp } from '../../../stack/wire/udp.ts';

/** Reassembly completes inside `receive`; only its timeout would need the clock, and no test waits for it. */
const timers: Timers = { now: () => 0, at: (): Timer => ({ cancel: () => undefined }) };

const A: LinkAddress = { mode: 'short', short: 0x0400 };
const B: LinkAddress = { mode: 'short', short: 0x0800 };
const C: LinkAddress = { mode: 'short', short: 0x0c00 };
const ML_PREFIX = ipv6('fd00:db8::').subarray(0, 8);
const CONTEXT_0: LowpanContext = { id: 0, prefix: ML_PREFIX, length: 64 };

function meshLocal(l: LinkAddress): Ipv6Address {
  const a = linkLocalFromLinkAddress(l);
  a.set(ML_PREFIX);
  return a;
}

function udpDatagram(src: Ipv6Address, dst: Ipv6Address, payloadLen: number): Uint8Array {
  const payload = Uint8Array.from({ length: payloadLen }, (_, i) => (i * 13 + 5) & 0xff);
  return emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 17, hopLimit: 64, src, dst, payload: emitUdp({ srcPort: 19788, dstPort: 5000, payload }, src, dst) });
}

interface Received {
  datagram: Uint8Array;
  arrival: Arrival<string>;
}

function node(own: LinkAddress, opts: { relay?: (frame: Uint8Array, mesh: MeshHeader) => void; contexts?: LowpanContext[] } = {}): { adaptation: LowpanAdaptation<string>; got: Received[] } {
  const got: Received[] = [];
  const adaptation = new LowpanAdaptation<string>({
    timers,
    contexts: () => opts.contexts ?? [CONTEXT_0],
    firstTag: 0,
    ...(opts.relay
      ? {
          meshArrived: (mesh: MeshHeader, frame: Uint8Array) => {
            if (mesh.final.mode === 'short' && own.mode === 'short' && mesh.final.short === own.short) return true;
            opts.relay!(frame, mesh);
            return false;
          },
        }
      : {}),
    onDatagram: (datagram, arrival) => got.push({ datagram, arrival }),
  });
  return { adaptation, got };
}

describe('net/lowpan-adaptation', () => {
  it('IEEE 802.15.4-2006 §7.2.2.2: room in a frame for short addresses and no security is 116 bytes (reference §9); ext source, secured level 5 mode 1: 98', () => {
    expect(macPayloadRoom(B, 'short', 0)).to.equal(116);
    expect(macPayloadRoom(B, 'ext', 10)).to.equal(127 - 2 - (2 + 1 + 2 + 2 + 8) - 10);
  });

  it('a datagram too big for a frame crosses two mesh hops in fragments, relayed with Hops Left one lower, and is reassembled at the final node as sent', () => {
    const datagram = udpDatagram(meshLocal(A), meshLocal(C), 300);
    const sender = node(A);
    const mesh: MeshHeader = { hopsLeft: 19, originator: A, final: C };
    const frames = unwrap(sender.adaptation.frames(datagram, { macSrc: A, macDst: B, mesh, maxPayload: macPayloadRoom(B, 'short', 10) }));
    expect(frames.length).to.be.greaterThan(2);
    for (const f of frames) expect(unwrap(parseMeshHeader(f)).header).to.deep.equal(mesh);

    const final = node(C, { relay: () => expect.fail('the final node relays nothing') });
    const relayed: Uint8Array[] = [];
    const middle = node(B, { relay: (frame, m) => relayed.push(relayMeshFrame(m, frame)) });
    for (const f of frames) expect(middle.adaptation.receive(f, A, B, 'from A')).to.equal('relayed');
    expect(middle.got).to.deep.equal([]);
    relayed.forEach((f, i) => {
      const m = unwrap(parseMeshHeader(f));
      expect(m.header.hopsLeft).to.equal(18);
      expect(f.subarray(m.length)).to.deep.equal(frames[i]!.subarray(unwrap(parseMeshHeader(frames[i]!)).length));
      expect(final.adaptation.receive(f, B, C, `frame ${i}`)).to.equal('fragment');
    });
    expect(final.got).to.have.length(1);
    const [r] = final.got;
    expect(r!.datagram).to.deep.equal(datagram);
    expect(r!.arrival).to.deep.include({ src: A, dst: C, fragmented: true, frame: `frame ${frames.length - 1}` });
    expect(r!.arrival.mesh?.hopsLeft).to.equal(18);
  });

  it('a datagram that fits one frame goes unfragmented, its IPHC addresses elided from the link addresses', () => {
    const datagram = udpDatagram(meshLocal(A), meshLocal(B), 20);
    const [frame, ...more] = unwrap(node(A).adaptation.frames(datagram, { macSrc: A, macDst: B, maxPayload: macPayloadRoom(B, 'short', 10) }));
    expect(more).to.deep.equal([]);
    // IPHC (RFC 6282 §3.1.1) 2 bytes: hop limit 64 and both addresses (context 0, IID from the
    // short address) elided; NHC UDP (§4.3) 7: ports inline, checksum; then the 20-byte payload.
    expect(frame!.length).to.equal(2 + 7 + 20);
    const b = node(B, { relay: () => undefined });
    expect(b.adaptation.receive(frame!, A, B, 'one')).to.equal('datagram');
    expect(b.got[0]!.datagram).to.deep.equal(datagram);
    expect(b.got[0]!.arrival).to.deep.include({ src: A, dst: B, fragmented: false, mesh: undefined, frame: 'one' });
  });

  it('a route-over stack (no mesh hook) calls a mesh header malformed; a context the receiver lacks leaves the datagram undecodable', () => {
    const datagram = udpDatagram(meshLocal(A), meshLocal(C), 20);
    const meshed = unwrap(node(A).adaptation.frames(datagram, { macSrc: A, macDst: B, mesh: { hopsLeft: 19, originator: A, final: C }, maxPayload: 100 }));
    const routeOver = node(B);
    expect(routeOver.adaptation.receive(meshed[0]!, A, B, 'x')).to.equal('malformed');
    const plain = unwrap(node(A).adaptation.frames(udpDatagram(meshLocal(A), meshLocal(B), 20), { macSrc: A, macDst: B, maxPayload: 100 }));
    const noContext = node(B, { contexts: [] });
    expect(noContext.adaptation.receive(plain[0]!, A, B, 'x')).to.equal('undecodable');
    expect(noContext.got).to.deep.equal([]);
  });

  it('RFC 4944 §5.3: each datagram takes the next datagram_tag, from the first one given, wrapping at 16 bits', () => {
    const sender = new LowpanAdaptation<string>({ timers, contexts: () => [CONTEXT_0], firstTag: 0xfffe, onDatagram: () => undefined });
    const tags = [0, 1, 2].map(() => {
      const frames = unwrap(sender.frames(udpDatagram(meshLocal(A), meshLocal(B), 200), { macSrc: A, macDst: B, maxPayload: 100 }));
      return unwrap(parseFragHeader(frames[0]!)).header.datagramTag;
    });
    expect(tags).to.deep.equal([0xfffe, 0xffff, 0]);
  });
});
