import type { Command } from "commander";
import type { TriggerStatus } from "../../runtime/Triggers.js";
import { lookWithRuntime, type CliContext } from "../context.js";
import { ms, table } from "../format.js";
import { connectHost, QUERY_TIMEOUT_MS } from "../hostTarget.js";
import { globalsOf } from "../commands/globals.js";

/** `2026-03-01 09:05:00 Europe/Paris`: the next tick in the trigger's time zone. */
function nextRun(t: TriggerStatus): string {
  if (t.nextRun === null || t.nextRun === undefined) return "none";
  const zone = t.timeZone ?? "UTC";
  // sv-SE writes dates as ISO 8601 does: 2026-03-01 09:05:00.
  const local = new Date(t.nextRun).toLocaleString("sv-SE", { timeZone: zone });
  return `${local} ${zone}`;
}

function last(t: TriggerStatus, source: "host" | "registry"): string {
  if (t.last === null) return source === "host" ? "not fired yet" : "unknown (no host running)";
  const when = new Date(t.last.at).toISOString();
  const how = t.last.ok ? "ok" : (t.last.code ?? "failed");
  const missed = t.missed > 0 ? `, ${t.missed} missed` : "";
  return `${how} in ${ms(t.last.durationMs)} at ${when}${missed}`;
}

/** `chipset triggers`: what it does once commander has parsed its arguments (see commands/). */
export async function listTriggers(ctx: CliContext, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const globals = globalsOf(cmd, ctx);
  const host = connectHost(globals);
  const source: "host" | "registry" = host === undefined ? "registry" : "host";
  const triggers =
    host === undefined
      ? await lookWithRuntime(globals, ctx, (runtime) => runtime.triggers.list())
      : await host.triggers(AbortSignal.timeout(QUERY_TIMEOUT_MS));
  if (opts.json) return ctx.out.json({ source, triggers });
  if (triggers.length === 0) return ctx.out.line("no module declares triggers");
  ctx.out.lines(
    table(
      ["MODULE", "TRIGGER", "CALL", "NEXT RUN", "LAST"],
      triggers.map((t) => [
        `${t.id}@${t.version}`,
        t.kind === "cron"
          ? `cron ${t.cron}`
          : `${t.method} ${t.path}${t.conflict === undefined ? "" : " (not served)"}`,
        t.call,
        t.kind === "cron" ? nextRun(t) : "-",
        last(t, source),
      ]),
    ),
  );
  for (const t of triggers) if (t.conflict !== undefined) ctx.out.note(t.conflict);
}
