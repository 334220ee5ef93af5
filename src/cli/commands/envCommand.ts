import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { describeEnvironment } from "../describeEnvironment.js";
import { fields, table } from "../format.js";
import { detectEnvironment } from "../../environment/detectEnvironment.js";
import { sandboxFeatures, type SandboxReport } from "../../hosts/sandboxFeatures.js";
import { globalsOf } from "./globals.js";

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
 * Registers `env [--json]`: what this machine is (bare metal or a virtual machine, container,
 * Kubernetes pod, WSL, serverless, CI), each verdict with its evidence; what Chipset can do here
 * (the capability matrix, with the cgroup's limits, starting one child to be sure); the defaults
 * adapted to it; and which protections of a sandboxed process module this machine provides.
 * Always detected by this command on this machine (a running host is on the same machine; its
 * own report, with the configuration it was given, is `GET /v1/environment`). Opens no data directory.
 */
export function registerEnvCommand(program: Command, ctx: CliContext): void {
  program
    .command("env")
    .description(
      "what this machine is (VM, container, Kubernetes, WSL, serverless, CI) and why, what Chipset can do here with its limits, the defaults adapted to it, and the protections of sandboxed process modules",
    )
    .option(
      "--json",
      'print JSON: { "node", "platform", "arch", "uid", "verdicts", "capabilities", "defaults", "protections": { "<name>": { "available", "detail" } } }',
    )
    .action((opts: { json?: boolean }, cmd: Command) => {
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
          NAMES.map(([key, name]) => [
            name,
            protections[key].available ? "yes" : "no",
            protections[key].detail,
          ]),
        ),
      );
    });
}
