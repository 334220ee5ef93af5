import { resolve } from "node:path";
import type { Command } from "commander";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { withRuntime, type CliContext } from "../context.js";
import { key, list } from "../format.js";
import { globalsOf } from "./globals.js";

/** What `add` says about one directory. */
interface AddOutcome {
  status: "added" | "replaced" | "unchanged";
  id: string;
  version: string;
  dir: string | null;
  source: string;
}

/** Registers `add <dir...>` and `remove <id>[@version]`: the commands that change the registry. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  program
    .command("add")
    .description("register module versions from directories (each copied into the data directory)")
    .argument("<dir...>", 'module directories: a package.json with a "chipset" field, and its entry file')
    .option(
      "--json",
      "print the outcome as JSON: { status, id, version, dir } (an array of them for several directories)",
    )
    .action(async (dirs: string[], opts: { json?: boolean }, cmd: Command) => {
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
    });

  program
    .command("remove")
    .description("remove one version of a module, or every version when none is given")
    .argument("<ref>", "id or id@version")
    .option("--json", "print the removed versions as JSON: { id, versions }")
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) => {
      const removed = await withRuntime(globalsOf(cmd, ctx), ctx, (runtime) => ({
        id: parseModuleRef(ref).id,
        versions: runtime.remove(ref),
      }));
      if (opts.json) return ctx.out.json(removed);
      ctx.out.line(
        `removed ${removed.id} ${removed.versions.length === 1 ? removed.versions[0] : `(versions ${list(removed.versions)})`}`,
      );
    });
}
