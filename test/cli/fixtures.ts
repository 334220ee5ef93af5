import { writeModule, type ModuleSpec } from "./harness.js";

/**
 * Writes four modules under `root`: `core` <- `lib` <- `app` (app also optionally wants `gpu`,
 * which does not exist) and an unrelated `other`. `activation` applies to core, lib and app.
 * `call app answer 2` computes 42 through lib and core.
 */
export async function writeChain(
  root: string,
  activation: "eager" | "lazy" = "lazy",
): Promise<Record<"core" | "lib" | "app" | "other", string>> {
  const sdk = 'import { defineModule } from "chipset/module";\n';
  const core = await writeModule(root, {
    name: "core",
    version: "1.0.0",
    chipset: { kind: "service", description: "Base numbers", keywords: ["math", "base"], activation },
    code: `${sdk}export const module = defineModule({ api: { base() { return 40; } } });\n`,
  });
  const lib = await writeModule(root, {
    name: "lib",
    version: "1.0.0",
    chipset: { kind: "service", description: "Adds to the base", requires: { core: "^1.0.0" }, activation },
    code: `${sdk}let core;
export const module = defineModule({
  init(ctx) { core = ctx.use("core"); },
  api: { async plus(n) { return (await core.base()) + n; } },
});
`,
  });
  const app = await writeModule(root, {
    name: "app",
    version: "1.0.0",
    chipset: {
      kind: "app",
      description: "The application",
      requires: { lib: "^1.0.0" },
      optional: { gpu: "^1.0.0" },
      activation,
    },
    code: `${sdk}let lib, gpu;
export const module = defineModule({
  init(ctx) { lib = ctx.use("lib"); gpu = ctx.optional("gpu"); },
  api: { async answer(n) { return { answer: await lib.plus(n), gpu: gpu !== undefined }; } },
});
`,
  });
  const other = await writeModule(root, {
    name: "other",
    version: "1.0.0",
    chipset: { kind: "tool", description: "Echoes text", keywords: ["text"] },
    code: `${sdk}export const module = defineModule({ api: { echo(x) { return x; } } });\n`,
  });
  return { core, lib, app, other };
}

/** A worker module that answers its version and hands its count over on an update. */
export function counterSpec(version: string): ModuleSpec {
  return {
    name: "counter",
    version,
    chipset: { kind: "demo", isolation: "worker", activation: "eager" },
    code: `import { defineModule } from "chipset/module";
let count = 0;
export const module = defineModule({
  api: { hit() { count++; return { version: "${version}", count }; } },
  exportState() { return { count }; },
  importState(state) { count = state.count; },
});`,
  };
}
