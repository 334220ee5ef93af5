import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { describeEnvironment } from "../describeEnvironment.js";
import { fields, table } from "../format.js";
import { detectEnvironment } from "../../environment/detectEnvironment.js";
import { sandboxFeatures, type SandboxReport } from "../../hosts/sandboxFeatures.js";
import { globalsOf } from "../commands/globals.js";

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

/** `chipset env`: what it does once commander has parsed its arguments (see commands/). */
export function showEnvironment(ctx: CliContext, opts: { json?: boolean }, cmd: Command): void {
  const report = detectEnvironment({ dataDir: globalsOf(cmd, ctx).dataDir, trySpawn: true });
  const { report: protections } = sandboxFeatures();
  const facts = { ...report, uid: process.getuid?.() ?? null, protections };
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
  ctx.out.lines(describeEnvironment(report));
  ctx.out.line();
  ctx.out.line("sandboxed process modules (isolation process, with permissions) get:");
  ctx.out.lines(
    table(
      ["PROTECTION", "HERE", "DETAIL"],
      NAMES.map(([key, name]) => [name, protections[key].available ? "yes" : "no", protections[key].detail]),
    ),
  );
}
