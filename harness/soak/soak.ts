// `meshbench soak`: hours of traffic and churn on a rig, checked window by window
// (docs/soak.md). Everything is scheduled in bench time on the bench clock, so the
// same profile runs a simulated bench at any speed (in lockstep: the same seed, the
// same windows) and a lab rig in real time. Evidence is written as it goes: one
// JSON line per finished window (series.jsonl), the JUnit rewritten after every
// window (one testcase per check, failing windows listed with their bench time and
// capture), a capture per window on the simulated bench. A killed soak leaves both
// files valid up to its last finished window.
import { mulberry32 } from '../seeded-random.ts';
import { appendFileSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Board, ClockOffset } from '../board/board.ts';
import { isLinkLocalAddress } from '../board/ipv6-address.ts';
import type { BoardStatus, MeshEventRecord } from '../board/driver.ts';
import { boardConfigs, secretsOf, tearDownBench, type Bench } from '../bench/bench.ts';
import { bringUp } from '../bench/bring-up.ts';
import { createRunLogger, type Logger } from '../log/logger.ts';
import { writeJUnit } from '../report/junit.ts';
import type { Property, Run, TestCase } from '../report/model.ts';
import { redactor } from '../report/sanitize.ts';
import { loadRig } from '../rig/load.ts';
import type { Bounds } from '../rig/schema.ts';
import type { Churn, SoakProfile } from './profile.ts';

/**
 * The soak's datagrams' port: 0xF0B2 (61618), beside the suites' probe ports, unassigned
 * (RFC 6335 §6) so Wireshark shows the payload as data, and carried in 4 bits by
 * LOWPAN_NHC UDP (RFC 6282 §4.3.3). (47000 is a registered port: Wireshark dissected every
 * soak datagram as its protocol and called it malformed.)
 */
export const SOAK_PORT = 0xf0b2;
/** A datagram sent this close to a window's end is judged in the next window: it may still be on its way. */
const IN_FLIGHT_S = 2;
const UP = ['GLOBAL_UP', 'LOCAL_UP'];

export interface SoakOptions {
  rigFile: string;
  profile: SoakProfile;
  seed?: number;
  speed?: number | 'max';
  outDir?: string;
  quiet?: boolean;
  /** Called after each finished window. */
  onWindow?: (w: WindowRecord) => void;
}

export interface WindowRecord {
  window: number;
  startS: number;
  endS: number;
  sent: number;
  delivered: number;
  /** Delivered / sent of the datagrams sent while no board was churned or recovering; null when none was. */
  delivery: number | null;
  deliveryAll: number | null;
  /**
   * One-way latency of the datagrams judged this window, on the bench clock: the sender's
   * stamp and the root's arrival time are each moved by that board's clock offset
   * (Board.clockOffset(), re-estimated every window and after every reboot).
   */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** The largest error bound of those figures (the two offsets' round-trip halves). */
  latencyErrorMaxMs: number | null;
  lightPresses: number;
  lightReceived: number;
  churns: number;
  rejoins: number;
  rejoinMaxS: number | null;
  /** Boards churned this window (or before) that were not up within the bound, with when they were due. */
  notBack: string[];
  stuck: string[];
  duplicateAddresses: string[];
  tables: Record<string, { neighbours?: number; children?: number; routes?: number }>;
  tablesOver: string[];
  capture?: string;
  harness: { rssBytes: number; heapUsedBytes: number; openFds: number; wallS: number };
  /** The simulated bench's process at the window's end (its control channel's `stats`): flat cost holds for it too. */
  sim?: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number };
}

export interface SoakOutcome {
  exitCode: number;
  runDir: string;
  reportPath: string;
  seriesPath: string;
  windows: WindowRecord[];
  /** Wall seconds from the start until the soak's bench time began (bring-up, network start). */
  bringUpWallS: number;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

interface Action {
  t: number;
  seq: number;
  run: () => Promise<void>;
}

interface Sent {
  /** The sender's board time when udp.send answered: the stamp its generated payload carries. */
  t: number;
  from: string;
  quiet: boolean;
  /** The sender's clock offset when it sent (its board time minus bench time). */
  offset: ClockOffset | undefined;
}

interface Recovery {
  board: Board;
  kind: Churn['kind'];
  /** Bench time the churn ended and the board was expected back (µs). */
  endUs: number;
  dueUs: number;
  mark: number;
  /** Board time of the connect() that restarted it, when one did. */
  connectT?: number;
}

/** Bounds the profile leaves out, from the rig's (docs/rig-file.md) and the standards. */
export function soakBounds(profile: SoakProfile, bounds: Bounds, boards: number, farthestHops: number) {
  const c = profile.checks;
  return {
    deliveryMin: c.deliveryMin ?? bounds.deliveryRatio,
    latencyP99MaxMs: c.latencyP99MaxMs ?? bounds.latencyP99MsPerHop * Math.max(1, farthestHops),
    backWithinS: c.backWithinS ?? bounds.joinWithinS,
    // A table holds at most one entry per other board: more is a leak. Thread caps
    // routers at 32 (Thread 1.3.0 §5.9.9, Router ID 0-62 with at most 32 allocated) and an
    // OpenThread router's children at 10 (OPENTHREAD_CONFIG_MLE_MAX_CHILDREN default).
    maxNeighbours: c.maxNeighbours ?? (profile.stack === 'thread' ? Math.min(boards - 1, 31) : boards - 1),
    maxChildren: c.maxChildren ?? (profile.stack === 'thread' ? Math.min(boards - 1, 10) : boards - 1),
    maxRoutes: c.maxRoutes ?? boards - 1,
  };
}

const CHECKS = [
  ['delivery', 'unicast delivery to the root, datagrams sent with no board churned, at least the bound'],
  ['latency', 'p99 one-way latency of the delivered datagrams at most the bound'],
  ['back-after-churn', 'every board churned is up again within the bound'],
  ['no-stuck-board', 'no board left down (bootstrap failed, disconnected) with no churn on it'],
  ['tables-bounded', 'neighbour, child and route tables within their bounds'],
  ['no-duplicate-address', 'no global address held by two boards'],
  ['agent-heap', "the agent's heap stays bounded"],
] as const;
type CheckName = (typeof CHECKS)[number][0];

export async function runSoak(opts: SoakOptions): Promise<SoakOutcome> {
  const profile = opts.profile;
  const loaded = loadRig(opts.rigFile);
  const seed = opts.seed ?? loaded.rig.seed ?? 1;
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
  const reportsRoot = join(process.cwd(), 'reports');
  const runDir = resolve(opts.outDir ?? join(reportsRoot, `soak-${runId}`));
  mkdirSync(join(runDir, 'windows'), { recursive: true });
  if (!opts.outDir) {
    rmSync(join(reportsRoot, 'latest-soak'), { force: true });
    symlinkSync(`soak-${runId}`, join(reportsRoot, 'latest-soak'));
  }
  const reportPath = join(runDir, 'junit.xml');
  const seriesPath = join(runDir, 'series.jsonl');
  const secrets = secretsOf(boardConfigs(loaded));
  const redact = redactor(secrets);
  const log: Logger = createRunLogger(runDir, { quiet: opts.quiet ?? true, redact });
  const started = performance.now();
  const windows: WindowRecord[] = [];
  const failingWindows = new Map<CheckName, string[]>(CHECKS.map(([n]) => [n, []]));
  let heapReported = false;
  const runProps: Property[] = [
    { name: 'rig', value: loaded.rig.name },
    { name: 'rig.file', value: relative(process.cwd(), loaded.file) || loaded.file },
    { name: 'seed', value: String(seed) },
    { name: 'soak.profile', value: profile.name },
    { name: 'soak.stack', value: profile.stack },
    { name: 'soak.duration_s', value: String(profile.durationS) },
    { name: 'soak.window_s', value: String(profile.windowS) },
  ];
  let bounds: ReturnType<typeof soakBounds> | undefined;
  let interrupted: string | undefined;
  let bringUpWallS = 0;

  const writeReport = (final: boolean) => {
    const run: Run = { runId, name: `meshbench soak ${profile.name}`, startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(), hostname: hostname(), properties: runProps, suites: [], time: (performance.now() - started) / 1000 };
    const cases: TestCase[] = CHECKS.map(([name, what]) => {
      const bad = failingWindows.get(name)!;
      const props: Property[] = [
        { name: 'windows', value: String(windows.length) },
        { name: 'failing_windows', value: String(bad.length) },
        ...(bounds ? boundProps(name, bounds) : []),
      ];
      let outcome: TestCase['outcome'];
      if (name === 'agent-heap' && !heapReported) outcome = { verdict: 'skipped', message: "no board's firmware reports its heap (mesh.status has no heap_used)" };
      else if (bad.length > 0) outcome = { verdict: 'failed', message: `${bad.length} of ${windows.length} window(s) failed: ${what}`, details: bad.join('\n') };
      else if (windows.length === 0) outcome = { verdict: 'skipped', message: interrupted ? `interrupted by ${interrupted} before the first window ended` : 'no window finished' };
      else outcome = { verdict: 'passed' };
      return { name: `SOAK-${name} ${what}`, classname: `soak.${profile.name}`, time: 0, outcome, attempts: [], properties: props, attachments: [] };
    });
    run.suites.push({ name: `soak ${profile.name}`, timestamp: run.startedAt, properties: [], cases, systemOut: final ? `${windows.length} window(s); series: ${relative(runDir, seriesPath)}` : undefined });
    writeJUnit(reportPath, run, { redact: secrets });
  };
  writeReport(false);

  let bench: Bench | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    log.warn({ signal: sig }, 'soak interrupted: tearing the bench down');
    if (bench) void tearDownBench(bench);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      bench = await bringUp(loaded, { runDir, seed, log, redact, speed: opts.speed });
    } catch (e) {
      log.error({ err: (e as Error).message }, 'bench not up');
      throw Object.assign(new Error(`bench not up: ${(e as Error).message}`), { exitCode: 3 });
    }
    const b = bench;
    const clock = b.clock;
    const all = b.boards.filter((x) => x.serves(profile.stack));
    const root = all.find((x) => x.serves(profile.stack, ['border-router', 'leader'])) ?? all[0];
    if (!root || all.length < 2) throw Object.assign(new Error(`rig '${b.rigName}' has fewer than two ${profile.stack} boards`), { exitCode: 2 });
    const others = all.filter((x) => x !== root);
    const rng = mulberry32(seed ^ 0x50a4);
    const joinWithinS = b.bounds.joinWithinS;

    // Up: every board fresh, the root first, then the others.
    for (const x of b.boards) if (!x.powered) await x.powerOn();
    for (const x of b.boards) await x.reset();
    const upWait = async (x: Board, since: number) => x.waitForStatus(profile.stack === 'thread' && !x.serves('thread', ['router', 'border-router', 'leader']) ? UP : ['GLOBAL_UP', ...(profile.stack === 'thread' ? ['LOCAL_UP'] : [])], { withinS: joinWithinS, fromIndex: since });
    const start = async (x: Board) => {
      const since = x.mark();
      await x.init(profile.stack);
      const c = await x.connect();
      return { since, t: c.t };
    };
    await upWait(root, (await start(root)).since);
    const starts = new Map<Board, number>();
    for (const x of others) starts.set(x, (await start(x)).since);
    for (const x of others) await upWait(x, starts.get(x)!);
    const rootAddr = (await root.ipAddresses()).find((a) => !isLinkLocalAddress(a));
    if (!rootAddr) throw new Error(`the root ${root.id} has no global address`);
    const sockets = new Map<Board, number>();
    const openSocket = async (x: Board) => {
      const r = await x.udpOpen(SOAK_PORT, { events: x === root });
      if (r.socket !== undefined) sockets.set(x, r.socket);
    };
    for (const x of all) await openSocket(x);
    let farthest = 1;
    for (const x of others) {
      const st = await x.status();
      const hops = Number(st.details.hops_to_br ?? NaN);
      if (Number.isFinite(hops)) farthest = Math.max(farthest, hops);
    }
    bounds = soakBounds(profile, b.bounds, all.length, profile.stack === 'thread' ? Math.max(farthest, others.length) : farthest);
    runProps.push({ name: 'boards', value: all.map((x) => x.id).join(' ') }, { name: 'root', value: root.id });

    const t0 = await clock.now();
    bringUpWallS = (performance.now() - started) / 1000;
    const endUs = t0 + profile.durationS * 1e6;
    const actions: Action[] = [];
    let seq = 0;
    const at = (t: number, run: () => Promise<void>) => {
      const a = { t, seq: seq++, run };
      let i = actions.length;
      while (i > 0 && (actions[i - 1]!.t > t || (actions[i - 1]!.t === t && actions[i - 1]!.seq > a.seq))) i--;
      actions.splice(i, 0, a);
    };

    // Churn state: a board is "busy" from its churn's start until it is back (or due).
    const busyUntil = new Map<Board, number>();
    const recoveries: Recovery[] = [];
    const sent: Sent[] = [];
    /** Each board's global addresses, as last asked: whose a datagram the root got was. */
    const addresses = new Map<string, string[]>();
    const learnAddresses = async (x: Board) => {
      const list = (await x.ipAddresses().catch(() => [] as string[])).map((a) => a.toLowerCase()).filter((a) => !isLinkLocalAddress(a));
      if (list.length) addresses.set(x.id, [...new Set([...(addresses.get(x.id) ?? []), ...list])]);
      return list;
    };
    for (const x of all) await learnAddresses(x);
    // Board clocks are not the bench clock: each runs from its own boot, and a lab board's
    // crystal drifts. Latency is taken on the bench clock through each board's offset,
    // never as one board's stamp subtracted from another's.
    const offsets = new Map<Board, ClockOffset>();
    const estimateOffset = async (x: Board) => {
      try {
        offsets.set(x, await x.clockOffset());
      } catch (e) {
        offsets.delete(x);
        log.warn({ board: x.id, err: (e as Error).message }, 'soak: clock offset not estimated');
      }
    };
    for (const x of all) await estimateOffset(x);
    const rootMarkAtStart = root.markApp();
    let lightPresses = 0;
    const lightMarks = new Map<Board, number>(all.map((x) => [x, x.markApp()]));
    const quietNow = (t: number) => [...busyUntil.values()].every((u) => u <= t);
    let windowChurns = 0;

    // Recoveries judged and boards found stuck since the last window's end, reported with the window.
    let windowRejoins = 0;
    let windowRejoinMaxS: number | null = null;
    let windowNotBack: string[] = [];
    let windowStuck: string[] = [];
    /**
     * Seconds from a recovery's start to the board's up event: from its connect() on the
     * board's own clock, else from the churn's end on the bench clock (the board's time
     * moved by its clock offset; the two clocks are never subtracted from each other).
     */
    const upAfterS = (r: Recovery, up: MeshEventRecord): number =>
      r.connectT !== undefined ? Math.max(0, (up.t - r.connectT) / 1e6) : Math.max(0, (up.t - (offsets.get(r.board)?.offsetUs ?? 0) - r.endUs) / 1e6);
    /** Judges a recovery by the board's first up event after it began; with none, once due, by asking the board. False: not judged yet. */
    const judge = async (r: Recovery, due: boolean): Promise<boolean> => {
      const up = r.board.events.slice(r.mark).find((e) => UP.includes(e.status));
      if (up) {
        const s = upAfterS(r, up);
        windowRejoins++;
        windowRejoinMaxS = Math.max(windowRejoinMaxS ?? 0, s);
        if (s > bounds!.backWithinS) windowNotBack.push(`${r.board.id} after ${r.kind}: up ${s.toFixed(1)} s after, bound ${bounds!.backWithinS} s`);
        return true;
      }
      if (!due) return false;
      // Not seen up through events: ask (a board that never went down has nothing to report).
      const st = await r.board.status().catch(() => undefined);
      if (st && UP.includes(st.status)) windowRejoins++;
      else windowNotBack.push(`${r.board.id} after ${r.kind} ending at ${((r.endUs - t0) / 1e6).toFixed(1)} s: ${st?.status ?? 'no answer'} when due at ${((r.dueUs - t0) / 1e6).toFixed(1)} s`);
      return true;
    };
    /**
     * A churned board is expected back by `dueUs`, and judged then: judged later, an up
     * event of a later churn of the same board (its next reset) would pass for this one's.
     */
    const expectBack = (r: Recovery) => {
      recoveries.push(r);
      busyUntil.set(r.board, r.dueUs);
      at(r.dueUs, async () => {
        const i = recoveries.indexOf(r);
        if (i < 0) return; // judged at a window's end already
        recoveries.splice(i, 1);
        await judge(r, true);
      });
    };

    const restart = async (x: Board, kind: Churn['kind'], t: number) => {
      const mark = x.mark();
      let connectT: number | undefined;
      try {
        // The board rebooted: its clock started again.
        await estimateOffset(x);
        await x.init(profile.stack);
        connectT = (await x.connect()).t;
        await openSocket(x);
      } catch (e) {
        log.warn({ board: x.id, err: (e as Error).message }, 'soak: restart after churn failed');
      }
      expectBack({ board: x, kind, endUs: t, dueUs: t + bounds!.backWithinS * 1e6, mark, ...(connectT !== undefined ? { connectT } : {}) });
    };
    const back = (x: Board, kind: Churn['kind'], t: number, mark: number) => {
      expectBack({ board: x, kind, endUs: t, dueUs: t + bounds!.backWithinS * 1e6, mark });
    };

    // The churn: a Poisson process per kind, each event on a board drawn at random (never the root).
    for (const c of profile.churn) {
      const rate = c.perHour / 3600e6;
      for (let t = t0 - Math.log(1 - rng()) / rate; t < endUs; t += -Math.log(1 - rng()) / rate) {
        const x = others[Math.floor(rng() * others.length)]!;
        const tt = Math.round(t);
        at(tt, async () => {
          if ((busyUntil.get(x) ?? 0) > tt) return; // still churned or recovering: skip this one
          windowChurns++;
          busyUntil.set(x, Infinity);
          log.info({ board: x.id, kind: c.kind }, 'soak: churn');
          switch (c.kind) {
            case 'reset':
              await x.reset();
              await restart(x, c.kind, await clock.now());
              break;
            case 'power-cycle':
              await x.powerOff();
              at(tt + c.offS * 1e6, async () => {
                await x.powerOn();
                await restart(x, c.kind, await clock.now());
              });
              break;
            case 'disconnect':
              await x.disconnect();
              at(tt + c.gapS * 1e6, async () => {
                const mark = x.mark();
                const r = await x.connect();
                const now = await clock.now();
                expectBack({ board: x, kind: c.kind, endUs: now, dueUs: now + bounds!.backWithinS * 1e6, mark, connectT: r.t });
              });
              break;
            case 'fade':
              for (const y of b.boards) if (y !== x) await b.controls.attenuate(x.id, y.id, c.db);
              at(tt + c.forS * 1e6, async () => {
                const mark = x.mark();
                for (const y of b.boards) if (y !== x) await b.controls.attenuate(x.id, y.id, 0);
                back(x, c.kind, await clock.now(), mark);
              });
              break;
            case 'partition':
              await b.controls.partition(x.id, true);
              at(tt + c.forS * 1e6, async () => {
                const mark = x.mark();
                await b.controls.partition(x.id, false);
                back(x, c.kind, await clock.now(), mark);
              });
              break;
            case 'channel': {
              const own = x.spec.stacks[profile.stack]?.config ?? {};
              const home = own[profile.stack === 'nd' ? '6lowpan-nd-channel' : 'thread-config-channel'];
              await x.configure(channelKeys(profile.stack, String(c.channel)));
              at(tt + c.forS * 1e6, async () => {
                const mark = x.mark();
                if (home) await x.configure(channelKeys(profile.stack, home));
                back(x, c.kind, await clock.now(), mark);
              });
              break;
            }
          }
        });
      }
    }

    // Traffic: each board but the root sends to the root every period, phases spread at random.
    const tr = profile.traffic;
    if (tr.unicastPeriodS) {
      const period = tr.unicastPeriodS * 1e6;
      for (const x of others) {
        const send = async (t: number) => {
          const socket = sockets.get(x);
          if (socket !== undefined && (busyUntil.get(x) ?? 0) <= t) {
            try {
              const r = await x.udpSend(socket, rootAddr, SOAK_PORT, { length: tr.unicastBytes });
              if (r.value >= 0) sent.push({ t: r.t, from: x.id, quiet: quietNow(t), offset: offsets.get(x) });
            } catch (e) {
              log.debug({ board: x.id, err: (e as Error).message }, 'soak: send refused');
            }
          }
          if (t + period < endUs) at(t + period, () => send(t + period));
        };
        const first = t0 + Math.round(rng() * period);
        at(first, () => send(first));
      }
    }
    if (tr.lightPeriodS) {
      const period = tr.lightPeriodS * 1e6;
      let turn = 0;
      const press = async (t: number) => {
        const x = all[turn++ % all.length]!;
        if ((busyUntil.get(x) ?? 0) <= t) {
          await x.lightPress().catch(() => undefined);
          lightPresses++;
        }
        if (t + period < endUs) at(t + period, () => press(t + period));
      };
      at(t0 + Math.round(rng() * period), () => press(t0));
    }

    // Windows.
    let windowIndex = 0;
    const windowUs = profile.windowS * 1e6;
    let judged = 0; // index into `sent` of the first datagram not yet judged
    /**
     * Datagrams the root got, by sender address and stamp: the bench time they arrived (µs),
     * when the root's offset was known, and the window that saw them arrive.
     */
    const seen = new Map<string, { arrived: { atUs: number; errorUs: number } | undefined; window: number }>();
    let rootIndex = rootMarkAtStart;
    const downText = (x: Board, st: BoardStatus | undefined) => `${x.id}: ${st?.status ?? 'no answer'}${st?.details.last_failure ? ` (${st.details.last_failure})` : ''}`;
    /** Boards found down with no churn on them whose second look falls after the soak's end: the last window waits for them. */
    const lastLook = new Map<Board, (now: BoardStatus | undefined) => string>();
    /** Boards with a second look to come: found down again before it, they are not looked at twice. */
    const looking = new Set<Board>();
    /**
     * A board with no churn on it was found down at a window's end. It may be rejoining
     * after another board's churn (its parent reset, partitioned or faded): stuck is a
     * board still down the rig's join bound (`joinWithinS`, the time a board is given to
     * join) after it was found down and after the network was last churned or recovering.
     * Judged in the window that second look falls in.
     */
    const checkStuck = (x: Board, downAtUs: number) => {
      if (looking.has(x)) return;
      looking.add(x);
      const boundUs = bounds!.backWithinS * 1e6;
      const what = (now: BoardStatus | undefined) =>
        `${downText(x, now)}: down at ${((downAtUs - t0) / 1e6).toFixed(1)} s and still ${bounds!.backWithinS} s later, with no board churned in between`;
      const lookAt = (t: number) => {
        if (t < endUs) at(t, () => look(t));
        else lastLook.set(x, what);
      };
      const quietFrom = () => Math.max(downAtUs, ...busyUntil.values());
      const look = async (t: number) => {
        const q = quietFrom();
        if ((busyUntil.get(x) ?? 0) <= t && q + boundUs > t) return lookAt(q === Infinity ? t + boundUs : q + boundUs);
        looking.delete(x);
        if ((busyUntil.get(x) ?? 0) > t) return; // churned since: its recovery judges it
        const again = await x.status().catch(() => undefined);
        if (!again || !UP.includes(again.status)) windowStuck.push(what(again));
      };
      const q = quietFrom();
      lookAt((q === Infinity ? downAtUs : q) + boundUs);
    };
    const endWindow = async (ws: number, we: number) => {
      // Datagrams the root received so far: a generated payload carries the sender's board
      // time at sending (firmware/generated-payload.ts), which is what udp.send answered with.
      const rootOffset = offsets.get(root);
      for (const e of root.appEvents.slice(rootIndex)) {
        if (e.kind !== 'udp' || e.head.length < 24) continue;
        const sentAt = Number.parseInt(e.head.slice(8, 24), 16);
        seen.set(`${e.src.toLowerCase()}|${sentAt}`, { arrived: rootOffset ? { atUs: e.t - rootOffset.offsetUs, errorUs: rootOffset.errorUs } : undefined, window: windowIndex });
      }
      rootIndex = root.appEvents.length;
      const cut = we - IN_FLIGHT_S * 1e6;
      let quietSent = 0;
      let quietGot = 0;
      let allSent = 0;
      let allGot = 0;
      const windowSent = [];
      while (judged < sent.length && sent[judged]!.t < cut) windowSent.push(sent[judged++]!);
      // Judged datagrams are done with: what is kept does not grow with the run.
      sent.splice(0, judged);
      judged = 0;
      const latencies: number[] = [];
      let latencyErrorMaxUs: number | null = null;
      for (const s of windowSent) {
        const key = (addresses.get(s.from) ?? []).map((a) => `${a}|${s.t}`).find((k) => seen.has(k));
        const ok = key !== undefined;
        const arrived = key === undefined ? undefined : seen.get(key)?.arrived;
        // Judged once: what stays in `seen` is only what is not judged yet, so it does not grow with the run.
        if (key !== undefined) seen.delete(key);
        if (arrived && s.offset) {
          latencies.push((arrived.atUs - (s.t - s.offset.offsetUs)) / 1000);
          latencyErrorMaxUs = Math.max(latencyErrorMaxUs ?? 0, arrived.errorUs + s.offset.errorUs);
        }
        allSent++;
        if (ok) allGot++;
        if (s.quiet) {
          quietSent++;
          if (ok) quietGot++;
        }
      }
      // What arrived before this window was sent before this window's cut, so it was judged by
      // now: left over, it is a datagram no send of ours matches (a duplicate, a stale address).
      for (const [k, v] of seen) if (v.window < windowIndex) seen.delete(k);
      const lat = latencies.sort((a, c) => a - c);
      // Recoveries already up (those not up yet are judged when due).
      for (const r of [...recoveries]) if (await judge(r, r.dueUs <= we)) recoveries.splice(recoveries.indexOf(r), 1);
      const notBack = windowNotBack;
      const rejoins = windowRejoins;
      const rejoinMaxS = windowRejoinMaxS;
      windowNotBack = [];
      windowRejoins = 0;
      windowRejoinMaxS = null;
      // Per board: state, tables, addresses.
      const tables: WindowRecord['tables'] = {};
      const tablesOver: string[] = [];
      const holders = new Map<string, string[]>();
      for (const x of all) {
        if ((busyUntil.get(x) ?? 0) > we) continue;
        const st = await x.status().catch(() => undefined);
        if (!st || !UP.includes(st.status)) {
          checkStuck(x, we);
          continue;
        }
        if (st.details.heap_used !== undefined) heapReported = true;
        const num = (k: string) => (st.details[k] === undefined ? undefined : Number(st.details[k]));
        const tb = { neighbours: num('neighbours'), children: num('children'), routes: num('routes') };
        tables[x.id] = Object.fromEntries(Object.entries(tb).filter(([, v]) => v !== undefined && Number.isFinite(v)));
        if ((tb.neighbours ?? 0) > bounds!.maxNeighbours) tablesOver.push(`${x.id}: ${tb.neighbours} neighbours > ${bounds!.maxNeighbours}`);
        if ((tb.children ?? 0) > bounds!.maxChildren) tablesOver.push(`${x.id}: ${tb.children} children > ${bounds!.maxChildren}`);
        if ((tb.routes ?? 0) > bounds!.maxRoutes) tablesOver.push(`${x.id}: ${tb.routes} routes > ${bounds!.maxRoutes}`);
        for (const a of await learnAddresses(x)) holders.set(a, [...(holders.get(a) ?? []), x.id]);
        // Fresh offsets for the next window (a lab board's crystal drifts tens of ppm).
        await estimateOffset(x);
      }
      // The last window: nothing is scheduled after it, so the soak waits for the boards still to be looked at.
      if (we >= endUs) {
        for (const [x, what] of lastLook) {
          looking.delete(x);
          const st = await x.status().catch(() => undefined);
          if (st && UP.includes(st.status)) continue;
          if (await x.waitForStatus(UP, { withinS: bounds!.backWithinS, fromIndex: x.mark() }).then(() => true, () => false)) continue;
          const again = await x.status().catch(() => undefined);
          if (!again || !UP.includes(again.status)) windowStuck.push(what(again));
        }
        lastLook.clear();
      }
      // Found stuck since the last window's end.
      const stuck = windowStuck;
      windowStuck = [];
      const duplicateAddresses = [...holders].filter(([, h]) => h.length > 1).map(([a, h]) => `${a} on ${h.join(', ')}`);
      let lightReceived = 0;
      for (const x of all) {
        lightReceived += x.appEvents.slice(lightMarks.get(x) ?? 0).filter((e) => e.kind === 'light').length;
        lightMarks.set(x, x.appEvents.length);
      }
      // Events read up to here are let go: what a board keeps does not grow with the run.
      for (const x of all) {
        const open = recoveries.filter((r) => r.board === x).map((r) => r.mark);
        x.forgetEvents({ events: Math.min(x.events.length, ...open), appEvents: Math.min(lightMarks.get(x) ?? 0, x === root ? rootIndex : Infinity) });
      }
      const simStats = b.sim ? await b.sim.control.call({ op: 'stats' }).catch(() => undefined) : undefined;
      const mem = process.memoryUsage();
      const w: WindowRecord = {
        window: windowIndex,
        startS: (ws - t0) / 1e6,
        endS: (we - t0) / 1e6,
        sent: allSent,
        delivered: allGot,
        delivery: quietSent ? quietGot / quietSent : null,
        deliveryAll: allSent ? allGot / allSent : null,
        latencyP50Ms: percentile(lat, 0.5),
        latencyP99Ms: percentile(lat, 0.99),
        latencyErrorMaxMs: latencyErrorMaxUs === null ? null : latencyErrorMaxUs / 1000,
        lightPresses,
        lightReceived,
        churns: windowChurns,
        rejoins,
        rejoinMaxS,
        notBack,
        stuck,
        duplicateAddresses,
        tables,
        tablesOver,
        ...(b.sim ? { capture: `windows/w${String(windowIndex).padStart(4, '0')}.pcap` } : {}),
        harness: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, openFds: openFds(), wallS: (performance.now() - started) / 1000 },
        ...(typeof simStats?.rssBytes === 'number' && typeof simStats.heapUsedBytes === 'number' ? { sim: { rssBytes: simStats.rssBytes, heapUsedBytes: simStats.heapUsedBytes, heapTotalBytes: Number(simStats.heapTotalBytes) } } : {}),
      };
      lightPresses = 0;
      windowChurns = 0;
      const where = `window ${windowIndex} (bench ${w.startS}-${w.endS} s${w.capture ? `, capture ${w.capture}` : ''})`;
      if (w.delivery !== null && w.delivery < bounds!.deliveryMin) failingWindows.get('delivery')!.push(`${where}: ${quietGot}/${quietSent} = ${w.delivery.toFixed(3)} < ${bounds!.deliveryMin}`);
      // Failing only beyond the clocks' error bound, as the light suite judges a delivery time.
      const latencyError = w.latencyErrorMaxMs ?? 0;
      if (w.latencyP99Ms !== null && w.latencyP99Ms - latencyError > bounds!.latencyP99MaxMs) failingWindows.get('latency')!.push(`${where}: p99 ${w.latencyP99Ms.toFixed(1)} ms (clock error ±${latencyError.toFixed(1)} ms) > ${bounds!.latencyP99MaxMs} ms`);
      if (notBack.length) failingWindows.get('back-after-churn')!.push(`${where}: ${notBack.join('; ')}`);
      if (stuck.length) failingWindows.get('no-stuck-board')!.push(`${where}: ${stuck.join('; ')}`);
      if (tablesOver.length) failingWindows.get('tables-bounded')!.push(`${where}: ${tablesOver.join('; ')}`);
      if (duplicateAddresses.length) failingWindows.get('no-duplicate-address')!.push(`${where}: ${duplicateAddresses.join('; ')}`);
      windows.push(w);
      appendFileSync(seriesPath, JSON.stringify(w) + '\n');
      for (const l of b.serialLogs.values()) l.flush();
      writeReport(false);
      opts.onWindow?.(w);
      windowIndex++;
    };

    const startCapture = async (i: number) => {
      if (b.sim) await b.sim.control.call({ op: 'captureStart', path: join(runDir, 'windows', `w${String(i).padStart(4, '0')}.pcap`) });
    };
    for (let ws = t0; ws < endUs && !interrupted; ws += windowUs) {
      const we = Math.min(endUs, ws + windowUs);
      await startCapture(windowIndex);
      while (actions.length > 0 && actions[0]!.t < we && !interrupted) {
        const a = actions.shift()!;
        if (a.t > (await clock.now())) await clock.sleepUntil(a.t);
        await a.run();
      }
      if (interrupted) break;
      if (we > (await clock.now())) await clock.sleepUntil(we);
      await endWindow(ws, we);
    }
    if (b.sim) await b.sim.control.call({ op: 'captureStop' }).catch(() => undefined);
  } catch (e) {
    if (!interrupted) {
      writeReport(true);
      throw e;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (bench && !interrupted) await tearDownBench(bench);
    writeReport(true);
  }
  const failed = [...failingWindows.values()].some((v) => v.length > 0);
  return { exitCode: interrupted ? 4 : failed ? 1 : 0, runDir, reportPath, seriesPath, windows, bringUpWallS };
}

function boundProps(name: CheckName, b: ReturnType<typeof soakBounds>): Property[] {
  switch (name) {
    case 'delivery':
      return [{ name: 'bound.delivery_min', value: String(b.deliveryMin) }];
    case 'latency':
      return [{ name: 'bound.latency_p99_ms', value: String(b.latencyP99MaxMs) }];
    case 'back-after-churn':
    case 'no-stuck-board':
      return [{ name: 'bound.back_within_s', value: String(b.backWithinS) }];
    case 'tables-bounded':
      return [
        { name: 'bound.neighbours', value: String(b.maxNeighbours) },
        { name: 'bound.children', value: String(b.maxChildren) },
        { name: 'bound.routes', value: String(b.maxRoutes) },
      ];
    default:
      return [];
  }
}

function channelKeys(stack: 'nd' | 'thread', ch: string): Record<string, string> {
  return stack === 'nd' ? { '6lowpan-nd-channel': ch, '6lowpan-nd-channel-mask': `(1<<${ch})` } : { 'thread-config-channel': ch };
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}
