// A tiny bench for MAC tests: an event queue that is the Timers, and a fake air
// that the radios share. Frames take (6 + PSDU) × 32 µs; overlapping frames on a
// channel destroy each other; a per-link drop rule makes a lossy link; a jammed
// channel makes every CCA busy. Every radio call is recorded with its bench time.
import type { Radio, RxInfo } from '../../../stack/phy.ts';
import type { Micros, Timer, Timers } from '../../../stack/runtime.ts';

export class EventQueue implements Timers {
  private t = 0;
  private seq = 0;
  private events: Array<{ at: Micros; seq: number; fn: () => void; dead: boolean }> = [];
  now(): Micros {
    return this.t;
  }
  at(at: Micros, fn: () => void): Timer {
    const ev = { at: Math.max(at, this.t), seq: this.seq++, fn, dead: false };
    this.events.push(ev);
    return { cancel: () => (ev.dead = true) };
  }
  /** Runs every event due up to `until` (inclusive), in (time, scheduling order). */
  runUntil(until: Micros): void {
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.events.length; i++) {
        const e = this.events[i]!;
        const b = this.events[best];
        if (!b || e.at < b.at || (e.at === b.at && e.seq < b.seq)) best = i;
      }
      const ev = this.events[best];
      if (!ev || ev.at > until) break;
      this.events.splice(best, 1);
      this.t = ev.at;
      if (!ev.dead) ev.fn();
    }
    this.t = Math.max(this.t, until);
  }
  runFor(us: Micros): void {
    this.runUntil(this.t + us);
  }
}

export const CCA_US = 128;
export const airtimeUs = (psduLength: number): Micros => (6 + psduLength) * 32;

export type RadioCall =
  | { op: 'cca'; t: Micros; clear?: boolean }
  | { op: 'tx'; t: Micros; end: Micros; psdu: Uint8Array };

interface OnAir {
  from: FakeRadio;
  channel: number;
  start: Micros;
  end: Micros;
  psdu: Uint8Array;
}

export class FakeAir {
  readonly radios: FakeRadio[] = [];
  readonly onAir: OnAir[] = [];
  /** Channels whose every CCA is busy, and which no frame survives. */
  readonly jammed = new Set<number>();
  /** Return true to lose this frame on the link from → to. */
  drop: (from: FakeRadio, to: FakeRadio, psdu: Uint8Array) => boolean = () => false;

  constructor(readonly queue: EventQueue) {}

  radio(name: string, channel = 11): FakeRadio {
    const r = new FakeRadio(this, name, channel);
    this.radios.push(r);
    return r;
  }

  busy(channel: number, start: Micros, end: Micros, except?: OnAir): boolean {
    if (this.jammed.has(channel)) return true;
    return this.onAir.some((a) => a !== except && a.channel === channel && a.start < end && a.end > start);
  }

  send(a: OnAir, done: () => void): void {
    this.onAir.push(a);
    this.queue.at(a.end, () => {
      a.from.transmitting = undefined;
      done();
      for (const r of this.radios) {
        if (r === a.from || !r.rxOn || r.channel !== a.channel || !r.handler) continue;
        // Deaf while sending: any own frame overlapping this one.
        if (this.onAir.some((o) => o.from === r && o.start < a.end && o.end > a.start)) continue;
        if (this.busy(a.channel, a.start, a.end, a)) continue;
        if (this.drop(a.from, r, a.psdu)) continue;
        const info: RxInfo = { rssiDbm: r.rssiFrom(a.from), sinrDb: 20, lqi: 200, channel: a.channel, startUs: a.start, endUs: a.end };
        r.handler(a.psdu.slice(), info);
      }
    });
  }
}

export class FakeRadio implements Radio {
  readonly calls: RadioCall[] = [];
  handler: ((psdu: Uint8Array, info: RxInfo) => void) | undefined;
  rxOn = true;
  transmitting: OnAir | undefined;
  rssi = new Map<string, number>();

  constructor(
    private readonly air: FakeAir,
    readonly name: string,
    public channel: number,
  ) {}

  rssiFrom(other: FakeRadio): number {
    return this.rssi.get(other.name) ?? -60;
  }
  getChannel(): number {
    return this.channel;
  }
  setChannel(channel: number): void {
    this.channel = channel;
  }
  cca(done: (clear: boolean) => void): void {
    const start = this.air.queue.now();
    const call: RadioCall = { op: 'cca', t: start };
    this.calls.push(call);
    const channel = this.channel;
    this.air.queue.at(start + CCA_US, () => {
      call.clear = !this.air.busy(channel, start, start + CCA_US);
      done(call.clear);
    });
  }
  transmit(psdu: Uint8Array, done: () => void): void {
    if (this.transmitting) throw new Error(`${this.name}: transmit while transmitting`);
    const start = this.air.queue.now();
    const a: OnAir = { from: this, channel: this.channel, start, end: start + airtimeUs(psdu.length), psdu: psdu.slice() };
    this.transmitting = a;
    this.calls.push({ op: 'tx', t: start, end: a.end, psdu: a.psdu });
    this.air.send(a, done);
  }
  onReceive(handler: (psdu: Uint8Array, info: RxInfo) => void): void {
    this.handler = handler;
  }
  setRxOn(on: boolean): void {
    this.rxOn = on;
  }

  get txCalls(): Array<RadioCall & { op: 'tx' }> {
    return this.calls.filter((c): c is RadioCall & { op: 'tx' } => c.op === 'tx');
  }
  get ccaCalls(): Array<RadioCall & { op: 'cca' }> {
    return this.calls.filter((c): c is RadioCall & { op: 'cca' } => c.op === 'cca');
  }
}
