import type { Disposable } from "../common/Disposable.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import type { HostInfo } from "../vocabulary/hosts.js";
import type { Runtime } from "../runtime/Runtime.js";
import type { RuntimeEvents } from "../runtime/RuntimeEvents.js";
import { key as moduleKey, ms } from "./format.js";

/** Receives one readable line per event. */
export type EventLine = (text: string) => void;

/** `id@version`, and `#replica` for an event about a replica after the first. */
const key = (id: string, version: string, replica?: number): string =>
  replica === undefined || replica === 0 ? moduleKey(id, version) : `${moduleKey(id, version)}#${replica}`;

const errorText = (err: unknown): string =>
  err instanceof ChipsetError ? `${err.code}: ${err.message}` : String(err);

/** `id` or `id.method`: which breaker, or where an anomaly is. */
const scope = (e: { id: string; method?: string }): string =>
  e.method === undefined ? e.id : `${e.id}.${e.method}`;

/** How each event reads for people, by name (undefined: not shown). Left out: `module.state` and `load.progress` (too chatty),
 * a probe that passed, and `runtime.started`/`runtime.stopped` (`chipset start` prints its own summaries). */
const describe: { [K in keyof RuntimeEvents]?: (e: RuntimeEvents[K]) => string | undefined } = {
  "module.registered": (e) => `registered ${key(e.id, e.version, e.replica)} (${e.status}) from ${e.source}`,
  "module.rejected": (e) => `rejected ${e.dir}: ${errorText(e.error)}`,
  "module.removed": (e) => `removed ${e.version === undefined ? e.id : key(e.id, e.version)}`,
  "module.loaded": (e) =>
    `${e.preload ? "preloaded" : "loaded"} ${key(e.id, e.version, e.replica)} in ${ms(e.durationMs)}`,
  "module.started": (e) =>
    `started ${key(e.id, e.version, e.replica)} in ${ms(e.durationMs)}${where(e.host)}`,
  "module.stopped": (e) => `stopped ${key(e.id, e.version, e.replica)} in ${ms(e.durationMs)}`,
  "module.unloaded": (e) => `unloaded ${key(e.id, e.version, e.replica)} (${e.reason})`,
  "module.failed": (e) =>
    `failed ${key(e.id, e.version, e.replica)} during ${e.command} (now ${e.state}): ${errorText(e.error)}`,
  "module.crashed": (e) => `CRASHED ${key(e.id, e.version, e.replica)} (${e.kind}): ${errorText(e.error)}`,
  "module.restarting": (e) =>
    `restarting ${key(e.id, e.version, e.replica)} in ${ms(e.delayMs)} (attempt ${e.attempt}, backoff)`,
  "module.restarted": (e) =>
    `restarted ${key(e.id, e.version, e.replica)} (attempt ${e.attempt}, down ${ms(e.downtimeMs)})`,
  "module.gave-up": (e) =>
    `GAVE UP on ${key(e.id, e.version, e.replica)}: ${e.restarts} restarts within ${ms(e.withinMs)}; it is failed now ` +
    `(last crash: ${e.crashes[0] ? `${e.crashes[0].kind}: ${e.crashes[0].message}` : "unknown"})`,
  "module.fallback": (e) =>
    e.active
      ? `fallback on: calls to ${key(e.id, e.version, e.replica)} go to ${e.fallback}`
      : `fallback off: calls to ${key(e.id, e.version, e.replica)} go to it again`,
  "module.probe": (e) =>
    e.ok
      ? undefined
      : `probe failed: ${e.probe} of ${key(e.id, e.version, e.replica)} (${e.consecutive} in a row): ${e.error ?? "unknown"}`,
  "module.unready": (e) =>
    `NOT READY: ${key(e.id, e.version, e.replica)} is out of service after ${e.failures} failed readiness probes`,
  "module.ready": (e) =>
    `ready: ${key(e.id, e.version, e.replica)} serves again after ${e.successes} passed readiness probes (out for ${ms(e.unreadyMs)})`,
  "module.dependency": (e) =>
    `told ${key(e.id, e.version, e.replica)} that ${e.dependency} ${e.status}` +
    (e.status === "crashed" && e.reaction !== "continue"
      ? ` (${e.reaction === "stop" ? "stopping it" : "stopping it until it is back"})`
      : ""),
  "module.stalled": (e) =>
    `STALL: ${key(e.id, e.version, e.replica)}.${e.method} blocked the event loop for ${ms(e.durationMs)}; ${e.suggestion}`,
  "module.anomaly": (e) =>
    `${e.active ? "ANOMALY" : "anomaly over"}: ${e.id}@${e.version}${e.method === undefined ? "" : `.${e.method}`} ${e.metric} ` +
    `${e.observed.toFixed(2)} ${e.unit} (baseline ${e.baseline.toFixed(2)}, threshold ${e.threshold.toFixed(2)})`,
  "resource.warning": (e) =>
    `${e.active ? "RESOURCE WARNING" : "resource warning over"}: ${key(e.id, e.version, e.replica)} ${e.resource} ` +
    `${e.value.toFixed(1)} ${e.unit} (warns at ${e.threshold.toFixed(1)}, limit ${e.limit} ${e.unit})`,
  "resource.limit": (e) =>
    `RESOURCE LIMIT: ${key(e.id, e.version, e.replica)} held ${e.resource} at ${e.value.toFixed(1)} ${e.unit} ` +
    `over its limit of ${e.limit} ${e.unit} for two samples; action: ${e.action}`,
  "report.ready": (e) => {
    const cpu = e.top.cpuPercent[0];
    const memory = e.top.memoryBytes[0];
    return (
      `resource report: ${e.modules.length} modules, ${e.restarts} restarts, ${e.errors} errors` +
      (cpu === undefined ? "" : `; top CPU ${cpu.module} ${cpu.avg.toFixed(1)}%`) +
      (memory === undefined
        ? ""
        : `; top memory ${memory.module} ${(memory.avg / 1024 / 1024).toFixed(1)} MB`) +
      " (chipset report for more)"
    );
  },
  "breaker.opened": (e) =>
    `breaker OPEN for ${scope(e)} (${e.reason}: ${e.failures} failures in a row, ` +
    `${Math.round(e.rate * 100)}% failed); calls are refused for ${ms(e.openMs)}`,
  "breaker.closed": (e) => `breaker closed for ${scope(e)} (was ${e.from})`,
  "breaker.isolated": (e) => `breaker isolated by hand for ${scope(e)}`,
  "hook.failed": (e) =>
    `hook after ${e.command} of ${key(e.id, e.version, e.replica)} failed: ${errorText(e.error)}`,
  "update.started": (e) =>
    `updating ${e.id}${e.from === null ? "" : ` from ${e.from}`}${e.to === null ? "" : ` to ${e.to}`}...`,
  "update.switched": (e) =>
    `switched ${e.id} ${e.from ?? "?"} -> ${e.to ?? "?"} (calls waited ${ms(e.gateMs)} at the switch)`,
  "update.completed": (e) =>
    `updated ${e.id}${e.from === null ? "" : ` ${e.from} ->`} ${e.to ?? "?"} in ${ms(e.durationMs)}`,
  "update.failed": (e) =>
    `update of ${e.id} FAILED at ${e.step}; ${e.from === null ? "nothing changed" : `${e.from} serves as before`}: ${errorText(e.error)}`,
  // A rollback asked for goes from the version that served to the one before it; one after a
  // crash or an anomaly takes the new version (`to`) back to the old one (`from`).
  "update.rolled-back": (e) =>
    e.reason === "requested"
      ? `rolled back ${e.id} ${e.from ?? "?"} -> ${e.to ?? "?"} (asked for)`
      : `ROLLED BACK ${e.id} ${e.to ?? "?"} -> ${e.from ?? "?"}: ${e.reason}`,
  "update.available": (e) =>
    `update available: ${e.id} ${e.from ?? "(none)"} -> ${e.to ?? "?"} at ${e.source}`,
  "runtime.error": (e) => `error in ${e.context}: ${errorText(e.error)}`,
};

/** Where an isolated module runs, for people: " (worker, pid 1 thread 3)"; nothing for inline. */
function where(host: HostInfo): string {
  if (host.isolation === "inline") return "";
  return host.isolation === "worker"
    ? ` (worker, pid ${host.pid} thread ${host.threadId})`
    : ` (process, pid ${host.pid})`;
}

/** Subscribes to every event `chipset start` shows and hands each, as a readable line, to `write`. */
export function followEvents(runtime: Runtime, write: EventLine): Disposable {
  const subs: Disposable[] = [];
  for (const name of Object.keys(describe) as Array<keyof RuntimeEvents>) {
    const fn = describe[name] as ((e: unknown) => string | undefined) | undefined;
    if (fn)
      subs.push(
        runtime.on(name, (e: unknown) => {
          const text = fn(e);
          if (text !== undefined) write(text);
        }),
      );
  }
  return { dispose: () => subs.forEach((s) => s.dispose()) };
}
