import { Worker } from "node:worker_threads";

/**
 * What this Node.js offers beyond Node 20.19, Chipset's floor. Each API is detected by looking
 * for it, never by version number (some came to Node 22 later, in minor releases).
 */
export interface NodeFeatures {
  /** `process.threadCpuUsage()`: CPU time of the calling thread alone (Node 23.9, 24). */
  readonly threadCpuUsage: boolean;
  /** `worker.cpuUsage()`: a worker's CPU time, read from the thread that started it (Node 24.6). */
  readonly workerCpuUsage: boolean;
  /**
   * `worker.getHeapStatistics()`: a worker's V8 heap, read from the thread that started it
   * (Node 24, 22.16). Usually answered while the worker's own event loop is busy.
   */
  readonly workerHeapStatistics: boolean;
  /**
   * AsyncLocalStorage runs on AsyncContextFrame: the store travels with each promise and
   * callback instead of through async_hooks, so entering a store (inline crash attribution does,
   * on every inline call) no longer makes every promise of the process slower. The default on
   * Node 24 (`--no-async-context-frame` turns it off), opt-in on Node 22.7 to 23
   * (`--experimental-async-context-frame`), absent on Node 20.
   */
  readonly asyncContextFrame: boolean;
  /**
   * The flag that turns Node's permission model on: `--permission` (Node 22 and later),
   * `--experimental-permission` (Node 20 and 21), or null where this Node has neither.
   */
  readonly permissionFlag: "--permission" | "--experimental-permission" | null;
}

/** The permission model's flag among the flags this Node accepts (`process.allowedNodeEnvironmentFlags`). */
export function permissionFlag(known: ReadonlySet<string>): NodeFeatures["permissionFlag"] {
  if (known.has("--permission")) return "--permission";
  if (known.has("--experimental-permission")) return "--experimental-permission";
  return null;
}

/**
 * Whether AsyncLocalStorage runs on AsyncContextFrame in a thread started with `flags` (Node's
 * own: NODE_OPTIONS first, then the command line, which wins) on a Node that accepts `known`
 * flags (`process.allowedNodeEnvironmentFlags`). Node offers no API that says so; these two are
 * what it decides from. A worker thread decides from its own `execArgv`, as Node does.
 */
export function asyncContextFrameEnabled(flags: readonly string[], known: ReadonlySet<string>): boolean {
  const last = (on: string): boolean | undefined => {
    let value: boolean | undefined;
    for (const flag of flags) {
      // Node reads `_` as `-` in option names.
      const name = flag.replaceAll("_", "-");
      if (name === on) value = true;
      else if (name === `--no-${on.slice(2)}`) value = false;
    }
    return value;
  };
  if (known.has("--async-context-frame")) return last("--async-context-frame") ?? true;
  if (known.has("--experimental-async-context-frame"))
    return last("--experimental-async-context-frame") ?? false;
  return false;
}

/**
 * The flags a thread started with, in the order Node applies them: those of `nodeOptions`
 * (NODE_OPTIONS; values and quoted paths are skipped, a flag is never quoted) then `execArgv`.
 */
export function startFlags(
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
  execArgv: readonly string[] = process.execArgv,
): string[] {
  const fromEnv = nodeOptions?.split(/\s+/).filter((f) => f.startsWith("--")) ?? [];
  return [...fromEnv, ...execArgv];
}

/** Looks at this process (and thread) now; cheap, but {@link nodeFeatures} already has the answer. */
export function detectNodeFeatures(): NodeFeatures {
  const proc = process as { threadCpuUsage?: unknown };
  const worker = Worker.prototype as { cpuUsage?: unknown; getHeapStatistics?: unknown };
  return Object.freeze({
    threadCpuUsage: typeof proc.threadCpuUsage === "function",
    workerCpuUsage: typeof worker.cpuUsage === "function",
    workerHeapStatistics: typeof worker.getHeapStatistics === "function",
    asyncContextFrame: asyncContextFrameEnabled(startFlags(), process.allowedNodeEnvironmentFlags),
    permissionFlag: permissionFlag(process.allowedNodeEnvironmentFlags),
  });
}

/** This Node's features, detected once when Chipset is loaded (they cannot change while it runs). */
export const nodeFeatures: NodeFeatures = detectNodeFeatures();
