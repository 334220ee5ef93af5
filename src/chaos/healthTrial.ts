import type { Clock } from "../common/Clock.js";
import { sleep } from "../common/race.js";
import type { Disposable } from "../common/Disposable.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { ModuleHealth } from "../module.js";
import type { RuntimeEvents } from "../runtime/RuntimeEvents.js";
import type { BisectVerdict } from "./BisectTypes.js";

/** A call the health check makes during a trial: `module.method` with `args`. */
export interface HealthCall {
  id: string;
  method: string;
  args: unknown[];
}

/** How a trial decides whether the runtime was healthy. */
export interface HealthCheck {
  /** How long each trial runs the modules, in ms. */
  probeMs: number;
  /** Calls made through the trial (only those whose module is in the trial's set). */
  calls: HealthCall[];
  /** Calls per second of each of `calls`. */
  rate: number;
  /** The share of those calls that must succeed (0..1). */
  minSuccess: number;
}

/** What a trial needs of a runtime (a `Runtime` fits). */
export interface TrialRuntime {
  on<K extends keyof RuntimeEvents>(name: K, fn: (event: RuntimeEvents[K]) => void): Disposable;
  start(ref: string): Promise<void>;
  call(
    ref: string,
    method: string,
    args?: readonly unknown[],
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
  health(ref: string): Promise<ModuleHealth>;
}

/**
 * Runs `modules` (and what they need) for `check.probeMs` under the health-check calls, and
 * says whether the runtime stayed healthy: no module crashed, failed a transition, gave up or
 * showed an anomaly, every module's `health()` said ok at the end, and enough calls succeeded.
 * `detail` names what went wrong.
 */
export async function healthTrial(
  runtime: TrialRuntime,
  modules: readonly string[],
  check: HealthCheck,
  clock: Clock,
): Promise<BisectVerdict> {
  const problems: string[] = [];
  const seen = new Set<string>();
  const note = (text: string): void => {
    if (!seen.has(text)) problems.push(text);
    seen.add(text);
  };
  const subscriptions = [
    runtime.on("module.crashed", (e) => note(`${e.id} crashed (${e.kind})`)),
    runtime.on("module.failed", (e) => note(`${e.id} failed to ${e.command} (${e.error.code})`)),
    runtime.on("module.gave-up", (e) => note(`${e.id} gave up after ${e.restarts} restarts`)),
    runtime.on("module.anomaly", (e) => {
      if (e.active) note(`${e.id}${e.method ? `.${e.method}` : ""} showed a ${e.metric} anomaly`);
    }),
  ];
  let calls = 0;
  let failures = 0;
  const firstFailure = new Map<string, string>();
  try {
    for (const id of modules) {
      try {
        await runtime.start(id);
      } catch (err) {
        note(`${id} did not start (${(err as ChipsetError).code ?? String(err)})`);
      }
    }
    const mine = check.calls.filter((c) => modules.includes(c.id));
    // A call that has not answered a probe's length after the probe ended has hung: it fails.
    const giveUp = new AbortController();
    const inFlight: Promise<void>[] = [];
    const began = clock.now();
    let issued = 0;
    while (clock.now() - began < check.probeMs) {
      const due = Math.floor(((clock.now() - began) * check.rate) / 1000) - issued;
      for (let i = 0; i < due; i++, issued++) {
        for (const c of mine) {
          calls++;
          inFlight.push(
            runtime.call(c.id, c.method, c.args, { signal: giveUp.signal }).then(
              () => undefined,
              (err: ChipsetError) => {
                failures++;
                if (!firstFailure.has(`${c.id}.${c.method}`))
                  firstFailure.set(`${c.id}.${c.method}`, err.code);
              },
            ),
          );
        }
      }
      await sleep(clock, Math.max(1, Math.min(50, 1000 / check.rate)));
    }
    const grace = clock.setTimeout(() => giveUp.abort(), check.probeMs);
    await Promise.all(inFlight);
    grace.dispose();
    for (const id of modules) {
      const health = await runtime.health(id);
      if (!health.ok) note(`${id} is not healthy (${health.detail ?? "health() said no"})`);
    }
  } finally {
    for (const s of subscriptions) s.dispose();
  }
  if (calls > 0 && (calls - failures) / calls < check.minSuccess)
    note(
      `${failures} of ${calls} health-check calls failed (${[...firstFailure].map(([call, code]) => `${call}: ${code}`).join(", ")})`,
    );
  return problems.length === 0 ? { healthy: true } : { healthy: false, detail: problems.join("; ") };
}
