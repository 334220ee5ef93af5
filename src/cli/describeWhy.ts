import type { VersionWhy } from "../runtime/whyVersion.js";
import { table } from "./format.js";

/** `chipset why` as text: the choice, the constraints, the versions not chosen, and any conflict. */
export function describeWhy(why: VersionWhy): string[] {
  const lines: string[] = [];
  if (why.conflict !== null) {
    lines.push(`${why.id}: the application's modules cannot run together (${why.conflict.code}):`);
    lines.push(...why.conflict.message.split("\n").map((line) => `  ${line}`));
  } else {
    const side = why.chosen.length > 1 ? " (side by side)" : "";
    lines.push(`${why.id} ${why.chosen.join(", ")}${side}`);
  }
  if (why.running.length > 0) lines.push(`running: ${why.running.join(", ")}`);
  if (why.override !== null)
    lines.push(`override: ${why.override.range} (${why.override.from}) replaces every range on ${why.id}`);
  if (why.constraints.length > 0) {
    lines.push("", "constraints:");
    lines.push(
      ...table(
        ["FROM", "RANGE", "BOUND TO"],
        why.constraints.map((c) => [c.from, c.range, c.bound ?? "-"]),
      ).map((line) => `  ${line}`),
    );
  }
  if (why.rejected.length > 0) {
    lines.push("", "not chosen:");
    lines.push(...why.rejected.map((r) => `  ${r.version}: ${r.reason}`));
  }
  if (why.elsewhere.length > 0) {
    lines.push("", "also declared by installed modules not in use (resolve with them: --with <id>):");
    lines.push(...why.elsewhere.map((e) => `  ${e.from} wants ${e.range}`));
  }
  return lines;
}
