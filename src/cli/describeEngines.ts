import type { EnginePool } from "../runtime/Engines.js";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import { list, table } from "./format.js";
import type { JsonExplanation } from "./HostClient.js";

/**
 * `chipset engines`: one table per pool, a row per live member: its address, lifecycle state,
 * health, whether it is in rotation, calls in flight, document 004's load factor (the free share
 * of its capacity), calls served and capabilities.
 */
export function enginesLines(pools: readonly EnginePool[]): string[] {
  if (pools.length === 0)
    return ['no engine is live: a module joins a pool with "engine": { "type": "..." } in its manifest'];
  return pools.flatMap((pool, i) => [
    ...(i === 0 ? [] : [""]),
    `${pool.type} (${pool.members.length} member${pool.members.length === 1 ? "" : "s"})`,
    ...table(
      ["KEY", "STATE", "HEALTH", "ROTATION", "INFLIGHT", "LOAD", "CALLS", "CAPABILITIES"],
      pool.members.map((m) => [
        m.key,
        m.state,
        m.health,
        m.inRotation ? "in" : "out",
        `${m.inflight}/${m.maxConcurrent}`,
        m.load.toFixed(2),
        String(m.calls),
        list(m.capabilities, "-"),
      ]),
    ).map((line) => `  ${line}`),
  ]);
}

/**
 * `chipset dispatch --explain`: the request, the strategy and the engine it would pick, then a
 * row per live engine with document 004's score factor by factor (type, capability, load,
 * performance, affinity; each 0 to 1) and the total, the pick marked `*`, and why each one that
 * cannot be picked is not eligible.
 */
export function explanationLines(x: JsonExplanation): string[] {
  const w = x.candidates[0]?.score.weights;
  const head = [
    `request   ${describeRequest(x.request)}`,
    `strategy  ${x.strategy}`,
    `picks     ${x.pickKnown ? (x.picked ?? "none: no engine fits") : "unknown (the strategy cannot tell without picking)"}`,
  ];
  if (x.candidates.length === 0)
    return [...head, "", "no live engine fits the type; chipset engines lists the pools"];
  const num = (n: number | null) => (n === null ? "-" : n.toFixed(2));
  return [
    ...head,
    `weights   type ${w!.type}, capability ${w!.capability}, load ${w!.load}, performance ${w!.performance}, affinity ${w!.affinity}`,
    "",
    ...table(
      ["", "KEY", "ELIGIBLE", "HEALTH", "TYPE", "CAPABILITY", "LOAD", "PERF", "AFFINITY", "SCORE", "WHY NOT"],
      x.candidates.map((c) => [
        c.picked ? "*" : "",
        c.key,
        c.eligible ? "yes" : "no",
        c.health,
        num(c.score.factors.type),
        num(c.score.factors.capability),
        num(c.score.factors.load),
        num(c.score.factors.performance),
        num(c.score.factors.affinity),
        num(c.score.total),
        c.excluded.map((e) => e.message).join("; "),
      ]),
    ),
  ];
}

/** `type calc, capabilities math, gpu, key k1, labels zone=eu`, or `any engine`. */
function describeRequest(r: DispatchRequest): string {
  const parts = [
    r.type === undefined ? "any type" : `type ${r.type}`,
    ...(r.capabilities?.length ? [`capabilities ${r.capabilities.join(", ")}`] : []),
    ...(r.key === undefined ? [] : [`key ${r.key}`]),
    ...(r.labels === undefined || Object.keys(r.labels).length === 0
      ? []
      : [
          `labels ${Object.entries(r.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")}`,
        ]),
  ];
  return parts.join(", ");
}
