/** What an isolated module asks of the runtime from inside its worker or process. */
export interface HostBridge {
  /**
   * `ctx.use(target)[method](...args)` / `ctx.optional(...)` from inside the module; the runtime
   * checks declarations and routes the call. `signal` fires when the module gives up waiting.
   */
  use(
    target: string,
    method: string,
    args: unknown[],
    optional: boolean,
    signal: AbortSignal | undefined,
  ): Promise<unknown>;
  /** `ctx.checkpoint(state)`: resolves once stored. */
  checkpoint(state: unknown): Promise<void>;
  /** A line of the module's log, or of its console (`obj` is `{ stream: "stdout" }` or `{ stream: "stderr" }` then). */
  log(level: "debug" | "info" | "warn" | "error", obj: unknown, msg: string | undefined): void;
}
