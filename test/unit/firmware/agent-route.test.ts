// The agent's mesh.nexthop (docs/agent-protocol.md "Routes"): the next hop and path cost
// the board's Thread forwarding gives towards an RLOC16, driven line by line on boards in
// process; a trace along it counts the radio hops a datagram is measured to take.
import { expect } from 'chai';
import { SECOND } from '../../../stack/runtime.ts';
import { agentBed, ndAgentLine, type AgentBed } from './agent-bed.ts';

describe('agent: mesh.nexthop on a Thread chain of routers with an end device', function () {
  this.timeout(60_000);
  const routers = ['a', 'b', 'c', 'd'];
  let bed: AgentBed;
  const rloc = (id: string) => bed.board(id).ok('mesh.status').rloc16!;
  const nexthop = (from: string, to: string) => bed.board(from).ok('mesh.nexthop', { dest: rloc(to) });

  before(() => {
    // a - b - c - d, each link 60 dB (quality 3: cost 1), e next to a only.
    const lossDb: Record<string, Record<string, number>> = { a: { b: 60, e: 60 }, b: { c: 60 }, c: { d: 60 } };
    bed = agentBed(43, [...routers, 'e'], { kind: 'matrix', lossDb, defaultLossDb: 200 });
    for (const id of routers) {
      bed.board(id).ok('mesh.init', { stack: 'thread', 'router-selection-jitter': '1' });
      bed.board(id).ok('mesh.connect');
      expect(bed.runUntil(() => ['leader', 'router'].includes(bed.board(id).ok('mesh.status').role ?? ''), 30 * SECOND), `${id} router`).to.equal(true);
    }
    bed.board('e').ok('mesh.init', { stack: 'thread', 'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE' });
    bed.board('e').ok('mesh.connect');
    expect(bed.runUntil(() => bed.board('e').ok('mesh.status').role === 'child', 30 * SECOND), 'e child').to.equal(true);
    bed.runFor(30 * SECOND); // routes spread by MLE Advertisements
  });

  it('a router: the neighbour towards a router, with the path cost; ourselves at cost 0', () => {
    expect(nexthop('a', 'd')).to.deep.include({ next: `0x${rloc('b')}`, cost: '3' });
    expect(nexthop('d', 'a')).to.deep.include({ next: `0x${rloc('c')}`, cost: '3' });
    expect(nexthop('b', 'c')).to.deep.include({ next: `0x${rloc('c')}`, cost: '1' });
    expect(nexthop('c', 'c')).to.deep.include({ next: `0x${rloc('c')}`, cost: '0' });
  });

  it('towards an end device: its parent hands it over directly; elsewhere its parent\'s route plus a link of quality 3', () => {
    expect(rloc('e').startsWith(rloc('a').slice(0, 2))).to.equal(true);
    expect(nexthop('a', 'e')).to.deep.include({ next: `0x${rloc('e')}`, cost: '1' });
    expect(nexthop('d', 'e')).to.deep.include({ next: `0x${rloc('c')}`, cost: '4' });
  });

  it('an end device: everything through its parent; the cost only as far as its parent', () => {
    expect(nexthop('e', 'a')).to.deep.equal({ t: nexthop('e', 'a').t, next: `0x${rloc('a')}`, cost: '1' });
    const far = nexthop('e', 'd');
    expect(far.next).to.equal(`0x${rloc('a')}`);
    expect(far).to.not.have.property('cost');
  });

  it('no route: 0xfffe at the largest cost', () => {
    // Router ID 63 is never allocated (Thread 1.1 §5.2.1.1: IDs 0-62).
    expect(bed.board('a').ok('mesh.nexthop', { dest: 'fc00' })).to.deep.include({ next: '0xfffe', cost: '16' });
    // A child ID of ours that no child holds.
    const a = parseInt(rloc('a'), 16);
    expect(bed.board('a').ok('mesh.nexthop', { dest: `0x${(a | 0x1ff).toString(16)}` })).to.deep.include({ next: '0xfffe', cost: '16' });
  });

  it('following mesh.nexthop from router to router counts the hops a datagram is measured to take', () => {
    let at = 'a';
    let hops = 0;
    const byRloc = new Map(routers.map((id) => [`0x${rloc(id)}`, id]));
    while (at !== 'd' && hops < 10) {
      at = byRloc.get(nexthop(at, 'd').next!)!;
      hops++;
    }
    const server = bed.board('d').ok('udp.open', { port: '6400', events: '1' });
    const client = bed.board('a').ok('udp.open', { port: '0' });
    bed.board('a').ok('udp.send', { socket: client.socket!, addr: bed.board('d').ok('mesh.status').mleid!, port: '6400', len: '20' });
    bed.runFor(2 * SECOND);
    const got = bed.board('d').events.filter((e) => e.name === 'udp').map((e) => Number(e.args.hops));
    expect(got).to.deep.equal([3]);
    expect(hops).to.equal(got[0]);
    bed.board('d').ok('udp.close', { socket: server.socket! });
    bed.board('a').ok('udp.close', { socket: client.socket! });
  });

  it('bad arguments are named', () => {
    expect(bed.board('a').request('mesh.nexthop', {}).args).to.include({ code: 'E_BAD_ARGUMENT', msg: 'dest: missing' });
    expect(bed.board('a').request('mesh.nexthop', { dest: '0x40' }).args.code).to.equal('E_BAD_ARGUMENT');
    expect(bed.board('a').request('mesh.nexthop', { dest: 'zzzz' }).args.code).to.equal('E_BAD_ARGUMENT');
    expect(bed.board('a').request('mesh.nexthop', { dest: '0400', via: '1' }).args).to.include({ code: 'E_BAD_ARGUMENT', msg: 'via: unknown key' });
  });
});

describe('agent: mesh.nexthop off Thread', () => {
  it('6LoWPAN-ND has no RLOC16 routes: E_UNSUPPORTED; before mesh.init: E_STATE', () => {
    const nd = ndAgentLine(7);
    expect(nd.board('r1').request('mesh.nexthop', { dest: '0400' }).args.code).to.equal('E_UNSUPPORTED');
    const lone = agentBed(5, ['x'], { kind: 'matrix', lossDb: {}, defaultLossDb: 250 }).board('x');
    expect(lone.request('mesh.nexthop', { dest: '0400' }).args.code).to.equal('E_STATE');
  });

  it('a detached Thread board: no route', () => {
    const lone = agentBed(6, ['x'], { kind: 'matrix', lossDb: {}, defaultLossDb: 250 }).board('x');
    lone.ok('mesh.init', { stack: 'thread' });
    expect(lone.ok('mesh.nexthop', { dest: '0400' })).to.deep.include({ next: '0xfffe', cost: '16' });
  });
});
