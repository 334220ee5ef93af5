import { toDisposable, type Disposable } from "./Disposable.js";

/** Subscribes a listener to one kind of event; dispose the result to leave (cockatiel's `Event`). */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/**
 * The source of one kind of event: any number of parties listen through {@link on} and leave by
 * disposing, instead of one assignable callback slot. A listener that throws does not stop the
 * others; its error goes to `onListenerError` (by default it is raised again on a later tick, so
 * a bug in a listener is seen rather than swallowed).
 */
export class EventSource<T> {
  private listeners: Set<(value: T) => void> | undefined;

  constructor(private readonly onListenerError: (err: unknown) => void = rethrowLater) {}

  /**
   * Subscribes `listener`; dispose the result to unsubscribe. A method, not a bound field: a
   * host per module keeps one source per event, and a closure each would cost every instance.
   */
  subscribe(listener: (value: T) => void): Disposable {
    const set = (this.listeners ??= new Set());
    set.add(listener);
    return toDisposable(() => set.delete(listener));
  }

  /** True when anyone listens. */
  get listened(): boolean {
    return (this.listeners?.size ?? 0) > 0;
  }

  /** Tells every listener, in the order they subscribed. */
  emit(value: T): void {
    const set = this.listeners;
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}
