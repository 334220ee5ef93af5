import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime, type RuntimeOptions } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { counter } from "../versions/counterModule.js";
import { load } from "../versions/updateFixtures.js";

const h = runtimeHarness();

/**
 * counter@1.0.0 and counter@2.0.0, each with 3 worker replicas, and a runtime that knows only
 * 1.0.0 with its replicas running; answers 2.0.0's directory (the update adds it).
 */
async function replicatedV1(options: RuntimeOptions = {}): Promise<{ rt: Runtime; next: string }> {
  const chipset = { isolation: "worker" as const, replicas: { min: 3 } };
  h.ws.module({ name: "counter", version: "1.0.0", chipset, code: counter() });
  const next = h.ws.module({
    name: "counter",
    version: "2.0.0",
    chipset,
    code: counter(),
    dirName: "counter-next",
  });
  const rt = h.open({
    moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0")],
    hosts: { pool: { worker: 0, process: 0 } },
    ...options,
  });
  await rt.start("counter");
  await expect
    .poll(() => live(rt))
    .toEqual(["counter@1.0.0 running", "counter@1.0.0#1 running", "counter@1.0.0#2 running"]);
  return { rt, next };
}

/** Every live instance of `counter`, with its state. */
function live(rt: Runtime): string[] {
  return rt
    .instances()
    .filter((i) => i.id === "counter")
    .map((i) => `${i.key} ${i.state}`)
    .sort();
}

describe("a hot update of a module with replicas", () => {
  it("replaces every replica with the new version's under continuous calls, none failed", async () => {
    const { rt, next } = await replicatedV1();
    const update = rt.update("counter", { from: next, graceMs: 0 });
    const { results, failures } = await load(rt, update);
    const report = await update;
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ from: "1.0.0", to: "2.0.0", outcome: "completed" });
    expect(results.length).toBeGreaterThan(0);
    await expect
      .poll(() => live(rt))
      .toEqual(["counter@2.0.0 running", "counter@2.0.0#1 running", "counter@2.0.0#2 running"]);
    // Calls now spread over the new version's three replicas.
    const answers = await Promise.all(Array.from({ length: 9 }, () => rt.call("counter", "hit")));
    expect(answers.every((a) => (a as { version: string }).version === "2.0.0")).toBe(true);
    expect(rt.replicas.list()).toEqual([
      expect.objectContaining({ id: "counter", version: "2.0.0", desired: 3, current: 3 }),
    ]);
  });

  it("keeps the count an operator scaled to across the update", async () => {
    const { rt, next } = await replicatedV1();
    await rt.replicas.scale("counter", 2);
    await rt.update("counter", { from: next, graceMs: 0 });
    await expect.poll(() => live(rt)).toEqual(["counter@2.0.0 running", "counter@2.0.0#1 running"]);
  });

  it("sends a canary share to the new version's replicas, then moves every call to them", async () => {
    const clock = new ManualClock();
    const { rt, next } = await replicatedV1({ clock });
    const update = rt.update("counter", {
      from: next,
      graceMs: 0,
      strategy: "canary",
      canary: { percent: 50, durationMs: 1_000 },
    });
    let closed = false;
    const { results, failures } = await load(rt, update, 4, (hit, all) => {
      if (!closed && hit.version === "2.0.0" && all.filter((r) => r.version === "2.0.0").length >= 25) {
        closed = true;
        clock.advance(1_000);
      }
    });
    const report = await update;
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ outcome: "completed", to: "2.0.0" });
    expect(results.some((r) => r.version === "1.0.0")).toBe(true);
    await expect
      .poll(() => live(rt))
      .toEqual(["counter@2.0.0 running", "counter@2.0.0#1 running", "counter@2.0.0#2 running"]);
  });
});
