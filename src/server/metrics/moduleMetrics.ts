import { Counter, Gauge, type Registry } from "prom-client";
import type { Runtime } from "../../runtime/Runtime.js";
import { sampleKey, type UsageCounters } from "../../vocabulary/resources.js";
import { lifecycleStates, type LifecycleState } from "../../vocabulary/lifecycle.js";
import type { MonotonicTotals } from "./MonotonicTotals.js";

/** What the module metrics read besides the runtime: loads and restarts seen, and the totals kept across loads. */
export interface ModuleMetricsState {
  /** How many times each `id@version` was loaded while the metrics watched. */
  loads: ReadonlyMap<string, number>;
  /** How many times each `id@version` was restarted by its supervisor while the metrics watched. */
  restarts: ReadonlyMap<string, number>;
  totals: MonotonicTotals;
}

type Labels = { module: string; version: string; replica: string; host: string };

/** One counter of a module's usage, in base units, that starts from zero at each load. */
interface UsageCounter {
  name: string;
  help: string;
  /** The extra label and its value per field, or none. */
  fields: Array<[extra: Record<string, string>, read: (u: UsageCounters) => number | undefined]>;
}

const seconds = (us: number | undefined): number | undefined => (us === undefined ? undefined : us / 1e6);

const usageCounters: UsageCounter[] = [
  {
    name: "chipset_module_cpu_seconds_total",
    help: "CPU time of the module's thread (worker) or process, user and system, in seconds; inline modules: the synchronous time of their hooks and calls, an estimate. Kept across the module's reloads.",
    fields: [[{}, (u) => seconds(u.cpuUs ?? u.busyUs)]],
  },
  {
    name: "chipset_module_fs_bytes_total",
    help: "Bytes the module read and wrote through node:fs, in bytes. Kept across the module's reloads.",
    fields: [
      [{ direction: "read" }, (u) => u.fsRead],
      [{ direction: "write" }, (u) => u.fsWrite],
    ],
  },
  {
    name: "chipset_module_network_bytes_total",
    help: "Bytes the module received (in) and sent (out) over the network, in bytes. Kept across the module's reloads.",
    fields: [
      [{ direction: "in" }, (u) => u.netIn],
      [{ direction: "out" }, (u) => u.netOut],
    ],
  },
];

/**
 * Registers the per-module metrics in `registry`: each is read from the runtime when scraped
 * (`runtime.resources`, the instance table, the catalogue), so nothing runs per sample or per call.
 * `host` is the module's isolation (`inline`, `worker`, `process`): pids and thread ids would
 * make a new series at every restart.
 */
export function registerModuleMetrics(registry: Registry, runtime: Runtime, state: ModuleMetricsState): void {
  for (const spec of usageCounters) {
    const labelNames = ["module", "version", "replica", "host", ...Object.keys(spec.fields[0]![0])];
    new Counter({
      name: spec.name,
      help: spec.help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { id, version, replica, isolation, usage } of runtime.resources.usage()) {
          const key = sampleKey({ id, version, replica });
          const load = state.loads.get(key) ?? 0;
          const labels: Labels = { module: id, version, replica: String(replica), host: isolation };
          for (const [extra, read] of spec.fields) {
            const value = read(usage);
            if (value === undefined || !Number.isFinite(value)) continue;
            const series = `${key} ${spec.name} ${Object.values(extra).join(" ")}`;
            this.inc({ ...labels, ...extra }, state.totals.total(series, load, value));
          }
        }
      },
    });
  }

  new Gauge({
    name: "chipset_module_memory_bytes",
    help: "Memory of the module, in bytes: type heap_used is the V8 heap in use by its isolate (worker, process), rss the resident memory of its process (process modules only).",
    labelNames: ["module", "version", "replica", "host", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { id, version, replica, isolation, usage } of runtime.resources.usage()) {
        const labels: Labels = { module: id, version, replica: String(replica), host: isolation };
        if (usage.heapUsed !== undefined) this.set({ ...labels, type: "heap_used" }, usage.heapUsed);
        if (usage.rss !== undefined) this.set({ ...labels, type: "rss" }, usage.rss);
      }
    },
  });

  new Gauge({
    name: "chipset_module_event_loop_utilization",
    help: "Event-loop utilisation of the module's own thread over the latest sampling interval, 0 to 1 (worker and process modules; absent until sampled, and with sampling off).",
    labelNames: ["module", "version", "replica", "host"],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of runtime.resources.latest())
        if (s.elu !== null)
          this.set(
            { module: s.id, version: s.version, replica: String(s.replica ?? 0), host: s.isolation },
            s.elu,
          );
    },
  });

  new Gauge({
    name: "chipset_module_state",
    help: "The lifecycle state of each registered module version: 1 for the state it is in, 0 for the others.",
    labelNames: ["module", "version", "state"],
    registers: [registry],
    collect() {
      this.reset();
      const states = new Map<string, { module: string; version: string; state: LifecycleState }>();
      for (const m of runtime.queries.list())
        states.set(`${m.id}@${m.version}`, { module: m.id, version: m.version, state: "registered" });
      for (const i of runtime.instances())
        states.set(i.key, { module: i.id, version: i.version, state: i.state });
      for (const { module, version, state: current } of states.values())
        for (const s of lifecycleStates) this.set({ module, version, state: s }, s === current ? 1 : 0);
    },
  });

  new Counter({
    name: "chipset_module_restarts_total",
    help: "Restarts of the module version by its supervisor after a crash, since the host started serving.",
    labelNames: ["module", "version"],
    registers: [registry],
    collect() {
      this.reset();
      const seen = new Set<string>();
      for (const [key, count] of state.restarts) {
        seen.add(key);
        this.inc(versionLabels(key), count);
      }
      for (const i of runtime.instances())
        if (!seen.has(i.key)) this.inc({ module: i.id, version: i.version }, 0);
    },
  });
}

/** `{ module, version }` of an `id@version` key (ids may be scoped: `@scope/name@1.0.0`). */
export function versionLabels(key: string): { module: string; version: string } {
  const at = key.lastIndexOf("@");
  return { module: key.slice(0, at), version: key.slice(at + 1) };
}
