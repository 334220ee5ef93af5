import { Gauge, type Registry } from "prom-client";
import type { Runtime } from "../../runtime/Runtime.js";

/**
 * Registers the engine pools' gauges in `registry` (document 004's engine-level metrics), read
 * when scraped: `chipset_engine_queue_length` (execute calls waiting for a member with room, per
 * engine type) and `chipset_engine_inflight` (calls in flight per member).
 */
export function registerEngineMetrics(registry: Registry, runtime: Runtime): void {
  new Gauge({
    name: "chipset_engine_queue_length",
    help: "runtime.execute calls waiting for an engine of this type under its maxConcurrent (at most dispatch.maxQueue).",
    labelNames: ["type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of runtime.engines()) this.set({ type: pool.type }, pool.queued);
    },
  });
  new Gauge({
    name: "chipset_engine_inflight",
    help: "Calls in flight in each live engine instance (its load against engine.performance.maxConcurrent).",
    labelNames: ["type", "module", "version", "replica"],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of runtime.engines())
        for (const m of pool.members)
          this.set(
            { type: pool.type, module: m.id, version: m.version, replica: String(m.replica) },
            m.inflight,
          );
    },
  });
}
