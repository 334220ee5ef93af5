import type { Command } from "commander";
import type { ControlFlags } from "../actions/controlAction.js";
import type { ControlAction } from "../../server/schemas.js";
import type { CliContext } from "../context.js";
import { globalsOf } from "./globals.js";

/** The control commands besides `start <ref>` (which `start` dispatches), and whether `--cascade` applies. */
const COMMANDS: ReadonlyArray<{ action: Exclude<ControlAction, "start">; cascade: boolean; what: string }> = [
  {
    action: "load",
    cascade: false,
    what: "load a module's code on the running host (it starts on first use)",
  },
  { action: "stop", cascade: true, what: "stop a module on the running host" },
  {
    action: "pause",
    cascade: false,
    what: "pause a module on the running host: new calls wait, calls under way finish",
  },
  { action: "resume", cascade: false, what: "resume a paused module on the running host" },
  {
    action: "restart",
    cascade: true,
    what: "restart a module on the running host in a fresh host: unload it (stopping it first), then start it (a process module gets a new pid)",
  },
  { action: "unload", cascade: true, what: "stop a module on the running host and unload its code" },
];

/**
 * Registers `load`, `stop`, `pause`, `resume`, `restart` and `unload <ref>`: each asks the
 * running host (`POST /v1/modules/{ref}/{action}`). They need a host: without one they fail
 * with `CHIP_ERR_HOST_NOT_RUNNING` (a module started by a process that then ends would stop with it).
 */
export function registerControlCommands(program: Command, ctx: CliContext): void {
  for (const { action, cascade, what } of COMMANDS) {
    const cmd = program.command(action).description(what).argument("<ref>", "id, id@version or id@range");
    if (cascade)
      cmd.option("--cascade", "stop the modules that depend on it and run first (else they refuse)");
    cmd
      .option("--json", "print JSON: { id, version, action, state, instance }")
      .action(async (ref: string, opts: ControlFlags, command: Command) =>
        (await import("../actions/controlAction.js")).runControl(
          globalsOf(command, ctx),
          ctx,
          ref,
          action,
          opts,
        ),
      );
  }
}
