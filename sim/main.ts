// The simulated bench: one process hosting the radio medium and every virtual
// board of a rig, on one bench clock. Started by the harness's launcher with a
// spec file; prints {"ready":true} when every board's serial link and the
// control channel are up; exits when its stdin closes (its parent is gone).
import { readFileSync } from 'node:fs';
import { controlSocketPath, type ControlRequest, type SimSpec } from '../protocol/sim-control.ts';
import { SeededRng } from '../stack/runtime.ts';
import { hex } from '../stack/wire/bytes.ts';
import { Capture } from './capture/capture.ts';
import { freeRunningSerial, LockstepSerial, type SerialHooks } from './control-lockstep.ts';
import { ControlServer } from './control-server.ts';
import { Medium } from './medium/medium.ts';
import { Scheduler } from './medium/scheduler.ts';
import { VtDispatcher } from './openthread/dispatcher.ts';
import { seededUrandomAvailable } from './openthread/entropy.ts';
import { OtVirtualTimeBoard } from './openthread/ot-board.ts';
import { Pacer } from './pacer.ts';
import { VirtualBoard } from './virtual-board.ts';

/** What the rig controls act on, whatever runs on the board. */
interface SimBoard {
  powerOn(): void;
  powerOff(): void;
  reset(): void;
  /** Lockstep: the random streams of the boots to come (a case's epoch). */
  reseed?(power: SeededRng, reset: SeededRng): void;
}

/** Where a run starts looking for a free port block: spread by run directory, so parallel runs rarely probe the same blocks. */
function portSearchStart(runDir: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < runDir.length; i++) h = Math.imul(h ^ runDir.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A stable, locally administered EUI-64 per board id and seed (IEEE: U/L bit set). */
export function deriveEui64(boardId: string, seed: number): Uint8Array {
  let h1 = 0x811c9dc5 ^ seed;
  let h2 = 0x01000193 ^ (seed >>> 1);
  for (let i = 0; i < boardId.length; i++) {
    h1 = Math.imul(h1 ^ boardId.charCodeAt(i), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ boardId.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, h1);
  new DataView(out.buffer).setUint32(4, h2);
  out[0] = (out[0]! & 0xfc) | 0x02;
  return out;
}

/** A case's random seed: the run's seed and the case's key, hashed (FNV-1a, 32 bits). */
export function epochSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Lockstep with OpenThread nodes: resolves once no node holds the bench clock (each is
 * asleep in its select()) and what they wrote to stdout before they slept has been read.
 * A node writes its output before it sleeps, so the pipe was readable before the
 * dispatcher's barrier came back; the turn of the event loop that ran the barrier runs
 * the pipe's read too, and a setImmediate comes after that turn.
 */
function idleWatch(scheduler: Scheduler): () => Promise<void> {
  const waiters: Array<() => void> = [];
  scheduler.onRelease(() => waiters.splice(0).forEach((w) => w()));
  return async () => {
    for (;;) {
      if (scheduler.held) await new Promise<void>((resolve) => waiters.push(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!scheduler.held) return;
    }
  };
}

export async function startBench(spec: SimSpec): Promise<{ stop(): void }> {
  const scheduler = new Scheduler();
  const rng = new SeededRng(spec.seed);
  const medium = new Medium({
    scheduler,
    rng: rng.fork(),
    topology: spec.topology,
    sensitivityDbm: spec.radio.sensitivityDbm,
    ccaThresholdDbm: spec.radio.ccaThresholdDbm,
    ...(spec.radio.ccaMode ? { ccaMode: spec.radio.ccaMode } : {}),
    noiseFigureDb: spec.radio.noiseFigureDb,
  });
  const capture = new Capture(medium);
  // External input (serial bytes, control requests) lands at the bench time the wall clock says.
  const inBenchTime = (fn: () => void) => {
    pacer.catchUp();
    fn();
  };

  const note = (text: string) => process.stderr.write(`${text}\n`);
  const otSpecs = spec.boards.filter((b) => b.openthread);
  const dispatcher = otSpecs.length ? await VtDispatcher.open(otSpecs.length, portSearchStart(spec.runDir), note) : undefined;
  const otBoards: OtVirtualTimeBoard[] = [];
  const seeded = otSpecs.length ? seededUrandomAvailable() : { ok: true as const };
  if (!seeded.ok) note(`OpenThread nodes read the host's /dev/urandom: runs with them do not repeat from the seed (no namespace of their own here: ${seeded.why})`);
  const lockstep = spec.lockstep;
  /** Lockstep: where the current case's epoch began (see 'epoch'). */
  let epochUs = 0;
  if (lockstep && !(Number.isInteger(lockstep.quantumUs) && lockstep.quantumUs >= 1)) throw new RangeError(`lockstep.quantumUs must be a whole number of µs ≥ 1, got ${lockstep.quantumUs}`);
  const lockstepSerial = lockstep
    ? new LockstepSerial(
        spec.boards.map((b) => b.id),
        () => pacer.noteOutput(),
      )
    : undefined;
  const serial: SerialHooks = lockstepSerial ?? freeRunningSerial(inBenchTime);
  const whenIdle = lockstep && otSpecs.length ? idleWatch(scheduler) : undefined;

  const boards = new Map<string, SimBoard>();
  for (const b of spec.boards) {
    const radio = medium.attach(b.id, { txPowerDbm: b.txPowerDbm });
    if (b.openthread && dispatcher) {
      const ot = new OtVirtualTimeBoard({
        spec: b,
        program: b.openthread.program,
        nodeId: otBoards.length + 1,
        runDir: spec.runDir,
        radio,
        scheduler,
        rng: rng.fork(),
        dispatcher,
        seededUrandom: seeded.ok,
        inBenchTime,
        serial,
        ...(whenIdle ? { lockstep: { whenIdle } } : {}),
        note,
      });
      otBoards.push(ot);
      boards.set(b.id, ot);
      continue;
    }
    const eui64 = b.eui64 ? hex(b.eui64) : deriveEui64(b.id, spec.seed);
    boards.set(b.id, new VirtualBoard(b, eui64, spec.runDir, radio, scheduler, rng.fork(), inBenchTime, serial, lockstepSerial !== undefined));
  }
  // Forked after the boards', so adding it left every board's random stream as it was.
  const inputRng = rng.fork();
  // The control server needs the pacer and the pacer reports lag to the control server.
  const lagListeners: Array<(lagUs: number, nowUs: number) => void> = [];
  const pacer = new Pacer(scheduler, {
    speed: spec.speed,
    maxSleepMs: 2,
    random: () => inputRng.next(),
    onLag: (r) => lagListeners.forEach((l) => l(r.lagUs, r.benchUs)),
  });
  scheduler.onRelease(() => pacer.kick());
  const board = (id: string) => {
    const vb = boards.get(id);
    if (!vb) throw new Error(`no board '${id}'`);
    return vb;
  };

  const handle = (req: ControlRequest): Record<string, unknown> | Promise<Record<string, unknown>> => {
      pacer.catchUp();
      switch (req.op) {
        case 'hello':
          return { seed: spec.seed, speed: spec.speed, boards: [...boards.keys()], ...(lockstep ? { lockstep } : {}) };
        case 'advance':
        case 'sleepUntil': {
          if (!lockstep) throw new Error(`'${req.op}' needs a lockstep bench`);
          const until = req.op === 'advance' ? req.until : req.t;
          if (typeof until !== 'number' || !Number.isFinite(until)) throw new Error(`${req.op} needs a finite bench time (µs)`);
          return pacer.advance(until, { wake: req.op === 'advance' && req.wake === true, quantumUs: lockstep.quantumUs, originUs: epochUs }).then(() => ({}));
        }
        case 'halt':
          // The server ended the advance when the request came; here it only takes its turn.
          if (!lockstep) throw new Error(`'halt' needs a lockstep bench`);
          return {};
        case 'epoch': {
          if (!lockstep) throw new Error(`'epoch' needs a lockstep bench`);
          if (typeof req.key !== 'string') throw new Error('epoch needs a key');
          epochUs = scheduler.now();
          const streams = new SeededRng(epochSeed(spec.seed, req.key));
          medium.reseed(streams.fork());
          for (const vb of boards.values()) vb.reseed?.(streams.fork(), streams.fork());
          return {};
        }
        case 'attach':
          if (!lockstepSerial) throw new Error(`'attach' needs a lockstep bench`);
          board(req.board);
          lockstepSerial.attach(req.board);
          return { attached: req.board };
        case 'clock':
          return {};
        case 'reset':
          board(req.board).reset();
          return {};
        case 'power': {
          const vb = board(req.board);
          if (req.on) vb.powerOn();
          else vb.powerOff();
          control.broadcast({ event: 'board', board: req.board, state: req.on ? 'on' : 'off' });
          return {};
        }
        case 'attenuate':
          board(req.a);
          board(req.b);
          medium.setExtraAttenuation(req.a, req.b, req.db);
          return {};
        case 'partition':
          board(req.board);
          medium.setPartitioned(req.board, req.cut);
          return {};
        case 'jam':
          medium.jam(req.channel, req.dbm);
          return {};
        case 'captureStart':
          capture.start(req.path, { originUs: epochUs });
          return {};
        case 'captureStop': {
          const frames = capture.frames;
          capture.stop();
          return { frames };
        }
        case 'stats': {
          const s = pacer.stats();
          // The sim's own memory, so a soak can show that this process stays flat too.
          const mem = process.memoryUsage();
          return { speed: s.speed, lagUs: s.lagUs, maxLagUs: s.maxLagUs, events: s.events, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, externalBytes: mem.external };
        }
        default:
          throw new Error(`unknown op '${(req as { op: string }).op}'`);
      }
  };
  const control = new ControlServer(controlSocketPath(spec.runDir), {
    now: () => {
      pacer.catchUp();
      return scheduler.now();
    },
    ...(lockstepSerial
      ? {
          halt: () => pacer.halt(),
          // A sync point before every request: the bytes the harness wrote reach their boards first.
          // With OpenThread nodes, every node is asleep (and what it printed counted) before
          // the bytes go in, and again before the answer counts what the boards wrote.
          handle: async (req: ControlRequest) => {
            if (whenIdle) await whenIdle();
            await lockstepSerial.sync(req.in);
            const body = await handle(req);
            if (whenIdle) await whenIdle();
            const out = lockstepSerial.takeOut();
            return out ? { ...body, out } : body;
          },
        }
      : {
          whenBenchTime: (t: number, fn: () => void) => {
            pacer.catchUp();
            scheduler.at(Math.max(t, scheduler.now()), fn);
          },
          handle,
        }),
  });
  lagListeners.push((lagUs, nowUs) => control.broadcast({ event: 'lag', lagUs, nowUs }));
  for (const vb of boards.values()) vb.powerOn();
  await control.listen();
  // Lockstep: bench time moves only when the harness asks (advance).
  if (!lockstep) pacer.start();
  return {
    stop() {
      pacer.stop();
      capture.stop();
      control.close();
      for (const vb of boards.values()) vb.powerOff();
      dispatcher?.close();
    },
  };
}

async function main(): Promise<void> {
  const specFile = process.argv[2];
  if (!specFile) {
    process.stderr.write('usage: sim/main.ts <spec.json>\n');
    process.exit(2);
  }
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SimSpec;
  const bench = await startBench(spec);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    bench.stop();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  process.stdout.write(JSON.stringify({ ready: true, boards: spec.boards.map((b) => b.id) }) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`simulated bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  });
}
