// Setup and teardown as paired tasks (after Playwright's task runner): each
// teardown is stacked before its setup runs, so it runs even when that setup
// fails half-way, and teardowns always run, in reverse order.

export interface Task<C> {
  title: string;
  setup?: (ctx: C) => Promise<void>;
  teardown?: (ctx: C) => Promise<void>;
}

export class TaskRunner<C> {
  private readonly tasks: Task<C>[] = [];
  private readonly teardowns: Task<C>[] = [];

  add(task: Task<C>): this {
    this.tasks.push(task);
    return this;
  }

  /** Runs the setups in order; throws the first failure (teardowns are still pending). */
  async setUp(ctx: C): Promise<void> {
    for (const task of this.tasks) {
      this.teardowns.push(task);
      await task.setup?.(ctx);
    }
  }

  /** Stacks a teardown whose setup happens elsewhere (a change a case makes as it goes): it unwinds with the others. */
  defer(task: Omit<Task<C>, 'setup'>): this {
    this.teardowns.push(task);
    return this;
  }

  /** Runs every pending teardown, newest first; errors are collected, not thrown mid-way. */
  async tearDown(ctx: C): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.teardowns.length) {
      const task = this.teardowns.pop()!;
      try {
        await task.teardown?.(ctx);
      } catch (e) {
        errors.push(new Error(`teardown '${task.title}': ${(e as Error).message}`));
      }
    }
    return errors;
  }
}
