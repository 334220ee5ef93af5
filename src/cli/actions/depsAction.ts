import type { Command } from "commander";
import type { Runtime } from "../../runtime/Runtime.js";
import type { DependencyTree } from "../../runtime/RuntimeQueries.js";
import { lookWithRuntime, type CliContext } from "../context.js";
import { key, tree, type TreeNode } from "../format.js";
import { globalsOf } from "../commands/globals.js";

/** A node of `deps --reverse --tree`: a module version and the versions that depend on it. */
export interface DependentTree {
  id: string;
  version: string;
  range?: string;
  optional?: boolean;
  cycle?: true;
  children: DependentTree[];
}

function render<T>(root: T, draw: (node: T) => TreeNode): { json: T; text: string[] } {
  return { json: root, text: tree(draw(root)) };
}

function drawDependencies(node: DependencyTree): TreeNode {
  const marks = [
    ...(node.range === undefined ? [] : [node.range]),
    ...(node.optional ? ["optional"] : []),
    ...(node.version === null ? ["unresolved"] : []),
    ...(node.cycle ? ["cycle"] : []),
  ];
  const name = node.version === null ? node.id : key(node.id, node.version);
  return {
    label: marks.length === 0 ? name : `${name} (${marks.join(", ")})`,
    children: node.children.map(drawDependencies),
  };
}

function drawDependents(node: DependentTree): TreeNode {
  const marks = [
    ...(node.range === undefined ? [] : [`requires ${node.range}`]),
    ...(node.optional ? ["optional"] : []),
    ...(node.cycle ? ["cycle"] : []),
  ];
  const name = key(node.id, node.version);
  return {
    label: marks.length === 0 ? name : `${name} (${marks.join(", ")})`,
    children: node.children.map(drawDependents),
  };
}

/** Everything that depends on `id`, transitively; a module already on the path is marked `cycle` and not followed. */
export function dependentTree(runtime: Runtime, id: string, version: string): DependentTree {
  const walk = (node: DependentTree, path: ReadonlySet<string>): DependentTree => {
    if (path.has(node.id)) return { ...node, cycle: true };
    const next = new Set(path).add(node.id);
    node.children = runtime.queries
      .dependents(node.id)
      .map((d) =>
        walk({ id: d.id, version: d.version, range: d.range, optional: d.optional, children: [] }, next),
      );
    return node;
  };
  return walk({ id, version, children: [] }, new Set());
}

/** `chipset deps`: what it does once commander has parsed its arguments (see commands/). */
export async function showDeps(
  ctx: CliContext,
  ref: string,
  opts: { reverse?: boolean; tree?: boolean; json?: boolean },
  cmd: Command,
): Promise<void> {
  const lines = await lookWithRuntime(globalsOf(cmd, ctx), ctx, (runtime) => {
    const info = runtime.queries.info(ref); // CHIP_ERR_MODULE_NOT_FOUND for unknown ids
    const self = key(info.id, info.version);
    if (opts.reverse && opts.tree)
      return render(dependentTree(runtime, info.id, info.version), drawDependents);
    if (opts.reverse) {
      const dependents = runtime.queries.dependents(info.id);
      return {
        json: dependents,
        text:
          dependents.length === 0
            ? [`nothing depends on ${info.id}`]
            : [
                `${info.id} is used by:`,
                ...dependents.map(
                  (d) =>
                    `  ${key(d.id, d.version)} ${d.optional ? "optionally requires" : "requires"} ${info.id} ${d.range}`,
                ),
              ],
      };
    }
    if (opts.tree) return render(runtime.queries.tree(self), drawDependencies);
    const deps = runtime.queries.dependencies(self);
    return {
      json: deps,
      text:
        deps.length === 0
          ? [`${self} has no dependencies`]
          : [
              `${self} depends on:`,
              ...deps.map(
                (d) =>
                  `  ${d.id} ${d.range}${d.optional ? " (optional)" : ""} -> ${d.resolved ?? "unresolved"}`,
              ),
            ],
    };
  });
  if (opts.json) return ctx.out.json(lines.json);
  ctx.out.lines(lines.text);
}
