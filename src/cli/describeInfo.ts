import type { BreakerSnapshot } from "../policies/PolicyBook.js";
import type { ModuleInfo } from "../runtime/RuntimeQueries.js";
import type { LiveInstance } from "../server/ModuleViews.js";
import { liveInfoFields, otherLiveLines } from "./describeLive.js";
import { fields, key, list, ms } from "./format.js";

const PHASES = ["load", "init", "start", "pause", "resume", "stop", "unload"] as const;

/** What a module's host protects the runtime and other modules from (see docs/security.md). */
function isolates(info: ModuleInfo): string {
  if (info.isolation === "inline") return "nothing: it runs in the runtime's own thread (trusted code only)";
  if (info.isolation === "worker")
    return "faults only: a crash or hang ends its worker, not the runtime; not a security boundary";
  if (info.manifest.permissions === undefined)
    return "faults and memory: a process of its own, with the runtime's user and rights";
  return "sandboxed: Node's permission model within the operator's ceiling, an explicit environment, and the kernel protections `chipset env` lists";
}

/** The probes a manifest declares and where they stand: "liveness ping(), readiness health(); out of service". */
function probes(info: ModuleInfo): string | undefined {
  const declared = info.manifest.probes;
  if (declared === undefined) return undefined;
  const names = (["startup", "liveness", "readiness"] as const).flatMap((name) => {
    const probe = declared[name];
    if (probe === undefined) return [];
    return [`${name} ${probe.method === undefined ? "health" : probe.method}()`];
  });
  const status = info.instance?.probes;
  const now =
    status === null || status === undefined
      ? "not probed (not running)"
      : status.startup === "pending"
        ? "startup pending"
        : status.ready
          ? "in service"
          : "OUT OF SERVICE (readiness failing)";
  return `${list(names)}; ${now}`;
}

/** What a running host adds to a module's info (`GET /v1/modules/{ref}`): its live versions and its breakers. */
export interface LiveFigures {
  instances: readonly LiveInstance[];
  breakers: readonly BreakerSnapshot[];
}

/**
 * `chipset info` for people: identity, state, host, where it lives, dependencies both ways,
 * timings, last error; with `live` (from a running host) also uptime, restarts and breakers.
 */
export function describeInfo(info: ModuleInfo, live?: LiveFigures): string[] {
  const inst = info.instance;
  const activation =
    typeof info.activation === "object" ? `on events ${info.activation.onEvent.join(", ")}` : info.activation;
  const host = inst
    ? `${inst.host.isolation} (pid ${inst.host.pid}${inst.host.threadId ? `, thread ${inst.host.threadId}` : ""})`
    : `${info.isolation} (not loaded)`;
  const timings = inst
    ? PHASES.filter((p) => inst.timingsMs[p] !== undefined).map((p) => `${p} ${ms(inst.timingsMs[p]!)}`)
    : [];
  const probeLine = probes(info);
  const lines = [
    key(info.id, info.version),
    ...fields([
      ["kind", info.kind],
      ["description", info.description || "(none)"],
      ["keywords", list(info.keywords)],
      ["state", info.state],
      ["activation", activation],
      ["host", host],
      ["isolates", isolates(info)],
      ["versions", list(info.versions)],
      ["dir", info.dir ?? "(registered in code)"],
      ["source", info.source],
      ["installed", new Date(info.installedAt).toISOString()],
      ["calls", inst ? String(inst.calls) : "0"],
      [
        "timings",
        list(timings, live === undefined ? "(not loaded in this process)" : "(not loaded on the host)"),
      ],
      ["last error", inst?.lastError ? `${inst.lastError.code}: ${inst.lastError.message}` : "none"],
      ...(probeLine === undefined ? [] : [["probes", probeLine] as const]),
      ...(live === undefined ? [] : liveInfoFields(info.version, live.instances, live.breakers)),
    ]),
    ...(live === undefined ? [] : otherLiveLines(info.version, live.instances)),
    "  restart history",
    ...(info.crashes.length === 0
      ? ["    no crashes"]
      : info.crashes.map(
          (c) =>
            `    ${new Date(c.at).toISOString()} ${key(c.id, c.version)} ${c.kind} -> ` +
            (c.action === "restart"
              ? `restarted after ${ms(c.delayMs ?? 0)}`
              : c.action === "gave-up"
                ? "gave up"
                : "not restarted (policy)") +
            `: ${c.message}`,
        )),
    "  dependencies",
    ...(info.dependencies.length === 0
      ? ["    none"]
      : info.dependencies.map(
          (d) => `    ${d.id} ${d.range}${d.optional ? " (optional)" : ""} -> ${d.resolved ?? "unresolved"}`,
        )),
    "  dependents",
    ...(info.dependents.length === 0
      ? ["    none"]
      : info.dependents.map(
          (d) => `    ${key(d.id, d.version)} (${d.optional ? "optional " : ""}${d.range})`,
        )),
  ];
  return lines;
}
