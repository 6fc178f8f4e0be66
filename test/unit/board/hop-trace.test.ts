// The hop tracer over boards of both firmware kinds on one route: OpenThread CLIs
// (`rloc16`, `nexthop`) and agent boards (`mesh.status`, `mesh.nexthop`), each scripted
// as its firmware frames its answers, so a route that crosses one of our routers is
// traced to an OpenThread receiver.
import { expect } from 'chai';
import { AgentClient } from '../../../harness/board/agent-client.ts';
import { AgentDriver, parseNextHopAnswer, rloc16OfStatus } from '../../../harness/board/agent-driver.ts';
import { hopsFrom, otRouteView } from '../../../harness/board/drivers/ot-hops.ts';
import { NO_RLOC16, tracedHops } from '../../../harness/board/hop-trace.ts';
import { FakeTransport } from '../../../harness/board/transport.ts';
import { formatResponse, LineSplitter, type AgentLine, type Args } from '../../../protocol/agent.ts';
import { scriptedCli } from '../../support/scripted-cli.ts';


/** An agent board answering request lines from a table keyed by `command args`, `err` with E_UNKNOWN_COMMAND otherwise. */
function scriptedAgent(answers: Record<string, Args>): AgentDriver {
  const t = new FakeTransport('fake://agent');
  void t.open();
  const splitter = new LineSplitter();
  t.onWrite = (text) => {
    for (const line of splitter.push(new TextEncoder().encode(text)) as AgentLine[]) {
      if (line.kind !== 'request') continue;
      const key = [line.command, ...Object.entries(line.args).map(([k, v]) => `${k}=${v}`)].join(' ');
      const out = answers[key];
      t.emitData(formatResponse(line.id, out !== undefined, { t: '1', ...(out ?? { code: 'E_UNKNOWN_COMMAND', msg: `unknown command '${line.command}'` }) }));
    }
  };
  return new AgentDriver(new AgentClient(t));
}

const status = (rloc16: string): Record<string, Args> => ({ 'mesh.status': { status: 'LOCAL_UP', stack: 'thread', role: 'router', rloc16 } });
const ours = (rloc16: string, hops: Record<string, string>, addrs = ''): AgentDriver =>
  scriptedAgent({
    ...status(rloc16),
    'ip.addrs': { addrs },
    ...Object.fromEntries(Object.entries(hops).map(([dest, next]) => [`mesh.nexthop dest=${dest}`, { next: `0x${next}`, cost: '1' }])),
  });
const nexthop = (dest: string, next: string): Record<string, string[]> => ({ [`nexthop 0x${dest}`]: [`0x${next} cost:1`] });

describe('hop tracer across firmware kinds', () => {
  it("reads the agent's answers: mesh.nexthop's next, mesh.status's rloc16", () => {
    expect(parseNextHopAnswer({ next: '0x0800', cost: '2' })).to.equal(0x0800);
    expect(parseNextHopAnswer({ next: '0xfffe', cost: '16' })).to.equal(NO_RLOC16);
    expect(() => parseNextHopAnswer({ cost: '1' })).to.throw(/next/);
    expect(() => parseNextHopAnswer({ next: '800' })).to.throw(/next/);
    expect(rloc16OfStatus({ role: 'router', rloc16: '0c01' })).to.equal(0x0c01);
    expect(rloc16OfStatus({ role: 'detached' }), 'detached: no rloc16').to.equal(NO_RLOC16);
  });

  it('OpenThread router → our router → OpenThread router and its child: every hop told by the router on it', async () => {
    const a = otRouteView(scriptedCli({ rloc16: ['0400'], ...nexthop('0c00', '0800'), ...nexthop('0c01', '0800') }));
    const b = ours('0800', { '0c00': '0c00', '0c01': '0c00' });
    const c = otRouteView(scriptedCli({ rloc16: ['0c00'] }));
    const cChild = otRouteView(scriptedCli({ rloc16: ['0c01'] }));
    expect(await tracedHops(a, c, [a, b, c])).to.equal(2);
    expect(await tracedHops(a, cChild, [a, b, c, cChild])).to.equal(3);
    // As before our boards told their routes: the router between could not be asked.
    expect(await tracedHops(a, c, [a, c])).to.equal(-1);
  });

  it('our router sending to an OpenThread receiver across another of our routers', async () => {
    const br = ours('0000', { '0c00': '0400' });
    const r1 = otRouteView(scriptedCli({ rloc16: ['0400'], ...nexthop('0c00', '0800') }));
    const r2 = ours('0800', { '0c00': '0c00' });
    const r3 = otRouteView(scriptedCli({ rloc16: ['0c00'] }));
    expect(await tracedHops(br, r3, [br, r1, r2, r3])).to.equal(3);
  });

  it('a router of ours that cannot tell (a firmware without mesh.nexthop, or 6LoWPAN-ND) or has no route: unknown', async () => {
    const a = otRouteView(scriptedCli({ rloc16: ['0400'], ...nexthop('0c00', '0800') }));
    const c = otRouteView(scriptedCli({ rloc16: ['0c00'] }));
    const old = scriptedAgent(status('0800'));
    expect(await tracedHops(a, c, [a, old, c])).to.equal(-1);
    const noRoute = ours('0800', { '0c00': 'fffe' });
    expect(await tracedHops(a, c, [a, noRoute, c])).to.equal(-1);
    const nd = scriptedAgent({ 'mesh.status': { status: 'GLOBAL_UP', stack: 'nd', role: 'router' } });
    expect(await tracedHops(nd, c, [nd, c]), 'no RLOC16').to.equal(-1);
  });

  it("an OpenThread receiver counts a datagram from an OpenThread sender whose route crosses our router (one IP hop: the routers' forwarding)", async () => {
    const rx = scriptedCli({
      ipaddr: ['fd00:db8::3', 'fe80::3'],
      rloc16: ['0c00'],
      // The echo reply came over one IP hop (hop limit 64): mesh forwarding inside the partition.
      'ping async fd00:db8::1 8 1 1 64 2': ['16 bytes from fd00:db8::1: icmp_seq=1 hlim=64 time=3ms', '1 packets transmitted, 1 packets received. Packet loss = 0.0%. Round-trip min/avg/max = 3/3.0/3 ms.'],
    });
    const tx = otRouteView(scriptedCli({ ipaddr: ['fd00:db8::1'], rloc16: ['0400'], ...nexthop('0c00', '0800') }));
    const between = ours('0800', { '0c00': '0c00' }, 'fd00:db8::2,fe80::2');
    expect(await hopsFrom('fd00:db8::1', rx, [otRouteView(rx), tx, between])).to.deep.equal({ hops: 2, inferred: false });
  });

  it('the sender is one of our boards: found by its addresses, however each firmware spells them, and traced forward', async () => {
    // OpenThread's CLI prints every group of the source it received from; our agent compresses.
    const src = 'fd00:db8:0:0:0:0:0:2';
    const rx = scriptedCli({
      ipaddr: ['fd00:db8:0:0:0:0:0:3'],
      rloc16: ['0c00'],
      [`ping async ${src} 8 1 1 64 2`]: [`16 bytes from ${src}: icmp_seq=1 hlim=64 time=3ms`, '1 packets transmitted, 1 packets received. Packet loss = 0.0%. Round-trip min/avg/max = 3/3.0/3 ms.'],
    });
    const relay = otRouteView(scriptedCli({ ipaddr: ['fd00:db8:0:0:0:0:0:4'], rloc16: ['0800'], ...nexthop('0c00', '0c00') }));
    const sender = ours('0400', { '0c00': '0800' }, 'FD00:DB8::2,fe80::2');
    expect(await hopsFrom(src, rx, [otRouteView(rx), relay, sender])).to.deep.equal({ hops: 2, inferred: false });
  });

  it('an echo reply counts whichever spelling the receiver prints its source in', async () => {
    // Pinged as our agent spells the address; OpenThread's CLI prints the reply's source with every group.
    const rx = scriptedCli({
      ipaddr: ['fd00:db8:0:0:0:0:0:3'],
      rloc16: ['0c00'],
      'ping async fd00:db8::2 8 1 1 64 2': ['16 bytes from fd00:db8:0:0:0:0:0:2: icmp_seq=1 hlim=62 time=3ms', '1 packets transmitted, 1 packets received. Packet loss = 0.0%. Round-trip min/avg/max = 3/3.0/3 ms.'],
    });
    expect(await hopsFrom('fd00:db8::2', rx, [otRouteView(rx)]), '65 - hlim 62: three IP hops').to.deep.equal({ hops: 3, inferred: false });
  });
});
