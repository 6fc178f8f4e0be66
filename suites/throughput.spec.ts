// Throughput: UDP goodput, delivery ratio and latency per hop count and
// payload size, judged against the rig's thresholds and the analytic limit
// of an 802.15.4 hop (suites/support/airtime.ts). Datagrams are generated on
// the boards (`udp.burst`), so the serial line is not in the loop.
import { expect } from 'chai';
import { bench, record, testCase, type Board } from '../harness/suite-api/index.ts';
import { ENCAPSULATION, goodputCeilingKbps, goodputLimitKbps, largestSingleFramePayload } from './support/airtime.ts';
import { Nsapi, addressOf, bringUp, needMultiHop, probeHops, roster } from './support/mesh.ts';

const TAG = { nd: 'ND', thread: 'TH' } as const;
const THRU_PORT = 5001;

interface Measured {
  sent: number;
  received: number;
  kbps: number;
  pdr: number;
  latP50Ms: number;
  latP99Ms: number;
  maxHops: number;
}

/** `count` datagrams of `len` bytes from `from` to `to`, back to back (or `intervalUs` apart). */
async function stream(from: Board, to: Board, len: number, count: number, intervalUs = 0): Promise<Measured> {
  const rx = await to.udpOpen(THRU_PORT, { events: false });
  expect(rx.result, `${to.id} udp open`).to.equal(Nsapi.OK);
  const tx = await from.udpOpen(0, { events: false });
  expect(tx.result, `${from.id} udp open`).to.equal(Nsapi.OK);
  const dst = await addressOf(to);
  const mark = from.markApp();
  const started = await from.udpBurst(tx.socket!, dst, THRU_PORT, len, count, intervalUs);
  expect(started.value, 'udp.burst').to.equal(Nsapi.OK);
  // Back to back at ≥ 10 kbit/s, or paced: a generous bench-time bound either way.
  const withinS = Math.max(60, (count * len * 8) / 10_000 + (count * intervalUs) / 1e6 + 30);
  const done = await from.waitForApp('the end of the burst', 'udp.burst', (e) => e.socket === tx.socket, { within: withinS, since: mark });
  // Let the last datagrams drain through the mesh.
  await bench().clock.sleepUntil(done.t + 2e6);
  const st = await to.udpStats(rx.socket!);
  await to.udpClose(rx.socket!);
  await from.udpClose(tx.socket!);
  const seconds = st.rxPackets > 0 ? (st.rxLastT - started.t) / 1e6 : Infinity;
  return {
    sent: done.sent,
    received: st.rxPackets,
    kbps: (st.rxBytes * 8) / seconds / 1000,
    pdr: st.rxPackets / count,
    latP50Ms: st.latP50Us / 1000,
    latP99Ms: st.latP99Us / 1000,
    maxHops: st.maxHops,
  };
}

function recordMeasured(prefix: string, m: Measured): void {
  record(`${prefix}.goodput_kbps`, m.kbps.toFixed(1));
  record(`${prefix}.pdr`, m.pdr.toFixed(3));
  // A firmware that cannot time datagrams (no send time in the payload) reports a negative latency.
  record(`${prefix}.latency_p50_ms`, m.latP50Ms < 0 ? 'unknown' : m.latP50Ms.toFixed(1));
  record(`${prefix}.latency_p99_ms`, m.latP99Ms < 0 ? 'unknown' : m.latP99Ms.toFixed(1));
  record(`${prefix}.hops`, m.maxHops);
}

for (const stack of ['nd', 'thread'] as const) {
  const T = TAG[stack];
  const encapsulation = ENCAPSULATION[stack];
  describe(`throughput (${stack === 'nd' ? '6LoWPAN-ND' : 'Thread'})`, function () {
    testCase(
      {
        id: `THRU-${T}-001`,
        title: 'single-hop UDP goodput reaches the rig threshold of the analytic limit, one frame and fragmented',
        checks: 'unslotted CSMA-CA, ACK and IFS timing (IEEE 802.15.4-2006 §7.5.1.4, §7.5.6.4), 6LoWPAN fragmentation (RFC 4944 §5.3); goodput never above the analytic limit',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        // Only the pair joins, as a lab measures one link: the other boards stay reset and
        // silent, so no hidden terminal shares the channel. Joined alone, the peer is one hop away.
        const peer = r.others[0]!;
        await bringUp(r, [peer]);
        expect(await probeHops(peer, r.root), `${peer.id} → ${r.root.id} hops`).to.equal(1);
        record('peer', peer.id);
        const b = bench().bounds;
        for (const [name, len, count] of [
          ['one_frame', largestSingleFramePayload(encapsulation), 300],
          // Enough datagrams that one lost to a hidden terminal does not decide the delivery ratio alone.
          ['fragmented', 1232, 100],
        ] as const) {
          const m = await stream(r.root, peer, len, count);
          const limit = goodputLimitKbps(len, encapsulation);
          recordMeasured(`${name}.${len}B`, m);
          record(`${name}.${len}B.limit_kbps`, limit.toFixed(1));
          record(`${name}.${len}B.of_limit`, (m.kbps / limit).toFixed(3));
          expect(m.maxHops, `${name}: one hop`).to.equal(1);
          expect(m.pdr, `${name}: delivery ratio`).to.be.at.least(b.deliveryRatio);
          expect(m.kbps, `${name}: goodput (kbit/s) vs ${b.goodputOfLimit} of the ${limit.toFixed(1)} kbit/s limit`).to.be.at.least(b.goodputOfLimit * limit);
          // Above the limit only by the luck of the backoffs drawn, never by more.
          expect(m.kbps, `${name}: goodput cannot beat the analytic limit`).to.be.at.most(goodputCeilingKbps(len, encapsulation, count));
        }
      },
    );

    testCase(
      {
        id: `THRU-${T}-002`,
        title: 'goodput, delivery and latency per hop count along the longest path',
        checks: 'multi-hop forwarding delivers ≥ the rig delivery ratio on good links; goodput falls and latency grows with hops (route-over RPL / Thread mesh forwarding)',
        needs: { stack, boards: 3 },
      },
      async function () {
        const r = roster(stack);
        await bringUp(r);
        const b = bench().bounds;
        const hopsOf = new Map<Board, number>();
        for (const peer of r.others) hopsOf.set(peer, await probeHops(r.root, peer));
        needMultiHop(this, Math.max(...hopsOf.values()));
        let hopsSeen = 0;
        for (const peer of r.others) {
          const hops = hopsOf.get(peer)!;
          const m = await stream(r.root, peer, 50, 60, 200_000);
          recordMeasured(`${peer.id}.${hops}hop.50B`, m);
          expect(m.maxHops, `${peer.id}: hops of the stream`).to.equal(hops);
          expect(m.pdr, `${peer.id} (${hops} hops): delivery ratio`).to.be.at.least(b.deliveryRatio);
          hopsSeen = Math.max(hopsSeen, hops);
        }
        record('max_hops', hopsSeen);
      },
    );

    testCase(
      {
        id: `THRU-${T}-003`,
        title: 'a stream to an address nobody holds is not delivered and leaves the network working',
        checks: 'a datagram with no route is dropped by the stack (sendto may succeed, RFC 4443 §3.1 destination unreachable); the sender keeps working',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        await bringUp(r, [r.others[0]!]);
        const from = r.others[0]!;
        const tx = await from.udpOpen(0, { events: false });
        const mine = await addressOf(from);
        // Same prefix, an interface identifier no board has.
        const nobody = mine.replace(/:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/, ':dead:beef:dead:beef');
        const mark = from.markApp();
        expect((await from.udpBurst(tx.socket!, nobody, THRU_PORT, 50, 10, 100_000)).value).to.equal(Nsapi.OK);
        const done = await from.waitForApp('the end of the burst', 'udp.burst', (e) => e.socket === tx.socket, { within: 60, since: mark });
        record('sent', done.sent);
        record('failed', done.failed);
        await from.udpClose(tx.socket!);
        for (const b of [r.root, from]) {
          const st = await b.status();
          expect(st.status, `${b.id} still up`).to.equal('GLOBAL_UP');
        }
        await probeHops(from, r.root);
      },
    );
  });
}
