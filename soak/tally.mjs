import { pairKey } from "./chaos.mjs";

/**
 * Counts what the runtime reports (crashes by host and kind, restarts, fallbacks, give-ups,
 * runtime errors) and remembers every child process and worker thread a module ran in, read
 * from `queries.info` whenever a module loads or starts, so the end can check that none is left.
 */
export class Tally {
  crashes = new Map();
  restarts = 0;
  /** Switches to a fallback (`module.fallback` with `active: true`). */
  fallbacks = 0;
  gaveUps = 0;
  /** `runtime.error` events by context, module names replaced by `<module>`. */
  runtimeErrors = new Map();
  childPids = new Set();
  workerThreads = new Set();

  constructor(runtime, specs) {
    this.runtime = runtime;
    this.hostOf = new Map(specs.map((s) => [s.id, s.host]));
    this.subscriptions = [
      runtime.on("module.crashed", (e) => count(this.crashes, pairKey(this.hostOf.get(e.id), e.kind))),
      runtime.on("module.restarted", () => this.restarts++),
      runtime.on("module.fallback", (e) => {
        if (e.active) this.fallbacks++;
      }),
      runtime.on("module.gave-up", () => this.gaveUps++),
      runtime.on("runtime.error", (e) => count(this.runtimeErrors, this.withoutNames(e.context))),
      runtime.on("module.loaded", (e) => this.sampleHost(e.id)),
      runtime.on("module.started", (e) => this.sampleHost(e.id)),
    ];
  }

  crashCount(host, kind) {
    return this.crashes.get(pairKey(host, kind)) ?? 0;
  }

  sampleHost(id) {
    const host = this.runtime.queries.info(id).instance?.host;
    if (host?.isolation === "process") this.childPids.add(host.pid);
    if (host?.isolation === "worker") this.workerThreads.add(host.threadId);
  }

  withoutNames(context) {
    return context
      .split(" ")
      .map((word) => (this.hostOf.has(word.replace(/@.*/, "")) ? "<module>" : word))
      .join(" ");
  }

  dispose() {
    for (const s of this.subscriptions) s.dispose();
  }
}

function count(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}
