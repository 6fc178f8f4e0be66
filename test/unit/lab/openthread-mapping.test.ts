// The OpenThread CLI driver's pure parts: mbed-mesh-api keys as CLI commands,
// the CLI's tables and fields, receive lines, generated and light payloads,
// and hop counts traced through the routers' next hops (scripted CLIs).
import { expect } from 'chai';
import type { OtCli } from '../../../harness/board/drivers/ot-cli.ts';
import { cliArg } from '../../../harness/board/drivers/ot-cli.ts';
import { datasetCommands, modeOf, parseFields, parseTable, plainValue, prefix64 } from '../../../harness/board/drivers/ot-config.ts';
import { hopsFrom, otRouteView, parseNextHop } from '../../../harness/board/drivers/ot-hops.ts';
import { tracedHops } from '../../../harness/board/hop-trace.ts';
import { generatedPayload, parseUdpLine } from '../../../harness/board/drivers/ot-sockets.ts';
import { lightMessage, parseLightText } from '../../../protocol/light-control.ts';
import { scriptedCli } from '../../support/scripted-cli.ts';


/** What the hop tracer asks of a scripted CLI. */
const cliView = (answers: Record<string, string[]>) => otRouteView(scriptedCli(answers));
const views = (...clis: OtCli[]) => clis.map(otRouteView);

// The router table header and rule as the reference shows them (§4).
const ROUTER_TABLE_HEAD = ['| ID | RLOC16 | Next Hop | Path Cost | LQ In | LQ Out | Age | Extended MAC     | Link |', '+----+--------+----------+-----------+-------+--------+-----+------------------+------+'];

describe('OpenThread CLI mapping', () => {
  describe('mbed-mesh-api keys → CLI commands (mbed-mesh-api.md §4)', () => {
    it('takes values as mbed_app.json writes them: byte arrays, C strings, hex', () => {
      expect(plainValue('thread-master-key', '{0x10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}')).to.equal('10112233445566778899aabbccddeeff');
      expect(plainValue('thread-config-network-name', '"Thread Network"')).to.equal('Thread Network');
      expect(plainValue('thread-config-panid', '0x0700')).to.equal('0x0700');
      expect(plainValue('x', '{not bytes}'), 'left as it is when it is no mbed_app value').to.equal('{not bytes}');
    });

    it('writes the dataset fields, escaping a space in the network name as the CLI parser wants', () => {
      expect(
        datasetCommands({
          'thread-master-key': '{0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}',
          'thread-config-panid': '0x0700',
          'thread-config-channel': '22',
          'thread-config-extended-panid': 'f1b5a1b2c4d5a1bd',
          'thread-config-network-name': '"Thread Network"',
          'thread-config-ml-prefix': '{0xfd, 0x0, 0x0d, 0xb8, 0x0, 0x0, 0x0, 0x0}',
        }),
      ).to.deep.equal([
        'dataset networkkey deadbeef00112233445566778899aabb',
        'dataset panid 0x0700',
        'dataset channel 22',
        'dataset extpanid f1b5a1b2c4d5a1bd',
        'dataset networkname Thread\\ Network',
        'dataset meshlocalprefix fd00:db8:0:0::',
      ]);
      expect(cliArg('a\\b c')).to.equal('a\\\\b\\ c');
    });

    it('writes a complete dataset for initialize(): Mbed defaults for keys left out, and an Active Timestamp (without one OpenThread never forms a partition)', () => {
      const cmds = datasetCommands({ 'thread-config-channel': '15' }, true);
      expect(cmds).to.deep.equal([
        'dataset networkkey 10112233445566778899aabbccddeeff',
        'dataset panid 0x0700',
        'dataset channel 15',
        'dataset channelmask 0x07fff800',
        'dataset extpanid f1b5a1b2c4d5a1bd',
        'dataset networkname Thread\\ Network',
        'dataset meshlocalprefix fd00:db8:0:0::',
        'dataset activetimestamp 1',
      ]);
      expect(datasetCommands({ 'thread-config-channel-mask': '(1<<12)|(1<<13)' })).to.deep.equal(['dataset channelmask 0x00003000']);
      expect(() => datasetCommands({ 'thread-config-channel-mask': '(1<<x)' })).to.throw(/channel mask/);
    });

    it('maps the device type to a link mode (r rx-on, d full Thread device, n full network data)', () => {
      expect(modeOf({ 'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_ROUTER' })).to.deep.equal({ mode: 'rdn', routerEligible: true });
      expect(modeOf({ 'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE' })).to.deep.equal({ mode: 'rn', routerEligible: false });
      expect(modeOf({ 'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_SLEEPY_END_DEVICE' })).to.deep.equal({ mode: '-', routerEligible: false });
      expect(modeOf({})).to.equal(undefined);
    });

    it('reads a border router prefix as bytes or as text', () => {
      expect(prefix64('{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00}')).to.equal('2001:db8:1::/64');
      expect(prefix64('fd00000000000000')).to.equal('fd00::/64');
      expect(prefix64('2001:DB8:1::/64')).to.equal('2001:db8:1::/64');
      expect(prefix64('2001:db8::/48')).to.equal(undefined);
    });
  });

  describe('what the CLI prints', () => {
    it('splits tables on | under their header, skipping the rule (reference §4)', () => {
      const rows = parseTable([...ROUTER_TABLE_HEAD, '|  7 | 0x1c00 |       63 |         0 |     3 |      3 |   0 | eea5be09473e2b07 |    1 |']);
      expect(rows).to.deep.equal([{ ID: '7', RLOC16: '0x1c00', 'Next Hop': '63', 'Path Cost': '0', 'LQ In': '3', 'LQ Out': '3', Age: '0', 'Extended MAC': 'eea5be09473e2b07', Link: '1' }]);
      expect(parseTable([])).to.deep.equal([]);
    });

    it('reads `Key: value` lines (dataset active, leaderdata, counters mle)', () => {
      expect(parseFields(['Channel: 25', 'Mesh Local Prefix: fd2b:1d02:2c0a:72ab::/64', 'Attach Attempts: 6'])).to.deep.equal({ Channel: '25', 'Mesh Local Prefix': 'fd2b:1d02:2c0a:72ab::/64', 'Attach Attempts': '6' });
    });

    it('reads a UDP receive line, also one whose text is empty (a payload starting with NUL)', () => {
      expect(parseUdpLine('5 bytes from fdde:ad00:beef:0:bb1:ebd6:ad10:f33 49153 hello')).to.deep.equal({ length: 5, src: 'fdde:ad00:beef:0:bb1:ebd6:ad10:f33', srcPort: 49153, text: 'hello' });
      expect(parseUdpLine('20 bytes from fe80::1 1234')).to.deep.equal({ length: 20, src: 'fe80::1', srcPort: 1234, text: '' });
      expect(parseUdpLine('16 bytes from fe80::1: icmp_seq=1 hlim=64 time=10ms'), 'a ping reply').to.equal(undefined);
    });
  });

  describe('payloads', () => {
    it('a generated payload has the length asked for, its sequence and send time first, then the CLI’s filler', () => {
      const p = generatedPayload(40, 7, 1_234_567);
      expect(p).to.have.length(40);
      expect(p).to.match(/^mb7:1234567;0123456789ABCDEFGHIJKLMNOPQR$/);
      expect(generatedPayload(4, 12, 99)).to.equal('mb12');
    });

    it('the light message is the 20 bytes mesh-minimal sends; a receiver reads 19 (mbed-mesh-api.md §5)', () => {
      const on = lightMessage(true);
      expect(on).to.have.length(20);
      expect(Buffer.from(on).toString('latin1')).to.equal('t:lights;g:001;s:1;\0');
      expect(parseLightText('t:lights;g:001;s:1;')).to.equal(true);
      expect(parseLightText('t:lights;g:001;s:0;')).to.equal(false);
      expect(parseLightText('t:other;s:1;')).to.equal(undefined);
      expect(parseLightText('t:lights;g:0000000001;s:1;'), 's: beyond the 19 bytes read').to.equal(undefined);
    });
  });

  describe("hops, from the echo reply and traced through the routers' next hops", () => {
    // `nexthop <rloc16>` as ot-cli-ftd answers it: the next hop's RLOC16 and the path cost (0xfffe cost:16 with no route).
    const nexthop = (dest: string, next: string, cost = 1): Record<string, string[]> => ({ [`nexthop 0x${dest}`]: [`0x${next} cost:${cost}`] });

    it('reads `nexthop <rloc16>`: the next hop, or none', () => {
      expect(parseNextHop(['0x0800 cost:1'])).to.equal(0x0800);
      expect(parseNextHop(['0xfffe cost:16'])).to.equal(0xfffe);
      expect(parseNextHop(['| ID   |NxtHop| Cost |'])).to.equal(undefined);
    });

    it('a child and its parent are one hop apart, either way; a child of another router is traced through both routers', async () => {
      const parent = cliView({ rloc16: ['5400'], ...nexthop('1c02', '1c00') });
      const child = cliView({ rloc16: ['5401'] });
      const otherParent = cliView({ rloc16: ['1c00'] });
      const otherChild = cliView({ rloc16: ['1c02'] });
      const all = [parent, child, otherParent, otherChild];
      expect(await tracedHops(child, parent, all)).to.equal(1);
      expect(await tracedHops(parent, child, all)).to.equal(1);
      expect(await tracedHops(parent, otherChild, all), 'router → its neighbour router → that router’s child').to.equal(2);
      expect(await tracedHops(child, otherChild, all), 'child → parent → router → child').to.equal(3);
    });

    it("follows each router's own next hop along a line of routers; no route, a router not ours or no attachment: unknown", async () => {
      const a = cliView({ rloc16: ['0400'], ...nexthop('0c00', '0800', 2), ...nexthop('0c01', '0800', 2), ...nexthop('1000', 'fffe', 16) });
      const b = cliView({ rloc16: ['0800'], ...nexthop('0c00', '0c00'), ...nexthop('0c01', '0c00') });
      const c = cliView({ rloc16: ['0c00'] });
      const cChild = cliView({ rloc16: ['0c01'] });
      const far = cliView({ rloc16: ['1000'] });
      expect(await tracedHops(a, c, [a, b, c])).to.equal(2);
      expect(await tracedHops(a, cChild, [a, b, c, cChild])).to.equal(3);
      expect(await tracedHops(a, c, [a, c]), 'the router between is none of ours').to.equal(-1);
      expect(await tracedHops(a, far, [a, b, far]), 'no route').to.equal(-1);
      expect(await tracedHops(cliView({ rloc16: ['fffe'] }), a, [a]), 'not attached').to.equal(-1);
      const loopA = cliView({ rloc16: ['0400'], ...nexthop('0c00', '0800') });
      const loopB = cliView({ rloc16: ['0800'], ...nexthop('0c00', '0400') });
      expect(await tracedHops(loopA, c, [loopA, loopB, c]), 'a routing loop').to.equal(-1);
    });

    it("measures hops from the echo reply's hop limit, and inside a partition by tracing the routers' next hops", async () => {
      // `ping async` answers Done at once; the reply and the statistics line come as they arrive (reference §4).
      const ping = (ip: string, hlim?: number): Record<string, string[]> => ({
        [`ping async ${ip} 8 1 1 64 2`]: hlim === undefined ? ['1 packets transmitted, 0 packets received. Packet loss = 100.0%.'] : [`16 bytes from ${ip}: icmp_seq=1 hlim=${hlim} time=3ms`, '1 packets transmitted, 1 packets received. Packet loss = 0.0%. Round-trip min/avg/max = 3/3.0/3 ms.'],
      });
      const tx = scriptedCli({ ipaddr: ['fd00:db8::2', 'fe80::2'], rloc16: ['5401'] });
      const other = scriptedCli({ ipaddr: ['fd00:db8::3'], rloc16: ['0800'] });
      const rxWith = (p: Record<string, string[]>) => scriptedCli({ ipaddr: ['fd00:db8::1', 'fe80::1'], rloc16: ['5400'], ...p });
      const rx = rxWith(ping('fd00:db8::2', 64));
      expect(await hopsFrom('fd00:db8::2', rx, views(rx, other, tx)), 'a child of the receiver, reply at 64').to.deep.equal({ hops: 1, inferred: false });
      expect(await hopsFrom('FD00:DB8::1', rx, views(rx, other, tx)), 'its own address').to.deep.equal({ hops: 0, inferred: false });
      const far = rxWith(ping('fd00:db8::3', 62));
      expect(await hopsFrom('fd00:db8::3', far, views(far, other, tx)), 'two IP hops on the way: 3 links').to.deep.equal({ hops: 3, inferred: false });
      const silent = rxWith(ping('fd00:db8::2'));
      expect(await hopsFrom('fd00:db8::2', silent, views(silent, other, tx)), 'no reply: a child of the receiver is still one hop').to.deep.equal({ hops: 1, inferred: false });
      const nobody = rxWith(ping('fd00:db8::99'));
      expect(await hopsFrom('fd00:db8::99', nobody, views(nobody, other, tx)), 'nobody of ours, no reply').to.deep.equal({ hops: -1, inferred: false });
      const meshed = rxWith(ping('fd00:db8::3', 64));
      expect(await hopsFrom('fd00:db8::3', meshed, views(meshed, other, tx)), 'one IP hop, and the sender has no route: unknown').to.deep.equal({ hops: -1, inferred: false });
      const relay = scriptedCli({ ipaddr: ['fd00:db8::4'], rloc16: ['2000'], 'nexthop 0x5400': ['0x5400 cost:1'] });
      const sender = scriptedCli({ ipaddr: ['fd00:db8::5'], rloc16: ['0800'], 'nexthop 0x5400': ['0x2000 cost:2'] });
      const rx2 = rxWith(ping('fd00:db8::5', 64));
      expect(await hopsFrom('fd00:db8::5', rx2, views(rx2, relay, sender)), 'one IP hop, two radio hops through a router between').to.deep.equal({ hops: 2, inferred: false });
      // A sender that is none of ours: traced back from the receiver, its RLOC16 from the EID cache (as ot-cli-ftd prints it).
      const eid = { eidcache: ['fd00:db8::6 0c01 cache canEvict=1 transTime=0 eid=fd00:db8::6'] };
      const between = scriptedCli({ rloc16: ['2000'], 'nexthop 0x0c01': ['0x0c00 cost:1'] });
      const theirs = rxWith({ ...ping('fd00:db8::6', 64), ...eid, 'nexthop 0x0c01': ['0x2000 cost:2'] });
      expect(await hopsFrom('fd00:db8::6', theirs, views(theirs, between)), 'two routers to its parent, then the child link').to.deep.equal({ hops: 3, inferred: false });
      const noRoute = rxWith({ ...ping('fd00:db8::6', 64), ...eid, 'nexthop 0x0c01': ['0xfffe cost:16'] });
      expect(await hopsFrom('fd00:db8::6', noRoute, views(noRoute)), 'no route: unknown').to.deep.equal({ hops: -1, inferred: false });
    });
  });
});
