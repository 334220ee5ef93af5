import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes, type RuntimeOptions } from "../../src/index.js";
import { refusal } from "../updates/fixtures.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

/**
 * A library that answers its own version and how many calls this copy of its code has served: a
 * counter at module level, so two versions sharing one ES module would count together.
 */
const library = `import { readFileSync } from "node:fs";
const own = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
let served = 0;
export const module = defineModule({ api: { who() { served++; return { version: own, served }; } } });`;

/** A dependent that answers what `lib` says through its own `ctx.use`. */
const dependent = `let ctxRef;
export const module = defineModule({
  init(ctx) { ctxRef = ctx; },
  api: { viaLib() { return ctxRef.use("lib").who(); } } });`;

function install(isolation: "inline" | "worker" | "process", singleton: boolean): void {
  for (const version of ["1.0.0", "1.4.0", "2.0.0"])
    h.ws.module({ name: "lib", version, chipset: { singleton, isolation }, code: library });
  h.ws.module({ name: "a", chipset: { requires: { lib: "^1.0.0" }, isolation }, code: dependent });
  h.ws.module({ name: "b", chipset: { requires: { lib: "^2.0.0" }, isolation }, code: dependent });
  h.ws.module({ name: "app", chipset: { requires: { a: "*", b: "*" } } });
}

describe.each(["inline", "worker", "process"] as const)("versions side by side (%s)", (isolation) => {
  it("binds each dependent to the version its range selects, each version with its own code", async () => {
    install(isolation, false);
    const rt = h.open();
    await rt.start("app");
    expect(await rt.call("a", "viaLib")).toEqual({ version: "1.4.0", served: 1 });
    expect(await rt.call("b", "viaLib")).toEqual({ version: "2.0.0", served: 1 });
    expect(await rt.call("a", "viaLib")).toEqual({ version: "1.4.0", served: 2 });
    const active = rt.queries
      .list()
      .filter((m) => m.id === "lib" && m.state === "running")
      .map((m) => m.version);
    expect(active.sort()).toEqual(["1.4.0", "2.0.0"]);
    // The application's own calls: the highest, or the range it asks for.
    expect(await rt.call("lib", "who")).toMatchObject({ version: "2.0.0" });
    expect(await rt.call("lib@^1", "who")).toMatchObject({ version: "1.4.0", served: 3 });
    expect(await rt.call("lib@1.0.0", "who")).toEqual({ version: "1.0.0", served: 1 });
  });
});

describe("versions side by side", () => {
  it("gives each version the config entry of its range (id@range), the others the module's own", async () => {
    const echo = `let c; export const module = defineModule({ init(ctx) { c = ctx.config; }, api: { config() { return c; } } });`;
    for (const version of ["1.0.0", "1.4.0", "2.0.0"])
      h.ws.module({ name: "lib", version, chipset: { singleton: false }, code: echo });
    const rt = h.open({
      config: { "lib@1.0.0": { says: "exact" }, "lib@^1": { says: "one" }, lib: { says: "any" } },
    });
    expect(await rt.call("lib@1.0.0", "config")).toEqual({ says: "exact" });
    expect(await rt.call("lib@1.4.0", "config")).toEqual({ says: "one" });
    expect(await rt.call("lib@2.0.0", "config")).toEqual({ says: "any" });
  });

  it("answers use(id) within the config's `use` range, and why says who asked", async () => {
    install("inline", false);
    const rt = h.open({ use: { lib: "^1" } });
    await rt.start("app");
    expect(await rt.call("lib", "who")).toMatchObject({ version: "1.4.0" });
    const why = rt.queries.why("lib");
    expect(why.chosen).toEqual(["2.0.0", "1.4.0"]);
    expect(why.constraints).toEqual(
      expect.arrayContaining([
        { from: "options.use.lib", range: "^1", kind: "config", bound: "1.4.0" },
        { from: "a@1.0.0", range: "^1.0.0", kind: "module", bound: "1.4.0" },
        { from: "b@1.0.0", range: "^2.0.0", kind: "module", bound: "2.0.0" },
      ]),
    );
    expect(why.rejected).toEqual([
      {
        version: "1.0.0",
        reason: "lower than 1.4.0: the highest version that fits is chosen",
        excludedBy: null,
      },
    ]);
  });

  it("emits lifecycle events and labels each version by id@version", async () => {
    install("inline", false);
    const rt = h.open();
    const started: string[] = [];
    rt.on("module.started", (e) => started.push(`${e.id}@${e.version}`));
    await rt.start("app");
    expect(started).toEqual(expect.arrayContaining(["lib@1.4.0", "lib@2.0.0", "a@1.0.0", "b@1.0.0"]));
    const [first, second] = rt.instances().filter((i) => i.id === "lib");
    expect(new Set([first!.key, second!.key])).toEqual(new Set(["lib@1.4.0", "lib@2.0.0"]));
  });

  it("stops one version without touching the other", async () => {
    install("worker", false);
    const rt = h.open();
    await rt.start("app");
    await rt.stop("lib@^1", { cascade: true });
    expect(rt.queries.info("lib@1.4.0").state).toBe("stopped");
    expect(rt.queries.info("a").state).toBe("stopped");
    expect(await rt.call("b", "viaLib")).toMatchObject({ version: "2.0.0" });
  });
});

describe("negotiating versions", () => {
  /** a needs lib 1.x; b@2 needs lib 2.x, b@1.3.0 accepts 1.x; lib is a singleton. */
  function installNegotiable(): void {
    for (const version of ["1.6.0", "2.1.0"]) h.ws.module({ name: "lib", version, code: library });
    h.ws.module({ name: "a", chipset: { requires: { lib: "^1.0.0" } }, code: dependent });
    h.ws.module({ name: "b", version: "1.3.0", chipset: { requires: { lib: "^1.0.0" } }, code: dependent });
    h.ws.module({ name: "b", version: "2.0.0", chipset: { requires: { lib: "^2.0.0" } }, code: dependent });
    h.ws.module({ name: "app", chipset: { requires: { a: "*", b: "*" } } });
  }

  it("chooses an older version of a dependent when the newer one would need a second singleton", async () => {
    installNegotiable();
    const rt = h.open();
    await rt.start("app");
    expect(await rt.call("b", "viaLib")).toMatchObject({ version: "1.6.0" });
    const why = rt.queries.why("b");
    expect(why.chosen).toEqual(["1.3.0"]);
    expect(why.rejected).toEqual([
      {
        version: "2.0.0",
        reason: expect.stringContaining("choosing it leaves no solution") as unknown,
        excludedBy: null,
      },
    ]);
  });

  it("explains a conflict step by step with fixes, and an override resolves it", async () => {
    for (const version of ["1.6.0", "2.1.0"]) h.ws.module({ name: "lib", version, code: library });
    h.ws.module({ name: "a", chipset: { requires: { lib: "^1.0.0" } }, code: dependent });
    h.ws.module({ name: "b", version: "2.0.0", chipset: { requires: { lib: "^2.0.0" } }, code: dependent });
    h.ws.module({ name: "app", chipset: { requires: { a: "*", b: "*" } } });
    const rt = h.open();
    const err = await refusal(rt.start("app"));
    expect(err.code).toBe(ErrorCodes.VERSION_CONFLICT);
    expect(err.message).toContain("a@1.0.0 (the only installed version of a) requires lib ^1.0.0.");
    expect(err.message).toContain("b@2.0.0 (the only installed version of b) requires lib ^2.0.0.");
    expect(err.message).toContain(
      "lib is a singleton, and no installed version satisfies ^1.0.0 (from a@1.0.0) and ^2.0.0 (from b@2.0.0) together",
    );
    expect(err.details["fixes"]).toEqual([
      expect.objectContaining({ kind: "override", id: "lib", version: "2.1.0" }),
      expect.objectContaining({ kind: "side-by-side", id: "lib" }),
    ]);
    expect(rt.instances().filter((i) => i.state !== "registered")).toEqual([]);
    await rt.close();

    const fixed = h.open({ overrides: { lib: "2.1.0" } });
    await fixed.start("app");
    expect(await fixed.call("a", "viaLib")).toMatchObject({ version: "2.1.0" });
    expect(fixed.queries.why("lib").override).toEqual({ range: "2.1.0", from: "options.overrides.lib" });
  });
});

describe("the application's version rules", () => {
  it.each<[string, RuntimeOptions, string]>([
    ["a `use` range that is not semver", { use: { lib: "^^2" } }, "use.lib"],
    ["an override that is not semver", { overrides: { lib: "one" } }, "overrides.lib"],
  ])("refuses %s, naming the field", (_, options, field) => {
    install("inline", true);
    let err: unknown;
    try {
      h.open(options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect((err as ChipsetError).details["field"]).toBe(field);
  });

  it("refuses a rule that names no installed module before anything starts", async () => {
    install("inline", true);
    const rt = h.open({ use: { nope: "^1" } });
    const err = await refusal(rt.start("a"));
    expect(err.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(err.details["field"]).toBe("use.nope");
    expect(rt.instances().filter((i) => i.state !== "registered")).toEqual([]);
  });
});
