import type { Command } from "commander";
import type { TriggerStatus } from "../../runtime/Triggers.js";
import { isOtherLiveProcess } from "../../registry/StoreLayout.js";
import { readHostFile } from "../../server/hostFile.js";
import { lookWithRuntime, type CliContext } from "../context.js";
import { ms, table } from "../format.js";
import { globalsOf } from "./globals.js";

/** Registers `triggers [--json] [--offline]`: every cron and HTTP trigger, its next run and last outcome. */
export function registerTriggersCommand(program: Command, ctx: CliContext): void {
  program
    .command("triggers")
    .description(
      "the modules' cron and HTTP triggers: next run (in the configured time zone) and, from a running host, the last outcome",
    )
    .option("--offline", "read the registry even when a host runs (no last outcomes)")
    .option("--json", 'print JSON: { "source": "host" | "registry", "triggers": [...] }')
    .action(async (opts: { offline?: boolean; json?: boolean }, cmd: Command) => {
      const globals = globalsOf(cmd, ctx);
      let source: "host" | "registry" = "registry";
      let triggers: TriggerStatus[] | undefined;
      const host = opts.offline === true ? undefined : readHostFile(globals.dataDir);
      if (host !== undefined && isOtherLiveProcess(host.pid)) {
        triggers = await fromHost(host.url, host.token).catch((err: unknown) => {
          ctx.out.note(
            `the host at ${host.url} did not answer (${String(err)}); reading the registry instead`,
          );
          return undefined;
        });
        if (triggers !== undefined) source = "host";
      }
      triggers ??= await lookWithRuntime(globals, ctx, (runtime) => runtime.triggers.list());
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
    });
}

/** `GET /v1/triggers` of the host at `url`. */
async function fromHost(url: string, token: string): Promise<TriggerStatus[]> {
  const res = await fetch(`${url}/v1/triggers`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return ((await res.json()) as { triggers: TriggerStatus[] }).triggers;
}

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
