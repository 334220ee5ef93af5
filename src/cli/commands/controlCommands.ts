import type { Command } from "commander";
import type { ControlAction } from "../../server/schemas.js";
import type { CliContext, GlobalOptions } from "../context.js";
import { runsIn } from "../describeLive.js";
import { key } from "../format.js";
import type { ControlResult, HostTarget } from "../HostClient.js";
import { requireHost } from "../hostTarget.js";
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

/** What a control command was given. */
export interface ControlFlags {
  cascade?: boolean;
  json?: boolean;
}

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
      .action(async (ref: string, opts: ControlFlags, command: Command) => {
        await runControl(globalsOf(command, ctx), ctx, ref, action, opts);
      });
  }
}

/** Asks the running host to do `action` to `ref` and prints what became of it. */
export async function runControl(
  globals: GlobalOptions,
  ctx: CliContext,
  ref: string,
  action: ControlAction,
  flags: ControlFlags,
): Promise<void> {
  const host = requireHost(globals, `${action} ${ref}`);
  const result = await host.control(ref, action, { cascade: flags.cascade === true });
  if (flags.json === true) return ctx.out.json(result);
  ctx.out.line(describeControl(result, host.target));
}

/** `restart web@1.0.0 on the host (pid 4242): running in process 4301`. */
function describeControl(result: ControlResult, target: HostTarget): string {
  const host = target.pid === undefined ? `at ${target.url}` : `(pid ${target.pid})`;
  const runs = result.instance === null ? "" : ` ${runsIn(result.instance.host)}`;
  return `${result.action} ${key(result.id, result.version)} on the host ${host}: ${result.state}${runs}`;
}
