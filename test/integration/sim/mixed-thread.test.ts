// Mixed Thread networks on one simulated air: real OpenThread nodes (ot-cli-ftd
// built for virtual time) and our stack's boards. On channel 15 an OpenThread
// router and an OpenThread end device attach to our leader, the end device two
// radio hops from it (the matrix keeps them out of each other's range); on
// channel 16 our router and our end device attach to an OpenThread leader, each
// one hop from it, and an OpenThread router behind our router. UDP and light toggles cross both ways, hop counts are measured from
// the packets (our boards' hop counts, OpenThread's ping hop limit: 63 after the
// one router that forwards at the IP level, as between OpenThread nodes alone in
// the same line; inside a partition, traced through the routers' next hops, ours
// included), and tshark decodes every frame of the capture with the network key.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimSpec } from '../../../protocol/sim-control.ts';
import { AgentClient } from '../../../harness/board/agent-client.ts';
import { AgentDriver } from '../../../harness/board/agent-driver.ts';
import { hopsFrom, otRouteView } from '../../../harness/board/drivers/ot-hops.ts';
import { OtCli } from '../../../harness/board/drivers/openthread-cli.ts';
import { SerialTransport } from '../../../harness/board/transport.ts';
import { launchSim, type RunningSim } from '../../../harness/sim/launcher.ts';
import { formatIpv6Address, ipv6 } from '../../../stack/wire/ipv6-address.ts';
import { otBinaryOrSkip } from '../../support/openthread.ts';
import { tsharkOrSkip } from '../../support/tools.ts';

const KEY = '00112233445566778899aabbccddeeff';
const NET = { a: { channel: 15, panid: '0x1515' }, b: { channel: 16, panid: '0x1616' } };
const otDataset = (n: { channel: number; panid: string }) => [`dataset networkkey ${KEY}`, `dataset channel ${n.channel}`, `dataset panid ${n.panid}`, 'dataset extpanid 1111111122222222', 'dataset meshlocalprefix fd00:db8::', 'dataset networkname Thread\\ Network'];
const agentKeys = (n: { channel: number; panid: string }) => ({
  stack: 'thread',
  'thread-config-channel': String(n.channel),
  'thread-config-panid': n.panid,
  'thread-config-extended-panid': '1111111122222222',
  'thread-master-key': KEY,
  'thread-config-ml-prefix': 'fd000db800000000',
  'thread-config-network-name': '"Thread Network"',
  'router-selection-jitter': '1',
});
const LIGHT_ON = '743a6c69676874733b673a3030313b733a313b00'; // "t:lights;g:001;s:1;\0", the light-control example's message
// A good link (≈ −80 dBm at 0 dBm TX); 250 dB is out of range.
const LINK_DB = 80;

describe('mixed Thread networks: OpenThread nodes and our stack on one air', function () {
  this.timeout(180_000);
  let tshark = '';
  let dir = '';
  let sim: RunningSim | undefined;
  const ot = new Map<string, { cli: OtCli; lines: string[] }>();
  const mb = new Map<string, { client: AgentClient; events: Array<{ name: string; args: Record<string, string> }> }>();
  const pcap = () => join(dir, 'mixed.pcap');

  const now = async () => (await sim!.control.call({ op: 'clock' })).nowUs;
  const sleepS = async (s: number) => sim!.control.call({ op: 'sleepUntil', t: (await now()) + s * 1e6 });
  const otCli = (id: string) => ot.get(id)!.cli;
  const agent = (id: string) => mb.get(id)!.client;
  async function until(what: string, pred: () => Promise<boolean>, withinS: number): Promise<void> {
    const deadline = (await now()) + withinS * 1e6;
    while (!(await pred())) {
      if ((await now()) > deadline) throw new Error(`${what}: not within ${withinS} s of bench time`);
      await sleepS(0.5);
    }
  }
  const otState = async (id: string) => (await otCli(id).command('state'))[0] ?? '';
  const mbUp = async (id: string) => /UP$/.test((await agent(id).request('mesh.status')).args.status ?? '');
  const mlEidOf = async (id: string): Promise<string> => {
    if (ot.has(id)) return formatIpv6Address(ipv6((await otCli(id).command('ipaddr mleid'))[0]!));
    const addrs = ((await agent(id).request('ip.addrs')).args.addrs ?? '').split(',');
    return addrs.find((a) => a.startsWith('fd00:db8::') && !a.includes(':ff:fe00:'))!;
  };
  /** OpenThread's ping of `addr`: the reply's hop limit (it left at 64), or undefined without a reply. */
  async function pingHlim(id: string, addr: string): Promise<number | undefined> {
    const from = ot.get(id)!.lines.length;
    await otCli(id).command(`ping ${addr} 8 1`);
    const reply = await printed(id, from, /icmp_seq=/, 2).catch(() => undefined);
    return reply ? Number(/hlim=(\d+)/.exec(reply)?.[1]) : undefined;
  }
  // What a board printed or reported is waited for, up to a bench-time bound, never read once
  // after a sleep: a free-running bench can pass the bound in less wall time than the line
  // takes from the board's process to us on a loaded host.
  /** The first line matching `re` the OpenThread node printed since line `from`, within `withinS`. */
  async function printed(id: string, from: number, re: RegExp, withinS: number): Promise<string> {
    const lines = () => ot.get(id)!.lines.slice(from);
    await until(`${id} printing ${re}`, async () => lines().some((l) => re.test(l)), withinS).catch((e: Error) => {
      throw new Error(`${e.message}; it printed:\n${lines().join('\n')}`);
    });
    return lines().find((l) => re.test(l))!;
  }
  /** The first event of our board `id` that `pred` takes, within `withinS`. */
  async function reported(id: string, pred: (e: { name: string; args: Record<string, string> }) => boolean, withinS: number): Promise<Record<string, string>> {
    const events = mb.get(id)!.events;
    await until(`${id} reporting it`, async () => events.some(pred), withinS).catch((e: Error) => {
      throw new Error(`${e.message}; its events: ${JSON.stringify(events)}`);
    });
    return events.find(pred)!.args;
  }

  before(async function () {
    const program = otBinaryOrSkip(this, 'ot-cli-ftd-vt');
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-mixed-'));
    const ids = { ot: ['otRouterA', 'otChildA', 'otLeaderB', 'otRouterFarB'], mb: ['mbLeaderA', 'mbRouterB', 'mbEndB'] };
    const lossDb = { mbLeaderA: { otRouterA: LINK_DB }, otRouterA: { otChildA: LINK_DB }, otLeaderB: { mbRouterB: LINK_DB, mbEndB: LINK_DB }, mbRouterB: { otRouterFarB: LINK_DB } };
    const spec: SimSpec = {
      runDir: dir,
      seed: 5,
      speed: 'max',
      boards: [...ids.mb.map((id) => ({ id, txPowerDbm: 0 })), ...ids.ot.map((id) => ({ id, txPowerDbm: 0, openthread: { program } }))],
      topology: { kind: 'matrix', lossDb, defaultLossDb: 250 },
      radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 },
    };
    sim = await launchSim(spec);
    await sim.control.call({ op: 'captureStart', path: pcap() });
    for (const id of ids.ot) {
      const t = new SerialTransport(sim.serialPath(id));
      await t.open();
      const cli = new OtCli(t);
      await cli.resync();
      const lines: string[] = [];
      cli.onAsync((l) => lines.push(l));
      ot.set(id, { cli, lines });
    }
    for (const id of ids.mb) {
      const t = new SerialTransport(sim.serialPath(id));
      await t.open();
      const client = new AgentClient(t);
      client.defaultTimeoutMs = 30_000;
      await client.request('identify');
      const events: Array<{ name: string; args: Record<string, string> }> = [];
      client.listen({ event: (e) => events.push({ name: e.name, args: e.args as Record<string, string> }) });
      mb.set(id, { client, events });
    }
  });

  after(async () => {
    for (const o of ot.values()) await o.cli.transport.close().catch(() => undefined);
    for (const m of mb.values()) await m.client.transport.close().catch(() => undefined);
    await sim?.stop();
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('an OpenThread router and end device attach to our leader; UDP, light and pings cross both ways, two hops', async () => {
    expect((await agent('mbLeaderA').request('mesh.init', agentKeys(NET.a))).args.result).to.equal('0');
    await agent('mbLeaderA').request('mesh.connect');
    await until('our leader up', () => mbUp('mbLeaderA'), 30);
    for (const c of ['dataset clear', ...otDataset(NET.a), 'dataset commit active', 'routerselectionjitter 1', 'ifconfig up', 'thread start']) await otCli('otRouterA').command(c);
    await until('OpenThread router', async () => (await otState('otRouterA')) === 'router', 60);
    for (const c of ['dataset clear', ...otDataset(NET.a), 'dataset commit active', 'mode rn', 'ifconfig up', 'thread start']) await otCli('otChildA').command(c);
    await until('OpenThread end device', async () => (await otState('otChildA')) === 'child', 60);
    // Its parent is the OpenThread router: our leader is out of its range.
    const parent = (await otCli('otChildA').command('parent')).find((l) => l.startsWith('Rloc:'));
    expect(parseInt(parent?.slice(5) ?? '', 16)).to.equal(parseInt((await otCli('otRouterA').command('rloc16'))[0]!, 16));

    const leader = await mlEidOf('mbLeaderA');
    const child = await mlEidOf('otChildA');
    // OpenThread → ours: a datagram and a toggle, each two hops as our stack counts them.
    const sock = (await agent('mbLeaderA').request('udp.open', { port: '5000', events: '1' })).args.socket!;
    for (const c of ['ipmaddr add ff15::810a:64d1', 'udp open', 'udp bind :: 1234']) await otCli('otChildA').command(c);
    // One at a time: an end device's multicast is one broadcast frame, without MPL retransmissions
    // (OpenThread's children seed once), lost if its parent is busy forwarding the datagram before.
    await otCli('otChildA').command(`udp send ${leader} 5000 -x 68656c6c6f`);
    await sleepS(2);
    // An end device's toggle is one broadcast frame to its parent, with no ACK and no retry: sent twice, 1 s apart.
    await otCli('otChildA').command(`udp send ff15::810a:64d1 1234 -x ${LIGHT_ON}`);
    await sleepS(1);
    await otCli('otChildA').command(`udp send ff15::810a:64d1 1234 -x ${LIGHT_ON}`);
    expect(await reported('mbLeaderA', (e) => e.name === 'udp' && e.args.socket === sock, 3)).to.include({ src: child, head: '68656c6c6f', hops: '2' });
    expect(await reported('mbLeaderA', (e) => e.name === 'light' && e.args.from === child, 3)).to.include({ led: '1', hops: '2' });
    // Ours → OpenThread: a datagram and our toggle reach the end device; its ping of our leader comes back with hop limit 63.
    const from = ot.get('otChildA')!.lines.length;
    // To the RLOC: no Address Query on the way (an Address Query an end device of ours sends through our router was now and then not answered: a known gap).
    const childRloc = formatIpv6Address(ipv6((await otCli('otChildA').command('ipaddr rloc'))[0]!));
    expect(Number((await agent('mbLeaderA').request('udp.send', { socket: sock, addr: childRloc, port: '1234', data: '776f726c64' })).args.result)).to.equal(5);
    await sleepS(2);
    await agent('mbLeaderA').request('light.press');
    await printed('otChildA', from, /^5 bytes from \S+ 5000 world$/, 3);
    await printed('otChildA', from, /bytes from \S+ 1234 t:lights;g:001;s:0;/, 3);
    expect(await pingHlim('otChildA', leader), 'hop limit of our leader\'s echo reply at the OpenThread end device').to.equal(63);
  });

  it('our router and end device attach to an OpenThread leader; UDP, light and pings cross both ways, one hop', async () => {
    // `dataset init new` gives the complete dataset (Active Timestamp included) a node needs to form.
    for (const c of ['dataset init new', ...otDataset(NET.b), 'dataset commit active', 'ifconfig up', 'thread start']) await otCli('otLeaderB').command(c);
    await until('OpenThread leader', async () => (await otState('otLeaderB')) === 'leader', 30);
    expect((await agent('mbRouterB').request('mesh.init', agentKeys(NET.b))).args.result).to.equal('0');
    await agent('mbRouterB').request('mesh.connect');
    await until('our router', async () => (await agent('mbRouterB').request('mesh.status')).args.role === 'router', 60);
    expect((await agent('mbEndB').request('mesh.init', { ...agentKeys(NET.b), 'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE' })).args.result).to.equal('0');
    await agent('mbEndB').request('mesh.connect');
    await until('our end device', () => mbUp('mbEndB'), 60);
    // The leader's router table holds our router, with a link both ways.
    const routers = await otCli('otLeaderB').command('router table');
    expect(routers.filter((l) => /^\|\s*\d+\s*\|\s*0x/.test(l)).length, routers.join('\n')).to.equal(2);

    const leader = await mlEidOf('otLeaderB');
    const end = await mlEidOf('mbEndB');
    const sock = (await agent('mbEndB').request('udp.open', { port: '5000', events: '1' })).args.socket!;
    for (const c of ['ipmaddr add ff15::810a:64d1', 'udp open', 'udp bind :: 1234']) await otCli('otLeaderB').command(c);
    // OpenThread → ours.
    await otCli('otLeaderB').command(`udp send ${end} 5000 -x 68656c6c6f`);
    await sleepS(2);
    await otCli('otLeaderB').command(`udp send ff15::810a:64d1 1234 -x ${LIGHT_ON}`);
    expect(await reported('mbEndB', (e) => e.name === 'udp' && e.args.socket === sock, 3)).to.include({ src: leader, head: '68656c6c6f', hops: '1' });
    expect(await reported('mbEndB', (e) => e.name === 'light' && e.args.from === leader, 3)).to.include({ led: '1', hops: '1' });
    // Ours → OpenThread.
    const from = ot.get('otLeaderB')!.lines.length;
    const leaderRloc = formatIpv6Address(ipv6((await otCli('otLeaderB').command('ipaddr rloc'))[0]!));
    expect(Number((await agent('mbEndB').request('udp.send', { socket: sock, addr: leaderRloc, port: '1234', data: '776f726c64' })).args.result)).to.equal(5);
    await sleepS(2);
    await agent('mbEndB').request('light.press');
    await printed('otLeaderB', from, /^5 bytes from \S+ 5000 world$/, 3);
    await printed('otLeaderB', from, /bytes from \S+ 1234 t:lights;g:001;s:0;/, 3);
    expect(await pingHlim('otLeaderB', end), 'hop limit of our end device\'s echo reply at the OpenThread leader').to.equal(64);
    // Our end device is the OpenThread leader's one child (our router is out of its range).
    const children = (await otCli('otLeaderB').command('child table')).filter((l) => /^\|\s*\d+\s*\|\s*0x/.test(l));
    expect(children, children.join('\n')).to.have.length(1);
  });

  it("an OpenThread receiver counts the radio hops of a datagram that our router forwarded: traced through our router's mesh.nexthop", async () => {
    // An OpenThread router that hears only our router: the OpenThread leader reaches it through ours.
    for (const c of ['dataset clear', ...otDataset(NET.b), 'dataset commit active', 'routerselectionjitter 1', 'ifconfig up', 'thread start']) await otCli('otRouterFarB').command(c);
    await until('OpenThread router behind ours', async () => (await otState('otRouterFarB')) === 'router', 60);
    const farRloc = (await otCli('otRouterFarB').command('rloc16'))[0]!;
    const ourRloc = (await agent('mbRouterB').request('mesh.status')).args.rloc16!;
    await until('routes to it', async () => (await otCli('otLeaderB').command(`nexthop 0x${farRloc}`))[0]?.startsWith(`0x${ourRloc}`) ?? false, 60);
    // Our router's own forwarding: the OpenThread router is its neighbour.
    expect((await agent('mbRouterB').request('mesh.nexthop', { dest: farRloc })).args.next).to.equal(`0x${farRloc}`);
    const ours = new AgentDriver(agent('mbRouterB'));
    const receiver = otCli('otRouterFarB');
    const views = [otRouteView(otCli('otLeaderB')), ours, otRouteView(receiver)];
    const leader = await mlEidOf('otLeaderB');
    // One IP hop (mesh forwarding keeps the hop limit: the echo reply arrives at 64), two radio hops.
    expect(await pingHlim('otRouterFarB', leader)).to.equal(64);
    expect(await hopsFrom(leader, receiver, views)).to.deep.equal({ hops: 2, inferred: false });
    // Without our router's answer the route cannot be told.
    expect(await hopsFrom(leader, receiver, [views[0]!, views[2]!])).to.deep.equal({ hops: -1, inferred: false });
  });

  it('tshark decodes every frame with the network key: no malformed frame, every MLE message and every secured frame opened', async () => {
    await sim!.control.call({ op: 'captureStop' });
    const run = async (filter: string, fields: string[]) => {
      const r = await execa(tshark, ['-r', pcap(), '-o', `uat:ieee802154_keys:"${KEY}","1","Thread hash"`, '-o', 'wpan.802154_sec_suite:AES-128 Encryption, 32-bit Integrity Protection', '-o', 'thread.thr_seq_ctr:00000000', '-o', '6lowpan.context0:fd00:db8::/64', '-d', 'udp.port==61631,coap', '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { reject: false, all: true });
      expect(r.exitCode, r.all).to.equal(0);
      return r.stdout.split('\n').filter((l) => l.length > 0);
    };
    expect(await run('_ws.malformed || _ws.expert.severity == "Error"', ['frame.number', '_ws.expert.message'])).to.deep.equal([]);
    expect(await run('mle && !mle.cmd', ['frame.number'])).to.deep.equal([]);
    // A MAC-secured data frame that did not open would stop at its payload: none is left undissected.
    expect(await run('wpan.frame_type == 1 && wpan.security == 1 && !6lowpan', ['frame.number'])).to.deep.equal([]);
    const senders = new Set((await run('wpan.src64', ['wpan.src64'])).map((l) => l.trim()));
    expect(senders.size).to.be.at.least(6);
  });
});
