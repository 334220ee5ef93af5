import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../../src/index.js";
import { packModule, refusal } from "../updates/fixtures.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { counter } from "./counterModule.js";
import {
  counterInstances,
  installCounter as install,
  load,
  runningV1 as openV1,
  type Isolation,
} from "./updateFixtures.js";

const h = runtimeHarness();
const installCounter = (isolation: Isolation) => install(h, isolation);
const runningV1 = (isolation: Isolation, v2Code?: string, v2Manifest?: Record<string, unknown>) =>
  openV1(h, isolation, v2Code, v2Manifest);

describe.each(["inline", "worker", "process"] as const)("hot update (%s)", (isolation) => {
  it("switches to the new version under continuous calls with none failed and the state carried over", async () => {
    const { rt, next } = await runningV1(isolation);
    const events: string[] = [];
    for (const name of ["update.started", "update.switched", "update.completed"] as const)
      rt.on(name, (e) => events.push(`${name} ${e.from}->${e.to}`));
    const update = rt.update("counter", { from: next, graceMs: 0 });
    const { results, failures } = await load(rt, update);
    const report = await update;
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ from: "1.0.0", to: "2.0.0", outcome: "completed", stateMigrated: true });
    expect(report.steps.map((s) => s.step)).toEqual([
      "resolve",
      "fetch",
      "install",
      "start",
      "verify",
      "switch",
      "grace",
      "retire",
    ]);
    // Every call counted once, across both versions: the count went on where it was.
    const counts = results.map((r) => r.count).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: results.length }, (_, i) => i + 2));
    expect(await rt.call("counter", "hit")).toEqual({ version: "2.0.0", count: results.length + 2 });
    expect(events).toEqual([
      "update.started 1.0.0->null",
      "update.switched 1.0.0->2.0.0",
      "update.completed 1.0.0->2.0.0",
    ]);
    // The old version is retired, and kept installed for a rollback.
    expect(counterInstances(rt)).toEqual(["counter@2.0.0"]);
    expect(rt.queries.info("counter").versions).toEqual(["2.0.0", "1.0.0"]);
    // Recorded as coming from where it was fetched, not from the staging copy it was installed from.
    expect(rt.registry.get("counter", "2.0.0")?.source).toBe(next);
    const back = await rt.rollback("counter", { graceMs: 0 });
    expect(back).toMatchObject({ from: "2.0.0", to: "1.0.0", outcome: "completed" });
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: results.length + 3 });
  });

  it("leaves the old version serving when the new one's importState fails, no call failed", async () => {
    const broken = counter().replace(
      "importState(state) { count = state.count; }",
      'importState() { throw new Error("cannot read this state"); }',
    );
    const { rt, next } = await runningV1(isolation, broken);
    const update = rt.update("counter", { from: next, graceMs: 0 });
    const { results, failures } = await load(rt, update);
    const err = await refusal(update);
    expect(failures).toEqual([]);
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["step"]).toBe("switch");
    expect(err.message).toContain("cannot read this state");
    expect(err.message).toContain("counter@1.0.0 serves as before");
    expect(results.every((r) => r.version === "1.0.0")).toBe(true);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: results.length + 2 });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });

  it("leaves the old version serving when a verify call of the new manifest fails", async () => {
    const { rt, next } = await runningV1(
      isolation,
      counter('selfTest() { throw new Error("self test failed"); },'),
      {
        update: { verify: [{ method: "selfTest" }] },
      },
    );
    const err = await refusal(rt.update("counter", { from: next, graceMs: 0 }));
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["step"]).toBe("verify");
    expect((err.cause as ChipsetError).code).toBe(ErrorCodes.CALL_FAILED);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 2 });
  });

  it("rolls back a new version that crashes right after the switch, its old state intact", async () => {
    const crashing = counter().replace(
      "importState(state) { count = state.count; }",
      'importState(state) { count = state.count; setTimeout(() => { throw new Error("crashed after the switch"); }, 0); }',
    );
    const { rt, next } = await runningV1(isolation, crashing);
    const rolledBack: string[] = [];
    rt.on("update.rolled-back", (e) => rolledBack.push(e.reason));
    const err = await refusal(rt.update("counter", { from: next, graceMs: 600_000 }));
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["report"]).toMatchObject({ outcome: "rolled-back", to: "2.0.0" });
    expect(rolledBack).toEqual([expect.stringContaining("crashed after the switch")]);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });
});

describe("hot update", () => {
  it("refuses a new version that a running dependent's range excludes, naming it", async () => {
    const next = installCounter("inline");
    h.ws.module({ name: "user", chipset: { requires: { counter: "^1.0.0" } } });
    const rt = h.open({
      moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0"), join(h.ws.modulesDir, "user-1.0.0")],
    });
    await rt.start("user");
    const err = await refusal(rt.update("counter", { from: next, graceMs: 0 }));
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect((err.cause as ChipsetError).code).toBe(ErrorCodes.VERSION_CONFLICT);
    expect(err.message).toContain("user@1.0.0 requires counter ^1.0.0, which 2.0.0 does not satisfy");
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 1 });
  });

  it("rebinds a dependent's ctx.use to the new version", async () => {
    const next = installCounter("worker");
    h.ws.module({
      name: "user",
      chipset: { requires: { counter: ">=1.0.0" } },
      code: `let c; export const module = defineModule({ init(ctx) { c = ctx.use("counter"); }, api: { viaCounter() { return c.hit(); } } });`,
    });
    const rt = h.open({
      moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0"), join(h.ws.modulesDir, "user-1.0.0")],
    });
    expect(await rt.call("user", "viaCounter")).toEqual({ version: "1.0.0", count: 1 });
    await rt.update("counter", { from: next, graceMs: 0 });
    expect(await rt.call("user", "viaCounter")).toEqual({ version: "2.0.0", count: 2 });
  });

  it("keeps the old version of a module side by side for a dependent whose range excludes the new one", async () => {
    h.ws.module({ name: "counter", version: "1.0.0", chipset: { singleton: false }, code: counter() });
    const next = h.ws.module({
      name: "counter",
      version: "2.0.0",
      chipset: { singleton: false },
      code: counter(),
      dirName: "counter-next",
    });
    const via = `let c; export const module = defineModule({ init(ctx) { c = ctx.use("counter"); }, api: { viaCounter() { return c.hit(); } } });`;
    h.ws.module({ name: "old-user", chipset: { requires: { counter: "^1.0.0" } }, code: via });
    h.ws.module({ name: "new-user", chipset: { requires: { counter: ">=1.0.0" } }, code: via });
    const dirs = ["counter-1.0.0", "old-user-1.0.0", "new-user-1.0.0"].map((d) => join(h.ws.modulesDir, d));
    const rt = h.open({ moduleDirs: dirs });
    await rt.start("old-user");
    await rt.start("new-user");
    expect(await rt.call("new-user", "viaCounter")).toEqual({ version: "1.0.0", count: 1 });
    const report = await rt.update("counter", { from: next, graceMs: 0 });
    expect(report.outcome).toBe("completed");
    expect(report.steps.map((s) => s.step)).not.toContain("retire");
    expect(await rt.call("new-user", "viaCounter")).toEqual({ version: "2.0.0", count: 2 });
    expect(await rt.call("old-user", "viaCounter")).toEqual({ version: "1.0.0", count: 2 });
    expect(await rt.call("counter", "hit")).toEqual({ version: "2.0.0", count: 3 });
  });

  it("refuses a tarball whose bytes do not match the integrity given, and installs nothing", async () => {
    const next = installCounter("inline");
    const tarball = await packModule(next, join(h.ws.root, "counter-2.0.0.tgz"));
    const rt = h.open({ moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0")] });
    await rt.start("counter");
    const wrong = "sha512-" + Buffer.alloc(64, 1).toString("base64");
    const err = await refusal(rt.update("counter", { from: tarball, integrity: wrong }));
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(rt.queries.info("counter").versions).toEqual(["1.0.0"]);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 1 });
  });

  it("refuses a package that claims an installed version with other files, and leaves the installed copy alone", async () => {
    const { rt, next } = await runningV1("inline");
    rt.add(next);
    const impostor = h.ws.module({
      name: "counter",
      version: "2.0.0",
      code: counter("extra() { return 1; },"),
      dirName: "counter-impostor",
    });
    const err = await refusal(rt.update("counter", { from: impostor, graceMs: 0 }));
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(err.message).toContain("a published version never changes");
    const report = await rt.update("counter", { from: next, graceMs: 0 });
    expect(report).toMatchObject({ to: "2.0.0", outcome: "completed" });
    expect(await rt.call("counter", "hit")).toEqual({ version: "2.0.0", count: 2 });
  });

  it("installs the new version of a module that is not loaded, for its next use", async () => {
    const next = installCounter("inline");
    const rt = h.open({ moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0")] });
    const report = await rt.update("counter", { from: next });
    expect(report).toMatchObject({ from: null, to: "2.0.0", outcome: "installed" });
    expect(await rt.call("counter", "hit")).toEqual({ version: "2.0.0", count: 1 });
  });

  it("stops an update whose signal fires before the switch, the old version serving", async () => {
    const { rt, next } = await runningV1("worker");
    const controller = new AbortController();
    rt.on("module.started", (e) => {
      if (e.version === "2.0.0") controller.abort(new Error("operator changed their mind"));
    });
    const err = await refusal(rt.update("counter", { from: next, graceMs: 0, signal: controller.signal }));
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect((err.cause as ChipsetError).code).toBe(ErrorCodes.ABORTED);
    expect(err.details["step"]).toBe("verify");
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(counterInstances(rt)).toEqual(["counter@1.0.0"]);
  });

  it("refuses a second update of the same module while one runs", async () => {
    const { rt, next } = await runningV1("inline");
    const first = rt.update("counter", { from: next, graceMs: 0 });
    const err = await refusal(rt.update("counter", { from: next }));
    expect(err.code).toBe(ErrorCodes.MODULE_IN_USE);
    await first;
  });
});
