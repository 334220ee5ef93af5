import { CronPattern } from "croner";
import { renderValue } from "../common/renderValue.js";
import { CRON_MODE } from "../vocabulary/triggers.js";
import type { SchemaProblem } from "./describeSchemaErrors.js";

/**
 * What the schema cannot say about `chipset.triggers`: each cron expression parses (croner, 5
 * fields or 6 with seconds first), no path has a "." or ".." segment, and no two HTTP triggers
 * of the manifest share a method and path. Run only on a `triggers` the schema accepted.
 */
export function triggerProblems(triggers: unknown): SchemaProblem[] {
  if (!Array.isArray(triggers)) return [];
  const problems: SchemaProblem[] = [];
  const routes = new Map<string, number>();
  triggers.forEach((trigger: Record<string, unknown>, i) => {
    if (typeof trigger.cron === "string") {
      const problem = cronProblem(trigger.cron);
      if (problem !== undefined) {
        const field = `chipset.triggers.${i}.cron`;
        const expected = 'a cron expression of 5 fields (or 6, seconds first) such as "*/5 * * * *"';
        problems.push({
          field,
          expected,
          found: renderValue(trigger.cron),
          message: `"${field}" is not a valid cron expression (${problem}); expected ${expected}`,
        });
      }
      return;
    }
    const http = trigger.http as { method: string; path: string };
    const field = `chipset.triggers.${i}.http.path`;
    if (http.path.split("/").some((segment) => segment === "." || segment === "..")) {
      const expected = 'a path without "." or ".." segments such as "/hooks/ingest"';
      problems.push({
        field,
        expected,
        found: renderValue(http.path),
        message: `"${field}" has a "." or ".." segment; expected ${expected}`,
      });
    }
    const route = `${http.method} ${http.path}`;
    const first = routes.get(route);
    if (first !== undefined) {
      const expected = "each method and path once in the module's triggers";
      problems.push({
        field,
        expected,
        found: renderValue(http.path),
        message: `"chipset.triggers.${i}.http" repeats ${route}, declared by chipset.triggers.${first} already; expected ${expected}`,
      });
    } else routes.set(route, i);
  });
  return problems;
}

/** Why croner refuses `expression`, or undefined when it parses. */
export function cronProblem(expression: string): string | undefined {
  try {
    new CronPattern(expression, undefined, { mode: CRON_MODE });
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, "");
  }
}
