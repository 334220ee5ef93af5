import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

/** A module whose `version()` answers its own version and whose init is traced as `init id@version`. */
const versioned = `export const module = defineModule({
  init(ctx) { globalThis.__trace.push("init " + ctx.id + "@" + ctx.version); },
  api: { version() { return globalThis.__trace.at(-1); } } });`;

/** `mid@1` needs `old-leaf`, `mid@2` needs `new-leaf`; every one of them traces its init. */
function installMidTwice(): void {
  h.ws.module({ name: "old-leaf", code: versioned });
  h.ws.module({ name: "new-leaf", code: versioned });
  h.ws.module({
    name: "mid",
    version: "1.0.0",
    chipset: { requires: { "old-leaf": "^1.0.0" } },
    code: versioned,
  });
  h.ws.module({
    name: "mid",
    version: "2.0.0",
    chipset: { requires: { "new-leaf": "^1.0.0" } },
    code: versioned,
  });
}

describe("with two versions of a module installed", () => {
  it("describes the highest version when none is given, and lists versions highest first", () => {
    // 10.0.0 sorts before 2.0.0 as text: the order must be semver's.
    for (const version of ["2.0.0", "1.0.0", "10.0.0"]) h.ws.module({ name: "alpha", version });
    const rt = h.open();
    const info = rt.queries.info("alpha");
    expect(info.version).toBe("10.0.0");
    expect(info.versions).toEqual(["10.0.0", "2.0.0", "1.0.0"]);
    expect(rt.queries.info("alpha@1.0.0").version).toBe("1.0.0");
  });

  it("shows the dependencies of the version that order and call use", async () => {
    installMidTwice();
    const rt = h.open();
    expect(rt.queries.dependencies("mid").map((d) => d.id)).toEqual(["new-leaf"]);
    expect(rt.queries.tree("mid").children.map((c) => c.id)).toEqual(["new-leaf"]);
    expect(rt.queries.order(["mid"])).toMatchObject({
      order: ["new-leaf", "mid"],
      keyLevels: [["new-leaf@1.0.0"], ["mid@2.0.0"]],
    });
    expect(await rt.call("mid", "version")).toBe("init mid@2.0.0");
    expect(h.log).toEqual(["init new-leaf@1.0.0", "init mid@2.0.0"]);
  });

  it("applies the call policies of the version a cold first call loads, not of a lower one", async () => {
    // pv@1 times calls out after 50 ms, pv@2 has no timeout: the first call goes to pv@2.
    h.ws.module({ name: "pv", version: "1.0.0", chipset: { calls: { timeoutMs: 50 } } });
    h.ws.module({
      name: "pv",
      version: "2.0.0",
      code: `export const module = defineModule({ api: {
        work() { globalThis.__entered(); return new Promise((resolve) => (globalThis.__release = resolve)); } } });`,
    });
    const g = globalThis as { __entered?: () => void; __release?: (value: string) => void };
    const entered = new Promise<void>((resolve) => (g.__entered = resolve));
    const clock = new ManualClock();
    const rt = h.open({ clock });
    const call = rt.call("pv", "work").then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await entered;
    clock.advance(1_000);
    g.__release!("answered by pv@2");
    expect(await call).toEqual({ value: "answered by pv@2" });
    expect(rt.queries.info("pv").instance).toMatchObject({ state: "running" });
    expect(rt.queries.info("pv").version).toBe("2.0.0");
  });

  it("keeps describing the active version while a higher one is installed", async () => {
    h.ws.module({ name: "beta", version: "1.0.0", code: versioned });
    const rt: Runtime = h.open();
    await rt.start("beta");
    const later = h.ws.module({ name: "beta", version: "2.0.0", code: versioned });
    rt.add(later);
    expect(rt.queries.info("beta").version).toBe("1.0.0");
    expect(rt.queries.info("beta").versions).toEqual(["2.0.0", "1.0.0"]);
  });
});
