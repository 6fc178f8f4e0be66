// Multicast Protocol for Low-Power and Lossy Networks (MPL, RFC 7731) as Thread runs it
// (OpenThread src/core/net/ip6_mpl.cpp): every MPL Data Message carries (seed, sequence)
// in its MPL option; a node remembers the pairs it has seen and drops a copy it has seen
// before; a forwarder buffers each new message and transmits it a fixed number of times,
// each at a random point of its own 64 ms interval (Trickle with the consistency check
// switched off, as OpenThread does).
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import { MS, after } from '../runtime.ts';
import { ipv6, formatIpv6Address, type Ipv6Address } from '../wire/ipv6-address.ts';

/** ff03::fc, realm-local all MPL forwarders (RFC 7731 §4.1; thread.md §5 "Multicast"). */
export const ALL_MPL_FORWARDERS: Ipv6Address = ipv6('ff03::fc');
/** Interval of each MPL transmission (OpenThread ip6_mpl.hpp kDataMessageInterval = 64 ms). */
export const MPL_DATA_MESSAGE_INTERVAL: Micros = 64 * MS;
/** Transmissions of a buffered message by a router (OpenThread mle_constants.hpp kMplRouterDataMessageTimerExpirations = 2). */
export const MPL_ROUTER_TRANSMISSIONS = 2;
/** Children buffer nothing (kMplChildDataMessageTimerExpirations = 0): their parent forwards for them. */
export const MPL_CHILD_TRANSMISSIONS = 0;
/** Seeds remembered, and sequences per seed (RFC 7731 §5.3 keeps a Seed Set; its size is a local choice). */
const SEEDS_MAX = 32;
const SEQUENCES_PER_SEED = 16;

/** The Seed Set: which (seed, sequence) pairs have been seen. */
export class MplSeedSet {
  private readonly seeds = new Map<string, number[]>();

  /** Records (seed, sequence); true if it had been seen already. */
  seen(seed: Ipv6Address, sequence: number): boolean {
    const key = formatIpv6Address(seed);
    const list = this.seeds.get(key) ?? [];
    if (list.includes(sequence)) return true;
    list.push(sequence);
    if (list.length > SEQUENCES_PER_SEED) list.shift();
    this.seeds.delete(key); // most recently used last
    this.seeds.set(key, list);
    if (this.seeds.size > SEEDS_MAX) this.seeds.delete(this.seeds.keys().next().value!);
    return false;
  }

  clear(): void {
    this.seeds.clear();
  }
}

/**
 * The Buffered Message Set: transmits each message `count` times, the n-th at a random
 * point of the n-th interval after it was buffered (ip6_mpl.cpp GenerateNextTransmissionTime).
 */
export class MplRetransmitter {
  private readonly pending = new Set<Timer>();

  constructor(
    private readonly timers: Timers,
    private readonly rng: Rng,
  ) {}

  schedule(count: number, transmit: () => void): void {
    let intervalStart = this.timers.now();
    for (let n = 0; n < count; n++) {
      const at = intervalStart + Math.floor(this.rng.next() * MPL_DATA_MESSAGE_INTERVAL);
      const t: Timer = after(this.timers, at - this.timers.now(), () => {
        this.pending.delete(t);
        transmit();
      });
      this.pending.add(t);
      intervalStart += MPL_DATA_MESSAGE_INTERVAL;
    }
  }

  /** Drops every buffered message (detach, disconnect). */
  clear(): void {
    for (const t of this.pending) t.cancel();
    this.pending.clear();
  }
}
