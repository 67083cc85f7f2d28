// Runs tasks with the same key one at a time, in arrival order, within one function instance
// (tasks with different keys run concurrently). Used where a decision reads Batch and then writes
// on what it read (retry a FAILED job): the next task for the key reads only after the previous
// one's write, so two concurrent requests in one instance never both act on the same read.
// Across instances nothing is shared; the callers' own preconditions cover that (see their docs).

export interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Keys with a task running or waiting (for tests). */
  readonly size: number;
}

export function keyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const prev = tails.get(key) ?? Promise.resolve();
      const next = prev.then(task, task);
      const tail = next.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return next;
    },
    get size() {
      return tails.size;
    },
  };
}
