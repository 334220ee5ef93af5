import type { HookPoint } from "../lifecycle/HookRegistry.js";
import type { Runtime } from "../runtime/Runtime.js";
import { ChaosEngine } from "./ChaosEngine.js";

const engines = new WeakMap<Runtime, ChaosEngine>();

/**
 * The chaos engine of `runtime`: made and put between its calls and its modules on first use,
 * the same one afterwards. It injects nothing until `enable(seed)`; while no call fault is in
 * place, a call pays one test. When the runtime closes, every fault goes with it.
 */
export function chaosOf(runtime: Runtime): ChaosEngine {
  let engine = engines.get(runtime);
  if (engine === undefined) {
    engine = new ChaosEngine({
      clock: runtime.clock,
      instances: () => runtime.instances(),
      faultHost: (key, fault) => void runtime.faultHost(key, fault),
      hook: (hook, fn) => runtime.hook(`before:${hook}` as HookPoint, fn),
      onStarted: (fn) => runtime.on("module.started", (e) => fn(e.id)),
    });
    runtime.interceptCalls(engine);
    engines.set(runtime, engine);
  }
  return engine;
}
