import type { ControlAction } from "../../server/schemas.js";
import type { CliContext, GlobalOptions } from "../context.js";
import { runsIn } from "../describeLive.js";
import { key } from "../format.js";
import type { ControlResult, HostTarget } from "../HostClient.js";
import { requireHost } from "../hostTarget.js";

/** What a control command was given. */
export interface ControlFlags {
  cascade?: boolean;
  json?: boolean;
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
