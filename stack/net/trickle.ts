// The Trickle algorithm (RFC 6206 §4.2): it paces RPL's DIOs (RFC 6550 §8.3) and
// Thread's MLE Advertisements (thread.md §1, "Advertisements").
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';

export interface TrickleParams {
  /** Imin in microseconds. */
  imin: Micros;
  /** Imax = Imin · 2^doublings. */
  doublings: number;
  /** Redundancy constant k; 0 means "always transmit" (RFC 6550 §8.3.1: DIORedundancyConstant 0 disables suppression). */
  k: number;
  /**
   * Imax decided afresh at each doubling instead of Imin · 2^doublings: a Thread router's
   * follows its router neighbours (OpenThread MleRouter::DetermineAdvertiseIntervalMax).
   */
  imax?: () => Micros;
}

export class Trickle {
  private interval = 0;
  private counter = 0;
  private tTimer: Timer | undefined;
  private endTimer: Timer | undefined;
  /** Transmissions and suppressions, for tests and status. */
  sent = 0;
  suppressed = 0;

  constructor(
    private readonly timers: Timers,
    private readonly rng: Rng,
    private params: TrickleParams,
    private readonly transmit: () => void,
  ) {}

  get running(): boolean {
    return this.endTimer !== undefined;
  }

  /** Current interval I in microseconds. */
  get currentInterval(): Micros {
    return this.interval;
  }

  setParams(p: TrickleParams): void {
    this.params = p;
  }

  /** Step 1: I uniform in [Imin, Imax], then a new interval. */
  start(): void {
    this.stop();
    const max = this.imax();
    this.interval = this.params.imin + this.rng.next() * (max - this.params.imin);
    this.begin();
  }

  stop(): void {
    this.tTimer?.cancel();
    this.endTimer?.cancel();
    this.tTimer = undefined;
    this.endTimer = undefined;
  }

  /** Step 3: a consistent transmission heard. */
  hearConsistent(): void {
    this.counter++;
  }

  /** Step 6: an inconsistency (or an external event such as a multicast DIS) resets I to Imin unless it already is. */
  reset(): void {
    if (this.running && this.interval === this.params.imin) return;
    this.stop();
    this.interval = this.params.imin;
    this.begin();
  }

  private imax(): Micros {
    return this.params.imax?.() ?? this.params.imin * 2 ** this.params.doublings;
  }

  /** Step 2: c = 0, t uniform in [I/2, I). */
  private begin(): void {
    this.counter = 0;
    const now = this.timers.now();
    const t = this.interval / 2 + this.rng.next() * (this.interval / 2);
    this.tTimer = this.timers.at(now + t, () => {
      this.tTimer = undefined;
      // Step 4: transmit if c < k.
      if (this.params.k === 0 || this.counter < this.params.k) {
        this.sent++;
        this.transmit();
      } else this.suppressed++;
    });
    this.endTimer = this.timers.at(now + this.interval, () => {
      // Step 5: I doubles up to Imax.
      this.interval = Math.min(this.interval * 2, this.imax());
      this.begin();
    });
  }
}
