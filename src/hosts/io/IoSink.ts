/** The byte counters of one module that the I/O meters add to (a subset of `UsageCounters`). */
export interface IoSink {
  fsRead: number;
  fsWrite: number;
  netIn: number;
  netOut: number;
}

/**
 * Whose bytes the I/O done now are: the counters of the module doing it, or undefined when no
 * module is (the runtime's own work). Called on every metered `fs` call and socket event, so it
 * must be cheap: a constant in a child, one `AsyncLocalStorage.getStore()` in the runtime's thread.
 */
export type SinkOf = () => IoSink | undefined;
