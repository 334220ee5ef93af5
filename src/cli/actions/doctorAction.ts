import type { Command } from "commander";
import { withRuntime, type CliContext } from "../context.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset doctor`: what it does once commander has parsed its arguments (see commands/). */
export async function runDoctor(
  ctx: CliContext,
  opts: { repair?: boolean; json?: boolean },
  cmd: Command,
): Promise<void> {
  const globals = globalsOf(cmd, ctx);
  const [{ describeDoctor }, { isHealthy }, { recoveryHasFindings }] = await Promise.all([
    import("../describeDoctor.js"),
    import("../../registry/RegistryDoctor.js"),
    import("../../registry/recoverStore.js"),
  ]);
  const repair = opts.repair === true;
  const report = await withRuntime(
    globals,
    ctx,
    (runtime) => {
      const { registry } = runtime;
      const repairs = repair ? registry.doctor.repair() : undefined;
      const findings = registry.doctor.examine();
      const recovery = registry.lastRecovery;
      // Repairing, what recovery did is fixed; what it could not handle is not. Checking, all of it is to do.
      const unhandled = recovery.failed.length + (repairs?.recovery.failed.length ?? 0);
      const healthy = isHealthy(findings) && (repair ? unhandled === 0 : !recoveryHasFindings(recovery));
      return { dataDir: registry.dataDir, healthy, recovery, findings, ...(repairs ? { repairs } : {}) };
    },
    { readOnly: !repair },
  );
  if (!report.healthy) ctx.exitCode = 1;
  if (opts.json) return ctx.out.json(report);
  ctx.out.lines(describeDoctor(report.dataDir, report.findings, report.recovery, report.repairs));
  ctx.out.line(
    report.healthy
      ? repair
        ? "healthy now"
        : "healthy: nothing to repair"
      : repair
        ? "some problems remain: see above (a changed copy needs `chipset add <source>` from a good copy)"
        : "problems found: run `chipset doctor --repair` to fix them",
  );
}
