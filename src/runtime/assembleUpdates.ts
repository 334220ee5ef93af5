import type { Emitter } from "../common/Emitter.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceFactory } from "../instances/InstanceFactory.js";
import type { InstanceTable } from "../instances/InstanceTable.js";
import type { ActiveVersions } from "../registry/ActiveVersions.js";
import { UpdateHistory } from "../registry/UpdateHistory.js";
import type { Supervisor } from "../supervision/Supervisor.js";
import { UpdateSources } from "../updates/UpdateSources.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import type { Activator } from "./Activator.js";
import type { RuntimeParts } from "./Assembly.js";
import type { Catalog } from "./Catalog.js";
import type { ModuleCalls } from "./ModuleCalls.js";
import type { ModuleControl } from "./ModuleControl.js";
import type { Registration } from "./Registration.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { RuntimeState } from "./RuntimeState.js";
import { Updater } from "./Updater.js";
import { UpdateWatcher } from "./UpdateWatcher.js";

/** The runtime's parts that updates act through (see {@link assembleUpdates}). */
export interface UpdateWiring {
  parts: RuntimeParts;
  events: Emitter<RuntimeEvents>;
  onError: (context: string, error: unknown) => void;
  state: RuntimeState;
  catalog: Catalog;
  table: InstanceTable;
  factory: InstanceFactory;
  activator: Activator;
  control: ModuleControl;
  active: ActiveVersions;
  registration: Registration;
  calls: ModuleCalls;
  supervisor: Supervisor<Instance>;
}

/**
 * Hot updates and their detection (see docs/updates.md): the {@link Updater} that fetches,
 * installs, starts and switches a new version, and the {@link UpdateWatcher} that finds new
 * versions (started with the runtime). They share one {@link UpdateSources}, so each registry
 * answer and its ETag serve both. The {@link UpdateHistory} records what the updater ran.
 */
export function assembleUpdates(w: UpdateWiring): {
  updater: Updater;
  watcher: UpdateWatcher;
  history: UpdateHistory;
} {
  const { parts, events, state, table, calls, registration } = w;
  const { clock, logger, options, registry } = parts;
  const sources = new UpdateSources(options.updates, { clock });
  const history = new UpdateHistory(parts.db);
  const updater = new Updater({
    clock,
    events,
    catalog: w.catalog,
    instances: table,
    factory: w.factory,
    activator: w.activator,
    control: w.control,
    active: w.active,
    sources,
    scratchDir: () => registry.scratchDir(),
    install: (dir, source) => registration.add(dir, { source }),
    call: (ref, method, args) => calls.call(ref, method, args),
    release: (key) => w.supervisor.released(key),
    split: (split) => calls.split(split),
    assertOpen: () => state.assertOpen(),
    history,
    onError: w.onError,
  });
  const watcher = new UpdateWatcher({
    clock,
    logger,
    events,
    settings: options.updates.updates,
    sources,
    installed: () => registry.list(),
    running: (id) => table.versionsOf(id).find((inst) => stateIsActive(inst.state))?.version,
    moduleDirs: options.moduleDirs,
    dataDir: options.dataDir,
    use: options.use,
    overrides: options.overrides,
    update: (id, updateOptions) => updater.update(id, updateOptions),
    onError: w.onError,
    closing: () => state.closing,
  });
  events.on("runtime.started", () => watcher.start());
  return { updater, watcher, history };
}
