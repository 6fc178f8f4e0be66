// Replay protection per neighbour, for MLE messages and MAC frames alike
// (OpenThread `Mle::HandleUdpReceive`, `Mle::ProcessKeySequence`, `mle.cpp`):
// - each neighbour has a key sequence and, per counter kind, the next expected frame counter;
// - same key sequence, counter below the next expected one: drop, duplicate;
// - higher key sequence: adopt it for that neighbour and reset its counters;
// - lower key sequence: drop.
// Check only after the MIC verified, or a forger could move the state.
// Whether our own key sequence follows a neighbour's is the MLE layer's call
// (guard time, authoritative messages), not this table's.

export type FrameCounterKind = 'mle' | 'link';

export interface NeighbourReplayState {
  keySequence: number;
  /** Next acceptable MLE frame counter. */
  mleFrameCounter: number;
  /** Next acceptable link-layer (MAC) frame counter. */
  linkFrameCounter: number;
}

export type ReplayVerdict =
  | { accept: true; neighbour: 'known'; keySequenceAdopted: boolean }
  /** Not (yet) a neighbour: nothing to compare with; the caller decides (e.g. a Parent Request). */
  | { accept: true; neighbour: 'unknown' }
  | { accept: false; reason: 'duplicate' | 'staleKeySequence' };

export interface ReplayCounters {
  accepted: number;
  unknownNeighbour: number;
  keySequenceAdopted: number;
  droppedDuplicate: number;
  droppedStaleKeySequence: number;
}

const FIELD: Record<FrameCounterKind, 'mleFrameCounter' | 'linkFrameCounter'> = {
  mle: 'mleFrameCounter',
  link: 'linkFrameCounter',
};

/** Keyed by whatever names a neighbour for the caller, typically its extended address in hex. */
export class ReplayGuard<K = string> {
  private readonly neighbours = new Map<K, NeighbourReplayState>();
  readonly counters: ReplayCounters = {
    accepted: 0,
    unknownNeighbour: 0,
    keySequenceAdopted: 0,
    droppedDuplicate: 0,
    droppedStaleKeySequence: 0,
  };

  /**
   * Starts tracking a neighbour when its link is established, with the counters it
   * announced (Link-layer / MLE Frame Counter TLVs) as the next acceptable ones.
   */
  establish(neighbour: K, state: NeighbourReplayState): void {
    this.neighbours.set(neighbour, { ...state });
  }

  remove(neighbour: K): void {
    this.neighbours.delete(neighbour);
  }

  get(neighbour: K): Readonly<NeighbourReplayState> | undefined {
    return this.neighbours.get(neighbour);
  }

  /** What `admit` would say, without changing any state or counter. */
  check(neighbour: K, kind: FrameCounterKind, keySequence: number, frameCounter: number): ReplayVerdict {
    const n = this.neighbours.get(neighbour);
    if (n === undefined) return { accept: true, neighbour: 'unknown' };
    if (keySequence < n.keySequence) return { accept: false, reason: 'staleKeySequence' };
    if (keySequence > n.keySequence) return { accept: true, neighbour: 'known', keySequenceAdopted: true };
    if (frameCounter < n[FIELD[kind]]) return { accept: false, reason: 'duplicate' };
    return { accept: true, neighbour: 'known', keySequenceAdopted: false };
  }

  /** Checks a verified frame and, if accepted, records it; counts the outcome. */
  admit(neighbour: K, kind: FrameCounterKind, keySequence: number, frameCounter: number): ReplayVerdict {
    const verdict = this.check(neighbour, kind, keySequence, frameCounter);
    if (!verdict.accept) {
      if (verdict.reason === 'duplicate') this.counters.droppedDuplicate++;
      else this.counters.droppedStaleKeySequence++;
      return verdict;
    }
    this.counters.accepted++;
    if (verdict.neighbour === 'unknown') {
      this.counters.unknownNeighbour++;
      return verdict;
    }
    const n = this.neighbours.get(neighbour);
    if (n === undefined) return verdict;
    if (verdict.keySequenceAdopted) {
      this.counters.keySequenceAdopted++;
      n.keySequence = keySequence;
      n.mleFrameCounter = 0;
      n.linkFrameCounter = 0;
    }
    n[FIELD[kind]] = frameCounter + 1;
    return verdict;
  }
}
