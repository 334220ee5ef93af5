import { describe, expect, it } from "vitest";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** `svc` (eager, an api with a few behaviours) and `app` (eager, requires svc). */
function writeModules(): void {
  h.ws.module({
    name: "svc",
    chipset: { activation: "eager", calls: { methods: { hang: { timeoutMs: 100 } } } },
    code: `import { currentCall } from "chipset/module";
let n = 0;
export const module = defineModule({ api: {
  hello: (name) => ({ hello: name, n: ++n }),
  nothing: () => undefined,
  fail: () => { throw new Error("the svc failed on purpose"); },
  // Answers only when its call is given up (the timeout aborts its signal).
  hang: () => new Promise((resolve) => currentCall().signal.addEventListener("abort", resolve)),
} });`,
  });
  h.ws.module({
    name: "app",
    chipset: { activation: "eager", requires: { svc: "^1.0.0" } },
    code: `export const module = defineModule({ api: { ping: () => "pong" } });`,
  });
}

async function started() {
  writeModules();
  const rt = h.open();
  await h.serve(rt);
  await rt.start();
  return rt;
}

describe("GET /v1/modules", () => {
  it("lists every module with its live state, host, pid, calls, uptime, restarts and breakers", async () => {
    const rt = await started();
    await rt.call("svc", "hello", ["a"]);
    const { status, body } = await h.get<{ modules: Array<Record<string, unknown>> }>("/v1/modules");
    expect(status).toBe(200);
    const svc = body.modules.find((m) => m["id"] === "svc")!;
    expect(svc).toMatchObject({
      version: "1.0.0",
      state: "running",
      activation: "eager",
      isolation: "inline",
      instance: {
        version: "1.0.0",
        state: "running",
        host: { isolation: "inline", pid: process.pid },
        calls: 1,
        restarts: 0,
      },
      breakers: [],
    });
    expect((svc["instance"] as { uptimeMs: number }).uptimeMs).toBeGreaterThanOrEqual(0);
    expect(body.modules.map((m) => m["id"]).sort()).toEqual(["app", "svc"]);
  });

  it("counts a module's restarts after crashes", async () => {
    h.ws.module({
      name: "flaky",
      chipset: { restart: { initialDelayMs: 0 } },
      code: `export const module = defineModule({ api: { boom() { setTimeout(() => { throw new Error("flaky blew up"); }, 0); } } });`,
    });
    const rt = h.open();
    await h.serve(rt);
    const restarted = new Promise<void>((resolve) => rt.on("module.restarted", () => resolve()));
    await rt.call("flaky", "boom");
    await restarted;
    const { body } = await h.get<{ instances: Array<{ restarts: number; state: string }> }>(
      "/v1/modules/flaky",
    );
    expect(body.instances).toEqual([expect.objectContaining({ restarts: 1, state: "running" })]);
  });

  it("answers one module with its manifest, versions, dependencies and live instances", async () => {
    await started();
    const { status, body } = await h.get("/v1/modules/app");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: "app",
      version: "1.0.0",
      state: "running",
      versions: ["1.0.0"],
      manifest: { kind: "test", requires: { svc: "^1.0.0" } },
      dependencies: [{ id: "svc", range: "^1.0.0", optional: false, resolved: "1.0.0" }],
      instances: [{ version: "1.0.0", state: "running", host: { pid: process.pid } }],
    });
    expect((await h.get("/v1/modules/svc%401.0.0")).body).toMatchObject({ id: "svc", state: "running" });
  });

  it("reads a scoped id or a range in the path when it is URL-encoded", async () => {
    h.ws.module({
      name: "@acme/x",
      code: `export const module = defineModule({ api: { ping: () => "pong" } });`,
    });
    await h.serve(h.open());
    expect((await h.get("/v1/modules/%40acme%2Fx")).body).toMatchObject({ id: "@acme/x", version: "1.0.0" });
    expect((await h.get("/v1/modules/%40acme%2Fx%40%5E1.0.0")).body).toMatchObject({ id: "@acme/x" });
    expect(await h.post("/v1/modules/%40acme%2Fx/calls/ping")).toEqual({
      status: 200,
      body: { result: "pong" },
    });
  });

  it("answers 404 with CHIP_ERR_MODULE_NOT_FOUND for a module nobody registered", async () => {
    await started();
    const { status, body } = await h.get("/v1/modules/ghost");
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: "CHIP_ERR_MODULE_NOT_FOUND", category: "not-found" });
  });
});

describe("POST /v1/modules/{ref}/{action}", () => {
  it("stops, starts, pauses, resumes, restarts in a fresh host, unloads and loads a module", async () => {
    const rt = await started();
    const step = async (action: string, body?: unknown) =>
      (await h.post(`/v1/modules/app/${action}`, body)).body;
    expect(await step("stop")).toMatchObject({
      id: "app",
      version: "1.0.0",
      action: "stop",
      state: "stopped",
      instance: { state: "stopped", host: { pid: process.pid } },
    });
    expect(await step("start")).toMatchObject({ state: "running" });
    expect(await step("pause")).toMatchObject({ state: "paused" });
    expect(await step("resume")).toMatchObject({ state: "running" });
    const restarted: string[] = [];
    rt.on("module.state", (e) => restarted.push(`${e.id} ${e.command}`));
    expect(await step("restart")).toMatchObject({ state: "running", instance: { state: "running" } });
    // A fresh host: unloaded (stopped first), then loaded and started again.
    expect(restarted).toEqual(["app stop", "app unload", "app load", "app init", "app start"]);
    expect(await step("unload")).toMatchObject({ state: "registered", instance: null });
    expect(await step("load")).toMatchObject({ state: "loaded" });
  });

  it("refuses to stop a module with running dependents (409), and stops them first with cascade", async () => {
    const rt = await started();
    const refused = await h.post("/v1/modules/svc/stop");
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "CHIP_ERR_MODULE_IN_USE" });
    expect(rt.queries.info("svc").state).toBe("running");
    const cascaded = await h.post("/v1/modules/svc/stop", { cascade: true });
    expect(cascaded).toMatchObject({ status: 200, body: { state: "stopped" } });
    expect(rt.queries.info("app").state).toBe("stopped");
  });

  it("restarts a module with running dependents only with cascade, and brings the dependents back", async () => {
    const rt = await started();
    expect((await h.post("/v1/modules/svc/restart")).status).toBe(409);
    const order: string[] = [];
    rt.on("module.state", (e) => order.push(`${e.id} ${e.command}`));
    const restarted = await h.post("/v1/modules/svc/restart", { cascade: true });
    expect(restarted).toMatchObject({ status: 200, body: { state: "running" } });
    expect(rt.queries.info("app").state).toBe("running");
    expect(order.indexOf("app stop")).toBeLessThan(order.indexOf("svc stop"));
    expect(order.indexOf("svc start")).toBeLessThan(order.lastIndexOf("app start"));
  });

  it("answers 409 CHIP_ERR_INVALID_TRANSITION for an action the module's state does not allow", async () => {
    await started();
    const { status, body } = await h.post("/v1/modules/svc/resume");
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: "CHIP_ERR_INVALID_TRANSITION" });
  });

  it("answers 400 CHIP_ERR_REQUEST_INVALID for an action that does not exist, or an unknown option", async () => {
    await started();
    expect(await h.post("/v1/modules/svc/explode")).toMatchObject({
      status: 400,
      body: { code: "CHIP_ERR_REQUEST_INVALID" },
    });
    expect(await h.post("/v1/modules/svc/stop", { cascde: true })).toMatchObject({
      status: 400,
      body: { code: "CHIP_ERR_REQUEST_INVALID", details: { part: "body" } },
    });
  });
});

describe("POST /v1/modules/{ref}/calls/{method}", () => {
  it("answers the method's result", async () => {
    await started();
    expect(await h.post("/v1/modules/svc/calls/hello", { args: ["http"] })).toEqual({
      status: 200,
      body: { result: { hello: "http", n: 1 } },
    });
    expect(await h.post("/v1/modules/svc/calls/nothing")).toEqual({ status: 200, body: { result: null } });
  });

  it("answers each failure with its error's JSON and the status its code maps to", async () => {
    const rt = await started();
    const failed = await h.post("/v1/modules/svc/calls/fail", { args: [] });
    expect(failed).toMatchObject({
      status: 502,
      body: { code: "CHIP_ERR_CALL_FAILED", context: { id: "svc", method: "fail" } },
    });
    expect(await h.post("/v1/modules/svc/calls/nope")).toMatchObject({
      status: 404,
      body: { code: "CHIP_ERR_METHOD_NOT_FOUND" },
    });
    expect(await h.post("/v1/modules/ghost/calls/x")).toMatchObject({
      status: 404,
      body: { code: "CHIP_ERR_MODULE_NOT_FOUND" },
    });
    expect(await h.post("/v1/modules/svc/calls/hang")).toMatchObject({
      status: 504,
      body: { code: "CHIP_ERR_CALL_TIMEOUT" },
    });
    const isolation = rt.policies.isolate("svc");
    expect(await h.post("/v1/modules/svc/calls/hello", { args: ["x"] })).toMatchObject({
      status: 503,
      body: { code: "CHIP_ERR_BREAKER_OPEN", transient: true },
    });
    isolation.dispose();
    expect(await h.post("/v1/modules/svc/calls/hello", { args: ["x"] })).toMatchObject({ status: 200 });
  });

  it("refuses arguments that are not an array with 400", async () => {
    await started();
    expect(await h.post("/v1/modules/svc/calls/hello", { args: "x" })).toMatchObject({
      status: 400,
      body: { code: "CHIP_ERR_REQUEST_INVALID" },
    });
  });
});

describe("GET /v1/errors", () => {
  it("answers recent errors and counts, filtered by module and code", async () => {
    await started();
    await h.post("/v1/modules/svc/calls/fail");
    await h.post("/v1/modules/svc/calls/nope");
    const all = await h.get<{ recent: Array<{ code: string; id?: string }>; counts: { total: number } }>(
      "/v1/errors?id=svc",
    );
    expect(all.status).toBe(200);
    expect(all.body.recent.map((e) => e.code)).toEqual(["CHIP_ERR_METHOD_NOT_FOUND", "CHIP_ERR_CALL_FAILED"]);
    expect(all.body.counts).toMatchObject({ total: 2, byModule: { svc: 2 } });
    const one = await h.get<{ recent: Array<{ code: string }> }>(
      "/v1/errors?code=CHIP_ERR_CALL_FAILED&limit=5",
    );
    expect(one.body.recent.map((e) => e.code)).toEqual(["CHIP_ERR_CALL_FAILED"]);
    expect(await h.get("/v1/errors?limit=0")).toMatchObject({
      status: 400,
      body: { code: "CHIP_ERR_REQUEST_INVALID" },
    });
  });
});

describe("POST /v1/modules/{ref}/update and /rollback", () => {
  const counter = (version: string) => ({
    name: "counter",
    version,
    chipset: { activation: "eager" as const },
    code: `let count = 0;
export const module = defineModule({
  exportState: () => ({ count }),
  importState: (state) => { count = state.count; },
  api: { hit: () => ({ version: "${version}", count: ++count }) },
});`,
  });

  it("updates a running module from a directory and rolls it back, answering each report", async () => {
    h.ws.module(counter("1.0.0"));
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    await rt.call("counter", "hit");
    const next = h.ws.module(counter("2.0.0"));
    const updated = await h.post<{
      from: string;
      to: string;
      outcome: string;
      steps: Array<{ step: string }>;
    }>("/v1/modules/counter/update", { from: next, graceMs: 0 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: "counter",
      from: "1.0.0",
      to: "2.0.0",
      outcome: "completed",
      stateMigrated: true,
    });
    expect(updated.body.steps.map((s) => s.step)).toContain("switch");
    expect(await h.post("/v1/modules/counter/calls/hit")).toEqual({
      status: 200,
      body: { result: { version: "2.0.0", count: 2 } },
    });
    const rolledBack = await h.post("/v1/modules/counter/rollback", { graceMs: 0 });
    expect(rolledBack).toMatchObject({
      status: 200,
      body: { from: "2.0.0", to: "1.0.0", outcome: "completed" },
    });
    expect(rt.queries.info("counter").version).toBe("1.0.0");
  });

  it("refuses options that are not update options with 400, and changes nothing", async () => {
    h.ws.module(counter("1.0.0"));
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    expect(await h.post("/v1/modules/counter/update", { graceMS: 0 })).toMatchObject({
      status: 400,
      body: { code: "CHIP_ERR_REQUEST_INVALID" },
    });
    expect(await h.post("/v1/modules/counter/update", { strategy: "yolo" })).toMatchObject({ status: 400 });
    expect(rt.queries.info("counter").version).toBe("1.0.0");
  });

  it("answers a failed update with 409 CHIP_ERR_UPDATE_FAILED and its report", async () => {
    h.ws.module(counter("1.0.0"));
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    const { status, body } = await h.post("/v1/modules/counter/update", { from: h.ws.root + "/nowhere" });
    expect(status).toBe(409);
    expect(body).toMatchObject({
      code: "CHIP_ERR_UPDATE_FAILED",
      details: { report: { outcome: "failed" } },
    });
  });
});
