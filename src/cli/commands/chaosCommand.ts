import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { describeReport } from "../../chaos/experimentReport.js";
import { systemClock } from "../../common/Clock.js";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { withRuntime, type CliContext } from "../context.js";
import { globalsOf } from "./globals.js";

/** Where the readable summary goes: beside the report, `.txt` in place of its extension (`.summary.txt` for a `.txt` report). */
function summaryPath(report: string): string {
  const ext = extname(report);
  const stem = ext === "" ? report : report.slice(0, -ext.length);
  return ext === ".txt" ? `${stem}.summary.txt` : `${stem}.txt`;
}

/** Registers `chaos run FILE`: run an experiment and report whether its hypothesis held. */
export function registerChaosCommand(program: Command, ctx: CliContext): void {
  const chaos = program
    .command("chaos")
    .description("chaos experiments: inject faults on purpose and check that the runtime copes");
  chaos
    .command("run")
    .description(
      "run an experiment file (JSON or YAML): check its hypothesis before, during and after its faults, write a report; exit 3 if it did not hold, 1 if it could not run",
    )
    .argument("<file>", "the experiment (see docs/chaos.md)")
    .option(
      "--report <file>",
      "where to write the JSON report (default: <data dir>/chaos/<file name>.json; a .txt summary goes beside it)",
    )
    .option("--json", "print the report as JSON instead of the summary")
    .action(async (file: string, opts: { report?: string; json?: boolean }, cmd: Command) => {
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
    });
}
