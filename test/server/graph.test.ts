import { describe, expect, it } from "vitest";
import { hostHarness } from "./harness.js";

const h = hostHarness();

interface Graph {
  nodes: Array<{ id: string; version: string; state: string; level: number | null }>;
  edges: Array<{ from: string; to: string; range: string; optional: boolean; resolved: string | null }>;
  problem: { code: string; message: string } | null;
}

describe("GET /v1/graph", () => {
  it("answers every module with its load level and state, and an edge per dependency, optional ones marked", async () => {
    h.ws.module({ name: "store" });
    h.ws.module({ name: "cache", chipset: { requires: { store: "^1.0.0" } } });
    h.ws.module({ name: "store", version: "1.2.0", dirName: "store-next" });
    h.ws.module({ name: "metrics" });
    h.ws.module({
      name: "app",
      chipset: { activation: "eager", requires: { cache: "^1.0.0" }, optional: { metrics: "^1.0.0" } },
    });
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    const { status, body } = await h.get<Graph>("/v1/graph");
    expect(status).toBe(200);
    expect(body.problem).toBeNull();
    const nodes = Object.fromEntries(
      body.nodes.map((n) => [n.id, `${n.version} ${n.state} level ${String(n.level)}`]),
    );
    expect(nodes).toEqual({
      store: "1.2.0 running level 0",
      metrics: "1.0.0 running level 0",
      cache: "1.0.0 running level 1",
      app: "1.0.0 running level 2",
    });
    expect(body.edges).toEqual(
      expect.arrayContaining([
        { from: "cache", to: "store", range: "^1.0.0", optional: false, resolved: "1.2.0" },
        { from: "app", to: "cache", range: "^1.0.0", optional: false, resolved: "1.0.0" },
        { from: "app", to: "metrics", range: "^1.0.0", optional: true, resolved: "1.0.0" },
      ]),
    );
    expect(body.edges).toHaveLength(3);
  });

  it("says why the modules cannot be ordered when they require each other in a circle, levels null", async () => {
    h.ws.module({ name: "left", chipset: { requires: { right: "^1.0.0" } } });
    h.ws.module({ name: "right", chipset: { requires: { left: "^1.0.0" } } });
    const rt = h.open();
    await h.serve(rt);
    const { status, body } = await h.get<Graph>("/v1/graph");
    expect(status).toBe(200);
    expect(body.problem?.code).toBe("CHIP_ERR_DEPENDENCY_CYCLE");
    expect(body.problem?.message).toMatch(/left/);
    expect(body.nodes.map((n) => n.level)).toEqual([null, null]);
    expect(body.edges).toHaveLength(2);
  });
});
