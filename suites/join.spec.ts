// Join: boards bootstrap onto the rig's network through the Mesh API
// (LoWPANNDInterface / ThreadInterface) and report the events, statuses,
// addresses and result codes Mbed OS documents (reference mbed-mesh-api.md
// §1–§3; docs page "6LoWPAN Mesh Interfaces").
import { expect } from 'chai';
import { bench, record, use, type Board } from '../harness/suite-api/index.ts';
import { NSAPI_OK, expectConnectSequence, freshBoards, upStatuses } from './support/mesh.ts';

describe('join (6LoWPAN-ND)', function () {
  let br: Board;
  let routers: Board[];

  beforeEach(async function () {
    const b = bench();
    const brs = b.select('nd', 'border-router');
    routers = b.select('nd', ['router', 'host']);
    if (brs.length === 0 || routers.length === 0) {
      this.skip();
    }
    br = brs[0]!;
    await freshBoards([br, ...routers]);
  });

  it('JOIN-ND-001 the border router forms the network and reports GLOBAL_UP', async function () {
    // Spec: MeshInterface::connect() non-blocking returns 0 at once; the status
    // goes DISCONNECTED → CONNECTING → GLOBAL_UP (reference §3).
    use(br);
    expect(await br.init('nd')).to.equal(NSAPI_OK);
    const since = br.mark();
    const { value, t } = await br.connect();
    record('connect.result', value);
    expect(value, 'connect() result').to.equal(NSAPI_OK);
    const up = await br.waitForStatus('GLOBAL_UP', { within: bench().bounds.joinWithinS, since });
    record('join.bench_s', ((up.t - t) / 1e6).toFixed(3));
    expectConnectSequence(br.events.slice(since), 'GLOBAL_UP');
    const addrs = await br.ipAddresses();
    expect(addrs.some((a) => a.startsWith('fe80::')), 'link-local address').to.equal(true);
    expect(addrs.some((a) => !a.startsWith('fe80::')), 'global address').to.equal(true);
    expect((await br.status()).status).to.equal('GLOBAL_UP');
  });

  it('JOIN-ND-002 every router joins the border router with the Mbed event sequence', async function () {
    // Spec: the border router is up first; each router's connect() returns 0 and
    // its callback reports CONNECTING, then LOCAL_UP or GLOBAL_UP (reference §2:
    // MESH_CONNECTED maps to LOCAL_UP with only a link-local address).
    use(br, ...routers);
    await br.init('nd');
    const brSince = br.mark();
    await br.connect();
    await br.waitForStatus('GLOBAL_UP', { within: bench().bounds.joinWithinS, since: brSince });
    const starts = new Map<Board, { since: number; t: number }>();
    for (const r of routers) {
      expect(await r.init('nd'), `${r.id} init`).to.equal(NSAPI_OK);
      const since = r.mark();
      const { value, t } = await r.connect();
      expect(value, `${r.id} connect() result`).to.equal(NSAPI_OK);
      starts.set(r, { since, t });
    }
    for (const r of routers) {
      const { since, t } = starts.get(r)!;
      const up = await r.waitForStatus(upStatuses, { within: bench().bounds.joinWithinS, since });
      record(`${r.id}.join_bench_s`, ((up.t - t) / 1e6).toFixed(3));
      expectConnectSequence(r.events.slice(since), up.status);
      const addrs = await r.ipAddresses();
      expect(addrs.some((a) => a.startsWith('fe80::')), `${r.id} link-local address`).to.equal(true);
      expect((await r.status()).status, `${r.id} status`).to.equal(up.status);
    }
  });

  it('JOIN-ND-010 a board on another channel reports MESH_BOOTSTRAP_FAILED, keeps retrying, and joins once moved, without disconnect', async function () {
    // Spec: scan failure → MESH_BOOTSTRAP_FAILED, status stays CONNECTING, the
    // stack retries every 5 s (reference §3); in an error state the app may
    // connect again without disconnect (docs page "Network connection states").
    const stray = routers[0]!;
    use(br, stray);
    await br.init('nd');
    const brSince = br.mark();
    await br.connect();
    await br.waitForStatus('GLOBAL_UP', { within: bench().bounds.joinWithinS, since: brSince });

    const wrong = { '6lowpan-nd-channel': '15', '6lowpan-nd-channel-mask': '(1<<15)' };
    expect(await stray.init('nd', wrong)).to.equal(NSAPI_OK);
    const since = stray.mark();
    const { value, t } = await stray.connect();
    expect(value).to.equal(NSAPI_OK);
    const bound = bench().bounds.bootstrapFailedWithinS;
    const failed = await stray.waitForEvent('MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { within: bound, since });
    record('bootstrap_failed.bench_s', ((failed.t - t) / 1e6).toFixed(3));
    expect(failed.status, 'status after MESH_BOOTSTRAP_FAILED').to.equal('CONNECTING');
    expect(failed.t - t, 'MESH_BOOTSTRAP_FAILED within the rig bound').to.be.at.most(bound * 1e6);
    // It keeps retrying: another attempt fails too.
    const again = stray.mark();
    const second = await stray.waitForEvent('a second MESH_BOOTSTRAP_FAILED', (e) => e.event === 'MESH_BOOTSTRAP_FAILED', { within: bound, since: again });
    record('retry_interval.bench_s', ((second.t - failed.t) / 1e6).toFixed(3));
    expect((await stray.status()).status).to.equal('CONNECTING');

    // Move it onto the network's channel; no disconnect.
    await stray.configure({ '6lowpan-nd-channel': '12', '6lowpan-nd-channel-mask': '(1<<12)' });
    const moved = stray.mark();
    const up = await stray.waitForStatus(upStatuses, { within: bench().bounds.joinWithinS, since: moved });
    expect(stray.events.slice(since).some((e) => e.event === 'MESH_DISCONNECTED'), 'no MESH_DISCONNECTED on the way').to.equal(false);
    expect((await stray.status()).status).to.equal(up.status);
  });
});
