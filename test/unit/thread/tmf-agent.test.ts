// TMF's CoAP endpoint on its own: two agents joined by a lossy wire on one bench
// clock. Retransmission follows RFC 7252 §4.2 (first wait in [2 s, 3 s], doubled
// at each of 4 retransmissions, then the request fails); a duplicate request is
// answered again from the remembered ACK and never handled twice (§4.5).
import { expect } from 'chai';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import { SeededRng, SECOND, after } from '../../../stack/runtime.ts';
import type { ThreadNetwork, UdpReceive, UdpSend } from '../../../stack/thread/link.ts';
import { ACK_RANDOM_FACTOR, ACK_TIMEOUT, MAX_RETRANSMIT, TmfAgent } from '../../../stack/thread/tmf-agent.ts';
import { CoapCode, parseCoap, TMF_UDP_PORT, type CoapMessage } from '../../../stack/thread/tmf.ts';
import { ipv6, ipv6Equal } from '../../../stack/wire/ipv6-address.ts';

const A = ipv6('fd00::ff:fe00:400');
const B = ipv6('fd00::ff:fe00:800');
const LATENCY = 10_000;

interface Sent {
  at: number;
  d: UdpSend;
  message: CoapMessage;
}

/** Two nodes' networks over one wire; `drop` decides the fate of each datagram. */
function wire(clock: Scheduler, drop: (s: Sent) => boolean) {
  const handlers = new Map<string, (m: UdpReceive) => void>();
  const log: Sent[] = [];
  const net = (self: Uint8Array): ThreadNetwork => ({
    sendUdp(d) {
      const parsed = parseCoap(d.payload);
      if (!parsed.ok) throw new Error('not CoAP');
      const s = { at: clock.now(), d, message: parsed.value };
      log.push(s);
      if (drop(s)) return;
      const to = ipv6Equal(d.dst, A) ? 'A' : 'B';
      after(clock, LATENCY, () =>
        handlers.get(to)?.({
          ...d,
          link: { src: { mode: 'short', short: 0 }, rssiDbm: -50, linkMarginDb: 50, lqi: 255, secured: true },
          legHops: 1,
          hopLimitKept: true,
        }),
      );
    },
    onUdp(port, h) {
      expect(port).to.equal(TMF_UDP_PORT);
      handlers.set(ipv6Equal(self, A) ? 'A' : 'B', h);
    },
  });
  return { net, log };
}

function pair(seed: number, drop: (s: Sent) => boolean) {
  const clock = new Scheduler();
  const rng = new SeededRng(seed);
  const w = wire(clock, drop);
  const netA = w.net(A);
  const netB = w.net(B);
  const a = new TmfAgent(netA, clock, rng.fork());
  const b = new TmfAgent(netB, clock, rng.fork());
  netA.onUdp(TMF_UDP_PORT, (m) => a.receive(m));
  netB.onUdp(TMF_UDP_PORT, (m) => b.receive(m));
  let handled = 0;
  b.handle('a/as', () => {
    handled++;
    return { code: CoapCode.changed, payload: Uint8Array.of(handled) };
  });
  return { clock, a, b, log: w.log, handled: () => handled };
}

describe('TMF CoAP: confirmable requests are reliable (RFC 7252 §4.2)', () => {
  it('retransmits a lost request after [ACK_TIMEOUT, ACK_TIMEOUT × 1.5], doubling the wait, until it is acknowledged', () => {
    const fromA = (s: Sent): boolean => ipv6Equal(s.d.src, A) && s.message.type === 'confirmable';
    const p = pair(1, (s) => fromA(s) && p.log.filter(fromA).length <= 3);
    const answers: Array<CoapMessage | undefined> = [];
    p.a.post({ src: A, dst: B, uri: 'a/as', payload: Uint8Array.of(7), confirmable: true, answered: (m) => answers.push(m) });
    p.clock.runUntil(60 * SECOND);
    const sends = p.log.filter(fromA).map((s) => s.at);
    expect(sends, 'the first three copies lost, the fourth answered').to.have.length(4);
    const first = sends[1]! - sends[0]!;
    expect(first).to.be.within(ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR);
    expect(sends[2]! - sends[1]!, 'doubled').to.equal(2 * first);
    expect(sends[3]! - sends[2]!, 'doubled again').to.equal(4 * first);
    expect(new Set(p.log.filter(fromA).map((s) => s.message.messageId)).size, 'one message ID for every copy').to.equal(1);
    expect(answers).to.have.length(1);
    expect(answers[0]?.payload).to.deep.equal(Uint8Array.of(1));
    expect(p.a.counters.retransmissions).to.equal(3);
    expect(p.a.pending).to.equal(0);
  });

  it('gives up after MAX_RETRANSMIT retransmissions and reports no answer, at MAX_TRANSMIT_WAIT', () => {
    const p = pair(2, (s) => ipv6Equal(s.d.src, A));
    const answers: Array<CoapMessage | undefined> = [];
    p.a.post({ src: A, dst: B, uri: 'a/as', payload: Uint8Array.of(7), confirmable: true, answered: (m) => answers.push(m) });
    p.clock.runUntil(46 * SECOND);
    const sends = p.log.map((s) => s.at);
    expect(sends, 'the last retransmission goes by MAX_TRANSMIT_SPAN, 45 s').to.have.length(1 + MAX_RETRANSMIT);
    const t = sends[1]! - sends[0]!;
    expect(answers, 'still waiting after the last retransmission').to.deep.equal([]);
    p.clock.runUntil(sends[0]! + 31 * t - 1);
    expect(answers).to.deep.equal([]);
    p.clock.runUntil(sends[0]! + 31 * t);
    // (2^(MAX_RETRANSMIT+1) − 1) × the first timeout: at most MAX_TRANSMIT_WAIT = 93 s (§4.8.2).
    expect(answers).to.deep.equal([undefined]);
    expect(p.a.counters.requestsTimedOut).to.equal(1);
    expect(31 * t).to.be.at.most(93 * SECOND);
  });

  it('answers a retransmitted request whose ACK was lost from the remembered ACK, without handling it again', () => {
    const ackFromB = (s: Sent): boolean => ipv6Equal(s.d.src, B) && s.message.type === 'acknowledgement';
    const p = pair(3, (s) => ackFromB(s) && p.log.filter(ackFromB).length === 1);
    const answers: Array<CoapMessage | undefined> = [];
    p.a.post({ src: A, dst: B, uri: 'a/as', payload: Uint8Array.of(7), confirmable: true, answered: (m) => answers.push(m) });
    p.clock.runUntil(10 * SECOND);
    expect(p.handled(), 'handled once').to.equal(1);
    expect(p.b.counters.duplicatesAnswered).to.equal(1);
    const acks = p.log.filter(ackFromB);
    expect(acks).to.have.length(2);
    expect(acks[1]!.message.payload, 'the same answer').to.deep.equal(acks[0]!.message.payload);
    expect(answers.map((m) => m?.payload)).to.deep.equal([Uint8Array.of(1)]);
  });

  it('sends a non-confirmable request once, and answers an unknown resource with 4.04', () => {
    const p = pair(4, () => false);
    p.a.post({ src: A, dst: B, uri: 'a/as', payload: new Uint8Array(0), confirmable: false });
    const answers: Array<CoapMessage | undefined> = [];
    p.a.post({ src: A, dst: B, uri: 'a/zz', payload: new Uint8Array(0), confirmable: true, answered: (m) => answers.push(m) });
    p.clock.runUntil(60 * SECOND);
    expect(p.log.filter((s) => ipv6Equal(s.d.src, A))).to.have.length(2);
    expect(p.handled()).to.equal(1);
    expect(answers.map((m) => m?.code)).to.deep.equal([CoapCode.notFound]);
  });

  it('stops retransmitting what abortAll() drops, calling nothing back', () => {
    const p = pair(5, () => true);
    const answers: Array<CoapMessage | undefined> = [];
    p.a.post({ src: A, dst: B, uri: 'a/as', payload: new Uint8Array(0), confirmable: true, answered: (m) => answers.push(m) });
    p.clock.runUntil(1 * SECOND);
    p.a.abortAll();
    p.clock.runUntil(120 * SECOND);
    expect(p.log).to.have.length(1);
    expect(answers).to.deep.equal([]);
  });
});
