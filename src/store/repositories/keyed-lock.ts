// Runs tasks with the same key one after another within this process. Used so
// appends to one conversation do not race each other for a sequence here;
// races between processes are still settled by the unique index.
export function createKeyedLock() {
  const tails = new Map<string, Promise<unknown>>();
  return async function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      // The last task of a key cleans up, so the map does not grow forever.
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
