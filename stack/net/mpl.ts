// Multicast Protocol for Low-Power and Lossy Networks (MPL, RFC 7731), for both stacks:
// every MPL Data Message carries (seed, sequence) in its MPL option; a node remembers the
// pairs it has seen and drops a copy it has seen before (the Seed Set); a forwarder
// buffers each new message and transmits it a number of times, each at a random point of
// its own interval, unless it heard enough copies from neighbours in that interval
// (Trickle with Imin = Imax, RFC 7731 §5.4). Thread runs it as OpenThread does
// (src/core/net/ip6_mpl.cpp: 64 ms intervals, the consistency check switched off);
// 6LoWPAN-ND with RFC 7731's suppression (k = 1).
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import { MS } from '../runtime.ts';
import { ipv6, formatIpv6Address, type Ipv6Address } from '../wire/ipv6-address.ts';

/** ff03::fc, realm-local all MPL forwarders (RFC 7731 §4.1; thread.md §5 "Multicast"). */
export const ALL_MPL_FORWARDERS: Ipv6Address = ipv6('ff03::fc');
/** Interval of each MPL transmission (OpenThread ip6_mpl.hpp kDataMessageInterval = 64 ms). */
export const MPL_DATA_MESSAGE_INTERVAL: Micros = 64 * MS;
/** Transmissions of a buffered message by a router (OpenThread mle_constants.hpp kMplRouterDataMessageTimerExpirations = 2). */
export const MPL_ROUTER_TRANSMISSIONS = 2;
/** Children buffer nothing (kMplChildDataMessageTimerExpirations = 0): their parent forwards for them. */
export const MPL_CHILD_TRANSMISSIONS = 0;
/** How many seeds a Seed Set remembers, and sequences per seed (RFC 7731 §5.3; its size is a local choice). */
export interface MplSeedSetSize {
  seeds: number;
  sequencesPerSeed: number;
}

/** The Seed Set: which (seed, sequence) pairs have been seen. */
export class MplSeedSet {
  private readonly seeds = new Map<string, number[]>();

  constructor(private readonly size: MplSeedSetSize = { seeds: 32, sequencesPerSeed: 16 }) {}

  /** Records (seed, sequence); true if it had been seen already. */
  seen(seed: Ipv6Address, sequence: number): boolean {
    const key = formatIpv6Address(seed);
    const list = this.seeds.get(key) ?? [];
    if (list.includes(sequence)) return true;
    list.push(sequence);
    if (list.length > this.size.sequencesPerSeed) list.shift();
    this.seeds.delete(key); // most recently used last
    this.seeds.set(key, list);
    if (this.seeds.size > this.size.seeds) this.seeds.delete(this.seeds.keys().next().value!);
    return false;
  }

  clear(): void {
    this.seeds.clear();
  }
}

/** When a buffered message's transmissions fall (RFC 7731 §5.4 with Imin = Imax). */
export interface MplTiming {
  interval: Micros;
  /**
   * Where in its interval a transmission may fall: [0, I) (OpenThread's
   * GenerateNextTransmissionTime) or Trickle's [I/2, I) (RFC 6206 §4.2).
   */
  window: 'whole' | 'secondHalf';
  /** Copies heard in an interval that cancel our transmission in it (Trickle's k); undefined: never cancelled. */
  redundancy?: number;
  /**
   * Every transmission's time is drawn when the message is buffered (the Thread stack's
   * model), instead of when its interval starts (Trickle).
   */
  drawAhead: boolean;
}

/** Thread's timing: OpenThread ip6_mpl.cpp, no suppression. */
export const OPENTHREAD_MPL_TIMING: MplTiming = { interval: MPL_DATA_MESSAGE_INTERVAL, window: 'whole', drawAhead: true };

/**
 * The Buffered Message Set: transmits each message `count` times, the n-th at a random
 * point of the n-th interval after it was buffered, unless `timing.redundancy` copies of
 * it were heard in that interval.
 */
export class MplBufferedMessages {
  private readonly pending = new Set<Timer>();
  /** Copies heard in the current interval, per buffered (seed, sequence). */
  private readonly heardIn = new Map<string, number>();

  constructor(
    private readonly timers: Timers,
    private readonly rng: Rng,
    private readonly timing: MplTiming,
  ) {}

  buffer(seed: Ipv6Address, sequence: number, count: number, transmit: () => void): void {
    if (this.timing.drawAhead) {
      let intervalStart = this.timers.now();
      for (let n = 0; n < count; n++) {
        this.at(intervalStart + this.offset(), transmit);
        intervalStart += this.timing.interval;
      }
      return;
    }
    this.interval(mplKey(seed, sequence), count, transmit);
  }

  /** A copy of (seed, sequence) heard from a neighbour. */
  heard(seed: Ipv6Address, sequence: number): void {
    const key = mplKey(seed, sequence);
    const n = this.heardIn.get(key);
    if (n !== undefined) this.heardIn.set(key, n + 1);
  }

  /** Drops every buffered message (detach, disconnect). */
  clear(): void {
    for (const t of this.pending) t.cancel();
    this.pending.clear();
    this.heardIn.clear();
  }

  /** One Trickle interval of a message with `left` transmissions to go: its time drawn now. */
  private interval(key: string, left: number, transmit: () => void): void {
    if (left <= 0) {
      this.heardIn.delete(key);
      return;
    }
    this.heardIn.set(key, 0);
    const start = this.timers.now();
    const limit = this.timing.redundancy;
    this.at(start + this.offset(), () => {
      if (limit === undefined || (this.heardIn.get(key) ?? 0) < limit) transmit();
    });
    this.at(start + this.timing.interval, () => this.interval(key, left - 1, transmit));
  }

  private offset(): Micros {
    const { interval, window } = this.timing;
    return window === 'whole' ? Math.floor(this.rng.next() * interval) : interval / 2 + Math.floor(this.rng.next() * (interval / 2));
  }

  private at(t: Micros, fn: () => void): void {
    const timer: Timer = this.timers.at(t, () => {
      this.pending.delete(timer);
      fn();
    });
    this.pending.add(timer);
  }
}

function mplKey(seed: Ipv6Address, sequence: number): string {
  return `${formatIpv6Address(seed)}/${sequence}`;
}
