import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/index.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();
const noToken = { headers: { authorization: "" } };

async function probe(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.request(path, noToken);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("the probes", () => {
  it("answer /livez at once, and /startupz and /readyz with 503 until the start-up has finished", async () => {
    h.ws.module({ name: "lib", chipset: { activation: "lazy" } });
    h.ws.module({ name: "svc", chipset: { activation: "eager", requires: { lib: "^1.0.0" } } });
    const rt = h.open();
    await h.serve(rt);
    expect(await probe("/livez")).toEqual({ status: 200, body: { ok: true } });
    expect(await probe("/startupz")).toEqual({ status: 503, body: { ok: false, phase: "created" } });
    expect(await probe("/readyz")).toEqual({
      status: 503,
      body: { ready: false, phase: "created", notReady: [] },
    });
    await rt.start();
    expect(await probe("/startupz")).toEqual({ status: 200, body: { ok: true, phase: "started" } });
    expect(await probe("/readyz")).toEqual({
      status: 200,
      body: { ready: true, phase: "started", notReady: [] },
    });
  });

  it("answer /readyz with 503 naming an eager module that is not running", async () => {
    h.ws.module({ name: "svc", chipset: { activation: "eager" } });
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    await rt.stop("svc");
    expect(await probe("/readyz")).toEqual({
      status: 503,
      body: {
        ready: false,
        phase: "started",
        notReady: [
          {
            id: "svc",
            version: "1.0.0",
            state: "stopped",
            reason: "eager module svc@1.0.0 is stopped, not running",
          },
        ],
      },
    });
    await rt.start("svc");
    expect((await probe("/readyz")).status).toBe(200);
  });

  it("answer /readyz with 503 while an eager module's readiness probe keeps it out of service", async () => {
    h.ws.module({
      name: "svc",
      chipset: {
        activation: "eager",
        probes: { readiness: { method: "ready", periodMs: 1_000, failureThreshold: 1 } },
      },
      code: `let ok = true;
        export const module = defineModule({ api: { ready() { return ok; }, set(v) { ok = v; } } });`,
    });
    const clock = new ManualClock();
    const rt = h.open({ clock });
    await h.serve(rt);
    await rt.start();
    await rt.call("svc", "set", [false]);
    const unready = new Promise<void>((resolve) => rt.on("module.unready", () => resolve()));
    clock.advance(1_000);
    await unready;
    expect(await probe("/readyz")).toEqual({
      status: 503,
      body: {
        ready: false,
        phase: "started",
        notReady: [
          {
            id: "svc",
            version: "1.0.0",
            state: "running",
            reason: "eager module svc@1.0.0 is out of service: its readiness probe fails",
          },
        ],
      },
    });
  });

  it("answer /readyz with 503 naming a required module that crashed", async () => {
    h.ws.module({
      name: "lib",
      chipset: { activation: "lazy", restart: { maxRestarts: 0 } },
      code: `export const module = defineModule({ api: { boom() { setTimeout(() => { throw new Error("lib blew up"); }, 0); } } });`,
    });
    h.ws.module({
      name: "svc",
      chipset: {
        activation: "eager",
        requires: { lib: "^1.0.0" },
        restart: { onDependencyCrash: "continue" },
      },
    });
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    const gaveUp = new Promise<void>((resolve) => rt.on("module.gave-up", () => resolve()));
    await rt.call("lib", "boom");
    await gaveUp;
    const { status, body } = await probe("/readyz");
    expect(status).toBe(503);
    expect(body["notReady"]).toEqual([
      expect.objectContaining({
        id: "lib",
        version: "1.0.0",
        reason: expect.stringContaining("required by an eager module") as string,
      }),
    ]);
  });

  it("are answered while the host closes, with /readyz 503", async () => {
    h.ws.module({ name: "svc", chipset: { activation: "eager" } });
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    await rt.close();
    expect((await probe("/livez")).status).toBe(200);
    expect(await probe("/readyz")).toMatchObject({ status: 503, body: { ready: false, phase: "closed" } });
  });
});
