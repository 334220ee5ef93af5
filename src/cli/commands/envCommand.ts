import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { fields, table } from "../format.js";
import { sandboxFeatures, type SandboxReport } from "../../hosts/sandboxFeatures.js";

/** The protections in the order `chipset env` prints them, with their names for people. */
const NAMES: ReadonlyArray<readonly [keyof SandboxReport, string]> = [
  ["permissionModel", "permission model"],
  ["unprivilegedUser", "unprivileged user"],
  ["networkNamespace", "network namespace"],
  ["cgroupMemory", "cgroup memory limit"],
  ["cgroupPids", "cgroup pids limit"],
  ["cgroupCpu", "cgroup CPU limit"],
  ["procMemory", "memory from /proc"],
];

/**
 * Registers `env [--json]`: Node's version, the platform, and which of the protections of a
 * sandboxed process module this machine provides, and why not where it does not. It is the
 * detection the spawn of those modules uses; it opens no data directory.
 */
export function registerEnvCommand(program: Command, ctx: CliContext): void {
  program
    .command("env")
    .description(
      "Node's version, the platform, and which protections of sandboxed process modules this machine provides (and why not)",
    )
    .option(
      "--json",
      'print JSON: { "node", "platform", "arch", "uid", "protections": { "<name>": { "available", "detail" } } }',
    )
    .action((opts: { json?: boolean }) => {
      const { report } = sandboxFeatures();
      const facts = {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        uid: process.getuid?.() ?? null,
        protections: report,
      };
      if (opts.json) return ctx.out.json(facts);
      ctx.out.lines(
        fields(
          [
            ["node", facts.node],
            ["platform", `${facts.platform} ${facts.arch}`],
            ["uid", facts.uid === null ? "(none on this platform)" : String(facts.uid)],
          ],
          "",
        ),
      );
      ctx.out.line();
      ctx.out.line("sandboxed process modules (isolation process, with permissions) get:");
      ctx.out.lines(
        table(
          ["PROTECTION", "HERE", "DETAIL"],
          NAMES.map(([key, name]) => [name, report[key].available ? "yes" : "no", report[key].detail]),
        ),
      );
    });
}
