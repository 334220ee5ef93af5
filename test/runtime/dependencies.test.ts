import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defineModule, type RuntimeOptions } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { tracedModule } from "../support/trace.js";

const h = runtimeHarness();
const open = (options?: RuntimeOptions) => h.open(options);

const versionOf = `export const module = defineModule({ init(ctx) { globalThis.__trace.push(ctx.id + "@" + ctx.version); }, api: { v() { return "x"; } } });`;

describe("dependencies and versions", () => {
  it("chooses the highest installed version that satisfies every constraint", async () => {
    for (const v of ["1.0.0", "1.4.2", "2.0.0"]) h.ws.module({ name: "codec", version: v, code: versionOf });
    h.ws.module({ name: "a", chipset: { requires: { codec: "^1.0.0" } } });
    h.ws.module({ name: "b", chipset: { requires: { codec: ">=1.2.0" } } });
    h.ws.module({
      name: "app",
      chipset: { requires: { a: "1", b: "1" } },
      code: `export const module = defineModule({ api: { go() { return 1; } } });`,
    });
    const rt = open();
    await rt.call("app", "go");
    expect(h.log).toContain("codec@1.4.2");
    expect(rt.queries.info("codec").version).toBe("1.4.2");
  });

  it("names every requiring module, its range and the installed versions on a conflict", async () => {
    for (const v of ["1.0.0", "2.0.0"]) h.ws.module({ name: "codec", version: v });
    h.ws.module({ name: "a", chipset: { requires: { codec: "^1.0.0" } } });
    h.ws.module({ name: "b", chipset: { requires: { codec: "^2.0.0" } } });
    h.ws.module({ name: "app", chipset: { requires: { a: "1", b: "1" } } });
    const err = (await open()
      .call("app", "go")
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe(ErrorCodes.VERSION_CONFLICT);
    for (const part of ["codec", "a@1.0.0", "^1.0.0", "b@1.0.0", "^2.0.0", "1.0.0", "2.0.0"])
      expect(err.message).toContain(part);
  });

  it("rejects a dependency cycle with its full path and loads nothing", async () => {
    h.ws.module({ name: "a", chipset: { requires: { b: "1" } }, code: tracedModule("a") });
    h.ws.module({ name: "b", chipset: { requires: { c: "1" } }, code: tracedModule("b") });
    h.ws.module({ name: "c", chipset: { requires: { a: "1" } }, code: tracedModule("c") });
    const rt = open();
    const err = (await rt.call("a", "x").catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe(ErrorCodes.DEPENDENCY_CYCLE);
    expect(err.message).toMatch(
      /'a@1.0.0' -> 'b@1.0.0' -> 'c@1.0.0' -> 'a@1.0.0'|'b@1.0.0' -> 'c@1.0.0' -> 'a@1.0.0' -> 'b@1.0.0'|'c@1.0.0' -> 'a@1.0.0' -> 'b@1.0.0' -> 'c@1.0.0'/,
    );
    expect(h.log).toEqual([]);
  });

  it("accepts a cycle that only closes through an optional dependency, starting the hard side first", async () => {
    h.ws.module({
      name: "core",
      chipset: { optional: { plugin: "1" } },
      code: tracedModule("core", `{ hi() { return "core"; } }`),
    });
    h.ws.module({
      name: "plugin",
      chipset: { requires: { core: "1" } },
      code: tracedModule("plugin", `{ hi() { return "plugin"; } }`),
    });
    const rt = open();
    await expect(rt.call("plugin", "hi")).resolves.toBe("plugin");
    expect(h.log).toEqual(["init core", "start core", "init plugin", "start plugin"]);
  });

  it("uses an optional dependency when present and compatible, and skips it otherwise", async () => {
    const probe = `let ctx; export const module = defineModule({ init(c) { ctx = c; },
      api: { async accel() { const gpu = ctx.optional("gpu"); return gpu ? await gpu.speed() : "cpu"; } } });`;
    h.ws.module({ name: "codec", chipset: { optional: { gpu: "^2.0.0" } }, code: probe });
    h.ws.module({
      name: "gpu",
      version: "1.0.0",
      code: `export const module = defineModule({ api: { speed() { return "gpu-1"; } } });`,
    });
    const rt = open();
    await expect(rt.call("codec", "accel")).resolves.toBe("cpu");
    await rt.close();
    h.ws.module({
      name: "gpu",
      version: "2.1.0",
      code: `export const module = defineModule({ api: { speed() { return "gpu-2"; } } });`,
    });
    const again = open();
    await expect(again.call("codec", "accel")).resolves.toBe("gpu-2");
  });

  it("does not start a dependent whose dependency failed, and names the whole chain", async () => {
    h.ws.module({
      name: "disk",
      code: `export const module = defineModule({ init() { throw new Error("disk missing"); }, api: {} });`,
    });
    h.ws.module({ name: "files", chipset: { requires: { disk: "1" } }, code: tracedModule("files") });
    h.ws.module({
      name: "player",
      chipset: { requires: { files: "1" } },
      code: tracedModule("player", `{ play() {} }`),
    });
    const rt = open();
    const err = (await rt.call("player", "play").catch((e: unknown) => e)) as Error & {
      code: string;
      details: { chain: string[] };
    };
    expect(err.code).toBe(ErrorCodes.DEPENDENCY_FAILED);
    expect(err.details.chain).toEqual(["player", "files", "disk"]);
    expect(err.message).toContain("player -> files -> disk");
    expect(err.message).toContain("disk missing");
    expect(h.log).toEqual([]);
    expect(rt.queries.info("disk").state).toBe("loaded");
    expect(rt.queries.info("disk").instance?.lastError?.code).toBe(ErrorCodes.HOOK_FAILED);
  });

  it("lets a module destructure its context: init({ use, onStop })", async () => {
    h.ws.module({
      name: "dep",
      code: `export const module = defineModule({ api: { x() { return 41; } } });`,
    });
    h.ws.module({
      name: "user",
      chipset: { requires: { dep: "1" } },
      code: `let dep; export const module = defineModule({
        init({ use, onStop }) { dep = use("dep"); onStop(() => globalThis.__trace.push("cleaned")); },
        api: { async y() { return (await dep.x()) + 1; } } });`,
    });
    const rt = open();
    await expect(rt.call("user", "y")).resolves.toBe(42);
    await rt.stop("user");
    expect(h.log).toEqual(["cleaned"]);
  });

  it("refuses ctx.use of a module the caller did not declare", async () => {
    h.ws.module({
      name: "other",
      code: `export const module = defineModule({ api: { x() { return 1; } } });`,
    });
    h.ws.module({
      name: "sneaky",
      code: `let c; export const module = defineModule({ init(ctx) { c = ctx; }, api: { go() { return c.use("other").x(); } } });`,
    });
    const err = (await open()
      .call("sneaky", "go")
      .catch((e: unknown) => e)) as Error & { cause: { code: string } };
    expect(err.cause.code).toBe(ErrorCodes.DEPENDENCY_UNDECLARED);
    expect((err.cause as unknown as Error).message).toContain('add "other" to chipset.requires');
  });

  it("answers load order as levels without loading anything", () => {
    h.ws.module({ name: "base" });
    h.ws.module({ name: "left", chipset: { requires: { base: "1" } } });
    h.ws.module({ name: "right", chipset: { requires: { base: "1" } } });
    h.ws.module({ name: "top", chipset: { requires: { left: "1", right: "1" } } });
    const rt = open();
    expect(rt.queries.order(["top"])).toMatchObject({
      order: ["base", "left", "right", "top"],
      levels: [["base"], ["left", "right"], ["top"]],
    });
    expect(rt.queries.info("base").state).toBe("registered");
  });
});

describe("module configuration", () => {
  const schema = {
    type: "object",
    properties: { bufferMs: { type: "integer", minimum: 0, default: 250 } },
    additionalProperties: false,
  };
  const echo = `let c; export const module = defineModule({ init(ctx) { c = ctx.config; }, api: { config() { return c; } } });`;

  it("hands init the validated config with schema defaults applied", async () => {
    h.ws.module({ name: "settings", chipset: { configSchema: schema }, code: echo });
    await expect(open().call("settings", "config")).resolves.toEqual({ bufferMs: 250 });
  });

  it("rejects invalid config before init, naming the module and the field, and keeps the module loaded", async () => {
    h.ws.module({ name: "settings", chipset: { configSchema: schema }, code: echo });
    const rt = open({ config: { settings: { bufferMs: "soon" } } });
    const err = (await rt.call("settings", "config").catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain("settings");
    expect(err.message).toContain("bufferMs");
    expect(rt.queries.info("settings").state).toBe("loaded");
  });

  it("rejects a config nested too deeply to check with CONFIG_INVALID, not as the module's own failure", async () => {
    h.ws.module({ name: "settings", chipset: { configSchema: schema }, code: echo });
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const rt = open({ config: { settings: { bufferMs: 1, deep } } });
    const err = (await rt.call("settings", "config").catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toMatch(/"settings": it is nested too deeply/);
    expect(rt.queries.info("settings").state).toBe("loaded");
  });

  it("tells a module where relative paths in its config start: the config file's folder, or the cwd", async () => {
    const where = `let c; export const module = defineModule({ init(ctx) { c = ctx; }, api: { where() { return c.baseDir + "|" + c.config.dir; } } });`;
    h.ws.module({ name: "assets", code: where });
    h.ws.module({ name: "other", code: where });
    const configDir = join(h.ws.root, "conf");
    mkdirSync(configDir);
    const configFile = join(configDir, "chipset.config.json");
    writeFileSync(
      configFile,
      JSON.stringify({ modules: { assets: { dir: "./media" }, other: { dir: "./x" } } }),
    );
    const rt = open({ configFile, config: { other: { dir: "./y" } } });
    await expect(rt.call("assets", "where")).resolves.toBe(`${configDir}|./media`);
    await expect(rt.call("other", "where")).resolves.toBe(`${process.cwd()}|./y`);
  });

  it("looks up only a module's own config: a module named constructor gets none, or exactly its own", async () => {
    const where = `let c; export const module = defineModule({ init(ctx) { c = ctx; }, api: { config() { return { config: c.config, baseDir: c.baseDir }; } } });`;
    h.ws.module({ name: "constructor", code: where });
    await expect(open().call("constructor", "config")).resolves.toEqual({
      config: {},
      baseDir: process.cwd(),
    });

    const configFile = join(h.ws.root, "chipset.config.json");
    writeFileSync(configFile, JSON.stringify({ modules: { constructor: { dir: "./media" } } }));
    await expect(open({ configFile }).call("constructor", "config")).resolves.toEqual({
      config: { dir: "./media" },
      baseDir: h.ws.root,
    });
  });

  it("counts as dependents of a module named constructor only the modules that name it", () => {
    h.ws.module({ name: "constructor" });
    h.ws.module({ name: "user", chipset: { requires: {}, optional: { constructor: "^1.0.0" } } });
    const rt = open();
    rt.register(
      { name: "in-code", version: "1.0.0", chipset: { kind: "test", requires: {} } },
      defineModule({}),
    );
    expect(rt.queries.info("constructor").dependents).toEqual([
      { id: "user", version: "1.0.0", range: "^1.0.0", optional: true },
    ]);
  });
});
