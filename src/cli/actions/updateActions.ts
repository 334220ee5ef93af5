import { resolve } from "node:path";
import type { Command } from "commander";
import type { RequestedOutcome, UpdateRequestOptions } from "../../runtime/requestUpdate.js";
import type { CanarySample, UpdateReport, UpdateStep } from "../../runtime/updateReport.js";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { withRuntime, type CliContext } from "../context.js";
import { key, ms } from "../format.js";
import { connectHost } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";
import { updateThroughApi, type RemoteOutcome } from "./remoteUpdate.js";

export interface SourceFlags {
  from?: string;
  registry?: string;
  integrity?: string;
}

export interface CanaryFlags {
  canary?: string;
  canaryMs?: string;
  maxErrorRate?: string;
  maxP99?: string;
}

export interface TimingFlags {
  drainTimeout?: string;
  grace?: string;
  json?: boolean;
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
  // Steps as they begin, on a bar for a person watching a terminal; a program gets the report.
  const progress = ctx.out.progress(flags.json === true);
  const steps = stepsOf(options);
  if (progress.shown) {
    progress.start(steps.length, request.action ?? "update");
    let done = 0; // a rollback after the switch is not a step back for the bar
    options.onStep = (step) => progress.update((done = Math.max(done, steps.indexOf(step))), step);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error("interrupted (Ctrl-C)"));
  process.once("SIGINT", onSignal);
  try {
    const globals = globalsOf(cmd, ctx);
    // `--host`: that host does it through its API; a host on the data directory gets a request.
    const remote = globals.host === undefined ? undefined : connectHost(globals);
    const outcome = remote
      ? await updateThroughApi(remote, id, options, stop.signal)
      : await withRuntime(globals, ctx, (runtime) =>
          runtime.requestUpdate(id, { ...options, signal: stop.signal }),
        );
    progress.stop();
    if (flags.json === true) return ctx.out.json({ ...outcome.report, host: outcome.host });
    ctx.out.lines(describeOutcome(outcome));
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
  }
}

/** The steps an update (or rollback) goes through, in order: the bar's units. */
function stepsOf(options: UpdateRequestOptions): UpdateStep[] {
  const canary: UpdateStep[] = options.canary === undefined ? [] : ["canary"];
  return ["resolve", "fetch", "install", "start", "verify", ...canary, "switch", "grace", "retire"];
}

/** The canary settings the flags give (`--canary` turns the strategy on), or undefined for blue-green. */
function canaryOf(flags: CanaryFlags): NonNullable<UpdateRequestOptions["canary"]> | undefined {
  const given = {
    percent: flags.canary,
    durationMs: flags.canaryMs,
    maxErrorRate: flags.maxErrorRate,
    maxP99Ms: flags.maxP99,
  };
  if (flags.canary === undefined) {
    if (Object.values(given).some((v) => v !== undefined))
      throw usageError("--canary-ms, --max-error-rate and --max-p99 set up a canary: add --canary <percent>");
    return undefined;
  }
  return {
    ...numberFlag("--canary", flags.canary, "percent", /^\d+(\.\d+)?$/, "a share of calls in %"),
    ...numberFlag("--canary-ms", flags.canaryMs, "durationMs", /^\d+$/, "a whole number of milliseconds"),
    ...numberFlag(
      "--max-error-rate",
      flags.maxErrorRate,
      "maxErrorRate",
      /^\d+(\.\d+)?$/,
      "a rate from 0 to 1",
    ),
    ...numberFlag("--max-p99", flags.maxP99, "maxP99Ms", /^\d+(\.\d+)?$/, "milliseconds"),
  };
}

function msFlag<K extends string>(
  flag: string,
  value: string | undefined,
  field: K,
): Partial<Record<K, number>> {
  return numberFlag(flag, value, field, /^\d+$/, "a whole number of milliseconds");
}

/** `{ [field]: value }` when the flag was given as a number `shape` accepts; a usage error when not. */
function numberFlag<K extends string>(
  flag: string,
  value: string | undefined,
  field: K,
  shape: RegExp,
  what: string,
): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const n = Number(value);
  if (!shape.test(value) || !Number.isFinite(n))
    throw usageError(`${flag} takes ${what}, not ${JSON.stringify(value)}`, { option: flag, value });
  return { [field]: n } as Partial<Record<K, number>>;
}

/** The outcome for people: what changed, where (`host`: its pid, its URL with `--host`, null here), and what each step took. */
export function describeOutcome({ report, host }: RequestedOutcome | RemoteOutcome): string[] {
  const where =
    host === null
      ? ""
      : typeof host === "string"
        ? ` on the host at ${host}`
        : ` on the host (process ${host})`;
  const from = report.from === null ? "" : `${report.from} -> `;
  const lines = [headline(report, where, from)];
  if (report.source !== null) lines.push(`  from ${report.source.location}`);
  if (report.integrity !== null) lines.push(`  integrity ${report.integrity}`);
  if (report.signature?.verified === true) lines.push(`  signature verified (key ${report.signature.keyid})`);
  if (report.canary !== null) {
    const { canary } = report;
    const sample = (s: CanarySample) =>
      `${s.version} ${s.calls} calls, ${s.errors} errors, p99 ${s.p99Ms === null ? "-" : ms(s.p99Ms)}`;
    lines.push(
      `  canary (${canary.percent}% for ${ms(canary.ranMs)}): ${canary.verdict}; ${sample(canary.to)} against ${sample(canary.from)}`,
    );
  }
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

/** `chipset update`: what it does once commander has parsed its arguments (see commands/). */
export async function update(
  ctx: CliContext,
  ref: string,
  opts: TimingFlags & SourceFlags & CanaryFlags,
  cmd: Command,
): Promise<void> {
  const { id, version } = parseModuleRef(ref);
  const canary = canaryOf(opts);
  await run(cmd, ctx, id, opts, {
    ...(version === undefined ? {} : { version }),
    ...(opts.from === undefined ? {} : { from: resolve(ctx.cwd, opts.from) }),
    ...(opts.registry === undefined ? {} : { registry: opts.registry }),
    ...(opts.integrity === undefined ? {} : { integrity: opts.integrity }),
    ...(canary === undefined ? {} : { canary }),
  });
}

/** `chipset rollback`: what it does once commander has parsed its arguments (see commands/). */
export async function rollback(ctx: CliContext, id: string, opts: TimingFlags, cmd: Command): Promise<void> {
  await run(cmd, ctx, id, opts, { action: "rollback" });
}
