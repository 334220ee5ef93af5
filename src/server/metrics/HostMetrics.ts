import { collectDefaultMetrics, Counter, Registry } from "prom-client";
import { sampleKey } from "../../vocabulary/resources.js";
import type { Disposable } from "../../common/Disposable.js";
import type { Runtime } from "../../runtime/Runtime.js";
import { registerBreakerMetrics } from "./breakerMetrics.js";
import { registerEngineMetrics } from "./engineMetrics.js";
import { CallMetrics } from "./CallMetrics.js";
import { registerModuleMetrics } from "./moduleMetrics.js";
import { MonotonicTotals } from "./MonotonicTotals.js";
import { registerSystemMetrics } from "./systemMetrics.js";
import { TallyHistogram } from "./TallyHistogram.js";

/** prom-client's default gauges whose names end in `_total`. */
const NAMED_LIKE_COUNTERS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

let processRegistry: Registry | undefined;

/**
 * prom-client's process and Node.js defaults, in one registry per process: collecting them starts
 * a GC observer and an event-loop delay histogram that nothing can stop, so every served runtime
 * shares the one set instead of starting its own.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    // Gauges named like counters, which `promtool check metrics` rejects; each is the sum of the
    // labelled gauge without `_total` (`nodejs_active_handles{type}` ...), which stays.
    for (const name of NAMED_LIKE_COUNTERS) processRegistry.removeSingleMetric(name);
  }
  return processRegistry;
}

/**
 * The Prometheus metrics of one served runtime, in a registry of its own (never prom-client's
 * global one, so two runtimes in one process do not mix): prom-client's process and Node.js
 * defaults, every module's resources, state and restarts, every call by module, method and
 * outcome with its duration, the breakers, and the machine. Everything but the calls is read
 * from the runtime when scraped; see docs/resources.md for each metric.
 */
export class HostMetrics implements Disposable {
  /** This runtime's own metrics (the process's defaults are shared; {@link scrape} answers both). */
  readonly registry = new Registry();
  private readonly subscriptions: Disposable[] = [];

  constructor(runtime: Runtime) {
    const registry = this.registry;
    processMetrics(); // its GC and event-loop figures count from the first served runtime on
    const loads = new Map<string, number>();
    const restarts = new Map<string, number>();
    const totals = new MonotonicTotals();
    const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
    this.subscriptions.push(
      runtime.on("module.loaded", (e) => bump(loads, sampleKey(e))),
      runtime.on("module.restarted", (e) => bump(restarts, `${e.id}@${e.version}`)),
      runtime.on("module.removed", (e) => {
        totals.forget(e.id, e.version);
        for (const map of [loads, restarts])
          for (const key of map.keys())
            if (
              e.version === undefined
                ? key.startsWith(`${e.id}@`)
                : key === `${e.id}@${e.version}` || key.startsWith(`${e.id}@${e.version}#`)
            )
              map.delete(key);
      }),
    );
    registerModuleMetrics(registry, runtime, { loads, restarts, totals });

    const calls = new CallMetrics({ clock: runtime.clock, isModule: (id) => runtime.registry.has(id) });
    this.subscriptions.push(runtime.observeCalls(calls));
    new Counter({
      name: "chipset_calls_total",
      help: 'Calls into modules by outcome: ok (the module answered), fallback (a fallback answered), or the error\'s category (timeout, module, crash, overload, policy, not-found, ...); method="(unknown)" for a method the module has not answered.',
      labelNames: ["module", "method", "outcome"],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of calls.all())
          for (const [outcome, count] of t.outcomes())
            this.inc({ module: t.module, method: t.method, outcome }, count);
      },
    });
    new TallyHistogram(registry, () => calls.all());
    registerBreakerMetrics(registry, runtime);
    registerEngineMetrics(registry, runtime);
    registerSystemMetrics(registry, () => runtime.resources.system());
  }

  /** The text a scrape answers, in the Prometheus exposition format: this runtime's metrics, then the process's. */
  async scrape(): Promise<string> {
    const [own, shared] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}${own.endsWith("\n") ? "" : "\n"}${shared}`;
  }

  /** The content type of {@link scrape}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops counting calls and watching events. */
  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
