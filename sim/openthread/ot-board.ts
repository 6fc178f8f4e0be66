// An OpenThread virtual-time node (ot-cli-ftd built with
// OT_SIMULATION_VIRTUAL_TIME) as a board of the simulated bench: its CLI on
// the board's PTY, its clock driven by the bench clock, its radio a port on
// our medium.
//
// Lockstep: the node has no clock of its own. Whenever the node has been sent
// something (an event, or CLI input) it holds the bench clock until it is
// asleep again, so what it sends back (frames, its next alarm) lands at the
// bench time it was sent at and no other event runs in between. Only one
// node is ever awake, which keeps a run's order of events the scheduler's.
//
// Radio (OpenThread examples/platforms/simulation/radio.c, virtual time): a
// frame the node sends is one radio event; a frame that asks for an ACK is
// done when the ACK reaches the node (its MAC times out and retries
// otherwise); any other frame is done when the node hears its own frame back
// ("echo"). The node's MAC runs its own CSMA backoff, but its simulated radio
// senses nothing, so the channel check is ours: CCA (128 µs) as the medium
// models it for every radio, aTurnaroundTime, then the frame goes on the air;
// a busy channel continues the unslotted CSMA-CA a radio with hardware CSMA
// would (IEEE 802.15.4-2006 §7.5.1.4: NB + 1, BE + 1, random backoff, at most
// macMaxCSMABackoffs). The node cannot be told of a channel access failure in
// this protocol: a frame that asked for an ACK then gets none (the node's MAC
// retries as after any lost ACK), any other is echoed as sent. OpenThread's
// MAC keeps no interframe spacing of its own (its backoff, CCA and turnaround
// usually cover it); the radio keeps two of the node's frames at least an IFS
// apart, after the ACK when there is one (§7.5.1.3), as a radio driver that
// knows IFS does.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { devLink, type SimBoardSpec } from '../../protocol/sim-control.ts';
import { DEFAULT_PIB, ifsUs, SYMBOL_US, TURNAROUND_US, UNIT_BACKOFF_US } from '../../stack/mac/constants.ts';
import type { Rng, Timer } from '../../stack/runtime.ts';
import type { MediumRadio } from '../medium/medium.ts';
import type { Scheduler } from '../medium/scheduler.ts';
import type { SerialHooks } from '../control-lockstep.ts';
import { BoardPty } from '../pty.ts';
import type { VtDispatcher } from './dispatcher.ts';
import { withSeededUrandom, writeSeededEntropy } from './entropy.ts';
import { isWaitingForInput } from './quiescence.ts';
import { radioEventData, VtEventType, type VtEvent } from './vt-event.ts';

const FRAME_TYPE_ACK = 2;
/** CCA detection time, 8 symbols (IEEE 802.15.4-2006 §6.9.9). */
const CCA_US = 8 * SYMBOL_US;
/** Wall time a node gets to fall asleep again before the bench says so. */
const STUCK_WALL_MS = 10_000;

export interface OtBoardOptions {
  spec: SimBoardSpec;
  program: string;
  nodeId: number;
  runDir: string;
  radio: MediumRadio;
  scheduler: Scheduler;
  rng: Rng;
  dispatcher: VtDispatcher;
  /** Runs `fn` inside the bench's event loop at the current bench time. */
  inBenchTime: (fn: () => void) => void;
  /** Something the run log should show (a node that died, a protocol error). */
  note: (text: string) => void;
  /** Each boot's /dev/urandom is a file drawn from the bench's seed (entropy.ts); false where the host cannot. */
  seededUrandom: boolean;
  /** When the harness's bytes reach the node, and whether its output goes out (control-lockstep.ts). */
  serial: SerialHooks;
  /**
   * Lockstep: the bench clock stands still between the harness's requests, so input is
   * handled at once, at the bench time it is delivered, and `whenIdle` (every node asleep,
   * what they printed read) tells the sync point the node has answered.
   */
  lockstep?: { whenIdle: () => Promise<void> };
}

export class OtVirtualTimeBoard {
  private pty: BoardPty | undefined;
  private proc: ChildProcess | undefined;
  /** The process last stopped, until it has exited. */
  private dying: ChildProcess | undefined;
  private generation = 0;
  /** The node's clock on the bench's: bench time of the last event it was sent. */
  private nodeTimeUs = 0;
  private alarm: Timer | undefined;
  /** Set while the node is awake: releases the bench clock. */
  private releaseClock: (() => void) | undefined;
  private checking = false;
  private readonly whenAsleep: Array<() => void> = [];
  private uartInbox: Uint8Array[] = [];
  private uartQueued = false;
  private stderr: WriteStream | undefined;
  private awakeSinceMs = 0;
  /** Input was written to the node's stdin and it has not asked to sleep since. */
  private inputUnread = false;
  /** No frame of the node's may go on air before this (the IFS after its last one). */
  private ifsUntil = 0;
  /** The node's frame that waits for its ACK: its length sets the IFS after the ACK. */
  private awaitingAck: { seq: number; length: number } | undefined;
  powered = false;
  boots = 0;
  /** Where each boot's entropy comes from, and the channel access's backoffs (reseed()). */
  private bootRng: Rng;
  private macRng: Rng;

  constructor(private readonly o: OtBoardOptions) {
    this.bootRng = o.rng;
    this.macRng = o.rng;
    o.dispatcher.attach(o.nodeId, { received: (ev) => this.received(ev) });
    o.radio.onReceive((psdu, info) => o.scheduler.at(o.scheduler.now(), () => this.deliver(info.channel, psdu)));
  }

  get id(): string {
    return this.o.spec.id;
  }

  /**
   * New random streams from here on (a case's epoch on a lockstep bench): the node's next
   * boot draws its entropy from the first, our channel access for it from the second. The
   * node's own stream goes on until it boots again (the drivers' factoryreset does that).
   */
  reseed(boots: Rng, mac: Rng): void {
    this.bootRng = boots;
    this.macRng = mac;
  }

  get serialPath(): string {
    return devLink(this.o.runDir, this.o.spec.id);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    const id = this.o.spec.id;
    this.pty = new BoardPty(this.serialPath, (bytes) => this.o.serial.input(id, bytes, (b) => this.uartIn(b)), this.o.lockstep !== undefined);
    this.o.serial.opened(id);
    this.o.radio.setPowered(true);
    this.start();
  }

  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    this.stop();
    this.o.radio.setPowered(false);
    this.pty?.close();
    this.pty = undefined;
    this.o.serial.closed(this.o.spec.id);
  }

  /** Reset pin: the node process starts again (its settings file stays, as a board's flash does); the serial port stays. */
  reset(): void {
    if (!this.powered) return;
    this.stop();
    this.o.radio.setPowered(false);
    this.o.radio.setPowered(true);
    this.start();
  }

  /** Ends the process for good (the bench is stopping). */
  close(): void {
    this.powerOff();
    this.stderr?.end();
  }

  /**
   * Starts the node once the last process is gone (its UDP port is free then) and
   * every datagram that process sent is handled and dropped; the clock waits.
   */
  private start(): void {
    const release = this.o.scheduler.hold();
    const go = () =>
      this.o.dispatcher.barrier(() => {
        if (this.powered && !this.proc) this.spawnNode();
        release();
      });
    const old = this.dying;
    if (old && old.exitCode === null && old.signalCode === null) old.once('exit', go);
    else go();
  }

  private spawnNode(): void {
    const dir = join(this.o.runDir, 'openthread', this.o.spec.id);
    mkdirSync(dir, { recursive: true });
    this.stderr ??= createWriteStream(join(dir, 'stderr.log'), { flags: 'a' });
    const gen = ++this.generation;
    let run = { command: this.o.program, args: [String(this.o.nodeId)] };
    if (this.o.seededUrandom) {
      const urandom = join(dir, 'urandom');
      writeSeededEntropy(urandom, this.bootRng);
      run = withSeededUrandom(urandom, run.command, run.args);
    }
    const proc = spawn(run.command, run.args, {
      cwd: dir,
      env: { ...process.env, ...this.o.dispatcher.env() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.boots++;
    this.nodeTimeUs = this.o.scheduler.now();
    // Booting counts as awake: its first sleep request says when it is ready.
    this.wake();
    proc.stdout!.on('data', (d: Buffer) => {
      if (gen !== this.generation) return;
      const text = d.toString('latin1');
      if (this.o.serial.output(this.o.spec.id, text)) this.pty?.write(text);
    });
    proc.stderr!.on('data', (d: Buffer) => this.stderr?.write(d));
    proc.stdin!.on('error', () => undefined);
    proc.on('error', (e) => {
      this.o.note(`${this.id}: cannot start ${this.o.program}: ${e.message}`);
      if (gen === this.generation) this.died();
    });
    proc.on('exit', (code, signal) => {
      if (gen !== this.generation) return;
      this.o.note(`${this.id}: OpenThread node ended (${signal ?? `exit code ${code}`})`);
      this.died();
    });
  }

  private stop(): void {
    this.generation++;
    this.dying = this.proc;
    this.proc?.kill('SIGKILL');
    this.proc = undefined;
    this.died();
  }

  /** No process behind the board any more: nothing of it may hold the clock. */
  private died(): void {
    this.proc = undefined;
    this.alarm?.cancel();
    this.alarm = undefined;
    this.whenAsleep.length = 0;
    this.uartInbox = [];
    this.checking = false;
    this.inputUnread = false;
    this.sleep();
  }

  private wake(): void {
    this.releaseClock ??= this.o.scheduler.hold();
    this.awakeSinceMs = performance.now();
  }

  private sleep(): void {
    const release = this.releaseClock;
    this.releaseClock = undefined;
    release?.();
  }

  /** Sends the node an event at the current bench time (the node is asleep: every bench event runs while all are). */
  private send(type: number, data: Uint8Array = new Uint8Array(0)): void {
    if (!this.proc) return;
    const now = this.o.scheduler.now();
    const delay = now - this.nodeTimeUs;
    this.nodeTimeUs = now;
    this.wake();
    this.o.dispatcher.send(this.o.nodeId, { delayUs: BigInt(delay), type, data });
  }

  private received(ev: VtEvent): void {
    if (!this.proc) return;
    switch (ev.type) {
      case VtEventType.alarm: {
        this.inputUnread = false;
        this.alarm?.cancel();
        const at = this.nodeTimeUs + Number(ev.delayUs);
        this.alarm = this.o.scheduler.at(at, () => {
          this.alarm = undefined;
          this.send(VtEventType.alarm);
        });
        if (this.releaseClock) this.checkAsleep();
        return;
      }
      case VtEventType.radio:
        this.transmit(ev.data);
        return;
      default:
        return;
    }
  }

  /**
   * Once the node waits in its select() (so it has handled what it was sent) and
   * every datagram it sent before is handled, it is asleep: the clock runs on.
   */
  private checkAsleep(): void {
    if (this.checking) return;
    this.checking = true;
    const gen = this.generation;
    let tries = 0;
    const check = () => {
      if (gen !== this.generation || !this.proc?.pid) return;
      if (!this.inputUnread && isWaitingForInput(this.proc.pid)) {
        this.o.dispatcher.barrier(() => {
          if (gen !== this.generation) return;
          this.checking = false;
          this.asleep();
        });
        return;
      }
      tries++;
      if (performance.now() - this.awakeSinceMs > STUCK_WALL_MS && tries % 1000 === 0) this.o.note(`${this.id}: OpenThread node busy for ${Math.round(performance.now() - this.awakeSinceMs)} ms of wall time`);
      if (tries < 64) setImmediate(check);
      else setTimeout(check, 1);
    };
    check();
  }

  private asleep(): void {
    const next = this.whenAsleep.shift();
    if (next) {
      // Hand the hold on to the next step: the clock stays where it is.
      const release = this.releaseClock;
      this.releaseClock = undefined;
      next();
      release?.();
      return;
    }
    this.sleep();
  }

  // --- UART: the harness's bytes reach the node at the bench time they arrive ---

  private uartIn(bytes: Uint8Array): void | Promise<void> {
    if (!this.proc) return;
    if (this.o.lockstep) {
      // A sync point: bench time stands still and every node is asleep (the sim waited for it).
      this.writeAtNow(Buffer.from(bytes));
      return this.o.lockstep.whenIdle();
    }
    this.uartInbox.push(bytes);
    if (this.uartQueued) return;
    this.uartQueued = true;
    this.o.scheduler.at(this.o.scheduler.now(), () => {
      this.uartQueued = false;
      const input = Buffer.concat(this.uartInbox);
      this.uartInbox = [];
      if (!this.proc || input.length === 0) return;
      this.writeAtNow(input);
    });
  }

  /** The CLI handles input at the node's own time: bring it to now first. */
  private writeAtNow(input: Buffer): void {
    if (this.nodeTimeUs < this.o.scheduler.now()) {
      this.whenAsleep.push(() => this.writeStdin(input));
      this.send(VtEventType.alarm);
    } else this.writeStdin(input);
  }

  private writeStdin(input: Buffer): void {
    const proc = this.proc;
    if (!proc) return;
    this.wake();
    // Written is not read: the node may still sit in the select() it was in before. It reads
    // its input, handles it and asks to sleep again before it waits; only then can it be asleep.
    this.inputUnread = true;
    proc.stdin!.write(input);
  }

  // --- radio ---

  private deliver(channel: number, psdu: Uint8Array): void {
    const ack = this.awaitingAck;
    if (ack && psdu.length >= 3 && (psdu[0]! & 0x07) === FRAME_TYPE_ACK && psdu[2] === ack.seq) {
      this.awaitingAck = undefined;
      this.ifsUntil = this.o.scheduler.now() + ifsUs(ack.length);
    }
    this.send(VtEventType.radio, radioEventData(channel, psdu));
  }

  private transmit(data: Uint8Array): void {
    if (data.length < 2) return;
    const channel = data[0]!;
    const psdu = data.slice(1);
    const radio = this.o.radio;
    if (!radio.isPowered()) return;
    if (channel !== radio.getChannel() && !radio.isTransmitting()) {
      try {
        radio.setChannel(channel);
      } catch {
        return;
      }
    }
    const sched = this.o.scheduler;
    const frameType = psdu[0]! & 0x07;
    if (frameType === FRAME_TYPE_ACK) {
      // An ACK goes out aTurnaroundTime after the frame it answers, without CCA (§7.5.6.4.2).
      sched.at(sched.now() + TURNAROUND_US, () => {
        if (radio.isPowered() && !radio.isTransmitting()) radio.transmit(psdu, () => undefined);
      });
      return;
    }
    const ackRequest = (psdu[0]! & 0x20) !== 0;
    const gen = this.generation;
    const echo = () => sched.at(sched.now(), () => gen === this.generation && this.deliver(channel, psdu));
    this.awaitingAck = undefined;
    const attempt = (nb: number, be: number) => {
      // The frame goes on air CCA and turnaround after the CCA starts: not before the IFS has passed.
      const ccaFrom = this.ifsUntil - CCA_US - TURNAROUND_US;
      if (ccaFrom > sched.now()) {
        sched.at(ccaFrom, () => gen === this.generation && attempt(nb, be));
        return;
      }
      radio.cca((clear) => {
        if (gen !== this.generation) return;
        if (!clear || radio.isTransmitting()) return busy(nb, be);
        sched.at(sched.now() + TURNAROUND_US, () => {
          if (gen !== this.generation || !radio.isPowered()) return;
          if (radio.isTransmitting()) return busy(nb, be);
          if (ackRequest && psdu.length >= 3) this.awaitingAck = { seq: psdu[2]!, length: psdu.length };
          radio.transmit(psdu, () => {
            if (ackRequest) return;
            this.ifsUntil = sched.now() + ifsUs(psdu.length);
            echo();
          });
        });
      });
    };
    const busy = (nb: number, be: number) => {
      if (nb + 1 > DEFAULT_PIB.macMaxCSMABackoffs) {
        if (!ackRequest) echo();
        return;
      }
      const nextBe = Math.min(be + 1, DEFAULT_PIB.macMaxBE);
      sched.at(sched.now() + this.macRng.int(2 ** nextBe) * UNIT_BACKOFF_US, () => gen === this.generation && attempt(nb + 1, nextBe));
    };
    attempt(0, DEFAULT_PIB.macMinBE);
  }
}
