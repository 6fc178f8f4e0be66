// Bringing a sim rig up for a run and down again: the simulated bench, every
// board's serial port, agent session and identity (lab rigs: lab-bench.ts;
// bring-up.ts picks). What both kinds share lives here: the Bench, board
// configs, secrets and teardown.
import { boardRandom } from '../seeded-random.ts';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../board/agent-client.ts';
import { AgentDriver } from '../board/agent-driver.ts';
import { Board, type BoardSpec, type StackPart } from '../board/board.ts';
import type { BoardDriver } from '../board/driver.ts';
import { OpenThreadCliDriver, OtCli } from '../board/drivers/openthread-cli.ts';
import { benchOtClock, type StampingClock } from '../board/drivers/ot-clock.ts';
import { hopsFrom, otRouteView } from '../board/drivers/ot-hops.ts';
import type { MeshRouteView } from '../board/hop-trace.ts';
import { SerialTransport, type Transport } from '../board/transport.ts';
import { redactOtSecrets, TappedTransport } from '../lab/serial-tap.ts';
import { boardLogger, SerialLog, type Logger } from '../log/logger.ts';
import { SECRET_KEYS, type Redactor } from '../report/sanitize.ts';
import type { LoadedRig } from '../rig/load.ts';
import type { SimRig } from '../rig/schema.ts';
import { loadNetworkConfig } from '../rig/network-config.ts';
import type { Bounds, Role, StackKind } from '../rig/schema.ts';
import { launchSim, type RunningSim } from '../sim/launcher.ts';
import { simSpecOf } from '../sim/spec.ts';
import { LockstepClock } from '../sim/lockstep.ts';
import { SimClock, type BenchClock } from './clock.ts';
import { SimControls, type ControlName, type RigControls } from './controls.ts';
import { ErrorCode } from '../errors.ts';

export class BenchUpError extends Error {
  readonly code = ErrorCode.BENCH_UP;
}

export interface Bench {
  rigName: string;
  rigFile: string;
  seed: number;
  runDir: string;
  clock: BenchClock;
  controls: RigControls;
  bounds: Bounds;
  boards: Board[];
  serialLogs: Map<string, SerialLog>;
  sim?: RunningSim;
  /** A lab rig's sniffer RCP: a case's frames go to a capture file of its own. */
  sniffer?: { startCase(path: string): void; stopCase(): void | Promise<void> };
  /** What else teardown must do: a lab rig ends its host processes and releases its locks. */
  release?: () => Promise<void>;
  /** The boards found unhealthy so far, with the reason (a lab rig's health; the report records them). */
  unhealthy?: () => Array<{ board: string; reason: string }>;
}

export interface BringUpOptions {
  runDir: string;
  seed: number;
  log: Logger;
  redact: Redactor;
  /** Overrides the rig's speed factor. */
  speed?: number | 'max';
}


/** Per board and network kind: the network file's keys, the role's keys, then the board's own. */
export function boardConfigs(loaded: LoadedRig): Map<string, Partial<Record<StackKind, StackPart>>> {
  const { rig, dir } = loaded;
  const networks: Partial<Record<StackKind, Record<string, string>>> = {};
  for (const kind of ['nd', 'thread'] as const) {
    const file = rig.networks[kind];
    if (file) networks[kind] = loadNetworkConfig(dir, file);
  }
  const out = new Map<string, Partial<Record<StackKind, StackPart>>>();
  const own = (config: Record<string, string | number | boolean>) => Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
  if (rig.kind === 'lab') {
    // A lab board runs one stack; its first role is the one its keys stand for.
    for (const b of rig.boards) {
      const role = b.roles[0]!;
      out.set(b.id, { [b.stack]: { roles: b.roles, config: { ...networks[b.stack], ...roleKeys(b.stack, role), ...own(b.config) } } });
    }
    return out;
  }
  for (const b of rig.boards) {
    const stacks: Partial<Record<StackKind, StackPart>> = {};
    for (const kind of ['nd', 'thread'] as const) {
      const entry = b[kind];
      if (!entry) continue;
      stacks[kind] = { roles: [entry.role], config: { ...networks[kind], ...roleKeys(kind, entry.role), ...own(entry.config) } };
    }
    out.set(b.id, stacks);
  }
  return out;
}

/** The agent keys a rig role stands for (an Mbed app sets these by its build configuration). */
function roleKeys(kind: StackKind, role: Role): Record<string, string> {
  if (kind === 'nd') return role === 'border-router' ? { role: 'border-router' } : role === 'host' ? { '6lowpan-nd-device-type': 'NET_6LOWPAN_HOST' } : {};
  if (role === 'end-device') return { 'thread-device-type': 'MESH_DEVICE_TYPE_THREAD_MINIMAL_END_DEVICE' };
  return {};
}

export function secretsOf(configs: Map<string, Partial<Record<StackKind, StackPart>>>): string[] {
  const s: string[] = [];
  for (const stacks of configs.values()) {
    for (const part of Object.values(stacks)) for (const k of SECRET_KEYS) if (part.config[k]) s.push(part.config[k]);
  }
  return s;
}

/**
 * Logs a line a board sent outside the agent protocol (boot noise, garbage, a stack's own
 * prints) to the run log, redacted like the serial log: a board may print its network
 * key or PSKd.
 */
export function nonProtocolLineLogger(log: Logger, redact: Redactor): (text: string, why: string) => void {
  return (text, why) => {
    if (why !== 'text') log.warn({ why, line: redact(text) }, 'non-protocol line from board');
  };
}

async function waitForPort(path: string, wallMs: number): Promise<void> {
  // The sim (re)creates the link when a board powers on; a lab port may be re-enumerating.
  const until = Date.now() + wallMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new BenchUpError(`serial port ${path} did not appear within ${wallMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What an OpenThread CLI board of a sim rig needs besides its port. */
interface OtContext {
  /** The bench clock: the driver stamps, polls and waits on it. */
  clock: StampingClock;
  /** Lockstep: the board's port is counted in step with bench time. */
  gate?: (board: string, t: Transport) => Transport;
  seed: number;
  /** The rig's Thread boards that tell their routes, OpenThread's and ours: an OpenThread receiver traces hops through them (hop-trace.ts). */
  peers: Map<string, MeshRouteView>;
}

/** An OpenThread CLI board on the sim's PTY: the same driver, log tap and redaction as on a lab rig. */
async function openOtDriver(id: string, path: string, serialLog: SerialLog, ot: OtContext, wallMs = 10_000): Promise<OpenThreadCliDriver> {
  await waitForPort(path, wallMs);
  const tapped = new TappedTransport(new SerialTransport(path), serialLog);
  const transport = ot.gate ? ot.gate(id, tapped) : tapped;
  await transport.open();
  const time = benchOtClock(ot.clock);
  const cli = new OtCli(transport, time);
  ot.peers.set(id, otRouteView(cli));
  // Its radio is the simulated bench's 802.15.4 medium, with airtime, whatever platform the build names.
  return new OpenThreadCliDriver(cli, { time, air: 'ieee802154', random: boardRandom(ot.seed, id), hops: (src) => hopsFrom(src, cli, [...ot.peers.values()]) });
}

async function openDriver(path: string, serialLog: SerialLog, log: Logger, redact: Redactor, gate?: (t: SerialTransport) => Transport, wallMs = 10_000): Promise<AgentDriver> {
  await waitForPort(path, wallMs);
  const serial = new SerialTransport(path);
  const transport = gate ? gate(serial) : serial;
  await transport.open();
  const client = new AgentClient(transport);
  client.listen({
    raw: (bytes, dir) => serialLog.bytes(bytes, dir),
    log: nonProtocolLineLogger(log, redact),
    closed: (why) => log.info({ why }, 'serial port closed'),
  });
  return new AgentDriver(client);
}

export async function bringUpSim(loaded: LoadedRig<SimRig>, opts: BringUpOptions): Promise<Bench> {
  const rig = loaded.rig;
  const configs = boardConfigs(loaded);
  const bench: Bench = {
    rigName: rig.name,
    rigFile: loaded.file,
    seed: opts.seed,
    runDir: opts.runDir,
    bounds: rig.bounds,
    boards: [],
    serialLogs: new Map(),
    clock: undefined as unknown as BenchClock,
    controls: undefined as unknown as RigControls,
  };
  for (const b of rig.boards) {
    if (!b.program) continue;
    const program = simSpecOf({ ...rig, boards: [b] }, { runDir: opts.runDir, seed: opts.seed, speed: 1, rigDir: loaded.dir }).boards[0]!.openthread!.program;
    try {
      accessSync(program, constants.X_OK);
    } catch {
      throw new BenchUpError(`board ${b.id}: program ${program} is not an executable file (firmware 'openthread-vt' runs OpenThread's ot-cli-ftd built with -DOT_SIMULATION_VIRTUAL_TIME=ON)`);
    }
  }
  const spec = simSpecOf(rig, { runDir: opts.runDir, seed: opts.seed, speed: opts.speed ?? rig.speed, rigDir: loaded.dir });
  try {
    bench.sim = await launchSim(spec);
  } catch (e) {
    throw new BenchUpError(`simulated bench: ${(e as Error).message}`);
  }
  const speed = spec.speed === 'max' ? Infinity : spec.speed;
  // Lockstep (harness/sim/spec.ts), OpenThread nodes included.
  const lockstep = spec.lockstep ? new LockstepClock(bench.sim.control, speed, (msg) => opts.log.warn(msg)) : undefined;
  const clock = new SimClock(bench.sim.control, speed);
  bench.clock = lockstep ?? clock;
  const otDrivers = new Map<string, OpenThreadCliDriver>();
  const ot: OtContext = {
    clock: lockstep ?? clock,
    // An OpenThread node answers from its own process, once the sim has let it handle the bytes.
    ...(lockstep ? { gate: (board: string, t: Transport) => lockstep.gate(board, t, { answersAfterSync: true }) } : {}),
    seed: opts.seed,
    peers: new Map(),
  };
  if (!lockstep && rig.boards.some((b) => b.firmware === 'openthread-vt')) clock.track();
  bench.controls = new SimRigControls(new SimControls(bench.sim.control), otDrivers);
  for (const b of rig.boards) {
    const path = bench.sim.serialPath(b.id);
    const log = boardLogger(opts.log, { id: b.id, port: path });
    const isOt = b.firmware === 'openthread-vt';
    const redact = isOt ? (t: string) => redactOtSecrets(opts.redact(t)) : opts.redact;
    const serialLog = new SerialLog(join(opts.runDir, 'serial'), b.id, redact);
    bench.serialLogs.set(b.id, serialLog);
    // The harness sees an OpenThread CLI board, as on a lab rig.
    const boardSpec: BoardSpec = { id: b.id, firmware: isOt ? 'openthread-cli' : b.firmware, stacks: configs.get(b.id) ?? {} };
    const open = async (): Promise<BoardDriver> => {
      if (!isOt) {
        const d = await openDriver(path, serialLog, log, opts.redact, lockstep && ((t) => lockstep.gate(b.id, t)));
        // Our Thread routers forward OpenThread boards' datagrams too: their next hops count (mesh.nexthop).
        if (b.thread) ot.peers.set(b.id, d);
        return d;
      }
      const d = await openOtDriver(b.id, path, serialLog, ot);
      otDrivers.set(b.id, d);
      return d;
    };
    const driver = await open().catch((e: Error) => {
      throw new BenchUpError(`board ${b.id}: ${e.message}`);
    });
    const board = new Board(boardSpec, driver, bench.clock, bench.controls, log, open);
    bench.boards.push(board);
    try {
      const id = await board.identify();
      log.info({ firmware: id.firmware, version: id.version }, 'board identified');
    } catch (e) {
      throw new BenchUpError(`board ${b.id} on ${path} did not identify itself: ${(e as Error).message}`);
    }
  }
  return bench;
}

/**
 * The sim's controls, plus what an OpenThread CLI board needs after a reset in
 * place: the CLI prints no banner, so its driver resynchronises and reports the
 * boot (as LabRigControls does on a lab rig).
 */
class SimRigControls implements RigControls {
  constructor(
    private readonly sim: SimControls,
    private readonly otDrivers: Map<string, OpenThreadCliDriver>,
  ) {}
  supports(_control: ControlName): boolean {
    return this.sim.supports();
  }
  async reset(board: string): Promise<void> {
    await this.sim.reset(board);
    await this.otDrivers.get(board)?.rebooted();
  }
  power(board: string, on: boolean): Promise<void> {
    return this.sim.power(board, on);
  }
  attenuate(a: string, b: string, db: number): Promise<void> {
    return this.sim.attenuate(a, b, db);
  }
  partition(board: string, cut: boolean): Promise<void> {
    return this.sim.partition(board, cut);
  }
  jam(channel: number, dbm: number | null): Promise<void> {
    return this.sim.jam(channel, dbm);
  }
}

export async function tearDownBench(bench: Bench): Promise<void> {
  if (bench.clock instanceof SimClock) bench.clock.untrack();
  await Promise.allSettled(bench.boards.map((b) => b.close()));
  await bench.sim?.stop();
  await bench.release?.();
  for (const log of bench.serialLogs.values()) log.close();
}
