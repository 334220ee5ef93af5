import type { Clock } from "../common/Clock.js";
import { toDisposable, type Disposable } from "../common/Disposable.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import { Bulkhead } from "./Bulkhead.js";
import {
  policyDefaults,
  resolveMethodPolicy,
  type BreakerSettings,
  type MethodPolicy,
} from "./CallsConfig.js";
import { type CallsConfig } from "../vocabulary/calls.js";
import { CircuitBreaker, type BreakerStateName, type BreakerTransition } from "./CircuitBreaker.js";
import type { PolicyEventSink, PolicyRef } from "./PolicyEvents.js";

/**
 * What the application answers with while a module cannot (see `runtime.policies.fallback`):
 * called with the error and the call's arguments; its value (or promise) is the call's result,
 * and if it throws, the call fails with that.
 */
export type FallbackHandler = (error: ChipsetError, args: readonly unknown[]) => unknown;

/** Everything the pipeline needs for calls to one method, resolved once and reused. */
export interface MethodPlan {
  readonly id: string;
  readonly method: string;
  readonly policy: MethodPolicy;
  readonly breaker: CircuitBreaker | undefined;
  readonly bulkhead: Bulkhead | undefined;
  readonly handler: FallbackHandler | undefined;
  /** The manifest `calls` this plan was made from (a new version's makes a new plan). */
  readonly source: CallsConfig | undefined;
  readonly generation: number;
  /** The runtime's per-method statistics (anomaly baselines), attached on first use. */
  series: { observe(latencyMs: number, ok: boolean): void } | undefined;
}

/** A breaker as queries show it. */
export interface BreakerSnapshot extends PolicyRef {
  state: BreakerStateName;
  /** Open: when probes begin, in ms on the runtime's clock. */
  retryAt?: number;
}

/** Plans kept per module, and modules kept with nothing to remember, before the oldest are dropped. */
const MAX_PLANS = 1_000;
const MAX_IDLE_MODULES = 10_000;

/** Breakers that never trip by themselves: made to isolate a scope that has no breaker configured. */
const isolationOnly: BreakerSettings = { ...policyDefaults.breaker, consecutiveFailures: 0, failureRate: 0 };

/** The call policies of one module id: its plans per method and the breakers and bulkheads they share. */
export class ModulePolicies {
  private plans = new Map<string, MethodPlan>();
  /** Breakers and bulkheads by scope: "" for the module's shared one, else the method's name. */
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly bulkheads = new Map<string, Bulkhead>();
  /** Scopes isolated by hand: the hold that keeps its breaker isolated, and how many isolations share it. */
  private readonly isolated = new Map<string, { hold: Disposable; breaker: CircuitBreaker; count: number }>();
  private generation = 0;
  override: CallsConfig | undefined;
  /** Temporary layers over the override (an experiment's policies), newest last. */
  layers: CallsConfig[] = [];
  readonly handlers = new Map<string, FallbackHandler>();

  constructor(
    readonly id: string,
    private readonly book: PolicyBook,
  ) {}

  /** The plan for `method` under the manifest's `calls` (hot path: one lookup, two compares). */
  plan(method: string, calls: CallsConfig | undefined): MethodPlan {
    const plan = this.plans.get(method);
    if (plan !== undefined && plan.source === calls && plan.generation === this.generation) return plan;
    // Plans are made for any name called, real or not: a caller inventing names must not grow this for ever.
    if (this.plans.size >= MAX_PLANS) this.plans = new Map();
    return this.build(method, calls);
  }

  /** True when nothing here outlives a plan: no override, layer, handler, isolation, breaker or bulkhead. */
  get idle(): boolean {
    return (
      this.override === undefined &&
      this.layers.length === 0 &&
      this.handlers.size === 0 &&
      this.isolated.size === 0 &&
      this.breakers.size === 0 &&
      this.bulkheads.size === 0
    );
  }

  /** The policies of `method`, every level combined: runtime defaults, the manifest's `calls`, the override, the layers. */
  resolve(method: string, calls: CallsConfig | undefined): MethodPolicy {
    return resolveMethodPolicy(method, [this.book.defaults, calls, this.override, ...this.layers]);
  }

  /** Something changed (override, handler, isolation): every plan is made again on its next call. */
  invalidate(): void {
    this.generation++;
    this.plans = new Map();
  }

  /** Isolates the module (`method` undefined) or one method until the result is disposed. */
  isolate(method: string | undefined): Disposable {
    const scope = method ?? "";
    let held = this.isolated.get(scope);
    if (held === undefined) {
      // The scope's own breaker if it has one (it closes with a clean slate after); else one that never trips by itself.
      const breaker = this.breakers.get(scope) ?? this.breakerFor(scope, isolationOnly);
      held = { hold: breaker.isolate(), breaker, count: 0 };
      this.isolated.set(scope, held);
      this.invalidate();
    }
    const isolation = held;
    isolation.count++;
    // Each caller gets its own release: the scope stays isolated until every one has let go.
    return toDisposable(() => {
      if (--isolation.count > 0) return;
      this.isolated.delete(scope);
      isolation.hold.dispose();
      if (isolation.breaker.settings === isolationOnly) this.breakers.delete(scope);
      this.invalidate();
    });
  }

  /** Every breaker of the module, for queries. */
  snapshot(): BreakerSnapshot[] {
    return [...this.breakers].map(([scope, breaker]) => {
      const s = breaker.state;
      return {
        id: this.id,
        ...(scope === "" ? {} : { method: scope }),
        state: s.name,
        ...(s.name === "open" ? { retryAt: s.until } : {}),
      };
    });
  }

  private build(method: string, calls: CallsConfig | undefined): MethodPlan {
    const policy = this.resolve(method, calls);
    // An isolated scope's breaker wins: it refuses everything until released.
    let breaker: CircuitBreaker | undefined;
    if (this.isolated.has(method)) breaker = this.breakers.get(method);
    else if (this.isolated.has("")) breaker = this.breakers.get("");
    else if (policy.breaker)
      breaker = this.breakerFor(policy.breaker.scope === "method" ? method : "", policy.breaker.settings);
    const bulkheadScope = policy.bulkhead?.scope === "method" ? method : "";
    const bulkhead = policy.bulkhead && this.bulkheadFor(bulkheadScope, policy.bulkhead.settings);
    const handler = this.handlers.get(method) ?? this.handlers.get("*");
    const plan: MethodPlan = {
      id: this.id,
      method,
      policy,
      breaker,
      bulkhead,
      handler,
      source: calls,
      generation: this.generation,
      series: undefined,
    };
    this.plans.set(method, plan);
    return plan;
  }

  private breakerFor(scope: string, settings: BreakerSettings): CircuitBreaker {
    const existing = this.breakers.get(scope);
    // New settings keep the state: an override must not reset an open breaker (nor a bulkhead's count).
    if (existing) {
      if (!sameSettings(existing.settings, settings)) existing.reconfigure(settings);
      return existing;
    }
    const ref: PolicyRef = scope === "" ? { id: this.id } : { id: this.id, method: scope };
    const breaker: CircuitBreaker = new CircuitBreaker(settings, this.book.clock, (t) =>
      this.book.transitioned(ref, t, breaker.settings),
    );
    this.breakers.set(scope, breaker);
    return breaker;
  }

  private bulkheadFor(scope: string, settings: Bulkhead["settings"]): Bulkhead {
    const existing = this.bulkheads.get(scope);
    if (existing) {
      if (!sameSettings(existing.settings, settings)) existing.reconfigure(settings);
      return existing;
    }
    const bulkhead = new Bulkhead(settings);
    this.bulkheads.set(scope, bulkhead);
    return bulkhead;
  }
}

function sameSettings(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

/**
 * The call policies of every module: runtime overrides over the manifests' `calls`, the
 * application's fallback handlers, manual isolation, and the breakers' and bulkheads' state
 * (which outlives instances: a restarted module finds its breaker as it left it).
 */
export class PolicyBook {
  private readonly modules = new Map<string, ModulePolicies>();

  /**
   * @param defaults the runtime-wide `calls` defaults, below every manifest
   * @param events where breaker transitions go
   */
  constructor(
    readonly clock: Clock,
    private readonly events: PolicyEventSink,
    readonly defaults: CallsConfig | undefined,
  ) {}

  /** The policies of module `id`, made on first use. */
  module(id: string): ModulePolicies {
    let m = this.modules.get(id);
    if (m === undefined) {
      if (this.modules.size >= MAX_IDLE_MODULES)
        for (const [other, policies] of this.modules) if (policies.idle) this.modules.delete(other);
      this.modules.set(id, (m = new ModulePolicies(id, this)));
    }
    return m;
  }

  /** Replaces the runtime override of `id`'s policies (undefined removes it). Validated by the caller. */
  override(id: string, config: CallsConfig | undefined): void {
    const m = this.module(id);
    m.override = config;
    m.invalidate();
  }

  /** Puts `config` over `id`'s policies (and its override) until the result is disposed. Validated by the caller. */
  layer(id: string, config: CallsConfig): Disposable {
    const m = this.module(id);
    m.layers = [...m.layers, config];
    m.invalidate();
    return toDisposable(() => {
      m.layers = m.layers.filter((l) => l !== config);
      m.invalidate();
    });
  }

  /** Registers a fallback handler for `id`'s `method` (`"*"`: every method); dispose to remove it. */
  fallback(id: string, method: string, handler: FallbackHandler): Disposable {
    const m = this.module(id);
    m.handlers.set(method, handler);
    m.invalidate();
    return toDisposable(() => {
      if (m.handlers.get(method) !== handler) return;
      m.handlers.delete(method);
      m.invalidate();
    });
  }

  /** Every breaker that exists, for queries. */
  breakers(): BreakerSnapshot[] {
    return [...this.modules.values()].flatMap((m) => m.snapshot());
  }

  /** Reports a breaker transition as an event (told by the module policies this book made). */
  transitioned(ref: PolicyRef, t: BreakerTransition, settings: BreakerSettings): void {
    const events = this.events;
    if (t.to === "open" && events.has("breaker.opened")) {
      events.emit("breaker.opened", {
        ...ref,
        reason: t.reason ?? "consecutive-failures",
        failures: t.failures,
        rate: t.rate,
        openMs: settings.openMs,
      });
    } else if (t.to === "half-open" && events.has("breaker.half-open")) {
      events.emit("breaker.half-open", { ...ref });
    } else if (t.to === "closed" && events.has("breaker.closed")) {
      events.emit("breaker.closed", { ...ref, from: t.from });
    } else if (t.to === "isolated" && events.has("breaker.isolated")) {
      events.emit("breaker.isolated", { ...ref });
    }
  }
}
