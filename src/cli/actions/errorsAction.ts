import type { Command } from "commander";
import { lookWithRuntime, type CliContext } from "../context.js";
import { table } from "../format.js";
import { MAX_HOST_ERRORS } from "../HostClient.js";
import { connectHost, QUERY_TIMEOUT_MS } from "../hostTarget.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

/** `chipset errors`: what it does once commander has parsed its arguments (see commands/). */
export async function showErrors(
  ctx: CliContext,
  opts: { module?: string; limit?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw usageError(`--limit must be a positive integer, got ${opts.limit}`, { limit: opts.limit });
  const filter = opts.module === undefined ? {} : { id: opts.module };
  const globals = globalsOf(cmd, ctx);
  const host = connectHost(globals);
  if (host && limit > MAX_HOST_ERRORS)
    ctx.out.note(`the host answers at most ${MAX_HOST_ERRORS} recent errors; --offline reads them all`);
  const { counts, recent } = host
    ? await host.errors({ ...filter, limit }, AbortSignal.timeout(QUERY_TIMEOUT_MS))
    : await lookWithRuntime(globals, ctx, (runtime) => ({
        counts: runtime.errors.counts(filter),
        recent: runtime.errors.recent({ ...filter, limit }),
      }));
  if (opts.json) return ctx.out.json({ counts, recent });
  if (counts.total === 0)
    return ctx.out.line(`no errors recorded${opts.module === undefined ? "" : ` for ${opts.module}`}`);
  const byCount = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]);
  ctx.out.line(`${counts.total} errors recorded`);
  ctx.out.lines(
    table(
      ["CODE", "COUNT"],
      byCount(counts.byCode).map(([c, n]) => [c, String(n)]),
    ),
  );
  ctx.out.line();
  ctx.out.lines(
    table(
      ["MODULE", "COUNT"],
      byCount(counts.byModule).map(([m, n]) => [m, String(n)]),
    ),
  );
  ctx.out.line();
  ctx.out.line(`most recent ${recent.length}:`);
  for (const e of recent) {
    const where = [
      e.id === undefined
        ? undefined
        : `${e.id}${e.version === undefined ? "" : `@${e.version}`}${e.method === undefined ? "" : `.${e.method}`}`,
      e.attempt === undefined ? undefined : `attempt ${e.attempt}`,
      e.host,
      e.callId === undefined ? undefined : `call ${e.callId}`,
    ].filter((x) => x !== undefined);
    ctx.out.line(
      `  ${new Date(e.at).toISOString()} ${e.code} ${where.length > 0 ? `[${where.join(", ")}] ` : ""}${e.message}`,
    );
    for (const cause of e.causes) ctx.out.line(`      caused by ${cause}`);
  }
}
