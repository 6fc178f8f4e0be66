// The DODAG root's view of a non-storing RPL network (RFC 6550 §9.7): each target's
// parent as its DAO's transit information names it, from which the root builds
// source routes (RFC 6554) down to any node.
import type { Micros } from '../runtime.ts';
import { formatIpv6Address, type Ipv6Address } from '../wire/ipv6-address.ts';

interface Entry {
  target: Ipv6Address;
  parent: Ipv6Address;
  expires: Micros;
  pathSequence: number;
}

export class SourceRouteTable {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly root: Ipv6Address) {}

  /** Records a DAO's target → parent (lifetime 0 is a No-Path DAO and removes it). */
  update(target: Ipv6Address, parent: Ipv6Address, lifetimeUs: Micros, pathSequence: number, now: Micros): void {
    const key = formatIpv6Address(target);
    if (lifetimeUs <= 0) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, { target: target.slice(), parent: parent.slice(), expires: now + lifetimeUs, pathSequence });
  }

  remove(target: Ipv6Address): void {
    this.entries.delete(formatIpv6Address(target));
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  targets(now: Micros): Ipv6Address[] {
    return [...this.entries.values()].filter((e) => e.expires > now).map((e) => e.target);
  }

  /**
   * The hops from the root to `target`, root excluded, target included:
   * [first hop, ..., target]. Undefined when the chain is broken, expired or loops.
   */
  path(target: Ipv6Address, now: Micros): Ipv6Address[] | undefined {
    const rootKey = formatIpv6Address(this.root);
    const out: Ipv6Address[] = [];
    let key = formatIpv6Address(target);
    const seen = new Set<string>();
    for (;;) {
      if (seen.has(key)) return undefined;
      seen.add(key);
      const e = this.entries.get(key);
      if (!e || e.expires <= now) return undefined;
      out.unshift(e.target);
      key = formatIpv6Address(e.parent);
      if (key === rootKey) return out;
    }
  }

  /** For status output: target → parent. */
  dump(now: Micros): Array<[string, string]> {
    return [...this.entries.values()].filter((e) => e.expires > now).map((e) => [formatIpv6Address(e.target), formatIpv6Address(e.parent)]);
  }
}
