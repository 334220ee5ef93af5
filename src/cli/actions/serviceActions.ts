import type { Command } from "commander";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readTokenFile } from "../../server/BearerToken.js";
import { assertExposureAllowed, parseListenAddress } from "../../server/listenAddress.js";
import type { CliContext } from "../context.js";
import { renderUnit, type UnitSpec } from "../service/renderUnit.js";
import { defaultUnitDir, systemctl, systemctlCommand, type UnitScope } from "../service/systemctl.js";
import {
  assertOurs,
  removeUnitFile,
  serviceError,
  unitFileState,
  writeUnitFile,
} from "../service/unitFile.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

/** The chipset CLI this process runs (the unit's ExecStart runs the same one). */
const CLI_ENTRY = fileURLToPath(new URL("../main.js", import.meta.url));

export interface CommonOptions {
  user?: boolean;
  name: string;
  unitDir?: string;
  force?: boolean;
}

export interface InstallOptions extends CommonOptions {
  http: string;
  runAs?: string;
  stopTimeout: string;
  enable: boolean;
  dryRun?: boolean;
}

function install(opts: InstallOptions, cmd: Command, ctx: CliContext): void {
  const globals = globalsOf(cmd, ctx);
  const scope: UnitScope = opts.user === true ? "user" : "system";
  const raw = cmd.optsWithGlobals<{ logLevel?: string; logFormat?: string }>();
  const address = parseListenAddress(opts.http);
  // `--token-file` is a global option (absolute already): the token the host serves with.
  const tokenFile = globals.tokenFile;
  assertExposureAllowed(address, tokenFile !== undefined);
  // A typo in the path is found now, not at the next boot.
  if (tokenFile !== undefined) readTokenFile(tokenFile);
  const args = [
    "--data-dir",
    globals.dataDir,
    ...(globals.configFile === undefined ? [] : ["--config", globals.configFile]),
    ...(raw.logLevel === undefined ? [] : ["--log-level", raw.logLevel]),
    ...(raw.logFormat === undefined ? [] : ["--log-format", raw.logFormat]),
    "start",
    "--http",
    opts.http,
    ...(tokenFile === undefined ? [] : ["--token-file", tokenFile]),
  ];
  const spec: UnitSpec = {
    scope,
    node: process.execPath,
    cli: CLI_ENTRY,
    args,
    workingDirectory: ctx.cwd,
    ...(scope === "system" ? { runAs: opts.runAs ?? process.env.SUDO_USER ?? userInfo().username } : {}),
    stopTimeoutSec: seconds(opts.stopTimeout),
    dataDir: globals.dataDir,
    environment: { NODE_ENV: "production" },
  };
  const text = renderUnit(spec);
  const unit = unitName(opts.name);
  const file = join(
    opts.unitDir === undefined ? defaultUnitDir(scope) : resolve(ctx.cwd, opts.unitDir),
    unit,
  );
  const steps = [["daemon-reload"], ["enable", "--now", unit]] as const;
  if (opts.dryRun === true) {
    ctx.out.raw(text);
    ctx.out.note(`would write ${file}, then run: ${steps.map((s) => systemctlCommand(scope, s)).join("; ")}`);
    return;
  }
  assertOurs(file, unitFileState(file), opts.force === true, "replacing");
  writeUnitFile(file, text);
  ctx.out.line(`wrote ${file}`);
  const manual = steps.map((s) => systemctlCommand(scope, s));
  if (!opts.enable) {
    ctx.out.line(`not enabled (--no-enable); to start it now and at every boot: ${manual.join("; ")}`);
    return;
  }
  for (const [i, step] of steps.entries()) {
    const run = systemctl(scope, step);
    if (run.ok) continue;
    throw serviceError(
      `wrote ${file}, but \`${run.command}\` failed (${run.reason}); the unit is written but not enabled. ` +
        `Where systemd runs (\`systemctl is-system-running\`), finish with: ${manual.slice(i).join("; ")}; ` +
        `or remove it with \`chipset service uninstall${scope === "user" ? " --user" : ""}\``,
      "systemctl-failed",
      file,
      undefined,
      { command: run.command, commands: manual.slice(i) },
    );
  }
  ctx.out.line(
    `enabled and started ${unit}; its log: journalctl ${scope === "user" ? "--user " : ""}-u ${unit} -f`,
  );
  if (scope === "user")
    ctx.out.line(
      `to keep it running while you are logged out, and start it at boot: loginctl enable-linger ${userInfo().username}`,
    );
}

function uninstall(opts: CommonOptions, ctx: CliContext): void {
  const scope: UnitScope = opts.user === true ? "user" : "system";
  const unit = unitName(opts.name);
  const file = join(
    opts.unitDir === undefined ? defaultUnitDir(scope) : resolve(ctx.cwd, opts.unitDir),
    unit,
  );
  const state = unitFileState(file);
  if (state === "absent") {
    ctx.out.line(`no unit at ${file}: nothing to remove`);
    return;
  }
  assertOurs(file, state, opts.force === true, "removing");
  const disable = systemctl(scope, ["disable", "--now", unit]);
  if (!disable.ok) {
    if (opts.force !== true)
      throw serviceError(
        `\`${disable.command}\` failed (${disable.reason}); ${file} is kept so that systemd still knows the unit. ` +
          `Run \`${disable.command}\` where systemd runs, or pass --force to remove the file anyway`,
        "systemctl-failed",
        file,
        undefined,
        { command: disable.command },
      );
    ctx.out.note(`\`${disable.command}\` failed (${disable.reason}); removing ${file} anyway (--force)`);
  }
  removeUnitFile(file);
  const reload = systemctl(scope, ["daemon-reload"]);
  if (!reload.ok) ctx.out.note(`\`${reload.command}\` failed (${reload.reason}); run it where systemd runs`);
  ctx.out.line(`removed ${file}`);
}

/** `<name>.service`; `CHIP_ERR_CLI_USAGE` for a name systemd would read as something else. */
function unitName(name: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name) || name.startsWith("."))
    throw usageError(`--name ${JSON.stringify(name)} is not a unit name (letters, digits, and _ . : -)`, {
      option: "--name",
      found: name,
    });
  return `${name}.service`;
}

function seconds(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 86_400)
    throw usageError(`--stop-timeout ${JSON.stringify(text)} is not a number of seconds from 1 to 86400`, {
      option: "--stop-timeout",
      found: text,
    });
  return value;
}

/** `chipset service install`: what it does once commander has parsed its arguments (see commands/). */
export function installService(ctx: CliContext, opts: InstallOptions, cmd: Command): void {
  return install(opts, cmd, ctx);
}

/** `chipset service uninstall`: what it does once commander has parsed its arguments (see commands/). */
export function uninstallService(ctx: CliContext, opts: CommonOptions): void {
  return uninstall(opts, ctx);
}
