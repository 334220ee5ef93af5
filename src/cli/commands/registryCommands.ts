import { resolve } from "node:path";
import type { Command } from "commander";
import { parseModuleRef } from "../../vocabulary/moduleRef.js";
import { withRuntime, type CliContext } from "../context.js";
import { key, list } from "../format.js";
import { globalsOf } from "./globals.js";

/** Registers `add <dir>` and `remove <id>[@version]`: the commands that change the registry. */
export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  program
    .command("add")
    .description("register a module version from a directory (copied into the data directory)")
    .argument("<dir>", 'module directory: a package.json with a "chipset" field, and its entry file')
    .option("--json", "print the outcome as JSON: { status, id, version, dir }")
    .action(async (dir: string, opts: { json?: boolean }, cmd: Command) => {
      const outcome = await withRuntime(globalsOf(cmd, ctx), ctx, (runtime) => {
        const { record, status } = runtime.add(resolve(ctx.cwd, dir));
        return {
          status,
          id: record.id,
          version: record.version,
          dir: record.dir ?? null,
          source: record.source,
        };
      });
      if (opts.json) return ctx.out.json(outcome);
      const what = {
        added: "added",
        replaced: "replaced",
        unchanged: "unchanged (same content already registered)",
      }[outcome.status];
      ctx.out.line(`${what}: ${key(outcome.id, outcome.version)}`);
      ctx.out.line(`  stored in ${outcome.dir ?? "(memory)"}`);
      ctx.out.line(`  from      ${outcome.source}`);
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
