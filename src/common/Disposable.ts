/** Something that releases what it holds when disposed. Disposing twice is harmless. */
export interface Disposable {
  dispose(): void;
}

/** A disposable from a function; the function runs at most once. */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/**
 * Owns disposables (listeners, timers, hosts) acquired on behalf of one owner, such as a
 * module instance, and releases them together, newest first. Adding to a disposed store
 * disposes the item at once so nothing leaks.
 */
export class DisposableStore implements Disposable {
  // Made on first add: most owners (module instances) never register anything.
  private items: Set<Disposable> | undefined;
  private disposed = false;

  /** Takes ownership of `item` and returns it. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else (this.items ??= new Set()).add(item);
    return item;
  }

  /** Disposes every item, newest first; errors are collected and rethrown together. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const item of [...(this.items ?? [])].reverse()) {
      try {
        item.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    this.items = undefined;
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "several disposables failed");
  }
}
