// The runtime's parts as the facade sees them: what createRuntime hands over, and what assemble() wires.
import type { Logger } from "pino";
import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import type { HostPool } from "../hosts/HostPool.js";
import type { InlineCrashTrap } from "../hosts/InlineCrashTrap.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { HookRegistry } from "../lifecycle/HookRegistry.js";
import type { KindRegistry } from "../registry/KindRegistry.js";
import type { Registry } from "../registry/Registry.js";
import type { Database } from "../store/Database.js";
import type { Supervisor } from "../supervision/Supervisor.js";
import type { DispatchParts } from "./assembleDispatch.js";
import type { Loader } from "./Loader.js";
import type { CallObservers } from "./CallObservers.js";
import type { ModuleCalls } from "./ModuleCalls.js";
import type { ModuleControl } from "./ModuleControl.js";
import type { Monitoring } from "./Monitoring.js";
import type { Resources } from "./Resources.js";
import type { Registration } from "./Registration.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { RuntimeLifecycle } from "./RuntimeLifecycle.js";
import type { ResolvedOptions } from "./RuntimeOptions.js";
import type { RuntimePolicies } from "./RuntimePolicies.js";
import type { RuntimeQueries } from "./RuntimeQueries.js";
import type { Updater } from "./Updater.js";
import type { UpdateWatcher } from "./UpdateWatcher.js";
import type { RuntimeState } from "./RuntimeState.js";
import type { Probes } from "./Probes.js";
import type { Triggers } from "./Triggers.js";
import type { ConfigOrigin } from "./configView.js";
import type { DesiredRuns } from "../registry/DesiredRuns.js";
import type { UpdateRequests } from "../registry/UpdateRequests.js";

/** What `createRuntime` hands to the runtime. */
export interface RuntimeParts {
  options: ResolvedOptions;
  clock: Clock;
  logger: Logger;
  db: Database;
  registry: Registry;
  moduleConfig: ReadonlyMap<string, unknown>;
  /** Where each entry of `moduleConfig` was set (same keys, same order). */
  moduleConfigOrigins: ReadonlyMap<string, ConfigOrigin>;
  /** Random numbers in [0, 1) (backoff jitter). */
  random: () => number;
  /** Where relative paths in each module's configuration start (absent: the working directory). */
  moduleConfigBase: ReadonlyMap<string, string>;
}

/** The runtime's parts, wired together: what the {@link Runtime} facade delegates to. */
export interface Assembly extends Omit<DispatchParts, "inRotation" | "strategyOf" | "observe"> {
  state: RuntimeState;
  events: Emitter<RuntimeEvents>;
  hooks: HookRegistry;
  kinds: KindRegistry;
  /** The read side of the instance table. */
  instances: InstanceReader;
  calls: ModuleCalls;
  loader: Loader;
  control: ModuleControl;
  registration: Registration;
  /** Hot updates (`runtime.update`, `runtime.rollback`). */
  updater: Updater;
  /** Update and rollback requests between processes, and the hosts that take them. */
  requests: UpdateRequests;
  /** Detection of new versions on an interval, and automatic updates (`runtime.checkUpdates`). */
  watcher: UpdateWatcher;
  lifecycle: RuntimeLifecycle;
  queries: RuntimeQueries;
  policies: RuntimePolicies;
  monitoring: Monitoring;
  /** What sees every call settle: monitoring, then the observers tools add (`runtime.observeCalls`). */
  observers: CallObservers;
  /** Resource sampling of every loaded module, and its queries. */
  resources: Resources;
  /** The supervisor of every module (crashes, restarts, give-ups). */
  supervisor: Supervisor<Instance>;
  /** Every worker thread and child process the runtime started (`live` counts them). */
  pool: HostPool;
  /** Attributes escaped errors of inline modules (absent when switched off). */
  trap: InlineCrashTrap | undefined;
  /** The liveness, readiness and startup probes of running modules. */
  probes: Probes;
  /** What operators asked of modules, brought back when the runtime starts. */
  desired: DesiredRuns;
  /** The modules' cron and HTTP triggers. */
  triggers: Triggers;
}
