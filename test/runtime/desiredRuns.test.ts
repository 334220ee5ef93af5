import { describe, expect, it } from "vitest";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { tracedModule } from "../support/trace.js";

const h = runtimeHarness();

/** Closes `rt`, then opens and starts a fresh runtime on the same data directory (a host started again). */
async function restart(rt: ReturnType<typeof h.open>) {
  await rt.close();
  h.log.length = 0;
  const next = h.open();
  await next.start();
  return next;
}

describe("what an operator started or stopped comes back when the runtime starts again", () => {
  it("starts a lazy module an operator started and leaves stopped an eager one an operator stopped", async () => {
    h.ws.module({ name: "core", chipset: { activation: "eager" }, code: tracedModule("core") });
    h.ws.module({ name: "report", code: tracedModule("report") });
    const rt = h.open();
    await rt.start();
    await rt.start("report", { persist: true });
    await rt.stop("core", { persist: true });
    expect(rt.desiredRuns().map(({ id, state }) => ({ id, state }))).toEqual([
      { id: "core", state: "stopped" },
      { id: "report", state: "running" },
    ]);

    const next = await restart(rt);
    expect(h.log).toEqual(["init report", "start report"]);
    expect(next.queries.info("report").state).toBe("running");
    expect(next.queries.info("core").state).toBe("registered");
  });

  it("records nothing for a program's own start and stop, nor for a later start by an operator undoing a stop", async () => {
    h.ws.module({ name: "core", chipset: { activation: "eager" }, code: tracedModule("core") });
    h.ws.module({ name: "report", code: tracedModule("report") });
    const rt = h.open();
    await rt.start();
    await rt.start("report");
    await rt.stop("core");
    expect(rt.desiredRuns()).toEqual([]);
    await rt.start("core", { persist: true });

    const next = await restart(rt);
    expect(h.log).toEqual(["init core", "start core"]);
    expect(next.queries.info("report").state).toBe("registered");
  });

  it("keeps stopped the dependents a cascade stopped, which would otherwise bring their dependency back", async () => {
    h.ws.module({ name: "db", chipset: { activation: "eager" }, code: tracedModule("db") });
    h.ws.module({
      name: "api",
      chipset: { activation: "eager", requires: { db: "^1.0.0" } },
      code: tracedModule("api"),
    });
    const rt = h.open();
    await rt.start();
    await rt.stop("db", { cascade: true, persist: true });

    const next = await restart(rt);
    expect(h.log).toEqual([]);
    expect(next.queries.info("api").state).toBe("registered");
    expect(next.queries.info("db").state).toBe("registered");
  });

  it("starts the host even when a module an operator started fails to come back", async () => {
    h.ws.module({ name: "core", chipset: { activation: "eager" }, code: tracedModule("core") });
    h.ws.module({
      name: "flaky",
      code: `export const module = defineModule({ start() { if (globalThis.__failFlaky) throw new Error("no disk"); }, api: {} });`,
    });
    const rt = h.open();
    await rt.start();
    await rt.start("flaky", { persist: true });
    (globalThis as { __failFlaky?: boolean }).__failFlaky = true;
    try {
      await rt.close();
      const next = h.open();
      const outcomes = await next.start();
      expect(next.phase).toBe("started");
      expect(outcomes.map(({ id, ok }) => ({ id, ok }))).toEqual([
        { id: "core", ok: true },
        { id: "flaky", ok: false },
      ]);
      expect(next.queries.info("core").state).toBe("running");
      expect(next.queries.info("flaky").state).not.toBe("running");
    } finally {
      delete (globalThis as { __failFlaky?: boolean }).__failFlaky;
    }
  });
});
