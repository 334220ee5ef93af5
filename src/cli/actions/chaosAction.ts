import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { describeReport } from "../../chaos/experimentReport.js";
import { systemClock } from "../../common/Clock.js";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { withRuntime, type CliContext } from "../context.js";
import { globalsOf } from "../commands/globals.js";

/** Where the readable summary goes: beside the report, `.txt` in place of its extension (`.summary.txt` for a `.txt` report). */
function summaryPath(report: string): string {
  const ext = extname(report);
  const stem = ext === "" ? report : report.slice(0, -ext.length);
  return ext === ".txt" ? `${stem}.summary.txt` : `${stem}.txt`;
}

/** `chipset chaos run`: what it does once commander has parsed its arguments (see commands/). */
export async function runChaos(
  ctx: CliContext,
  file: string,
  opts: { report?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const globals = globalsOf(cmd, ctx);
  const path = resolve(ctx.cwd, file);
  // Loaded here: the YAML parser and the chaos engine are for this command alone.
  const [{ readExperiment }, { runExperiment }] = await Promise.all([
    import("../../chaos/readExperiment.js"),
    import("../../chaos/ExperimentRunner.js"),
  ]);
  const experiment = readExperiment(path);
  // Seconds through the three phases on a bar on a terminal; a line per phase without one.
  const progress = ctx.out.progress(opts.json === true);
  const steadyMs = experiment.steadyMs ?? 1_000;
  const report = await withRuntime(globals, ctx, async (runtime) => {
    await runtime.start();
    return runExperiment(runtime, experiment, {
      clock: systemClock,
      onPhase: (phase, atMs) => {
        if (!progress.shown) return progress.note(`${phase} phase at ${Math.round(atMs)} ms`);
        if (phase === "before")
          progress.startTimed(
            2 * steadyMs + experiment.durationMs,
            `${experiment.name}: before`,
            systemClock,
          );
        else progress.update(Math.floor(atMs / 1000), `${experiment.name}: ${phase}`);
      },
    });
  }).finally(() => progress.stop());
  const out = opts.report
    ? resolve(ctx.cwd, opts.report)
    : join(globals.dataDir, "chaos", `${basename(path, extname(path))}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const summary = describeReport(report);
  writeFileSync(summaryPath(out), `${summary.join("\n")}\n`);
  if (opts.json) ctx.out.json(report);
  else {
    ctx.out.lines(summary);
    ctx.out.line(`report: ${out}`);
  }
  if (!report.held)
    throw new ChipsetError(
      ErrorCodes.HYPOTHESIS_FAILED,
      `the hypothesis of "${report.name}" did not hold: ${report.failed.map((f) => `${f.phase}: ${f.check} (measured ${f.observed})`).join("; ")}`,
      { details: { failed: report.failed, report: out } },
    );
}
