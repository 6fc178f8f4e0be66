// udp.join / udp.leave (docs/agent-protocol.md "UDP"): multicast reception through the
// agent on a 3-hop 6LoWPAN-ND line. A site-local group (ff05::, RFC 4291 §2.7 scope 5)
// is flooded by the routers (MPL, realm-local scope and up); only sockets that joined it
// hear it, and routers forward it whether or not they joined.
import { expect } from 'chai';
import { DEFAULT_BOUNDS } from '../../../harness/rig/common.ts';
import { SECOND } from '../../../stack/runtime.ts';
import { connectAll, ndAgentLine, type AgentBed } from './agent-bed.ts';

const GROUP = 'ff05::abcd';
/** A flood's bound on 6LoWPAN-ND, the light's (docs/rig-file.md "Bounds"). */
const ND_FLOOD_WITHIN_S = DEFAULT_BOUNDS.ndLightWithinS;
const PORT = '6100';

describe('agent: multicast groups on a 3-hop 6LoWPAN-ND line', function () {
  this.timeout(60_000);
  let bed: AgentBed;
  const socket: Record<string, string> = {};

  before(() => {
    // Group membership is the subject, so the seed is one whose flood arrives: on Nanostack's
    // MPL a flood can be lost for good (seed 61: r3's copies silence r2 in its 3 intervals,
    // k = 1, and no control message asks r2 for it before it drops it 60 s later).
    bed = ndAgentLine(62);
    connectAll(bed, ['br'], 'GLOBAL_UP', 5);
    connectAll(bed, ['r1', 'r2', 'r3'], 'GLOBAL_UP');
    for (const id of ['br', 'r1', 'r2', 'r3']) socket[id] = bed.board(id).ok('udp.open', { port: id === 'r3' ? '0' : PORT, events: '1' }).socket!;
  });

  const heard = (id: string): number => bed.board(id).events.filter((e) => e.name === 'udp' && e.args.socket === socket[id]).length;

  it('a datagram to a group from one end reaches the boards that joined it, and not one that did not', () => {
    expect(bed.board('br').ok('udp.join', { socket: socket.br!, group: GROUP }).result).to.equal('0');
    expect(bed.board('r1').ok('udp.join', { socket: socket.r1!, group: GROUP }).result).to.equal('0');
    // r2 has a socket on the port but is no member; it still forwards.
    expect(bed.board('r3').ok('udp.send', { socket: socket.r3!, addr: GROUP, port: PORT, data: 'c0ffee' }).result).to.equal('3');
    // Nanostack's MPL: at Trickle times, or through control messages where a router's k = 1 kept it silent.
    expect(bed.runUntil(() => heard('br') >= 1 && heard('r1') >= 1, ND_FLOOD_WITHIN_S * SECOND), 'br and r1 heard it').to.equal(true);
    bed.runFor(3 * SECOND);
    expect(heard('br'), 'br, 3 hops away, joined').to.equal(1);
    expect(heard('r1'), 'r1, 2 hops away, joined').to.equal(1);
    expect(heard('r2'), 'r2 did not join').to.equal(0);
    const ev = bed.board('br').events.find((e) => e.name === 'udp' && e.args.socket === socket.br)!;
    expect(ev.args).to.include({ len: '3', head: 'c0ffee', hops: '3' });
  });

  it('after udp.leave the board hears the group no more; the others still do', () => {
    expect(bed.board('r1').ok('udp.leave', { socket: socket.r1!, group: GROUP }).result).to.equal('0');
    const before = { br: heard('br'), r1: heard('r1') };
    expect(bed.board('r3').ok('udp.send', { socket: socket.r3!, addr: GROUP, port: PORT, data: '01' }).result).to.equal('1');
    expect(bed.runUntil(() => heard('br') > before.br, ND_FLOOD_WITHIN_S * SECOND), 'br heard it').to.equal(true);
    bed.runFor(3 * SECOND);
    expect(heard('br') - before.br).to.equal(1);
    expect(heard('r1') - before.r1).to.equal(0);
  });

  it('the sender hears its own datagram to a realm-local group it joined, hops=0 (what check-agent relies on)', () => {
    const br = bed.board('br');
    const s = br.ok('udp.open', { port: '6200', events: '1' }).socket!;
    expect(br.ok('udp.join', { socket: s, group: 'ff03::6d62' }).result).to.equal('0');
    expect(br.ok('udp.send', { socket: s, addr: 'ff03::6d62', port: '6200', data: '6d62' }).result).to.equal('2');
    bed.runFor(1 * SECOND);
    const own = br.events.filter((e) => e.name === 'udp' && e.args.socket === s);
    expect(own.map((e) => e.args)).to.deep.equal([{ socket: s, src: br.ok('ip.addrs').addrs!.split(',')[1], sport: '6200', len: '2', hops: '0', head: '6d62' }]);
  });

  it('results as setsockopt gives them: a second join or a leave without a join -3003, a unicast group -3003, no socket -3005', () => {
    const br = bed.board('br');
    expect(br.ok('udp.join', { socket: socket.br!, group: GROUP }).result).to.equal('-3003');
    expect(br.ok('udp.leave', { socket: socket.br!, group: 'ff05::1:2' }).result).to.equal('-3003');
    expect(br.ok('udp.join', { socket: socket.br!, group: 'fd00:db8::1' }).result).to.equal('-3003');
    expect(br.ok('udp.join', { socket: '99', group: GROUP }).result).to.equal('-3005');
    const bad = br.request('udp.join', { socket: socket.br!, group: 'not-an-address' });
    expect(bad.ok).to.equal(false);
    expect(bad.args.code).to.equal('E_BAD_ARGUMENT');
    // Closing a socket leaves its groups.
    expect(br.ok('udp.close', { socket: socket.br! }).result).to.equal('0');
    expect(br.ok('udp.join', { socket: socket.br!, group: GROUP }).result).to.equal('-3005');
  });
});
