import { spawnSync } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";

/** Whose service manager a unit belongs to: the machine's (`system`) or the user's (`user`). */
export type UnitScope = "system" | "user";

/** How long one `systemctl` may take before it is given up on, in ms. */
const SYSTEMCTL_TIMEOUT_MS = 60_000;

/** What one `systemctl` invocation did. */
export interface SystemctlRun {
  /** The command line, as a person would type it. */
  command: string;
  ok: boolean;
  /** Why it failed: its stderr (or stdout), `not found` when there is no systemctl, or the spawn error. */
  reason: string;
}

/** The `systemctl` command line for `args` in `scope` (`--user` for a user unit), as a person would type it. */
export function systemctlCommand(scope: UnitScope, args: readonly string[]): string {
  return ["systemctl", ...(scope === "user" ? ["--user"] : []), ...args].join(" ");
}

/** Runs `systemctl [--user] ...args` (found on PATH) and says how it went; never throws. */
export function systemctl(scope: UnitScope, args: readonly string[]): SystemctlRun {
  const command = systemctlCommand(scope, args);
  const run = spawnSync("systemctl", [...(scope === "user" ? ["--user"] : []), ...args], {
    encoding: "utf8",
    timeout: SYSTEMCTL_TIMEOUT_MS,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (run.error !== undefined) {
    const code = (run.error as NodeJS.ErrnoException).code;
    return {
      command,
      ok: false,
      reason: code === "ENOENT" ? "systemctl was not found on PATH" : run.error.message,
    };
  }
  if (run.status === 0) return { command, ok: true, reason: "" };
  const said = (run.stderr.trim() || run.stdout.trim()).replace(/\s*\n\s*/g, "; ");
  const status =
    run.status === null ? `was killed by ${run.signal ?? "a signal"}` : `exited with ${run.status}`;
  return { command, ok: false, reason: said === "" ? status : `${status}: ${said}` };
}

/**
 * Where units of `scope` go by default: `/etc/systemd/system`, or the user's
 * `$XDG_CONFIG_HOME/systemd/user` (`~/.config/systemd/user`).
 */
export function defaultUnitDir(scope: UnitScope, env: NodeJS.ProcessEnv = process.env): string {
  if (scope === "system") return "/etc/systemd/system";
  const config =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ""
      ? env.XDG_CONFIG_HOME
      : join(env.HOME ?? homedir(), ".config");
  return join(config, "systemd", "user");
}
