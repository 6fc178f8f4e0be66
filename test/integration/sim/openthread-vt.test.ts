// Real OpenThread nodes (ot-cli-ftd built for virtual time) on the simulated
// bench: the sim starts them, drives their clocks from the bench clock and
// carries their frames over our medium. A lone router-eligible node becomes
// leader after OpenThread's first attach cycle, in bench time; a router and a
// child attach to it through the medium; the capture holds their frames and
// tshark decodes every one with the network key.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimSpec } from '../../../protocol/sim-control.ts';
import { OtCli } from '../../../harness/board/drivers/openthread-cli.ts';
import { SerialTransport } from '../../../harness/board/transport.ts';
import { launchSim, type RunningSim } from '../../../harness/sim/launcher.ts';
import { otBinaryOrSkip } from '../../support/openthread.ts';
import { tsharkOrSkip } from '../../support/tools.ts';

const KEY = '00112233445566778899aabbccddeeff';
const DATASET = [`dataset networkkey ${KEY}`, 'dataset channel 15', 'dataset panid 0x1234', 'dataset extpanid 1111111122222222', 'dataset meshlocalprefix fd00:db8::', 'dataset networkname Thread\\ Network'];

async function fields(tshark: string, pcap: string, filter: string, names: string[]): Promise<string[][]> {
  // The settings of OpenThread's pktverify WIRESHARK_OVERRIDE_PREFS, with our mesh-local prefix.
  const r = await execa(
    tshark,
    [
      '-r', pcap,
      '-o', `uat:ieee802154_keys:"${KEY}","1","Thread hash"`,
      '-o', 'wpan.802154_sec_suite:AES-128 Encryption, 32-bit Integrity Protection',
      '-o', 'thread.thr_seq_ctr:00000000',
      '-o', '6lowpan.context0:fd00:db8::/64',
      '-d', 'udp.port==61631,coap',
      '-Y', filter,
      '-T', 'fields', ...names.flatMap((n) => ['-e', n]),
    ],
    { reject: false, all: true },
  );
  expect(r.exitCode, r.all).to.equal(0);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

describe('OpenThread virtual-time nodes on the simulated medium', function () {
  this.timeout(120_000);
  let tshark = '';
  let program = '';
  let dir = '';
  let sim: RunningSim | undefined;
  const clis = new Map<string, OtCli>();
  const pcap = () => join(dir, 'attach.pcap');

  const cli = (id: string) => clis.get(id)!;
  const benchNow = async () => (await sim!.control.call({ op: 'clock' })).nowUs;
  /** Polls `state` until it matches, within `withinS` of bench time. */
  async function waitState(id: string, want: RegExp, withinS: number): Promise<string> {
    const deadline = (await benchNow()) + withinS * 1e6;
    for (;;) {
      const state = (await cli(id).command('state'))[0] ?? '';
      if (want.test(state)) return state;
      if ((await benchNow()) > deadline) throw new Error(`${id}: state ${state}, not ${String(want)}, after ${withinS} s of bench time`);
      await sim!.control.call({ op: 'sleepUntil', t: (await benchNow()) + 200_000 });
    }
  }

  before(async function () {
    program = otBinaryOrSkip(this, 'ot-cli-ftd-vt');
    tshark = await tsharkOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'meshbench-otvt-'));
    const spec: SimSpec = {
      runDir: dir,
      seed: 3,
      speed: 'max',
      boards: ['leader', 'router', 'child'].map((id) => ({ id, txPowerDbm: 0, openthread: { program } })),
      // 30-40 m: good links at this path loss (the default rig's 50 m hop is good too).
      topology: { kind: 'positions', positions: { leader: { x: 0, y: 0 }, router: { x: 40, y: 0 }, child: { x: 0, y: 30 } }, exponent: 3, refLossDb: 40.2, shadowingSigmaDb: 0 },
      radio: { sensitivityDbm: -100, ccaThresholdDbm: -75, noiseFigureDb: 6 },
    };
    sim = await launchSim(spec);
    for (const b of spec.boards) {
      const t = new SerialTransport(sim.serialPath(b.id));
      await t.open();
      const c = new OtCli(t);
      await c.resync();
      clis.set(b.id, c);
    }
    await sim.control.call({ op: 'captureStart', path: pcap() });
  });

  after(async () => {
    for (const c of clis.values()) await c.transport.close().catch(() => undefined);
    await sim?.stop();
    if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
  });

  it('a lone node becomes leader after OpenThread\'s first attach cycle of bench time; a router and a child attach through the medium', async () => {
    // `dataset init new` gives a complete dataset (with an Active Timestamp): the node may form.
    for (const c of ['dataset init new', ...DATASET, 'dataset commit active', 'ifconfig up', 'thread start']) await cli('leader').command(c);
    await waitState('leader', /^leader$/, 30);
    for (const id of ['router', 'child']) {
      for (const c of ['dataset clear', ...DATASET, 'dataset commit active']) await cli(id).command(c);
    }
    await cli('router').command('routerselectionjitter 1');
    await cli('child').command('mode rn');
    for (const id of ['router', 'child']) {
      await cli(id).command('ifconfig up');
      await cli(id).command('thread start');
    }
    await waitState('child', /^child$/, 30);
    await waitState('router', /^router$/, 60);
    // A datagram over the air and back: ping the leader's mesh-local EID from the child.
    const leaderAddrs = await cli('leader').command('ipaddr mleid');
    const printed: string[] = [];
    const stop = cli('child').onAsync((line) => printed.push(line));
    await cli('child').command(`ping ${leaderAddrs[0]} 8 1`, 10_000);
    stop();
    expect(printed.join('\n')).to.match(/1 packets received/);
    const { frames } = await sim!.control.call({ op: 'captureStop' });
    expect(frames).to.be.greaterThan(20);
  });

  it('tshark decodes every frame with the network key: no malformed frame, the attach in MLE, every node a sender', async () => {
    const bad = await fields(tshark, pcap(), '_ws.malformed || _ws.expert.severity == "Error"', ['frame.number', '_ws.expert.message']);
    expect(bad, bad.map((b) => b.join(' ')).join('\n')).to.deep.equal([]);
    const mle = await fields(tshark, pcap(), 'mle', ['frame.time_relative', 'wpan.src64', 'mle.cmd']);
    const cmds = new Set(mle.map((r) => Number(r[2])));
    // Advertisement 4, Parent Request 9, Parent Response 10, Child ID Request 11, Child ID Response 12.
    for (const c of [4, 9, 10, 11, 12]) expect(cmds, `MLE command ${c}`).to.include(c);
    const undecoded = await fields(tshark, pcap(), 'mle && !mle.cmd', ['frame.number']);
    expect(undecoded).to.deep.equal([]);
    // OpenThread's node ids are 1, 2, 3 in rig order: EUI-64 18:b4:30:00:00:00:00:0N (radio.c otPlatRadioGetIeeeEui64).
    const senders = new Set((await fields(tshark, pcap(), 'wpan.fcs_ok == 1', ['wpan.src64', 'wpan.src16'])).flatMap((r) => r.filter((x) => x)));
    expect(senders.size, [...senders].join(' ')).to.be.greaterThanOrEqual(3);

    // The leader alone: Thread 1.3's first attach cycle is two Parent Requests to routers
    // (750 ms each) and four to routers and REEDs (1250 ms each); finding no parent it
    // forms the network and tells its network data (a Data Response) at once (OpenThread
    // src/core/thread/mle.hpp: kFirstAttachCycleTotalParentRequests, kParentRequestRouterTimeout,
    // kParentRequestReedTimeout): 6.5 s after the first request, give or take its CSMA backoffs.
    const leader = mle[0]![1];
    const fromLeader = mle.filter((r) => r[1] === leader);
    const firstRequest = fromLeader[0]!;
    const formed = fromLeader.find((r) => r[2] !== '9');
    expect(firstRequest[2], 'its first MLE message').to.equal('9');
    expect(formed, JSON.stringify(fromLeader.slice(0, 8))).to.not.equal(undefined);
    const requests = fromLeader.filter((r) => r[2] === '9' && Number(r[0]) < Number(formed![0])).length;
    expect(requests, 'Parent Requests before the leader speaks as leader').to.equal(6);
    // Each of the two frames waits its own CSMA backoff, CCA and turnaround: up to (2^3 − 1) × 320 + 128 + 192 µs ≈ 2.6 ms.
    expect(Number(formed![0]) - Number(firstRequest[0])).to.be.within(6.5 - 0.0026, 6.55);
  });
});
