import { renderValue } from "../common/renderValue.js";
import type { SchemaProblem } from "./describeSchemaErrors.js";

const PROBES = ["liveness", "readiness", "startup"] as const;

/**
 * What the schema cannot say plainly about `chipset.probes`: each probe names exactly one check,
 * `method` or `health`. Run only on a `probes` the schema accepted.
 */
export function probeProblems(probes: unknown): SchemaProblem[] {
  if (typeof probes !== "object" || probes === null) return [];
  const problems: SchemaProblem[] = [];
  for (const name of PROBES) {
    const probe = (probes as Record<string, unknown>)[name];
    if (typeof probe !== "object" || probe === null) continue;
    const has = (key: string) => Object.hasOwn(probe, key);
    if (has("method") === has("health")) {
      const field = `chipset.probes.${name}`;
      const expected = 'exactly one check: { "method": "<api method>" } or { "health": true }';
      const found = renderValue(probe);
      problems.push({
        field,
        expected,
        found,
        message: `"${field}" ${has("method") ? "names both a method and health" : "names no check"}; expected ${expected}, found ${found}`,
      });
    }
  }
  return problems;
}
