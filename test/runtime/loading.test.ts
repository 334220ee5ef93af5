import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defineModule, type RuntimeOptions } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { tracedModule } from "../support/trace.js";

const h = runtimeHarness();
const open = (options?: RuntimeOptions) => h.open(options);

describe("on-demand loading of modules from disk", () => {
  it("returns a proxy at once and loads the module and its dependencies on the first call", async () => {
    h.ws.module({
      name: "file-io",
      code: tracedModule("file-io", `{ read(p) { return "bytes of " + p; } }`),
    });
    h.ws.module({
      name: "player",
      chipset: { requires: { "file-io": "^1.0.0" } },
      code: `let files; export const module = defineModule({
        init(ctx) { globalThis.__trace.push("init player"); files = ctx.use("file-io"); },
        start() { globalThis.__trace.push("start player"); },
        api: { async play(p) { return "playing " + (await files.read(p)); } } });`,
    });
    const rt = open();
    const player = rt.use<{ play(p: string): string }>("player");
    expect(rt.queries.info("player").state).toBe("registered");
    expect(h.log).toEqual([]);
    await expect(player.play("a.vid")).resolves.toBe("playing bytes of a.vid");
    expect(h.log).toEqual(["init file-io", "start file-io", "init player", "start player"]);
    expect(rt.queries.info("file-io").state).toBe("running");
  });

  it("imports chipset/module from the host, without the module installing chipset", async () => {
    h.ws.module({
      name: "sdk-user",
      code: `export const module = defineModule({ api: { kind() { return typeof defineModule; } } });`,
    });
    await expect(open().call("sdk-user", "kind")).resolves.toBe("function");
  });

  it("resolves the module's own npm dependencies from its installed copy, and chipset/module from the host", async () => {
    const dir = h.ws.module({
      name: "with-deps",
      code: `import pad from "tiny-pad"; export const module = defineModule({ api: { pad(s) { return pad(s); }, sdk() { return typeof defineModule; } } });`,
    });
    mkdirSync(join(dir, "node_modules", "tiny-pad"), { recursive: true });
    writeFileSync(
      join(dir, "node_modules", "tiny-pad", "package.json"),
      JSON.stringify({ name: "tiny-pad", version: "1.0.0", type: "module", exports: "./index.js" }),
    );
    writeFileSync(join(dir, "node_modules", "tiny-pad", "index.js"), `export default (s) => "[" + s + "]";`);
    // A stale copy of chipset inside the module must not shadow the host's SDK.
    mkdirSync(join(dir, "node_modules", "chipset"), { recursive: true });
    writeFileSync(
      join(dir, "node_modules", "chipset", "package.json"),
      JSON.stringify({
        name: "chipset",
        version: "0.0.0",
        type: "module",
        exports: { "./module": "./nope.js" },
      }),
    );
    const rt = open();
    rmSync(dir, { recursive: true });
    await expect(rt.call("with-deps", "pad", ["x"])).resolves.toBe("[x]");
    await expect(rt.call("with-deps", "sdk")).resolves.toBe("function");
  });

  it("loads independent modules of one level in parallel", async () => {
    // A barrier: each init waits until the other has begun. Loaded one after the other, the first
    // init would wait for ever (ended by the hook timeout); in parallel both go through.
    (globalThis as { __barrier?: object }).__barrier = {};
    const barrier = (me: string, other: string) => `export const module = defineModule({
      async init() {
        const b = globalThis.__barrier;
        b["${me}"] = true;
        if (b["${other}"]) return b.release();
        await new Promise((resolve) => (b.release = resolve));
      }, api: {} });`;
    h.ws.module({ name: "left", code: barrier("left", "right") });
    h.ws.module({ name: "right", code: barrier("right", "left") });
    h.ws.module({
      name: "top",
      chipset: { requires: { left: "1", right: "1" } },
      code: `export const module = defineModule({ api: { ok() { return true; } } });`,
    });
    const rt = open({ hookTimeoutMs: 30_000 });
    await expect(rt.call("top", "ok")).resolves.toBe(true);
  });

  it("initialises a module once however many first calls arrive together", async () => {
    h.ws.module({ name: "counter", code: tracedModule("counter", `{ n() { return 1; } }`) });
    const rt = open();
    const results = await Promise.all(Array.from({ length: 20 }, () => rt.call("counter", "n")));
    expect(results).toEqual(Array(20).fill(1));
    expect(h.log.filter((l) => l === "init counter")).toHaveLength(1);
  });

  it("load() imports without init, and init waits for the first use", async () => {
    h.ws.module({ name: "lazy", code: tracedModule("lazy", `{ hi() { return "hi"; } }`) });
    const rt = open();
    await rt.load("lazy");
    expect(rt.queries.info("lazy").state).toBe("loaded");
    expect(h.log).toEqual([]);
    await rt.call("lazy", "hi");
    expect(h.log).toEqual(["init lazy", "start lazy"]);
  });

  it("loads a batch in the background and reports progress for each module", async () => {
    for (const name of ["a", "b", "c"]) h.ws.module({ name });
    const rt = open();
    const progress: Array<{ id: string; done: number; total: number; task: number; ok: boolean }> = [];
    rt.on("load.progress", (e) => progress.push(e));
    const task = rt.loadInBackground(["a", "b", "c"]);
    const report = await task.done;
    expect(report.outcomes.every((o) => o.ok)).toBe(true);
    expect(progress.map((p) => [p.done, p.total, p.task, p.ok])).toEqual(
      [1, 2, 3].map((n) => [n, 3, task.task, true]),
    );
    expect(progress.map((p) => p.id).sort()).toEqual(["a", "b", "c"]);
    expect(rt.queries.info("b").state).toBe("loaded");
  });

  it("loads synchronously when the module allows it, and says why when it does not", () => {
    h.ws.module({ name: "plain", code: `export const module = defineModule({ api: {} });` });
    h.ws.module({
      name: "awaits",
      code: `await Promise.resolve(); export const module = defineModule({ api: {} });`,
    });
    const rt = open();
    rt.loadSync("plain");
    expect(rt.queries.info("plain").state).toBe("loaded");
    expect(() => rt.loadSync("awaits")).toThrow(
      expect.objectContaining({ code: ErrorCodes.SYNC_LOAD_UNSUPPORTED }) as Error,
    );
    expect(rt.queries.info("awaits").state).toBe("registered");
  });

  it("evaluates a module's code afresh when it is used again after an unload", async () => {
    h.ws.module({
      name: "stateful",
      code: `let n = 0; export const module = defineModule({ api: { next() { return ++n; } } });`,
    });
    const rt = open();
    expect(await rt.call("stateful", "next")).toBe(1);
    expect(await rt.call("stateful", "next")).toBe(2);
    await rt.unload("stateful");
    expect(rt.queries.info("stateful").state).toBe("registered");
    expect(await rt.call("stateful", "next")).toBe(1);
  });

  it("refuses permissions it cannot enforce (a worker module), instead of running the module unrestricted", async () => {
    h.ws.module({
      name: "walled",
      chipset: { isolation: "worker", permissions: { fsRead: ["./data"] } },
      code: `export const module = defineModule({ api: { hi() { return 1; } } });`,
    });
    const rt = open({ hosts: { pool: { worker: 0, process: 0 } } });
    await expect(rt.call("walled", "hi")).rejects.toMatchObject({
      code: ErrorCodes.ISOLATION_UNSUPPORTED,
      message: expect.stringContaining('"isolation": "process"') as unknown,
    });
    expect(rt.queries.info("walled").instance).toBeNull();
  });

  it("refuses to isolate a module registered in code (its definition lives in this thread)", async () => {
    const rt = open();
    rt.register(
      { name: "in-code", version: "1.0.0", chipset: { kind: "test", isolation: "worker" } },
      defineModule({}),
    );
    await expect(rt.start("in-code")).rejects.toMatchObject({ code: ErrorCodes.ISOLATION_UNSUPPORTED });
  });

  it("names the methods a module has when a call names one it has not", async () => {
    h.ws.module({
      name: "small",
      code: `export const module = defineModule({ api: { one() {}, two() {} } });`,
    });
    await expect(open().call("small", "three")).rejects.toMatchObject({
      code: ErrorCodes.METHOD_NOT_FOUND,
      message: expect.stringContaining("one, two") as unknown,
    });
  });

  it("wraps an error thrown by a module's method, keeping the original as cause", async () => {
    h.ws.module({
      name: "grumpy",
      code: `export const module = defineModule({ api: { go() { throw new TypeError("no way"); } } });`,
    });
    const err: unknown = await open()
      .call("grumpy", "go")
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.CALL_FAILED, module: "grumpy@1.0.0" });
    expect((err as Error).cause).toBeInstanceOf(TypeError);
  });

  it("reports a module that does not export a definition, and can load it once fixed", async () => {
    h.ws.module({ name: "broken", code: `export const nothing = 1;` });
    const rt = open();
    await expect(rt.call("broken", "x")).rejects.toMatchObject({
      code: ErrorCodes.LOAD_FAILED,
      message: expect.stringContaining("defineModule") as unknown,
    });
    expect(rt.queries.info("broken").state).toBe("registered");
  });
});
