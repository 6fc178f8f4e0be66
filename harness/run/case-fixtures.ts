// What a case changes on the rig lasts only the case. Every change is a fixture
// (after Playwright's): its undo is stacked before the change is made, and the
// harness unwinds the stack after the case, newest first, whatever happened, so
// no case inherits a faded link, a cut board, a jammed channel, a board left
// off or a board moved off the rig's network config from the one before.
import type { Board } from '../board/board.ts';
import type { RigControls } from '../bench/controls.ts';
import type { CaseControls } from '../suite-api/index.ts';
import { TaskRunner } from './tasks.ts';

export class CaseFixtures {
  private readonly tasks = new TaskRunner<void>();
  /** Rig state the case changed, as it stands now (the undo restores only what still differs). */
  private readonly attenuated = new Map<string, { a: string; b: string; db: number }>();
  private readonly cut = new Map<string, boolean>();
  private readonly jammed = new Map<number, number | null>();
  readonly controls: CaseControls;

  /**
   * @param note told each undo step that changed something (the case's report lists them:
   *   evidence that the next case found the rig as the topology and network config say).
   */
  constructor(
    rig: RigControls,
    boards: readonly Board[],
    private readonly note: (undone: string) => void,
  ) {
    // Standing fixtures, unwound last. A board the case moved to another channel or key
    // (initialise() overrides, configure()) boots again: the next initialise() is the rig's.
    this.tasks.defer({
      title: 'boards configured away from the network config reset',
      teardown: async () => {
        for (const b of boards) {
          if (!b.configuredAway || !b.powered) continue;
          await b.reset();
          note(`${b.id} reset: it was configured away from the network config`);
        }
      },
    });
    this.tasks.defer({
      title: 'boards powered off powered on',
      teardown: async () => {
        for (const b of boards) {
          if (b.powered) continue;
          await b.powerOn();
          note(`${b.id} powered on`);
        }
      },
    });
    this.controls = {
      supports: (control) => rig.supports(control),
      attenuate: async (a, b, db) => {
        const key = `${a}\u0000${b}`;
        const link = this.attenuated.get(key);
        if (link) link.db = db;
        else
          this.undo(`the link ${a}~${b} back to its topology`, async () => {
            const l = this.attenuated.get(key)!;
            if (l.db === 0) return false;
            await rig.attenuate(l.a, l.b, 0);
            return true;
          });
        this.attenuated.set(key, { a, b, db });
        await rig.attenuate(a, b, db);
      },
      partition: async (board, cut) => {
        if (!this.cut.has(board))
          this.undo(`${board} back on the air`, async () => {
            if (!this.cut.get(board)) return false;
            await rig.partition(board, false);
            return true;
          });
        this.cut.set(board, cut);
        await rig.partition(board, cut);
      },
      jam: async (channel, dbm) => {
        if (!this.jammed.has(channel))
          this.undo(`channel ${channel} unjammed`, async () => {
            if (this.jammed.get(channel) === null) return false;
            await rig.jam(channel, null);
            return true;
          });
        this.jammed.set(channel, dbm);
        await rig.jam(channel, dbm);
      },
    };
  }

  /** Stacks a suite's own undo step for after the case. */
  stack(what: string, undo: () => Promise<void>): void {
    this.undo(what, async () => {
      await undo();
      return true;
    });
  }

  /** Stacks an undo step that answers whether it had anything to undo. */
  private undo(what: string, step: () => Promise<boolean>): void {
    this.tasks.defer({
      title: what,
      teardown: async () => {
        if (await step()) this.note(what);
      },
    });
  }

  /** Runs every undo step, newest first; the failures, each named by its step. */
  unwind(): Promise<Error[]> {
    return this.tasks.tearDown(undefined);
  }
}
