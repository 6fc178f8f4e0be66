// A 6LoWPAN router's registration table (RFC 6775 §6.5): which EUI-64 registered which
// address, until when. It answers an ARO with its status (§4.1, §12 Table 2).
import type { Micros } from '../runtime.ts';
import { bytesEqual } from '../wire/bytes.ts';
import { formatIpv6Address, type Ipv6Address } from '../wire/ipv6-address.ts';
import { AroStatus } from '../wire/ndp.ts';

export interface Registration {
  address: Ipv6Address;
  eui64: Uint8Array;
  expires: Micros;
}

export class RegistrationTable {
  private readonly entries = new Map<string, Registration>();

  constructor(private readonly capacity: number) {}

  /** Applies a registration (lifetime in minutes; 0 deregisters) and returns the ARO status. */
  register(address: Ipv6Address, eui64: Uint8Array, lifetimeMin: number, now: Micros): number {
    const key = formatIpv6Address(address);
    this.expire(now);
    const existing = this.entries.get(key);
    if (existing && !bytesEqual(existing.eui64, eui64)) return AroStatus.duplicate;
    if (lifetimeMin === 0) {
      this.entries.delete(key);
      return AroStatus.success;
    }
    if (!existing && this.entries.size >= this.capacity) return AroStatus.cacheFull;
    this.entries.set(key, { address: address.slice(), eui64: eui64.slice(), expires: now + lifetimeMin * 60_000_000 });
    return AroStatus.success;
  }

  has(address: Ipv6Address, now: Micros): boolean {
    this.expire(now);
    return this.entries.has(formatIpv6Address(address));
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private expire(now: Micros): void {
    for (const [k, r] of this.entries) if (r.expires <= now) this.entries.delete(k);
  }
}
