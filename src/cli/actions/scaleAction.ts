import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { QUERY_TIMEOUT_MS, requireHost } from "../hostTarget.js";
import { replicasLines } from "../describeReplicas.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";

/** `chipset scale`: what it does once commander has parsed its arguments (see commands/). */
export async function scale(
  ctx: CliContext,
  ref: string,
  text: string,
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(count) || count < 1)
    throw usageError(
      `<count> takes a whole number of replicas, at least 1 (e.g. 3), not ${JSON.stringify(text)}`,
      {
        count: text,
      },
    );
  const host = requireHost(globalsOf(cmd, ctx), "scale");
  const result = await host.scale(ref, count);
  if (opts.json) return ctx.out.json(result);
  ctx.out.line(
    result.from === result.to
      ? `${result.id}@${result.version} runs ${result.to} replica${result.to === 1 ? "" : "s"} (unchanged)`
      : `${result.id}@${result.version}: ${result.from} -> ${result.to} replica${result.to === 1 ? "" : "s"}`,
  );
}

/** `chipset replicas`: what it does once commander has parsed its arguments (see commands/). */
export async function listReplicas(
  ctx: CliContext,
  ref: string | undefined,
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const host = requireHost(globalsOf(cmd, ctx), "replicas");
  const all = await host.replicas(AbortSignal.timeout(QUERY_TIMEOUT_MS));
  const { id, version } = ref === undefined ? { id: undefined, version: undefined } : parseModuleRef(ref);
  const sets = all.filter(
    (s) => (id === undefined || s.id === id) && (version === undefined || s.version === version),
  );
  if (ref !== undefined && sets.length === 0)
    throw new ChipsetError(
      ErrorCodes.MODULE_NOT_FOUND,
      `${ref} has no replicas on the host: ${all.length === 0 ? "no replicated module has an instance" : `the replicated modules are ${all.map((s) => `${s.id}@${s.version}`).join(", ")}`}; chipset ls lists what runs`,
      { module: ref },
    );
  if (opts.json) return ctx.out.json(sets);
  ctx.out.lines(replicasLines(sets));
}
