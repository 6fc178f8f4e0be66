// Disconnect: MeshInterface::disconnect() from each state, what it leaves
// behind (addresses, sockets), what the neighbours see, and connecting again
// (reference mbed-mesh-api.md §1–§3).
import { expect } from 'chai';
import { bench, eventually, isLinkLocalAddress, record, secondsBetween, testCase, type Board } from '../harness/suite-api/index.ts';
import { Nsapi, PROBE_PORT, addressOf, bringUp, freshBoards, probeHops, roster, start, waitUp } from './support/mesh.ts';

const TAG = { nd: 'ND', thread: 'TH' } as const;

/** Disconnect and check Mbed's synchronous DISCONNECTED callback and the status after it. */
async function disconnectChecked(b: Board): Promise<void> {
  const since = b.mark();
  const r = await b.disconnect();
  record(`${b.id}.disconnect.result`, r.value);
  expect(r.value, `${b.id} disconnect()`).to.equal(Nsapi.OK);
  const ev = await b.waitForEvent('MESH_DISCONNECTED', (e) => e.event === 'MESH_DISCONNECTED', { withinS: 5, fromIndex: since });
  expect(ev.status).to.equal('DISCONNECTED');
  expect(ev.callback, 'the status callback ran for DISCONNECTED').to.equal(true);
  expect((await b.status()).status).to.equal('DISCONNECTED');
}

for (const stack of ['nd', 'thread'] as const) {
  const T = TAG[stack];
  describe(`disconnect (${stack === 'nd' ? '6LoWPAN-ND' : 'Thread'})`, function () {
    testCase(
      {
        id: `DISC-${T}-001`,
        title: 'disconnect() from connected returns 0, reports DISCONNECTED and drops the addresses',
        checks: 'disconnect() tears down the network; the DISCONNECTED callback runs inside it; no global address afterwards (mbed-mesh-api.md §1, §3)',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        const [, joined] = await bringUp(r, [r.others[0]!]);
        await probeHops(joined!.board, r.root);
        await disconnectChecked(joined!.board);
        const addrs = await joined!.board.ipAddresses();
        expect(addrs.filter((a) => !isLinkLocalAddress(a)), 'no routable address after disconnect').to.deep.equal([]);
      },
    );

    testCase(
      {
        id: `DISC-${T}-002`,
        title: 'disconnect() while connecting stops the bootstrap',
        checks: 'disconnect() in CONNECTING returns 0 and the status goes DISCONNECTED; no later up event (mbed-mesh-api.md §3)',
        needs: { stack, boards: 1 },
      },
      async function () {
        const r = roster(stack);
        // The root alone: nothing to join, so the bootstrap is still under way when we stop it.
        const b = r.others[0] ?? r.root;
        await freshBoards([b]);
        const s = await start(b, stack);
        await b.waitForStatus('CONNECTING', { withinS: 5, fromIndex: s.fromIndex });
        await disconnectChecked(b);
        const after = b.mark();
        await bench().clock.sleepUntil((await bench().clock.now()) + 30e6);
        expect(b.events.slice(after).map((e) => e.event), 'nothing after disconnect').to.deep.equal([]);
      },
    );

    testCase(
      {
        id: `DISC-${T}-003`,
        title: 'disconnect() twice: the second call returns NSAPI_ERROR_DEVICE_ERROR and changes nothing',
        checks: 'disconnect() on a disconnected interface is refused by the tasklet: -3012 (mbed-mesh-api.md §1)',
        needs: { stack, boards: 1 },
      },
      async function () {
        const r = roster(stack);
        await bringUp(r, []);
        await disconnectChecked(r.root);
        const since = r.root.mark();
        const second = await r.root.disconnect();
        record('disconnect.again.result', second.value);
        expect(second.value, 'second disconnect()').to.equal(Nsapi.DEVICE_ERROR);
        expect(r.root.events.slice(since), 'no event from the refused disconnect').to.deep.equal([]);
      },
    );

    testCase(
      {
        id: `DISC-${T}-004`,
        title: 'a socket opened before disconnect cannot send afterwards, and sends again after reconnecting',
        checks: 'sendto() on a disconnected interface fails with a negative nsapi_error_t, not a crash (mbed-mesh-api.md §1)',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        const [, j] = await bringUp(r, [r.others[0]!]);
        const b = j!.board;
        const sock = await b.udpOpen(0, { events: false });
        expect(sock.result).to.equal(Nsapi.OK);
        const dst = await addressOf(r.root);
        expect((await b.udpSend(sock.socket!, dst, PROBE_PORT, { length: 16 })).value, 'sendto while up').to.equal(16);
        await disconnectChecked(b);
        const after = await b.udpSend(sock.socket!, dst, PROBE_PORT, { length: 16 });
        record('sendto.after_disconnect', after.value);
        expect(after.value, 'sendto after disconnect').to.be.below(0);
        await b.udpClose(sock.socket!);
        const s = b.mark();
        expect((await b.connect()).value, 'connect() again').to.equal(Nsapi.OK);
        await waitUp(b, { fromIndex: s, t: 0 });
        await probeHops(b, r.root);
      },
    );

    testCase(
      {
        id: `DISC-${T}-005`,
        title: 'the neighbours notice a board that left',
        checks:
          stack === 'nd'
            ? 'a router that stops answering drops out of its neighbours (RPL parent set / neighbour cache, RFC 6550 §8, RFC 6775 §6)'
            : 'a child that stops answering is removed by its parent after the child timeout (Thread 1.1 §4.7.6)',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        // The board next to the root (one hop): r.others in rig order; pick the one whose probe takes one hop.
        const joined = await bringUp(r);
        let leaver: Board | undefined;
        for (const j of joined.slice(1)) if ((await probeHops(j.board, r.root)) === 1) leaver = j.board;
        if (!leaver) throw new Error('no board one hop from the root');
        const count = async (): Promise<number> => {
          const d = (await r.root.status()).details;
          return Number(d.neighbours ?? 0) + Number(d.children ?? 0);
        };
        const before = await count();
        record('root.neighbours.before', before);
        await disconnectChecked(leaver);
        let now = before;
        const noticed = await eventually(`the root dropping ${leaver.id} from its neighbours and children`, { withinS: bench().bounds.joinWithinS * 4, everyS: 5 }, async () => {
          now = await count();
          return now < before || `the root has ${now} neighbours and children, ${before} before ${leaver.id} left`;
        });
        record('root.neighbours.after', now);
        record('noticed.bench_s', noticed.afterS.toFixed(1));
      },
    );

    testCase(
      {
        id: `DISC-${T}-006`,
        title: 'after disconnect, connect() joins again with the full event sequence',
        checks: 'DISCONNECTED → connect() → CONNECTING → up, as from a fresh start (mbed-mesh-api.md §3)',
        needs: { stack, boards: 2 },
      },
      async function () {
        const r = roster(stack);
        const [, j] = await bringUp(r, [r.others[0]!]);
        const b = j!.board;
        await disconnectChecked(b);
        const since = b.mark();
        const c = await b.connect();
        expect(c.value, 'connect() after disconnect').to.equal(Nsapi.OK);
        const up = await waitUp(b, { fromIndex: since, t: c.t });
        record('rejoin.bench_s', secondsBetween(c.t, up.upT).toFixed(3));
        await probeHops(b, r.root);
      },
    );
  });
}
