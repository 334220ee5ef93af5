import { resolve } from "node:path";
import type { Command } from "commander";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { withRuntime, type CliContext } from "../context.js";
import { key, list } from "../format.js";
import { globalsOf } from "../commands/globals.js";

/** What `add` says about one directory. */
interface AddOutcome {
  status: "added" | "replaced" | "unchanged";
  id: string;
  version: string;
  dir: string | null;
  source: string;
}

/** `chipset add`: what it does once commander has parsed its arguments (see commands/). */
export async function addModules(
  ctx: CliContext,
  dirs: string[],
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const progress = ctx.out.progress(opts.json === true || dirs.length < 2);
  const outcomes: AddOutcome[] = [];
  try {
    await withRuntime(globalsOf(cmd, ctx), ctx, (runtime) => {
      progress.start(dirs.length, dirs[0]!);
      for (const dir of dirs) {
        progress.update(outcomes.length, dir);
        const { record, status } = runtime.add(resolve(ctx.cwd, dir));
        outcomes.push({
          status,
          id: record.id,
          version: record.version,
          dir: record.dir ?? null,
          source: record.source,
        });
      }
      progress.update(outcomes.length);
    });
  } catch (err) {
    // Each directory is its own transaction: say which went in before the one that failed.
    if (outcomes.length > 0)
      ctx.out.note(`registered before the failure: ${list(outcomes.map((o) => key(o.id, o.version)))}`);
    throw err;
  } finally {
    progress.stop();
  }
  if (opts.json) return ctx.out.json(outcomes.length === 1 ? outcomes[0] : outcomes);
  for (const outcome of outcomes) {
    const what = {
      added: "added",
      replaced: "replaced",
      unchanged: "unchanged (same content already registered)",
    }[outcome.status];
    ctx.out.line(`${what}: ${key(outcome.id, outcome.version)}`);
    ctx.out.line(`  stored in ${outcome.dir ?? "(memory)"}`);
    ctx.out.line(`  from      ${outcome.source}`);
  }
}

/** `chipset remove`: what it does once commander has parsed its arguments (see commands/). */
export async function removeModule(
  ctx: CliContext,
  ref: string,
  opts: { json?: boolean },
  cmd: Command,
): Promise<void> {
  const removed = await withRuntime(globalsOf(cmd, ctx), ctx, (runtime) => ({
    id: parseModuleRef(ref).id,
    versions: runtime.remove(ref),
  }));
  if (opts.json) return ctx.out.json(removed);
  ctx.out.line(
    `removed ${removed.id} ${removed.versions.length === 1 ? removed.versions[0] : `(versions ${list(removed.versions)})`}`,
  );
}
