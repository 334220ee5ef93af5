import type { Disposable } from "../common/Disposable.js";
import type { BreakerSnapshot } from "../policies/PolicyBook.js";
import type { InstanceSummary, Runtime } from "../runtime/Runtime.js";
import type { ModuleInfo, ModuleSummary } from "../runtime/RuntimeQueries.js";
import type { HostInfo } from "../vocabulary/hosts.js";
import type { LifecycleState } from "../vocabulary/lifecycle.js";
import { sampleKey, type ResourceSample } from "../vocabulary/resources.js";

/** A live instance as the API shows it: where it runs and what it did. */
export interface LiveInstance {
  version: string;
  /** Which replica of the version: 0 for the first (or only) one. */
  replica: number;
  state: LifecycleState;
  /** Kind of host, pid, and thread id (worker). */
  host: HostInfo;
  calls: number;
  /** Since its last start or resume, in ms; null unless running or paused. */
  uptimeMs: number | null;
  /** Restarts after a crash since this host started. */
  restarts: number;
  /** Its latest resource sample (`runtime.resources.latest()`); null until sampled (or with sampling off). */
  resources: ResourceSample | null;
  /** Calls of this version that failed by the module's doing since this host started; null before its first call, or with anomaly detection off. */
  failedCalls: number | null;
  /** The 99th percentile of its latest successful calls (up to 1 024 per method), in ms; null before the first. */
  p99Ms: number | null;
}

/** What {@link ModuleViews} joins to each live instance, read once per answer. */
interface Figures {
  samples: Map<string, ResourceSample>;
  calls: Map<string, { failures: number; p99Ms: number | null }>;
}

/** One registered version in `GET /v1/modules`, with its instance when it is live. */
export type ModuleView = ModuleSummary & {
  instance: LiveInstance | null;
  /** Every live replica of a replicated module, first replica first; empty for one that runs one instance. */
  replicas: LiveInstance[];
  breakers: BreakerSnapshot[];
};

/** `GET /v1/modules/{ref}`: everything the runtime knows of one module, every live version of its id, its breakers. */
export type ModuleDetail = ModuleInfo & { instances: LiveInstance[]; breakers: BreakerSnapshot[] };

/**
 * The module listings of the API: the runtime's queries joined with its live instances, its
 * breakers, and the restarts counted here (from `module.restarted`, since the views were made).
 */
export class ModuleViews implements Disposable {
  private readonly restarts = new Map<string, number>();
  private readonly subscription: Disposable;

  constructor(private readonly runtime: Runtime) {
    this.subscription = runtime.on("module.restarted", (e) => {
      const key = sampleKey(e);
      this.restarts.set(key, (this.restarts.get(key) ?? 0) + 1);
    });
  }

  /** Every registered version, highest first within an id; `filter` as `runtime.queries.list` takes it. */
  list(filter: { kind?: string; search?: string } = {}): ModuleView[] {
    const loaded = this.loaded();
    const live = new Map(loaded.map((i) => [i.key, i]));
    const breakers = this.breakersById();
    const figures = this.figures();
    return this.runtime.queries.list(filter).map((m) => {
      const inst = live.get(`${m.id}@${m.version}`);
      const replicas = loaded.filter((i) => i.id === m.id && i.version === m.version);
      const replicated = replicas.some((i) => i.replica !== 0);
      return {
        ...m,
        instance: inst ? this.live(inst, figures) : null,
        replicas: replicated ? replicas.map((i) => this.live(i, figures)) : [],
        breakers: breakers.get(m.id) ?? [],
      };
    });
  }

  /** One module (`id`, `id@version` or `id@range`); `CHIP_ERR_MODULE_NOT_FOUND` when unknown. */
  detail(ref: string): ModuleDetail {
    const info = this.runtime.queries.info(ref);
    const figures = this.figures();
    const instances = this.loaded()
      .filter((i) => i.id === info.id)
      .map((i) => this.live(i, figures));
    return { ...info, instances, breakers: this.breakersById().get(info.id) ?? [] };
  }

  /** The live instance of `id@version` (after a control action), or null when it is not live. */
  instanceOf(id: string, version: string): LiveInstance | null {
    const inst = this.loaded().find((i) => i.id === id && i.version === version);
    return inst === undefined ? null : this.live(inst, this.figures());
  }

  dispose(): void {
    this.subscription.dispose();
  }

  /** The instances whose code is in a host: an unloaded one (back to `registered`) runs nowhere. */
  private loaded(): InstanceSummary[] {
    return this.runtime.instances().filter((i) => i.state !== "registered");
  }

  private live(i: InstanceSummary, figures: Figures): LiveInstance {
    const calls = figures.calls.get(i.key);
    return {
      version: i.version,
      replica: i.replica,
      state: i.state,
      host: i.host,
      calls: i.calls,
      uptimeMs: i.uptimeMs,
      restarts: this.restarts.get(i.key) ?? 0,
      resources: figures.samples.get(i.key) ?? null,
      failedCalls: calls?.failures ?? null,
      p99Ms: calls?.p99Ms ?? null,
    };
  }

  /** The latest resource samples and the call figures of every version, by `id@version`. */
  private figures(): Figures {
    const samples = new Map(this.runtime.resources.latest().map((s) => [sampleKey(s), s]));
    const calls = new Map(this.runtime.anomalies().versions.map((v) => [`${v.id}@${v.version}`, v]));
    return { samples, calls };
  }

  private breakersById(): Map<string, BreakerSnapshot[]> {
    const out = new Map<string, BreakerSnapshot[]>();
    for (const b of this.runtime.policies.breakers()) {
      const list = out.get(b.id);
      if (list) list.push(b);
      else out.set(b.id, [b]);
    }
    return out;
  }
}
