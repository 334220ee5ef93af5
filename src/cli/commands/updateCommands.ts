import { resolve } from "node:path";
import type { Command } from "commander";
import type { RequestedOutcome, UpdateRequestOptions } from "../../runtime/requestUpdate.js";
import type { UpdateReport } from "../../runtime/updateReport.js";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { withRuntime, type CliContext } from "../context.js";
import { key, ms } from "../format.js";
import { usageError } from "../usage.js";
import { globalsOf } from "./globals.js";

interface TimingFlags {
  drainTimeout?: string;
  grace?: string;
  json?: boolean;
}

/**
 * Registers `update` and `rollback`: they change which version of a module serves. With a host
 * (`chipset start`) on the data directory, the host does it and the command waits for the
 * outcome; without one, the new version is installed and made active for the next load.
 */
export function registerUpdateCommands(program: Command, ctx: CliContext): void {
  const timing = (cmd: Command) =>
    cmd
      .option(
        "--drain-timeout <ms>",
        "how long in-flight calls may take to finish at the switch (default 5000)",
      )
      .option("--grace <ms>", "how long a crash or anomaly of the new version rolls it back (default 10000)")
      .option("--json", "print the update report as JSON");
  timing(
    program
      .command("update")
      .description(
        "update a module to a new version without a failed call (a running host switches to it; otherwise it becomes the version loaded next)",
      )
      .argument("<ref>", "id, or id@range for the version wanted (default: the highest there is)")
      .option("--from <path>", "a module directory or an npm pack .tgz to take the new version from")
      .option("--registry <url>", 'an npm registry to fetch from, instead of the config\'s "sources"')
      .option("--integrity <sri>", "the SRI (sha512-...) the package must match"),
  ).action(
    async (
      ref: string,
      opts: TimingFlags & { from?: string; registry?: string; integrity?: string },
      cmd: Command,
    ) => {
      const { id, version } = parseModuleRef(ref);
      await run(cmd, ctx, id, opts, {
        ...(version === undefined ? {} : { version }),
        ...(opts.from === undefined ? {} : { from: resolve(ctx.cwd, opts.from) }),
        ...(opts.registry === undefined ? {} : { registry: opts.registry }),
        ...(opts.integrity === undefined ? {} : { integrity: opts.integrity }),
      });
    },
  );
  timing(
    program
      .command("rollback")
      .description("go back to the version the module's last update (or rollback) replaced, the same way")
      .argument("<id>", "a module id"),
  ).action(async (id: string, opts: TimingFlags, cmd: Command) => {
    await run(cmd, ctx, id, opts, { action: "rollback" });
  });
}

async function run(
  cmd: Command,
  ctx: CliContext,
  id: string,
  flags: TimingFlags,
  request: UpdateRequestOptions,
): Promise<void> {
  const options: UpdateRequestOptions = {
    ...request,
    ...msFlag("--drain-timeout", flags.drainTimeout, "drainTimeoutMs"),
    ...msFlag("--grace", flags.grace, "graceMs"),
  };
  // Steps as they begin, for a person watching a terminal; a program gets the report.
  if (process.stderr.isTTY && flags.json !== true) options.onStep = (step) => ctx.out.note(`  ${step}...`);
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error("interrupted (Ctrl-C)"));
  process.once("SIGINT", onSignal);
  try {
    const outcome = await withRuntime(globalsOf(cmd, ctx), ctx, (runtime) =>
      runtime.requestUpdate(id, { ...options, signal: stop.signal }),
    );
    if (flags.json === true) return ctx.out.json({ ...outcome.report, host: outcome.host });
    ctx.out.lines(describeOutcome(outcome));
  } finally {
    process.off("SIGINT", onSignal);
  }
}

function msFlag<K extends "drainTimeoutMs" | "graceMs">(
  flag: string,
  value: string | undefined,
  field: K,
): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw usageError(`${flag} takes a whole number of milliseconds, not ${JSON.stringify(value)}`, {
      option: flag,
      value,
    });
  return { [field]: n } as Partial<Record<K, number>>;
}

/** The outcome for people: what changed, where, and what each step took. */
export function describeOutcome({ report, host }: RequestedOutcome): string[] {
  const where = host === null ? "" : ` on the host (process ${host})`;
  const from = report.from === null ? "" : `${report.from} -> `;
  const lines = [headline(report, where, from)];
  if (report.source !== null) lines.push(`  from ${report.source.location}`);
  if (report.integrity !== null) lines.push(`  integrity ${report.integrity}`);
  if (report.signature?.verified === true) lines.push(`  signature verified (key ${report.signature.keyid})`);
  lines.push(`  steps: ${report.steps.map((s) => `${s.step} ${ms(s.ms)}`).join(", ") || "none"}`);
  return lines;
}

function headline(report: UpdateReport, where: string, from: string): string {
  const to = report.to ?? "?";
  switch (report.outcome) {
    case "completed": {
      const state = report.stateMigrated ? "state handed over" : "no state to hand over";
      return `updated ${report.id} ${from}${to}${where} in ${ms(report.durationMs)}: ${state}, calls waited ${ms(report.gateMs)} at the switch`;
    }
    case "installed":
      return `${key(report.id, to)} is installed and active: nothing runs ${report.id} now, so its next load takes ${to}`;
    case "unchanged":
      return `${report.id} is already at ${to}${where}: nothing to do`;
    default:
      return `${report.id}: ${report.outcome}${where}`;
  }
}
