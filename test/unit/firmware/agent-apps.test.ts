// The agent's UDP and light-control commands (docs/agent-protocol.md "UDP", "Light
// control"), driven line by line on boards in process: results as nsapi codes, events
// with the hops each datagram travelled, bursts the board paces itself, and counters.
import { expect } from 'chai';
import { emitGeneratedPayload, parseGeneratedPayload } from '../../../firmware/generated-payload.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { toHex } from '../../../stack/wire/bytes.ts';
import { agentBed, connectAll, ndAgentLine, type AgentBed } from './agent-bed.ts';

/** The global address of an ND board, from `ip.addrs`. */
function globalOf(bed: AgentBed, id: string): string {
  return bed.board(id).ok('ip.addrs').addrs!.split(',').find((a) => !a.startsWith('fe80'))!;
}

describe('agent: generated payloads', () => {
  it('sequence and send time, big-endian, then filler bytes; anything else is not one', () => {
    const p = emitGeneratedPayload(0x01020304, 0x0000_0102_0304_0506, 14);
    expect(toHex(p)).to.equal('01020304' + '0000010203040506' + '0c0d');
    expect(parseGeneratedPayload(p)).to.deep.equal({ sequence: 0x01020304, sentAtUs: 0x0000_0102_0304_0506 });
    p[13] = 0;
    expect(parseGeneratedPayload(p)).to.equal(undefined);
    expect(parseGeneratedPayload(new Uint8Array(11))).to.equal(undefined);
  });
});

describe('agent: UDP commands on a 3-hop 6LoWPAN-ND line', function () {
  this.timeout(60_000);
  let bed: AgentBed;

  before(() => {
    bed = ndAgentLine(31);
    connectAll(bed, ['br'], 'GLOBAL_UP', 5);
    connectAll(bed, ['r1', 'r2', 'r3'], 'GLOBAL_UP');
  });

  it('udp.send of a generated payload: an event per datagram with its hops and head, counters on both ends', () => {
    const br = bed.board('br');
    const r3 = bed.board('r3');
    const server = br.ok('udp.open', { port: '6000', events: '1' });
    expect(server.result).to.equal('0');
    const client = r3.ok('udp.open', { port: '0' });
    expect(client.result).to.equal('0');
    expect(Number(client.port)).to.be.within(49152, 65535);
    const sentAt = bed.bed.scheduler.now();
    expect(r3.ok('udp.send', { socket: client.socket!, addr: globalOf(bed, 'br'), port: '6000', len: '100' }).result).to.equal('100');
    bed.runFor(1 * SECOND);
    const ev = br.events.filter((e) => e.name === 'udp');
    expect(ev).to.have.length(1);
    expect(ev[0]!.args).to.include({ socket: server.socket, src: globalOf(bed, 'r3'), sport: client.port, len: '100', hops: '3' });
    expect(ev[0]!.args.head).to.equal(toHex(emitGeneratedPayload(0, sentAt, 16)));
    const rx = br.ok('udp.stats', { socket: server.socket! });
    expect(rx).to.include({ rx_packets: '1', rx_bytes: '100', max_hops: '3', tx_packets: '0', tx_failed: '0' });
    expect(Number(rx.rx_first_t)).to.equal(ev[0]!.t);
    const latency = Number(rx.lat_p50_us);
    expect(latency).to.equal(ev[0]!.t - sentAt);
    expect(latency).to.be.within(5_000, 500_000); // three hops of CSMA, frame and ACK
    expect(r3.ok('udp.stats', { socket: client.socket! })).to.include({ tx_packets: '1', tx_failed: '0', rx_packets: '0', max_hops: '-1', lat_p50_us: '-1' });
    // data= carries the given bytes; an event shows them.
    expect(r3.ok('udp.send', { socket: client.socket!, addr: globalOf(bed, 'br'), port: '6000', data: 'cafe', hop_limit: '5' }).result).to.equal('2');
    bed.runFor(1 * SECOND);
    expect(br.events.filter((e) => e.name === 'udp').map((e) => e.args.head)).to.deep.equal([ev[0]!.args.head, 'cafe']);
    br.ok('udp.close', { socket: server.socket! });
    r3.ok('udp.close', { socket: client.socket! });
  });

  it('udp.burst: ok at once, the board sends back to back, then a udp.burst event; the receiver counts them all', () => {
    const br = bed.board('br');
    const r1 = bed.board('r1');
    const server = br.ok('udp.open', { port: '6001' });
    const client = r1.ok('udp.open', { port: '0' });
    const t0 = bed.bed.scheduler.now();
    expect(r1.ok('udp.burst', { socket: client.socket!, addr: globalOf(bed, 'br'), port: '6001', len: '80', count: '50' }).result).to.equal('0');
    expect(r1.request('udp.burst', { socket: client.socket!, addr: globalOf(bed, 'br'), port: '6001', len: '80', count: '5' }).args.code).to.equal('E_BUSY');
    expect(bed.runUntil(() => r1.events.some((e) => e.name === 'udp.burst'), 30 * SECOND)).to.equal(true);
    const done = r1.events.find((e) => e.name === 'udp.burst')!;
    expect(done.args).to.deep.equal({ socket: client.socket, sent: '50', failed: '0' });
    bed.runFor(1 * SECOND);
    const rx = br.ok('udp.stats', { socket: server.socket! });
    expect(rx).to.include({ rx_packets: '50', rx_bytes: '4000', max_hops: '1' });
    // One hop, one frame each, sent as the previous one left: well under 10 ms per datagram.
    const span = Number(rx.rx_last_t) - t0;
    expect(span).to.be.below(50 * 10_000);
    expect(Number(rx.lat_p99_us)).to.be.at.least(Number(rx.lat_p50_us));
    expect(r1.ok('udp.stats', { socket: client.socket! })).to.include({ tx_packets: '50', tx_failed: '0' });
    br.ok('udp.close', { socket: server.socket! });
    r1.ok('udp.close', { socket: client.socket! });
  });

  it('mesh.status on ND: neighbours, children, parent and hops to the border router', () => {
    const s3 = bed.board('r3').ok('mesh.status');
    expect(s3).to.include({ status: 'GLOBAL_UP', hops_to_br: '3' });
    expect(Number(s3.neighbours)).to.be.at.least(1);
    expect(s3.parent).to.match(/^fe80::/);
    expect(bed.board('r1').ok('mesh.status')).to.include({ hops_to_br: '1' });
    const sbr = bed.board('br').ok('mesh.status');
    expect(sbr).to.include({ hops_to_br: '0' });
    expect(Number(sbr.children)).to.be.at.least(1);
  });

  it('nsapi results and protocol errors', () => {
    const r2 = bed.board('r2');
    const a = r2.ok('udp.open', { port: '6100' });
    expect(r2.ok('udp.open', { port: '6100' })).to.deep.include({ result: '-3003' }); // port in use: NSAPI_ERROR_PARAMETER
    expect(r2.request('udp.open', { port: '70000' }).args).to.include({ code: 'E_BAD_ARGUMENT' });
    expect(r2.request('udp.open', { port: '1', colour: 'red' }).args.msg).to.match(/^colour/);
    expect(r2.request('udp.send', { socket: a.socket!, addr: 'ff02::1', port: '1', data: '00', len: '12' }).args.msg).to.match(/data, len/);
    expect(r2.request('udp.send', { socket: a.socket!, addr: 'not-an-address', port: '1', len: '12' }).args.msg).to.match(/^addr/);
    expect(r2.request('udp.send', { socket: a.socket!, addr: 'ff02::1', port: '1', len: '11' }).args.msg).to.match(/^len/);
    expect(r2.ok('udp.send', { socket: '999', addr: 'ff02::1', port: '1', len: '12' }).result).to.equal('-3005');
    expect(r2.ok('udp.send', { socket: a.socket!, addr: 'ff02::1', port: '1', len: '2000' }).result).to.equal('-3003');
    expect(r2.ok('udp.close', { socket: a.socket! }).result).to.equal('0');
    expect(r2.ok('udp.close', { socket: a.socket! }).result).to.equal('-3005');
    expect(r2.ok('udp.send', { socket: a.socket!, addr: 'ff02::1', port: '1', len: '12' }).result).to.equal('-3005');
    // Nanostack's SOCKET_MAX: the 17th open socket fails.
    const opened = Array.from({ length: 16 }, () => r2.ok('udp.open', { port: '0' }));
    expect(opened.map((o) => o.result)).to.deep.equal(Array(16).fill('0'));
    expect(r2.ok('udp.open', { port: '0' }).result).to.equal('-3007');
    for (const o of opened) r2.ok('udp.close', { socket: o.socket! });
  });

  it('sockets and the light app outlive mesh.disconnect; sends fail until the interface is up again', () => {
    const r3 = bed.board('r3');
    const s = r3.ok('udp.open', { port: '6200' });
    expect(r3.ok('mesh.disconnect').result).to.equal('0');
    expect(r3.ok('udp.send', { socket: s.socket!, addr: 'ff02::1', port: '6200', len: '12' }).result).to.equal('-3006'); // NO_ADDRESS
    expect(r3.ok('udp.send', { socket: s.socket!, addr: globalOf(bed, 'br'), port: '6200', len: '12' }).result).to.equal('-3020'); // BUSY: no route
    expect(r3.ok('light.press')).to.include({ result: '-3020', state: '1' });
    expect(r3.ok('udp.stats', { socket: s.socket! })).to.include({ tx_packets: '0', tx_failed: '2' });
    connectAll(bed, ['r3'], 'GLOBAL_UP');
    expect(r3.ok('udp.send', { socket: s.socket!, addr: globalOf(bed, 'br'), port: '6200', len: '12' }).result).to.equal('12');
    r3.ok('udp.close', { socket: s.socket! });
  });

  it('udp commands before mesh.init are a state error', () => {
    const lone = agentBed(5, ['x'], { kind: 'matrix', lossDb: {}, defaultLossDb: 250 }).board('x');
    expect(lone.request('udp.open', { port: '1' }).args.code).to.equal('E_STATE');
    expect(lone.request('light.press').args.code).to.equal('E_STATE');
  });
});

describe('agent: light control and UDP on a 3-hop Thread chain', function () {
  this.timeout(60_000);

  it('light.press at one end: every board lights, each reports a light event with the hops it came; unicast to an ML-EID', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const lossDb: Record<string, Record<string, number>> = { a: { b: 60 }, b: { c: 60 }, c: { d: 60 } };
    const bed = agentBed(41, ids, { kind: 'matrix', lossDb, defaultLossDb: 200 });
    for (const id of ids) {
      bed.board(id).ok('mesh.init', { stack: 'thread', 'router-selection-jitter': '1' });
      bed.board(id).ok('mesh.connect');
      expect(bed.runUntil(() => ['leader', 'router'].includes(bed.board(id).ok('mesh.status').role ?? ''), 30 * SECOND), `${id} router`).to.equal(true);
    }
    bed.runFor(30 * SECOND);
    const press = bed.board('a').ok('light.press');
    expect(press).to.include({ result: '20', state: '1' });
    bed.runFor(2 * SECOND);
    const lights = ids.map((id) => bed.board(id).events.filter((e) => e.name === 'light').map((e) => `${e.args.led}/${e.args.hops}`));
    expect(lights).to.deep.equal([['1/0'], ['1/1'], ['1/2'], ['1/3']]);
    const from = bed.board('d').events.find((e) => e.name === 'light')!.args.from;
    expect(bed.board('a').ok('ip.addrs').addrs!.split(',')).to.include(from);
    for (const id of ids) expect(bed.board(id).ok('light.get'), id).to.include({ led: '1', received: '1' });
    expect(bed.board('a').ok('light.get').sent).to.equal('1');

    // Unicast to the far end's ML-EID (found by Address Query), with the mesh header's hop count.
    const server = bed.board('d').ok('udp.open', { port: '6300', events: '1' });
    const client = bed.board('a').ok('udp.open', { port: '0' });
    const mleid = bed.board('d').ok('mesh.status').mleid!;
    expect(bed.board('a').ok('udp.send', { socket: client.socket!, addr: mleid, port: '6300', len: '40' }).result).to.equal('40');
    bed.runFor(2 * SECOND);
    expect(bed.board('d').events.filter((e) => e.name === 'udp').map((e) => `${e.args.len}/${e.args.hops}`)).to.deep.equal(['40/3']);
    expect(bed.board('a').ok('udp.stats', { socket: client.socket! })).to.include({ tx_packets: '1', tx_failed: '0' });
    expect(bed.board('d').ok('udp.stats', { socket: server.socket! })).to.include({ rx_packets: '1', max_hops: '3' });
  });
});
