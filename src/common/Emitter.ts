import { toDisposable, type Disposable } from "./Disposable.js";

/** A listener for one event name of an event map. */
export type Listener<T> = (event: T) => void;

/**
 * A typed event emitter: `on(name, fn)` returns a disposable that removes the listener.
 * A throwing listener never breaks the emitter or other listeners; its error goes to `onListenerError`.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (err: unknown, name: keyof Events) => void = () => {}) {}

  /** Subscribes `fn` to `name`; dispose the result to unsubscribe. */
  on<K extends keyof Events>(name: K, fn: Listener<Events[K]>): Disposable {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const entry = fn as Listener<never>;
    set.add(entry);
    return toDisposable(() => set.delete(entry));
  }

  /** True when anyone listens to `name` (lets callers skip building costly payloads). */
  has(name: keyof Events): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  /** Delivers `event` synchronously to every listener of `name`. */
  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set || set.size === 0) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<Events[K]>)(event);
      } catch (err) {
        this.onListenerError(err, name);
      }
    }
  }
}
