// Join: boards bootstrap onto the rig's network through the Mesh API
// (LoWPANNDInterface / ThreadInterface) and report the events, statuses,
// addresses and result codes Mbed OS documents (reference mbed-mesh-api.md
// §1–§3; Mbed docs "6LoWPAN Mesh Interfaces", "Thread").
import { expect } from 'chai';
import { bench, canonicalIpv6, eventually, isLinkLocalAddress, record, secondsBetween, skip, testCase, type Board, type StackKind } from '../harness/suite-api/index.ts';
import { Nsapi, bringUp, needMultiHop, needTopology, expectConnectSequence, freshBoards, probeHops, roster, start, upStatuses, waitUp } from './support/mesh.ts';

const TAG = { nd: 'ND', thread: 'TH' } as const;
/** A channel no board of the default networks uses. */
const WRONG_CHANNEL = '15';
const channelKeys = (stack: StackKind, ch: string): Record<string, string> =>
  stack === 'nd' ? { '6lowpan-nd-channel': ch, '6lowpan-nd-channel-mask': `(1<<${ch})` } : { 'thread-config-channel': ch };

for (const stack of ['nd', 'thread'] as const) {
  const T = TAG[stack];
  describe(`join (${stack === 'nd' ? '6LoWPAN-ND' : 'Thread'})`, function () {
    testCase(
      {
        id: `JOIN-${T}-001`,
        title: `the ${stack === 'nd' ? 'border router' : 'leader'} forms the network and reports GLOBAL_UP`,
        checks: 'connect() is non-blocking and returns 0; DISCONNECTED → CONNECTING → GLOBAL_UP; link-local and global addresses (mbed-mesh-api.md §3)',
        needs: { stack, boards: 1 },
      },
      async function () {
        const r = roster(stack);
        await freshBoards([r.root]);
        const started = await start(r.root, stack);
        const up = await waitUp(r.root, started);
        record('join.bench_s', secondsBetween(up.connectT, up.upT).toFixed(3));
        expectConnectSequence(r.root.events.slice(started.fromIndex), 'GLOBAL_UP');
        const addrs = await r.root.ipAddresses();
        expect(addrs.filter((a) => canonicalIpv6(a) === undefined), 'text that is no IPv6 address').to.deep.equal([]);
        expect(addrs.some(isLinkLocalAddress), 'link-local address').to.equal(true);
        expect(addrs.some((a) => !isLinkLocalAddress(a)), 'global address').to.equal(true);
        const status = await r.root.status();
        expect(status.status).to.equal('GLOBAL_UP');
        if (stack === 'thread') expect(status.details.role, 'a lone router-eligible board becomes leader').to.equal('leader');
      },
    );

    testCase(
      {
        id: `JOIN-${T}-002`,
        title: 'every board joins one after another with the Mbed event sequence, result codes and addresses',
        checks: 'connect() returns 0 at once; the callback sees CONNECTING, then LOCAL_UP or GLOBAL_UP; never DISCONNECTED on the way (mbed-mesh-api.md §2–§3)',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        await freshBoards(r.all);
        await waitUp(r.root, await start(r.root, stack));
        for (const b of r.others) {
          const started = await start(b, stack);
          const up = await waitUp(b, started);
          record(`${b.id}.join_bench_s`, secondsBetween(up.connectT, up.upT).toFixed(3));
          expectConnectSequence(b.events.slice(started.fromIndex), up.status);
          const addrs = await b.ipAddresses();
          expect(addrs.some(isLinkLocalAddress), `${b.id} link-local address`).to.equal(true);
          expect((await b.status()).status, `${b.id} status`).to.equal(up.status);
          if (stack === 'thread') expect((await b.status()).details.partition_id, `${b.id} joined the leader's partition`).to.equal((await r.root.status()).details.partition_id);
        }
      },
    );

    testCase(
      {
        id: `JOIN-${T}-003`,
        title: 'a board several hops from the root joins through routers, and its datagrams are routed hop by hop',
        checks: 'multi-hop bootstrap; the far board reaches the root through forwarding routers (RFC 6550 / Thread 1.1 §5)',
        needs: { stack, boards: 3 },
      },
      async function () {
        needTopology();
        const r = roster(stack);
        const joined = await bringUp(r);
        let far = { id: '', hops: 0 };
        for (const j of joined.slice(1)) {
          record(`${j.board.id}.join_bench_s`, secondsBetween(j.connectT, j.upT).toFixed(3));
          const hops = await probeHops(j.board, r.root);
          record(`${j.board.id}.hops_to_root`, hops);
          if (hops > far.hops) far = { id: j.board.id, hops };
        }
        record('farthest', `${far.id} ${far.hops}`);
        needMultiHop(far.hops);
        // And back down: the root reaches the far board.
        expect(await probeHops(r.root, bench().board(far.id)), `root → ${far.id} hops`).to.be.at.least(2);
      },
    );

    testCase(
      {
        id: `JOIN-${T}-004`,
        title: 'all boards powered up and connected at once form one network',
        checks: 'simultaneous bootstrap converges: every board up within the rig bound, one network (one DODAG / one partition)',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        await freshBoards(r.all);
        const started = [];
        for (const b of r.all) started.push({ b, s: await start(b, stack) });
        // All at once: contention, and on Thread several singleton partitions that must merge
        // (each merge waits for an Advertisement, trickle Imax 32 s): three times the join bound.
        for (const { b, s } of started) {
          const up = await b.waitForStatus('GLOBAL_UP', { withinS: bench().bounds.joinWithinS * 3, fromIndex: s.fromIndex }).then((e) => ({ connectT: s.t, upT: e.t }));
          record(`${b.id}.join_bench_s`, secondsBetween(up.connectT, up.upT).toFixed(3));
        }
        if (stack === 'thread') {
          // Several routers may each form a partition; they must merge into one (Thread 1.1 §5.16).
          await eventually('one partition after merging', { withinS: bench().bounds.joinWithinS }, async () => {
            const ids = [...new Set(await Promise.all(r.all.map(async (b) => (await b.status()).details.partition_id ?? '?')))];
            return ids.length === 1 || `partition ids ${ids.join(', ')}`;
          });
        }
        await probeHops(r.others[r.others.length - 1]!, r.root);
      },
    );

    testCase(
      {
        id: `JOIN-${T}-005`,
        title: 'connect() while connected returns the documented code and changes nothing',
        checks:
          stack === 'nd'
            ? 'LoWPANNDInterface connect() when up: the tasklet refuses, NSAPI_ERROR_DEVICE_ERROR (-3012), status unchanged (mbed-mesh-api.md §1)'
            : 'ThreadInterface connect() when up: NSAPI_ERROR_IS_CONNECTED (-3015), status unchanged (mbed-mesh-api.md §1)',
        needs: { stack, boards: 1 },
      },
      async function () {
        const r = roster(stack);
        await freshBoards([r.root]);
        await waitUp(r.root, await start(r.root, stack));
        const since = r.root.mark();
        const again = await r.root.connect();
        record('connect.again.result', again.value);
        expect(again.value, 'connect() while connected').to.equal(stack === 'nd' ? Nsapi.DEVICE_ERROR : Nsapi.IS_CONNECTED);
        await bench().clock.sleepUntil(again.t + 5e6);
        expect(r.root.events.slice(since).map((e) => e.event), 'no mesh event after the refused connect').to.deep.equal([]);
        expect((await r.root.status()).status).to.equal('GLOBAL_UP');
      },
    );

    testCase(
      {
        id: `JOIN-${T}-010`,
        title: 'a board on another channel reports MESH_BOOTSTRAP_FAILED, keeps retrying, and joins once moved, without disconnect',
        checks: 'no network → MESH_BOOTSTRAP_FAILED, status stays CONNECTING, the next attempt within the 5 s retry period (the time between failures at most 5 s plus one attempt); from an error state the app may connect again without disconnect (mbed-mesh-api.md §3, the seed page)',
        needs: stack === 'nd' ? { stack, boards: 2 } : { stack, boards: 2, roles: { 'end-device': 1 } },
      },
      async function () {
        const r = roster(stack);
        // A router-eligible Thread board that finds no network forms its own partition
        // (as OpenThread does); only an end device reports the failure.
        const stray = (stack === 'thread' ? bench().select(stack, 'end-device')[0] : r.others[0])!;
        await freshBoards([r.root, stray]);
        await waitUp(r.root, await start(r.root, stack));
        const wrongStart = await start(stray, stack, channelKeys(stack, WRONG_CHANNEL));
        const bound = bench().bounds.bootstrapFailedWithinS;
        const failed = await stray.waitForEvent('MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bound, fromIndex: wrongStart.fromIndex });
        record('bootstrap_failed.bench_s', secondsBetween(wrongStart.t, failed.t).toFixed(3));
        expect(failed.status, 'status after MESH_BOOTSTRAP_FAILED').to.equal('CONNECTING');
        // It keeps retrying: another attempt fails too.
        const again = stray.mark();
        const second = await stray.waitForEvent('a second MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bound, fromIndex: again });
        expectRetryPeriod(secondsBetween(wrongStart.t, failed.t), secondsBetween(failed.t, second.t), stack === 'thread' ? THREAD_NEXT_ATTACH_CYCLE_S : ND_SCAN_ONE_CHANNEL_S);
        expect((await stray.status()).status).to.equal('CONNECTING');
        // Move it onto the network's channel; no disconnect.
        const right = (roster(stack).root.spec.stacks[stack]?.config ?? {})[stack === 'nd' ? '6lowpan-nd-channel' : 'thread-config-channel'];
        expect(right, 'the network config names a channel').to.be.a('string');
        await stray.configure(channelKeys(stack, right!));
        const moved = stray.mark();
        const up = await stray.waitForStatus('GLOBAL_UP', { withinS: bench().bounds.joinWithinS, fromIndex: moved });
        expect(stray.events.slice(wrongStart.fromIndex).some((e) => e.event === 'MESH_DISCONNECTED'), 'no MESH_DISCONNECTED on the way').to.equal(false);
        expect((await stray.status()).status).to.equal(up.status);
      },
    );
  });
}

describe('join (Thread): wrong network key', function () {
  const wrongKey = { 'thread-master-key': '{0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}' };

  testCase(
    {
      id: 'JOIN-TH-011',
      title: 'a router-eligible board with the wrong network key forms its own partition instead of joining',
      checks: 'MLE is secured with the network key; a router that hears no valid parent becomes leader of a singleton partition (thread.md §3, openthread-cli.md)',
      needs: { stack: 'thread', roles: { router: 1 }, boards: 2 },
    },
    async function () {
      const r = roster('thread');
      // Any router-eligible board but the leader (a rig's leader may serve as router too).
      const intruder = bench().select('thread', 'router').find((b) => b !== r.root);
      if (!intruder) skip(`rig '${bench().rig}' has no router-eligible board besides the leader ${r.root.id}`);
      await freshBoards([r.root, intruder]);
      await waitUp(r.root, await start(r.root, 'thread'));
      const s = await start(intruder, 'thread', wrongKey);
      await intruder.waitForStatus(upStatuses, { withinS: bench().bounds.joinWithinS, fromIndex: s.fromIndex });
      const mine = await intruder.status();
      const theirs = await r.root.status();
      record('intruder.partition_id', mine.details.partition_id ?? '?');
      record('root.partition_id', theirs.details.partition_id ?? '?');
      expect(mine.details.role, 'the intruder leads its own partition').to.equal('leader');
      expect(mine.details.partition_id, 'a partition of its own').to.not.equal(theirs.details.partition_id);
      expect(theirs.details.role, 'the real leader keeps its role').to.equal('leader');
    },
  );

  testCase(
    {
      id: 'JOIN-TH-012',
      title: 'an end device with the wrong network key stays detached and reports MESH_BOOTSTRAP_FAILED while it retries',
      checks: 'an end device cannot form a partition; attach fails → MESH_BOOTSTRAP_FAILED, status CONNECTING (mbed-mesh-api.md §3, thread.md)',
      needs: { stack: 'thread', roles: { 'end-device': 1 }, boards: 2 },
    },
    async function () {
      const r = roster('thread');
      const ed = bench().select('thread', 'end-device')[0]!;
      await freshBoards([r.root, ed]);
      await waitUp(r.root, await start(r.root, 'thread'));
      const s = await start(ed, 'thread', wrongKey);
      const failed = await ed.waitForEvent('MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bench().bounds.joinWithinS, fromIndex: s.fromIndex });
      record('bootstrap_failed.bench_s', secondsBetween(s.t, failed.t).toFixed(3));
      const st = await ed.status();
      expect(st.status).to.equal('CONNECTING');
      expect(st.details.role, 'detached, not attached anywhere').to.be.oneOf(['detached', 'disabled']);
      expect(ed.events.slice(s.fromIndex).some((e) => upStatuses.includes(e.status)), 'never up').to.equal(false);
    },
  );
});

describe('join (6LoWPAN-ND): no network to join', function () {
  testCase(
    {
      id: 'JOIN-ND-013',
      title: 'a PAN ID filter that matches no PAN in reach: MESH_BOOTSTRAP_FAILED while it retries',
      checks: '6lowpan-nd-panid-filter: PANs that do not match are skipped in PAN selection (mbed-mesh-api.md §4); no PAN → MESH_BOOTSTRAP_FAILED, status CONNECTING (§3)',
      needs: { stack: 'nd', boards: 2 },
    },
    async function () {
      const r = roster('nd');
      const b = r.others[0]!;
      await freshBoards([r.root, b]);
      await waitUp(r.root, await start(r.root, 'nd'));
      const s = await start(b, 'nd', { '6lowpan-nd-panid-filter': '0x0bad' });
      const failed = await b.waitForEvent('MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bench().bounds.bootstrapFailedWithinS, fromIndex: s.fromIndex });
      record('bootstrap_failed.bench_s', secondsBetween(s.t, failed.t).toFixed(3));
      const st = await b.status();
      record('last_failure', st.details.last_failure ?? '?');
      expect(st.status).to.equal('CONNECTING');
      expect(b.events.slice(s.fromIndex).some((e) => upStatuses.includes(e.status)), 'never up').to.equal(false);
    },
  );

  testCase(
    {
      id: 'JOIN-ND-014',
      title: 'with no border router on the air a router reports MESH_BOOTSTRAP_FAILED, and joins once one comes up, without disconnect',
      checks: 'no beacons → MESH_BOOTSTRAP_FAILED and the next attempt within the 5 s retry period (mbed-mesh-api.md §3); the retry finds the network once its border router is up',
      needs: { stack: 'nd', boards: 2 },
    },
    async function () {
      const r = roster('nd');
      const b = r.others[0]!;
      await freshBoards([r.root, b]);
      const s = await start(b, 'nd');
      const failed = await b.waitForEvent('MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bench().bounds.bootstrapFailedWithinS, fromIndex: s.fromIndex });
      record('bootstrap_failed.bench_s', secondsBetween(s.t, failed.t).toFixed(3));
      record('last_failure', (await b.status()).details.last_failure ?? '?');
      const again = b.mark();
      const second = await b.waitForEvent('a second MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bench().bounds.bootstrapFailedWithinS, fromIndex: again });
      expectRetryPeriod(secondsBetween(s.t, failed.t), secondsBetween(failed.t, second.t), ND_SCAN_ONE_CHANNEL_S);
      await waitUp(r.root, await start(r.root, 'nd'));
      const up = await b.waitForStatus('GLOBAL_UP', { withinS: bench().bounds.joinWithinS, fromIndex: b.mark() });
      record('up_after_root.bench_s', secondsBetween(failed.t, up.t).toFixed(3));
      expect(b.events.slice(s.fromIndex).some((e) => e.event === 'MESH_DISCONNECTED'), 'no MESH_DISCONNECTED on the way').to.equal(false);
    },
  );
});

/**
 * The bootstrap retry of mbed-mesh-api.md §3: after MESH_BOOTSTRAP_FAILED the next attempt
 * starts within 5 s, so the next failure follows within 5 s plus one attempt (as long as
 * the first, `attemptS`, give or take the 0.5 s a scan or an attach cycle varies by), and
 * no sooner than a later attempt's nominal length (`laterS`) less that 0.5 s. The floor is
 * the firmware's nominal length, never the first attempt as measured: a board on wall time
 * that stalls in its first attempt measures it long, and its retry is not short for that.
 */
function expectRetryPeriod(attemptS: number, intervalS: number, laterS: number): void {
  const RETRY_PERIOD_S = 5;
  record('attempt.bench_s', attemptS.toFixed(3));
  record('retry_interval.bench_s', intervalS.toFixed(3));
  expect(intervalS, `time between failures (s) vs the ${RETRY_PERIOD_S} s retry period plus one ${attemptS.toFixed(2)} s attempt`).to.be.at.most(RETRY_PERIOD_S + attemptS + 0.5);
  expect(intervalS, `time between failures (s): at least one ${laterS.toFixed(2)} s attempt`).to.be.at.least(laterS - 0.5);
}

/**
 * A Thread end device's later attach cycle: one Parent Request to routers (750 ms wait), then
 * one to routers and REEDs (1250 ms); only the first cycle sends 6 (OpenThread mle.hpp
 * kNextAttachCycle*, kParentRequestRouterTimeout, kParentRequestReedTimeout; openthread-cli.md §6).
 */
const THREAD_NEXT_ATTACH_CYCLE_S = 0.75 + 1.25;
/**
 * A 6LoWPAN-ND node's retry repeats its first attempt. With no PAN on its channel that is an
 * active scan of it: aBaseSuperframeDuration (960 symbols) × (2^3 + 1) at 16 µs a symbol
 * (IEEE 802.15.4-2006 §7.5.2.1.2, scan exponent 3). A PAN whose router never answers costs
 * MAX_RTR_SOLICITATIONS (3) Router Solicitations RTR_SOLICITATION_INTERVAL (10 s) apart
 * before it gives up (RFC 6775 §5.3).
 */
const ND_SCAN_ONE_CHANNEL_S = 960 * (2 ** 3 + 1) * 16e-6;
const ND_UNANSWERED_RS_S = 3 * 10;

describe('join (6LoWPAN-ND): PSK link security', function () {
  // mbed-mesh-api.md §4: security mode PSK, a 16-byte key, key id, level 5 by default.
  const psk = (key: string): Record<string, string> => ({ '6lowpan-nd-security-mode': 'PSK', '6lowpan-nd-psk-key': key, '6lowpan-nd-psk-key-id': '1' });
  const KEY = '{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}';
  const OTHER = '{0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00}';

  /** The border router up with security mode PSK and KEY; `b`, the board under test, started with `key`. */
  async function securedPair(key: string): Promise<{ root: Board; b: Board; s: Awaited<ReturnType<typeof start>> }> {
    const r = roster('nd');
    const b = r.others[0]!;
    await freshBoards([r.root, b]);
    await waitUp(r.root, await start(r.root, 'nd', psk(KEY)));
    return { root: r.root, b, s: await start(b, 'nd', psk(key)) };
  }

  testCase(
    {
      id: 'JOIN-ND-011',
      title: 'with security mode PSK a router joins a border router holding the same key, and traffic flows secured',
      checks: '6lowpan-nd-security-mode PSK: MAC frames secured with the PSK (IEEE 802.15.4-2006 §7.5.8, key id mode 1, level 5), none refused between holders of one key',
      needs: { stack: 'nd', boards: 2 },
    },
    async function () {
      const { root, b, s } = await securedPair(KEY);
      const up = await waitUp(b, s);
      record('join.bench_s', secondsBetween(up.connectT, up.upT).toFixed(3));
      expect(await probeHops(b, root), 'a datagram to the border router').to.equal(1);
      for (const x of [root, b]) {
        const d = (await x.status()).details;
        expect(d.rx_sec_errors, `${x.id}: frames failing their MIC`).to.equal('0');
        record(`${x.id}.rx_sec_errors`, d.rx_sec_errors ?? '?');
      }
    },
  );

  testCase(
    {
      id: 'JOIN-ND-012',
      title: 'a router with another PSK never joins: MESH_BOOTSTRAP_FAILED while it retries, and the border router refuses its frames',
      checks: 'frames secured with a foreign key fail their MIC and are dropped (IEEE 802.15.4-2006 §7.5.8.2.3); the bootstrap fails and is retried (mbed-mesh-api.md §3)',
      needs: { stack: 'nd', boards: 2 },
    },
    async function () {
      const { root, b, s } = await securedPair(OTHER);
      // Beacons are not secured, so it finds the PAN; its secured RS then go unanswered (3 × 10 s, RFC 6775 §5.3).
      const failed = await b.waitForEvent('MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bench().bounds.joinWithinS, fromIndex: s.fromIndex });
      record('bootstrap_failed.bench_s', secondsBetween(s.t, failed.t).toFixed(3));
      // The retry fails the same way.
      const again = b.mark();
      const second = await b.waitForEvent('a second MESH_BOOTSTRAP_FAILED (the retry)', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { withinS: bench().bounds.joinWithinS, fromIndex: again });
      expectRetryPeriod(secondsBetween(s.t, failed.t), secondsBetween(failed.t, second.t), ND_UNANSWERED_RS_S);
      expect((await b.status()).status).to.equal('CONNECTING');
      expect(b.events.slice(s.fromIndex).some((e) => upStatuses.includes(e.status)), 'never up').to.equal(false);
      const refused = Number((await root.status()).details.rx_sec_errors ?? '0');
      record('root.rx_sec_errors', refused);
      expect(refused, 'frames the border router refused').to.be.greaterThan(0);
    },
  );
});
