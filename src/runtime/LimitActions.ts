import type { Logger } from "pino";
import type { Emitter } from "../common/Emitter.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { effectiveLimits, HELD_SAMPLES, LimitWatch } from "../resources/LimitWatch.js";
import type { ResourceEvents } from "../resources/ResourceEvents.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import { sampleKey, type ResourceLimits, type ResourceSample } from "../vocabulary/resources.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

/** What carrying out resource limits needs from the runtime. */
export interface LimitActionsDeps {
  logger: Logger;
  events: Emitter<RuntimeEvents>;
  instances: InstanceReader;
  /** The config's `resources.limits`: every module's, under its manifest's `limits`. */
  defaults: ResourceLimits;
  /** True once the runtime is closing: no action is taken any more. */
  closing(): boolean;
  onError(context: string, error: unknown): void;
}

const round = (n: number): string => (Math.round(n * 10) / 10).toString();

/**
 * Emits the `resource.warning` and `resource.limit` events {@link LimitWatch} decides on each
 * round of samples, and carries out a limit's action: `warn`, the event alone; `restart`, the
 * module's host is ended as crashed (kind `resource-limit`), so its supervisor restarts it by
 * its `restart` policy, with the same backoff and give-up as after any crash; `stop`, the host is
 * ended as crashed (kind `resource-stop`) and nothing restarts it: the module is down (its calls
 * fail at once with `CHIP_ERR_MODULE_DOWN`, or go to its fallback; its dependents are told) until
 * an operator restarts it. A stop that a later call undid would let it eat the machine again.
 */
export class LimitActions {
  private readonly watch: LimitWatch;

  constructor(private readonly deps: LimitActionsDeps) {
    this.watch = new LimitWatch((id, version) => {
      const limits = deps.instances.get(`${id}@${version}`)?.manifest.limits;
      return effectiveLimits(limits, deps.defaults);
    });
  }

  /** Takes one round of samples (the sampler's `onSamples`). */
  observe(samples: readonly ResourceSample[]): void {
    const acted = new Set<string>();
    for (const decision of this.watch.observe(samples)) {
      if (decision.event === "resource.warning") {
        this.warned(decision.payload);
        continue;
      }
      const e = decision.payload;
      const key = sampleKey(e);
      this.deps.logger.warn(
        { module: key, resource: e.resource, value: e.value, limit: e.limit, unit: e.unit, action: e.action },
        `${key} held ${e.resource} at ${round(e.value)} ${e.unit}, over its limit of ${e.limit} ${e.unit}, ` +
          `for ${HELD_SAMPLES} samples; action: ${e.action}`,
      );
      this.deps.events.emit("resource.limit", e);
      // Two figures over their limits in one round call for one restart or stop.
      if (e.action === "warn" || acted.has(key) || this.deps.closing()) continue;
      acted.add(key);
      this.end(key, e);
    }
  }

  /** Forgets `id@version` (it left the registry). */
  forget(id: string, version: string): void {
    this.watch.forget(id, version);
  }

  private warned(e: ResourceEvents["resource.warning"]): void {
    const key = sampleKey(e);
    if (e.active)
      this.deps.logger.warn(
        {
          module: key,
          resource: e.resource,
          value: e.value,
          threshold: e.threshold,
          limit: e.limit,
          unit: e.unit,
        },
        `${key} uses ${round(e.value)} ${e.unit} of ${e.resource}, past ${round(e.threshold)} ${e.unit} ` +
          `(warnAt of its limit of ${e.limit} ${e.unit})`,
      );
    this.deps.events.emit("resource.warning", e);
  }

  private end(key: string, e: ResourceEvents["resource.limit"]): void {
    const inst = this.deps.instances.get(key);
    if (inst === undefined || !stateIsActive(inst.state)) return;
    const held = `${e.resource} ${round(e.value)} ${e.unit} > limit ${e.limit} ${e.unit}`;
    inst.host.end({
      kind: e.action === "restart" ? "resource-limit" : "resource-stop",
      what: `it held ${e.resource} at ${round(e.value)} ${e.unit}, over its limit of ${e.limit} ${e.unit}, for ${HELD_SAMPLES} samples (limits.action "${e.action}")`,
      cause: new Error(held),
    });
  }
}
