// What a board reported, in order: an append-only list whose indexes never shift.
// A mark (its length now) keeps its meaning for good; what lies before the oldest mark
// any reader still needs can be let go (forget), so a run of days keeps a window of
// events, not all of them. Read like an array, with the indexes it had from the start
// (find, filter, some and map see the events still kept). A wait in progress holds its
// start, and forget() keeps what it holds.

/** A read that reached before the events the log still keeps. */
export class ForgottenEventsError extends Error {
  constructor(from: number, first: number) {
    super(`events from #${from} were asked for, but the board keeps them only from #${first}: a mark was taken before the events were let go`);
  }
}

export class EventLog<E> implements Iterable<E> {
  private kept: E[] = [];
  /** Index of kept[0]: how many events were let go. */
  private base = 0;
  /** Start indexes readers hold (waits in progress), each with how many hold it. */
  private readonly held = new Map<number, number>();

  /** Events reported since the log began, those let go included: the index the next one gets (a mark). */
  get length(): number {
    return this.base + this.kept.length;
  }

  /** Index of the oldest event still kept. */
  get first(): number {
    return this.base;
  }

  push(e: E): void {
    this.kept.push(e);
  }

  /** Events from index `from` (to `to`, exclusive); throws if any of them was let go. */
  slice(from: number = this.base, to: number = this.length): E[] {
    if (from < this.base) throw new ForgottenEventsError(from, this.base);
    return this.kept.slice(from - this.base, Math.max(0, to - this.base));
  }

  /** The event at index `i`, or counted from the newest when negative; undefined when let go or not yet reported. */
  at(i: number): E | undefined {
    return i < 0 ? this.kept.at(i) : this.kept[i - this.base];
  }

  /** The index of `e`, if it is still kept; -1 otherwise. */
  indexOf(e: E): number {
    const i = this.kept.indexOf(e);
    return i < 0 ? -1 : i + this.base;
  }

  find(pred: (e: E) => boolean): E | undefined {
    return this.kept.find(pred);
  }

  filter(pred: (e: E) => boolean): E[] {
    return this.kept.filter(pred);
  }

  some(pred: (e: E) => boolean): boolean {
    return this.kept.some(pred);
  }

  map<T>(fn: (e: E) => T): T[] {
    return this.kept.map(fn);
  }

  [Symbol.iterator](): Iterator<E> {
    return this.kept[Symbol.iterator]();
  }

  /** Keeps the events from index `from` while a reader needs them; call the answer to let them be. */
  hold(from: number): () => void {
    this.held.set(from, (this.held.get(from) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.held.get(from) ?? 1) - 1;
      if (n > 0) this.held.set(from, n);
      else this.held.delete(from);
    };
  }

  /** Lets go of every event before index `before` (but none a reader holds): no reader will ask for them again. */
  forget(before: number): void {
    const upTo = Math.min(before, this.length, ...this.held.keys());
    const n = upTo - this.base;
    if (n <= 0) return;
    this.kept.splice(0, n);
    this.base += n;
  }
}
