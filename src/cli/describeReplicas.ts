import type { ReplicaSetView } from "../runtime/Replicas.js";
import { ms, table } from "./format.js";

/**
 * `chipset replicas`: per replicated module a line with its counts and strategy, then a row per
 * replica: its address, lifecycle state, thread (or pid for a process replica), health, whether
 * it is in rotation, effective weight, calls in flight, mean call time, error rate, ejections,
 * calls served, and why it is in its health state.
 */
export function replicasLines(sets: readonly ReplicaSetView[]): string[] {
  if (sets.length === 0)
    return ['no replicated module has an instance: a module runs replicas with "replicas": { "min": 2 }'];
  const num = (n: number | undefined, digits: number) => (n === undefined ? "-" : n.toFixed(digits));
  return sets.flatMap((set, i) => [
    ...(i === 0 ? [] : [""]),
    `${set.id}@${set.version}: ${set.current} of ${set.desired} replica${set.desired === 1 ? "" : "s"} asked (min ${set.min}, max ${set.max}), ${set.strategy}`,
    ...table(
      [
        "KEY",
        "STATE",
        "WHERE",
        "HEALTH",
        "ROTATION",
        "WEIGHT",
        "INFLIGHT",
        "MEAN",
        "ERRORS",
        "EJECTED",
        "CALLS",
        "WHY",
      ],
      set.members.map((m) => [
        m.key,
        m.state,
        m.thread === 0 ? `pid ${m.pid}` : `thread ${m.thread}`,
        m.health,
        m.inRotation ? "in" : "out",
        num(m.effectiveWeight, 2),
        String(m.inflight),
        m.meanMs === undefined ? "-" : ms(m.meanMs),
        m.errorRate === undefined ? "-" : `${Math.round(m.errorRate * 100)}%`,
        String(m.ejections),
        String(m.calls),
        m.reason,
      ]),
    ).map((line) => `  ${line}`),
  ]);
}
