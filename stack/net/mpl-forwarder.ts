// 6LoWPAN-ND's MPL forwarder (RFC 7731) as Nanostack runs the ff03::fc domain
// (source/MPL/mpl.c, source/Service_Libs/Trickle/trickle.c):
// - the Seed Set keeps, per seed, a MinSequence and the messages it buffers; a message
//   below MinSequence or already buffered is a duplicate (and a buffered one's copy
//   counts towards its Trickle's k);
// - a forwarder buffers each new message and sends it only at its Trickle times, never on
//   reception (ipv6.c leaves MPL messages to MPL); the seed sends its own at once and then
//   buffers it too; a node that will not forward moves MinSequence past the message;
// - data Trickle: the domain's (`MplDomainParameters`, per role); once it stopped, the
//   message stays buffered a while for control messages to ask for it again;
// - control messages (ICMPv6 159 to ff02::fc) on a per-domain Trickle tell neighbours what
//   we hold; a neighbour missing a message we hold restarts its data Trickle, one holding a
//   message we lack restarts our control Trickle, so the gaps k suppression leaves get filled.
// All timing counts Nanostack's 50 ms MPL ticks, on a tick grid of this node's own phase.
import type { Micros, Rng, Timer, Timers } from '../runtime.ts';
import { MS, SECOND } from '../runtime.ts';
import { ipv6, ipv6Equal, type Ipv6Address } from '../wire/ipv6-address.ts';
import type { Ipv6Packet } from '../wire/ipv6.ts';
import type { MplSeedInfo } from '../wire/mpl-control.ts';

/** ff02::fc: control messages go to the link-local form of the domain ff03::fc (mpl.c mpl_send_control). */
export const ALL_MPL_FORWARDERS_LINK_LOCAL: Ipv6Address = ipv6('ff02::fc');

/** Nanostack's MPL tick (source/MPL/mpl.h MPL_TICK_MS = 50). */
export const MPL_TICK: Micros = 50 * MS;

/** A Trickle's parameters in ticks (trickle.h trickle_params_t); k = 0 never suppresses. */
export interface TickTrickleParams {
  imin: number;
  imax: number;
  k: number;
  expirations: number;
}

/** An MPL domain's timing (mpl.c struct mpl_domain: data_trickle_params, control_trickle_params, seed_set_entry_lifetime). */
export interface MplDomainParameters {
  data: TickTrickleParams;
  control: TickTrickleParams;
  /** A seed is forgotten this long after its last new message (seconds in Nanostack). */
  seedSetEntryLifetimeS: number;
}

/** MPL_MS_TO_TICKS (mpl.h): milliseconds rounded up to whole ticks. */
function msToTicks(ms: number): number {
  return Math.ceil((ms * MS) / MPL_TICK);
}

/** mpl.c rfc7731_default_data_message_trickle_params: 512 ms (11 ticks), k = 1, 3 expirations (RFC 7731 §5.4 defaults). */
export const RFC7731_DATA_TRICKLE: TickTrickleParams = { imin: msToTicks(512), imax: msToTicks(512), k: 1, expirations: 3 };
/** mpl.c rfc7731_default_control_message_trickle_params: Imin 512 ms, Imax 5 min, k = 1, 10 expirations. */
export const RFC7731_CONTROL_TRICKLE: TickTrickleParams = { imin: msToTicks(512), imax: msToTicks(300_000), k: 1, expirations: 10 };
/** RFC7731_DEFAULT_SEED_SET_ENTRY_LIFETIME (mpl.h): 30 minutes without a new message from it. */
export const RFC7731_SEED_SET_ENTRY_LIFETIME_S = 30 * 60;

/**
 * A Mesh API router or host: nd_tasklet.c nd_tasklet_configure_and_connect_to_network()
 * subscribes ff03::fc with multicast_mpl_domain_subscribe(..., MULTICAST_MPL_SEED_ID_DEFAULT,
 * NULL), so the domain takes the interface's defaults (mpl.c mpl_domain_create), which
 * protocol_core.c sets to RFC 7731's; mesh-minimal changes none of them.
 */
export const RFC7731_DOMAIN: MplDomainParameters = {
  data: RFC7731_DATA_TRICKLE,
  control: RFC7731_CONTROL_TRICKLE,
  seedSetEntryLifetimeS: RFC7731_SEED_SET_ENTRY_LIFETIME_S,
};

/** trickle.h TRICKLE_TIME_MAX: trickle_time_t is 16 bits of ticks. */
const TRICKLE_TIME_MAX = 0xffff;

/**
 * What Nanostack's multicast_set_parameters(i_min, i_doublings, k, timer_expirations,
 * window_expiration) makes of the interface's ff03::fc domain (libNET/src/multicast_api.c):
 * the data Trickle only, in ticks as given (Imax = Imin doubled i_doublings times), and a seed
 * lifetime of 4 × (Imax × expirations + window) ticks in seconds, rounded as (ticks + 20) / 20.
 * The control Trickle keeps the interface's (RFC 7731) parameters.
 */
export function multicastSetParameters(iMin: number, iDoublings: number, k: number, timerExpirations: number, windowExpiration: number): MplDomainParameters {
  let imax = iMin;
  for (let d = iDoublings; d > 0; d--) {
    if (imax > TRICKLE_TIME_MAX / 2) {
      imax = TRICKLE_TIME_MAX;
      break;
    }
    imax *= 2;
  }
  const messageLifetimeTicks = imax * timerExpirations + windowExpiration;
  return {
    data: { imin: iMin, imax, k, expirations: timerExpirations },
    control: RFC7731_CONTROL_TRICKLE,
    seedSetEntryLifetimeS: Math.floor((4 * messageLifetimeTicks + 20) / 20),
  };
}

/**
 * The border router: nanostack-border-router source/borderrouter_tasklet.c start_6lowpan()
 * calls multicast_set_parameters(10, 0, 20, 3, 75), the "ZigBee IP Trickle setup" of
 * multicast_api.h, after the interface is up and before multicast_add_address() creates the
 * ff03::fc domain: data Imin = Imax = 10 ticks (500 ms), k = 20, 3 expirations; seeds kept 22 s.
 */
export const BORDER_ROUTER_DOMAIN: MplDomainParameters = multicastSetParameters(10, 0, 20, 3, 75);

/**
 * How long a message stays buffered once its data Trickle stopped (mpl.c mpl_slow_timer):
 * a quarter of the seed lifetime in tenths of a second, at most MAX_BUFFERED_MESSAGE_LIFETIME
 * (600 tenths): 60 s with RFC 7731's 30-minute seeds, 5.5 s on the border router.
 */
export function bufferedMessageLifetime(p: MplDomainParameters): Micros {
  return Math.min(Math.floor((p.seedSetEntryLifetimeS * 10) / 4), 600) * 100 * MS;
}
/** Octets of IPv6 packets all seeds' buffers hold together; the oldest goes first (mpl.c MAX_BUFFERED_MESSAGES_SIZE). */
export const BUFFERED_MESSAGES_SIZE = 2048;

/** A node's tick grid: the free-running timer every Trickle of the node counts. */
class TickClock {
  /** Drawn when first needed, so a node that never floods draws nothing from its random stream. */
  private phase: Micros | undefined;

  constructor(
    readonly timers: Timers,
    readonly rng: Rng,
  ) {}

  /** The tick at or before `t`: a Trickle (re)started between ticks counts from there. */
  floor(t: Micros): Micros {
    this.phase ??= Math.floor(this.rng.next() * MPL_TICK);
    return t - ((((t - this.phase) % MPL_TICK) + MPL_TICK) % MPL_TICK);
  }

  /** Uniform in [low, high], both included (randLIB_get_random_in_range). */
  between(low: number, high: number): number {
    return low + this.rng.int(high - low + 1);
  }
}

/** RFC 6206 Trickle counted in ticks, as trickle.c runs it (expirations, reset only when it changes something); the domain's parameters are read as it runs. */
class TickTrickle {
  /** Intervals completed since the last start or reset; at `params.expirations` the timer has stopped. */
  private expired = Number.POSITIVE_INFINITY;
  private ticks = 0;
  private heard = 0;
  private readonly timers: Timer[] = [];

  constructor(
    private readonly clock: TickClock,
    private readonly paramsOf: () => TickTrickleParams,
    private readonly transmit: () => void,
  ) {}

  private get params(): TickTrickleParams {
    return this.paramsOf();
  }

  get running(): boolean {
    return this.expired < this.params.expirations;
  }

  /** Rule 1: I anywhere in [Imin, Imax]. */
  start(): void {
    this.expired = 0;
    this.ticks = this.clock.between(this.params.imin, this.params.imax);
    this.begin(this.clock.floor(this.clock.timers.now()));
  }

  /** Rule 3. */
  consistent(): void {
    this.heard++;
  }

  /** Rule 6: back to Imin, unless already there and running. */
  inconsistent(): void {
    if (this.ticks === this.params.imin && this.running) return;
    this.expired = 0;
    this.ticks = this.params.imin;
    this.begin(this.clock.floor(this.clock.timers.now()));
  }

  stop(): void {
    this.expired = Number.POSITIVE_INFINITY;
    this.cancel();
  }

  /** Rule 2: t in [I/2, I - 1] ticks, the count of copies heard back to 0. */
  private begin(start: Micros): void {
    this.cancel();
    this.heard = 0;
    const interval = this.ticks;
    const t = interval > 2 ? this.clock.between(Math.floor(interval / 2), interval - 1) : 1;
    const { timers } = this.clock;
    // Rule 4: send unless k copies were heard (k = 0: always).
    this.timers.push(timers.at(start + t * MPL_TICK, () => (this.params.k === 0 || this.heard < this.params.k) && this.transmit()));
    // Rule 5: double I up to Imax; stop after the last expiration.
    this.timers.push(
      timers.at(start + interval * MPL_TICK, () => {
        this.ticks = Math.min(interval * 2, this.params.imax);
        this.expired++;
        if (this.running) this.begin(start + interval * MPL_TICK);
        else this.cancel();
      }),
    );
  }

  private cancel(): void {
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
  }
}

interface BufferedMessage {
  sequence: number;
  packet: Ipv6Packet;
  size: number;
  bufferedAt: Micros;
  trickle: TickTrickle;
}

interface Seed {
  id: Ipv6Address;
  minSequence: number;
  expires: Micros;
  /** In sequence order (serial arithmetic). */
  messages: BufferedMessage[];
}

/** What became of a data message. */
export type MplVerdict = 'buffered' | 'accepted' | 'duplicate';

export interface MplForwarderOptions {
  timers: Timers;
  rng: Rng;
  /** Sends a buffered data message (a broadcast frame); false while the interface is down. */
  transmit(p: Ipv6Packet): void;
  /** Sends a control message to ff02::fc, from `src` when one of the seeds is ours. */
  sendControl(seeds: MplSeedInfo[], src: Ipv6Address | undefined): void;
  /** Whether one of our addresses is `a` (a seed we are, named by the control message's source). */
  isOwn(a: Ipv6Address): boolean;
  /** The domain's timing, by this node's role; read when used, as Nanostack reads its domain's. */
  parameters(): MplDomainParameters;
}

/** RFC 1982 serial arithmetic on 8-bit sequences (common_serial_number_greater_8). */
function greater(a: number, b: number): boolean {
  return a !== b && ((a - b) & 0xff) < 128;
}

export class MplForwarder {
  private readonly clock: TickClock;
  private readonly seeds: Seed[] = [];
  private readonly control: TickTrickle;
  private buffered = 0;
  private housekeeping: Timer | undefined;

  constructor(private readonly opts: MplForwarderOptions) {
    this.clock = new TickClock(opts.timers, opts.rng);
    this.control = new TickTrickle(this.clock, () => opts.parameters().control, () => this.sendControl());
  }

  /**
   * A data message from `packet.src` with MPL sequence `sequence`: ours to seed (`seeding`),
   * or heard from a neighbour, to forward when `forward` (a router, the hop limit left).
   * The packet given is the one to buffer (hop limit already decremented for a forward).
   */
  message(packet: Ipv6Packet, sequence: number, how: { seeding: boolean; forward: boolean }): MplVerdict {
    const now = this.opts.timers.now();
    let seed = this.seed(packet.src);
    if (!seed) {
      seed = { id: packet.src.slice(), minSequence: sequence, expires: now, messages: [] };
      this.seeds.push(seed);
    }
    if (greater(seed.minSequence, sequence)) return 'duplicate';
    const held = seed.messages.find((m) => m.sequence === sequence);
    if (held) {
      held.trickle.consistent();
      return 'duplicate';
    }
    seed.expires = now + this.opts.parameters().seedSetEntryLifetimeS * SECOND;
    this.scheduleHousekeeping();
    if (!how.seeding && !how.forward) {
      // A node that will not send it on remembers it by MinSequence alone (mpl.c: no buffer, so no control-message edge case).
      this.advance(seed, (sequence + 1) & 0xff);
      return 'accepted';
    }
    return this.buffer(seed, packet, sequence, now) ? 'buffered' : 'accepted';
  }

  /** A control message from `src` (RFC 7731 §5.5; mpl.c mpl_control_handler). */
  controlMessage(infos: MplSeedInfo[], src: Ipv6Address): void {
    let theyHaveNew = false;
    let weHaveNew = false;
    const mentionedSeeds = new Set<Seed>();
    const mentioned = new Set<BufferedMessage>();
    for (const info of infos) {
      const id = info.seedId.length === 0 ? src : info.seedId;
      const seed = id.length === 16 ? this.seed(id) : undefined;
      if (!seed) {
        theyHaveNew = true;
        continue;
      }
      mentionedSeeds.add(seed);
      // Messages below their MinSequence they no longer want: as good as mentioned.
      for (const m of seed.messages) if (greater(info.minSequence, m.sequence)) mentioned.add(m);
      for (const sequence of info.buffered) {
        const m = seed.messages.find((x) => x.sequence === sequence);
        if (m) mentioned.add(m);
        else if (greater(sequence, seed.minSequence)) theyHaveNew = true;
      }
    }
    for (const seed of this.seeds) {
      if (!mentionedSeeds.has(seed)) weHaveNew = true;
      for (const m of seed.messages) {
        if (mentioned.has(m)) continue;
        m.trickle.inconsistent();
        weHaveNew = true;
      }
    }
    if (theyHaveNew || weHaveNew) this.control.inconsistent();
    else this.control.consistent();
  }

  private buffer(seed: Seed, packet: Ipv6Packet, sequence: number, now: Micros): boolean {
    const size = 40 + packet.payload.length;
    while (this.buffered + size > BUFFERED_MESSAGES_SIZE && this.freeOldest());
    // Freeing may have moved this seed's MinSequence past the message (mpl.c mpl_buffer_create).
    if (greater(seed.minSequence, sequence) || this.buffered + size > BUFFERED_MESSAGES_SIZE) return false;
    const message: BufferedMessage = { sequence, packet, size, bufferedAt: now, trickle: new TickTrickle(this.clock, () => this.opts.parameters().data, () => this.opts.transmit(packet)) };
    message.trickle.start();
    let at = seed.messages.length;
    while (at > 0 && !greater(sequence, seed.messages[at - 1]!.sequence)) at--;
    seed.messages.splice(at, 0, message);
    this.buffered += size;
    // A new message: the control Trickle starts, or goes back to Imin if it runs.
    if (this.control.running) this.control.inconsistent();
    else this.control.start();
    return true;
  }

  private sendControl(): void {
    const seeds = this.seeds;
    // A seed that is ours names itself as the source, so its id can be left out (S = 0).
    const src = seeds.find((s) => this.opts.isOwn(s.id))?.id;
    const infos = seeds.map((s): MplSeedInfo => ({
      minSequence: s.minSequence,
      seedId: src && ipv6Equal(s.id, src) ? new Uint8Array(0) : s.id,
      buffered: s.messages.map((m) => m.sequence),
    }));
    this.opts.sendControl(infos, src);
  }

  private seed(id: Ipv6Address): Seed | undefined {
    return this.seeds.find((s) => ipv6Equal(s.id, id));
  }

  private advance(seed: Seed, minSequence: number): void {
    seed.minSequence = minSequence;
    for (const m of seed.messages.filter((x) => greater(minSequence, x.sequence))) this.drop(seed, m);
  }

  private drop(seed: Seed, m: BufferedMessage): void {
    m.trickle.stop();
    seed.messages.splice(seed.messages.indexOf(m), 1);
    this.buffered -= m.size;
  }

  /** Frees the oldest buffered message of any seed, moving its MinSequence past it (mpl.c mpl_free_space). */
  private freeOldest(): boolean {
    let oldest: { seed: Seed; m: BufferedMessage } | undefined;
    for (const seed of this.seeds) {
      const m = seed.messages[0];
      if (m && (!oldest || m.bufferedAt < oldest.m.bufferedAt)) oldest = { seed, m };
    }
    if (!oldest) return false;
    oldest.seed.minSequence = (oldest.m.sequence + 1) & 0xff;
    this.drop(oldest.seed, oldest.m);
    return true;
  }

  /**
   * Once a second while anything is held (mpl.c mpl_slow_timer): seeds past their
   * lifetime go with their messages; a message whose Trickle stopped goes
   * `bufferedMessageLifetime` after it was buffered, oldest first, moving MinSequence past it.
   */
  private scheduleHousekeeping(): void {
    if (this.housekeeping) return;
    this.housekeeping = this.opts.timers.at(this.opts.timers.now() + SECOND, () => {
      this.housekeeping = undefined;
      const now = this.opts.timers.now();
      const messageLifetime = bufferedMessageLifetime(this.opts.parameters());
      for (const seed of this.seeds.slice()) {
        if (seed.expires <= now) {
          for (const m of seed.messages.slice()) this.drop(seed, m);
          this.seeds.splice(this.seeds.indexOf(seed), 1);
          continue;
        }
        for (const m of seed.messages.slice()) {
          if (m.trickle.running || now - m.bufferedAt < messageLifetime) break;
          seed.minSequence = (m.sequence + 1) & 0xff;
          this.drop(seed, m);
        }
      }
      if (this.seeds.length > 0) this.scheduleHousekeeping();
    });
  }
}
