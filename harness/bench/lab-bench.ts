// Bringing a lab rig up for a run and down again: find the boards, lock each
// (a second run waits or fails at once, naming the holder), open each (a
// serial port, or a host process on a pseudo-terminal), speak to it with the
// driver of its firmware kind, make sure it answers with the version the rig
// names, and map the rig's controls. Teardown always closes the boards (ending
// host processes) and releases the locks, also when bring-up fails half-way.
import { basename } from 'node:path';
import { Board, type BoardSpec } from '../board/board.ts';
import { boardLogger, SerialLog } from '../log/logger.ts';
import { LabControls, type LabBoardHandle } from '../lab/controls.ts';
import { discover, discoveryFromEnv, matchBoards, type BoardMatch, type DiscoveryOptions } from '../lab/discovery.ts';
import { BoardUnhealthyError, LabBoardDriver } from '../lab/lab-driver.ts';
import { defaultLockDir, lockBoards, type BoardLock } from '../lab/lock.ts';
import { flash } from '../lab/flash.ts';
import { describeMatch, lockKey, openBoard, processSpecOf, releasePortOffset, type OpenContext } from '../lab/open.ts';
import { LabSniffer } from '../host/lab-sniffer.ts';
import { versionMatches } from '../lab/probe.ts';
import { redactOtSecrets, TappedTransport } from '../lab/serial-tap.ts';
import type { LoadedRig } from '../rig/load.ts';
import type { LabBoard, LabRig } from '../rig/lab.ts';
import { BenchUpError, boardConfigs, type Bench, type BringUpOptions } from './bench.ts';
import { WallClock } from './clock.ts';
import type { ControlName, RigControls } from './controls.ts';
import { codeOf, ErrorCode } from '../errors.ts';

export interface LabBringUpOptions {
  /** Wall seconds to wait for a board another run holds; 0 (default) fails at once. */
  waitLockS?: number;
  /** Overrides the rig's lockDir. */
  lockDir?: string;
  /** Where to look for USB serial devices (tests point it at a fake tree). */
  discovery?: DiscoveryOptions;
  /** Environment for the rig's tools (tests put the fakes first on PATH). */
  toolEnv?: Record<string, string>;
  /** Images to flash before the run, under its locks (`run --flash`); each board then must answer with the rig's version. */
  flash?: FlashRequest[];
}

/** A `--flash` request the rig cannot serve: the user's input, refused before any board is touched. */
export class FlashPlanError extends Error {}

/** `run --flash IMAGE` (every board with a flasher) or `--flash TARGET=IMAGE` (a board id, or a role). */
export interface FlashRequest {
  target?: string;
  image: string;
}

/** The image each board gets: by its id first, then by one of its roles, then the image for all. */
export function flashPlan(rig: LabRig, requests: readonly FlashRequest[]): Map<string, string> {
  const plan = new Map<string, string>();
  for (const r of requests) {
    if (r.target !== undefined && !rig.boards.some((b) => b.id === r.target || (b.roles as string[]).includes(r.target!))) {
      throw new FlashPlanError(`--flash ${r.target}=${r.image}: rig '${rig.name}' has no board or role '${r.target}'`);
    }
  }
  for (const b of rig.boards) {
    const image = requests.find((r) => r.target === b.id)?.image ?? requests.find((r) => r.target !== undefined && (b.roles as string[]).includes(r.target))?.image ?? requests.find((r) => r.target === undefined)?.image;
    if (image === undefined) continue;
    const named = requests.some((r) => r.target !== undefined && r.image === image);
    if (b.flasher.kind === 'none') {
      if (named) throw new FlashPlanError(`--flash: board ${b.id} has no flasher in rig '${rig.name}'`);
      continue;
    }
    plan.set(b.id, image);
  }
  if (requests.length && plan.size === 0) throw new FlashPlanError(`--flash: no board of rig '${rig.name}' has a flasher`);
  return plan;
}

/**
 * The rig controls suites see on a lab rig: LabControls, plus what a Board
 * needs around them (a CLI board reset in place reports its boot; an
 * unhealthy board refuses at once; a board powered off on purpose is not
 * "recovered").
 */
class LabRigControls implements RigControls {
  constructor(
    private readonly lab: LabControls,
    private readonly drivers: Map<string, LabBoardDriver>,
  ) {}
  private refuseUnhealthy(id: string): void {
    const h = this.lab.healthOf(id);
    if (!h.healthy) throw new BoardUnhealthyError(h.reason ?? `${id} is unhealthy`);
  }
  supports(control: ControlName): boolean {
    return this.lab.supports(control);
  }
  async reset(id: string): Promise<void> {
    this.refuseUnhealthy(id);
    const before = this.lab.link(id);
    const d = this.drivers.get(id);
    await this.lab.reset(id);
    if (!d) return;
    d.poweredOff = false;
    // A new link (power-cycled, process started again) boots on its own; one reset in place must be asked.
    const booted = this.lab.link(id) === before ? d.resetInPlace() : d.ready;
    try {
      await booted;
    } catch {
      // It did not come back: the board's health decides (reset, power cycle, or unhealthy for good).
      const h = await this.lab.ensureAnswering(id);
      if (!h.healthy) throw new BoardUnhealthyError(h.reason ?? `${id} is unhealthy`);
    }
  }
  async power(id: string, on: boolean): Promise<void> {
    this.refuseUnhealthy(id);
    const d = this.drivers.get(id);
    if (d) d.poweredOff = !on;
    await this.lab.power(id, on);
  }
  attenuate(): Promise<void> {
    return this.lab.attenuate();
  }
  partition(): Promise<void> {
    return this.lab.partition();
  }
  jam(): Promise<void> {
    return this.lab.jam();
  }
}

export async function bringUpLab(loaded: LoadedRig<LabRig>, opts: BringUpOptions & LabBringUpOptions): Promise<Bench> {
  const rig = loaded.rig;
  const configs = boardConfigs(loaded);
  // A rig of host-process boards may run faster than real time; --speed overrides it (and {speed}).
  const allProcess = rig.boards.every((b) => b.port.kind === 'process');
  const speed = opts.speed === undefined || opts.speed === 'max' || !allProcess ? rig.speed : opts.speed;
  const clock = new WallClock(speed);
  const answerMs = rig.answerTimeoutS * 1000;
  const locks: BoardLock[] = [];
  const drivers = new Map<string, LabBoardDriver>();
  const handles = new Map<string, LabBoardHandle>();
  const release = async () => {
    await Promise.allSettled([...drivers.values()].map((d) => d.close()));
    // Boards that were opened but never got a driver (bring-up failed in between).
    await Promise.allSettled([...handles.entries()].filter(([id]) => !drivers.has(id)).map(([, h]) => h.link.transport.close()));
    for (const l of locks) l.release();
    locks.length = 0;
    // Its boards' processes have ended: another run may take the `{portOffset}`.
    releasePortOffset(opts.runDir);
  };
  const bench: Bench = {
    rigName: rig.name,
    rigFile: loaded.file,
    seed: opts.seed,
    runDir: opts.runDir,
    bounds: rig.bounds,
    boards: [],
    serialLogs: new Map(),
    clock,
    controls: undefined as unknown as RigControls,
    release,
  };
  for (const w of loaded.warnings) opts.log.warn({ rig: loaded.file }, w);
  if (opts.speed !== undefined && opts.speed !== speed) opts.log.warn({ speed: opts.speed, rigSpeed: rig.speed }, `--speed ${opts.speed} is ignored: this lab rig runs at ${speed} (only a rig of host-process boards takes another speed, and never 'max')`);
  try {
    // 1. Which device is which board (host-process boards need no discovery).
    let matches: BoardMatch[];
    const discovery = opts.discovery ?? discoveryFromEnv();
    if (rig.boards.some((b) => b.port.kind !== 'process')) {
      const found = await discover(discovery);
      matches = matchBoards(rig.boards, found.devices).boards;
    } else matches = matchBoards(rig.boards, []).boards;
    const absent = matches.filter((m) => m.state === 'missing' || m.state === 'duplicate');
    if (absent.length) throw new BenchUpError(`${absent.map(describeMatch).join('; ')}; run \`meshbench boards --rig ${loaded.file}\` to see what is attached`);

    // 2. Locks, all before any port is touched.
    const runId = basename(opts.runDir);
    const ctx: OpenContext = { rigDir: loaded.dir, runDir: opts.runDir, speed, discovery };
    try {
      locks.push(
        ...(await lockBoards(
          rig.boards.map((b) => ({ id: b.id, key: lockKey(b, ctx, matches.find((m) => m.board === b)) })),
          { dir: opts.lockDir ?? rig.lockDir ?? defaultLockDir(), runId, waitS: opts.waitLockS ?? 0 },
        )),
      );
    } catch (e) {
      if (codeOf(e) === ErrorCode.BOARD_LOCKED) throw new BenchUpError((e as Error).message);
      throw e;
    }

    // 3. Open every board, its bytes copied into its serial log.
    for (const m of matches) {
      const b = m.board;
      const redact = b.firmware === 'openthread-cli' ? (t: string) => redactOtSecrets(opts.redact(t)) : opts.redact;
      const serialLog = new SerialLog(`${opts.runDir}/serial`, b.id, redact);
      bench.serialLogs.set(b.id, serialLog);
      try {
        handles.set(b.id, await openBoard(m, { ...ctx, wrap: (t) => new TappedTransport(t, serialLog) }));
      } catch (e) {
        throw new BenchUpError(`board ${b.id}: ${(e as Error).message}`);
      }
    }
    // 3b. `run --flash`: each image onto its boards now, under this run's locks and with the ports open
    // (no other job can flash or take the board in between); step 4 then checks the version each reports.
    const plan = flashPlan(rig, opts.flash ?? []);
    for (const [id, image] of plan) {
      const h = handles.get(id)!;
      try {
        const r = await flash({ board: h.board, image, port: h.port, serial: h.serial, env: opts.toolEnv });
        opts.log.info({ board: id, image, tool: r.tool }, 'flashed');
      } catch (e) {
        throw new BenchUpError(`board ${id}: ${(e as Error).message}`);
      }
    }
    const lab = new LabControls(handles, { rigName: rig.name, answerMs, env: opts.toolEnv });
    bench.controls = new LabRigControls(lab, drivers);
    bench.unhealthy = () =>
      rig.boards.flatMap((b) => {
        const h = lab.healthOf(b.id);
        return h.healthy ? [] : [{ board: b.id, reason: h.reason ?? 'unhealthy' }];
      });

    // 4. Each board answers (reset, then power cycle, if it does not), with the version the rig names.
    for (const b of rig.boards) {
      const h = handles.get(b.id)!;
      const log = boardLogger(opts.log, { id: b.id, port: h.port });
      const health = await lab.ensureAnswering(b.id);
      if (!health.healthy) throw new BenchUpError(`board ${b.id} on ${h.port} does not answer: ${health.reason ?? ''}`);
      if (health.steps.length) log.warn({ steps: health.steps }, 'board answered only after recovery');
      const driver = new LabBoardDriver(b.id, lab, {
        clock: () => clock.nowUs(),
        speed,
        answerMs,
        note: (text) => log.warn(text),
        routePeers: () => [...drivers.values()].flatMap((d) => (d.routeView ? [d.routeView] : [])),
      });
      drivers.set(b.id, driver);
      const spec: BoardSpec = { id: b.id, firmware: b.firmware, stacks: configs.get(b.id) ?? {} };
      const board = new Board(
        spec,
        driver,
        clock,
        bench.controls,
        log,
        () => {
          // The controls reopened the port (power on); the driver followed, the Board registers again.
          driver.forgetListeners();
          return Promise.resolve(driver);
        },
        // A reset board boots as a flashed one does: twice the rig's answer time (a process
        // board such as `meshbench board` starts a runtime and sets up its radio first).
        Math.max(10_000, 2 * answerMs),
      );
      bench.boards.push(board);
      let id;
      try {
        id = await board.identify();
      } catch (e) {
        throw new BenchUpError(`board ${b.id} on ${h.port} did not identify itself: ${(e as Error).message}`);
      }
      if (!versionMatches(id, b.version)) {
        const flashed = plan.get(b.id);
        throw new BenchUpError(
          flashed !== undefined
            ? `board ${b.id} was flashed with ${flashed} but runs ${id.firmware} version '${id.version}', the rig expects '${b.version}'`
            : `board ${b.id} runs ${id.firmware} version '${id.version}', the rig expects '${b.version}'; reflash it (meshbench flash --rig ${loaded.file} --board ${b.id} IMAGE, or run --flash ${b.id}=IMAGE)`,
        );
      }
      log.info({ firmware: id.firmware, version: id.version }, 'board identified');
    }
    // 5. A sniffer RCP, if the rig names one: each case then gets a capture (docs/rcp.md).
    if (rig.sniffer) {
      const spec = processSpecOf({ id: 'sniffer', port: { kind: 'process', command: rig.sniffer.radio, cwd: rig.sniffer.cwd, env: rig.sniffer.env } } as LabBoard, ctx);
      const sniffer = new LabSniffer(spec.command, rig.sniffer.channel, { cwd: spec.cwd, env: spec.env });
      const previous = bench.release;
      bench.release = async () => {
        await sniffer.stop();
        await previous?.();
      };
      try {
        await sniffer.start();
      } catch (e) {
        throw new BenchUpError(`sniffer: ${(e as Error).message}`);
      }
      bench.sniffer = sniffer;
      opts.log.info({ radio: rig.sniffer.radio, channel: rig.sniffer.channel }, 'sniffer up');
    }
  } catch (e) {
    await (bench.release ?? release)();
    throw e;
  }
  return bench;
}
