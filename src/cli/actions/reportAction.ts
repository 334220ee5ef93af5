import type { Command } from "commander";
import { parseInstant } from "../../common/timeSpec.js";
import type { ResourceReport } from "../../resources/ResourceReport.js";
import type { ResourceStats } from "../../resources/resourceStats.js";
import { lookWithRuntime, type CliContext } from "../context.js";
import { table } from "../format.js";
import { bytes, rate } from "../formatUnits.js";
import { connectHost, QUERY_TIMEOUT_MS } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

/** `text` as an instant (ms since the epoch), or `CHIP_ERR_CLI_USAGE` naming `option`. */
function instantOption(option: string, text: string, now: number): number {
  const at = parseInstant(text, now);
  if (at !== undefined) return at;
  throw usageError(
    `${option} takes a duration back from now (15m, 24h, 7d), an ISO time (2026-12-07T10:00:00Z) or ms since the epoch, not ${JSON.stringify(text)}`,
    { option, found: text },
  );
}

/** The report for people: one line per module and resource figures, then the top consumers. */
export function describeReport(report: ResourceReport): string[] {
  const period = `${new Date(report.since).toISOString()} to ${new Date(report.until).toISOString()}`;
  const lines = [
    `resources from ${period}${report.module === null ? "" : ` (${report.module})`}: ` +
      `${report.modules.length} modules, ${report.restarts} restarts, ${report.errors} errors`,
  ];
  if (report.modules.length === 0) {
    lines.push("no samples in this period (sampling runs while a host runs, every resources.sampleMs)");
    return lines;
  }
  lines.push("");
  lines.push(
    ...table(
      [
        "MODULE",
        "SAMPLES",
        "CPU % avg/p95/peak",
        "MEMORY avg/peak",
        "DISK avg/peak",
        "NET avg/peak",
        "TREND cpu/mem/disk/net",
        "RESTARTS",
        "ERRORS",
      ],
      report.modules.map((m) => [
        `${m.id}@${m.version}`,
        String(m.samples),
        figures(m.cpuPercent, (v) => v.toFixed(1), true),
        figures(m.memoryBytes, bytes),
        figures(m.diskBps, rate),
        figures(m.networkBps, rate),
        [m.cpuPercent, m.memoryBytes, m.diskBps, m.networkBps].map(trend).join("/"),
        String(m.restarts),
        String(m.errors),
      ]),
    ),
  );
  const tops: Array<[string, keyof ResourceReport["top"], (v: number) => string]> = [
    ["CPU", "cpuPercent", (v) => `${v.toFixed(1)}%`],
    ["memory", "memoryBytes", bytes],
    ["disk", "diskBps", rate],
    ["network", "networkBps", rate],
  ];
  const machine = report.machine;
  if (machine !== null)
    lines.push(
      "",
      `machine: CPU ${figures(machine.cpuPercent, (v) => `${v.toFixed(1)}%`, true)} of all CPUs, ` +
        `memory used ${figures(machine.memoryBytes, bytes)}, network ${figures(machine.networkBps, rate)} ` +
        "(avg / p95 / peak; memory and network avg / peak)",
    );
  lines.push("trend: + rising, = flat, - falling, . not measured (see docs/resources.md)", "");
  for (const [label, resource, show] of tops) {
    const top = report.top[resource];
    if (top.length > 0)
      lines.push(`top ${label}: ${top.map((t) => `${t.module} ${show(t.avg)}`).join(", ")}`);
  }
  return lines;
}

function figures(stats: ResourceStats | null, show: (v: number) => string, p95 = false): string {
  if (stats === null) return "-";
  return [stats.avg, ...(p95 ? [stats.p95] : []), stats.peak].map(show).join(" / ");
}

/** `+` rising, `=` flat, `-` falling, `.` no figure. */
function trend(stats: ResourceStats | null): string {
  if (stats === null) return ".";
  return stats.trend === "rising" ? "+" : stats.trend === "falling" ? "-" : "=";
}

/** `chipset report`: what it does once commander has parsed its arguments (see commands/). */
export async function showReport(
  ctx: CliContext,
  opts: { since: string; until?: string; module?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const now = Date.now();
  const since = instantOption("--since", opts.since, now);
  const until = opts.until === undefined ? now : instantOption("--until", opts.until, now);
  if (since > until)
    throw usageError(
      `--since (${opts.since}) is after --until (${opts.until ?? "now"}): give the earlier time first`,
      {
        since: opts.since,
        until: opts.until ?? null,
      },
    );
  const request = { since, until, ...(opts.module === undefined ? {} : { module: opts.module }) };
  const globals = globalsOf(cmd, ctx);
  const host = connectHost(globals);
  const report = host
    ? await host.report(request, AbortSignal.timeout(QUERY_TIMEOUT_MS))
    : await lookWithRuntime(globals, ctx, (runtime) => runtime.resources.report(request));
  if (opts.json) return ctx.out.json(report);
  ctx.out.lines(describeReport(report));
}
