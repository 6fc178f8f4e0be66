import { expect } from 'chai';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import { Pacer, type LagReport } from '../../../sim/pacer.ts';
import { createTestbed } from '../../../sim/testbed.ts';
import { SECOND } from '../../../stack/runtime.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sim/pacer', () => {
  it('keeps bench time in step with a fake wall clock at the speed factor', () => {
    const scheduler = new Scheduler();
    let wallMs = 0;
    const pacer = new Pacer(scheduler, { speed: 10, wallClock: () => wallMs });
    const fired: number[] = [];
    for (let i = 1; i <= 5; i++) scheduler.at(i * 100_000, () => fired.push(scheduler.now()));
    pacer.start();
    wallMs = 25; // 25 ms wall × 10 = 250 ms bench
    pacer.catchUp();
    expect(scheduler.now()).to.equal(250_000);
    expect(fired).to.deep.equal([100_000, 200_000]);
    pacer.pause();
    wallMs = 1000; // paused: bench time does not move
    pacer.catchUp();
    expect(scheduler.now()).to.equal(250_000);
    pacer.resume();
    wallMs = 1010; // +10 ms × 10 = 350 ms bench
    pacer.catchUp();
    expect(scheduler.now()).to.equal(350_000);
    expect(pacer.stats()).to.include({ state: 'running', lagUs: 0, events: 3 });
    pacer.stop();
    expect(pacer.stats().state).to.equal('stopped');
  });

  it('measures and reports lag when events cannot keep up, and when it caught up again', () => {
    const scheduler = new Scheduler();
    let wallMs = 0;
    const reports: LagReport[] = [];
    const pacer = new Pacer(scheduler, { speed: 1, sliceMs: 5, wallClock: () => wallMs, onLag: (r) => reports.push(r), lagThresholdUs: 1000, lagReportIntervalMs: 0 });
    // Each event costs 1 ms of (fake) wall time but they are 100 µs apart: 10× slower than real time.
    let costMs = 1;
    const heavy = (): void => {
      wallMs += costMs;
      scheduler.after(100, heavy);
    };
    scheduler.at(0, heavy);
    try {
      pacer.start();
      wallMs = 20;
      pacer.catchUp();
      const s = pacer.stats();
      expect(s.lagUs).to.be.greaterThan(50_000);
      expect(s.maxLagUs).to.equal(s.lagUs);
      expect(reports).to.have.length(1);
      expect(reports[0]!.lagUs).to.equal(s.lagUs);
      costMs = 0; // the load goes away: the next slice catches up
      pacer.catchUp();
      expect(pacer.stats().lagUs).to.equal(0);
      expect(pacer.stats().maxLagUs).to.equal(s.lagUs);
      expect(reports).to.have.length(2);
      expect(reports[1]!.lagUs).to.equal(0);
    } finally {
      pacer.stop();
    }
  });

  it('max speed runs as fast as it can and still yields to I/O', async () => {
    const scheduler = new Scheduler();
    let n = 0;
    const tick = (): void => {
      n++;
      scheduler.after(1000, tick);
    };
    scheduler.at(0, tick);
    const pacer = new Pacer(scheduler, { speed: 'max', sliceMs: 5 });
    let ioTurns = 0;
    const io = setInterval(() => ioTurns++, 1);
    pacer.start();
    await sleep(100);
    pacer.pause();
    clearInterval(io);
    const bench = scheduler.now();
    expect(bench).to.be.greaterThan(10 * SECOND); // far faster than real time
    expect(ioTurns).to.be.at.least(2); // timers still ran between slices
    expect(pacer.stats().slices).to.be.greaterThan(2);
    await sleep(20);
    expect(scheduler.now()).to.equal(bench); // paused
    pacer.stop();
    await pacer.stopped();
    expect(n).to.be.greaterThan(10_000);
  });

  it('runs 64 idle-ish nodes at 1× real time with little lag', async function () {
    this.timeout(10_000);
    const ids = Array.from({ length: 64 }, (_, i) => `n${i}`);
    const positions = Object.fromEntries(ids.map((id, i) => [id, { x: (i % 8) * 10, y: Math.floor(i / 8) * 10 }]));
    const tb = createTestbed({ seed: 9, topology: { kind: 'positions', positions, exponent: 3, refLossDb: 40, shadowingSigmaDb: 4 }, nodes: ids.map((id) => ({ id })) });
    // Each node: a 10 ms housekeeping timer and a small broadcast every ~500 ms (a keep-alive).
    const frame = new Uint8Array(20).fill(1);
    let sent = 0;
    for (const n of tb.nodes) {
      const house = (): void => void n.timers.at(n.timers.now() + 10_000, house);
      n.timers.at(n.rng.int(10_000), house);
      const beacon = (): void => {
        n.radio.cca((clear) => {
          if (clear && !n.radio.isTransmitting()) {
            n.radio.transmit(frame, () => undefined);
            sent++;
          }
          n.timers.at(n.timers.now() + 400_000 + n.rng.int(200_000), beacon);
        });
      };
      n.timers.at(n.rng.int(500_000), beacon);
    }
    const pacer = new Pacer(tb.scheduler, { speed: 1 });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    pacer.start();
    await sleep(1000);
    pacer.catchUp();
    const wallUs = (performance.now() - t0) * 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuUs = cpu.user + cpu.system;
    const s = pacer.stats();
    pacer.stop();
    this.test!.title += ` (bench ${(s.benchUs / 1e6).toFixed(3)} s in ${(wallUs / 1e6).toFixed(3)} s wall, CPU ${(cpuUs / 1e3).toFixed(0)} ms, max lag ${(s.maxLagUs / 1000).toFixed(1)} ms, ${s.events} events)`;
    // Timing on a shared CI machine is noisy: assert that the bench kept up overall and
    // needed a fraction of one core for it, not a tight bound on momentary lag.
    expect(s.benchUs).to.be.at.least(wallUs - 200_000);
    expect(cpuUs).to.be.below(wallUs * 0.5);
    expect(sent).to.be.greaterThan(64);
  });

  it('refuses a speed that is not a positive number or max', () => {
    expect(() => new Pacer(new Scheduler(), { speed: 0 })).to.throw(RangeError);
    expect(() => new Pacer(new Scheduler(), { speed: -1 })).to.throw(RangeError);
  });
});
