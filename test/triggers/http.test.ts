import { describe, expect, it } from "vitest";
import { hostHarness } from "../server/harness.js";

const h = hostHarness();

/** `ingest`, lazy, whose only activation is its HTTP triggers. */
function writeIngest(): void {
  h.ws.module({
    name: "ingest",
    chipset: {
      activation: "lazy",
      calls: { methods: { slow: { timeoutMs: 50 } } },
      triggers: [
        { http: { method: "POST", path: "/hooks/ingest" }, call: "ingest" },
        { http: { method: "GET", path: "/hooks/status" }, call: "status" },
        { http: { method: "POST", path: "/hooks/broken" }, call: "broken" },
        { http: { method: "POST", path: "/hooks/slow" }, call: "slow" },
      ],
    },
    code: `import { currentCall } from "chipset/module";
let total = 0;
export const module = defineModule({ api: {
  ingest(body) { total += body.items.length; return { accepted: body.items.length, total }; },
  status(query) { return { total, verbose: query.verbose === "1" }; },
  broken() { throw new Error("the parser choked"); },
  // Answers only when its call is given up (the timeout aborts its signal).
  slow() { return new Promise((resolve) => currentCall().signal.addEventListener("abort", resolve)); },
} });`,
  });
}

async function served() {
  writeIngest();
  const rt = h.open();
  await h.serve(rt);
  await rt.start();
  return rt;
}

describe("HTTP triggers", () => {
  it("answer with the module's result, its JSON body as the argument, loading the module on demand", async () => {
    const rt = await served();
    expect(rt.queries.info("ingest").state).toBe("registered");
    const fired: unknown[] = [];
    rt.on("trigger.fired", (e) => fired.push(e));
    const res = await h.post("/t/hooks/ingest", { items: [1, 2, 3] });
    expect(res).toEqual({ status: 200, body: { accepted: 3, total: 3 } });
    expect(rt.queries.info("ingest").state).toBe("running");
    expect(fired).toEqual([
      {
        id: "ingest",
        version: "1.0.0",
        trigger: 0,
        kind: "http",
        call: "ingest",
        route: "POST /t/hooks/ingest",
      },
    ]);
    // A GET's query is its argument.
    expect(await h.get("/t/hooks/status?verbose=1")).toEqual({
      status: 200,
      body: { total: 3, verbose: true },
    });
  });

  it("refuse a request without the bearer token, and call nothing", async () => {
    const rt = await served();
    const res = await h.request("/t/hooks/ingest", {
      method: "POST",
      headers: { authorization: "", "content-type": "application/json" },
      body: JSON.stringify({ items: [1] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("CHIP_ERR_UNAUTHORIZED");
    const wrong = await h.request("/t/hooks/status", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(rt.queries.info("ingest").state).toBe("registered");
    expect(rt.triggers.list().every((t) => t.fired === 0)).toBe(true);
  });

  it("answer the module's error with the status of its code, and keep it as the last outcome", async () => {
    const rt = await served();
    const broken = await h.post<{ code: string; message: string }>("/t/hooks/broken", {});
    expect(broken.status).toBe(502);
    expect(broken.body.code).toBe("CHIP_ERR_CALL_FAILED");
    expect(broken.body.message).toContain("the parser choked");
    const slow = await h.post<{ code: string }>("/t/hooks/slow", {});
    expect(slow).toMatchObject({ status: 504, body: { code: "CHIP_ERR_CALL_TIMEOUT" } });
    const list = rt.triggers.list();
    expect(list.find((t) => t.call === "broken")!.last).toMatchObject({
      ok: false,
      code: "CHIP_ERR_CALL_FAILED",
    });
  });

  it("answer 404 CHIP_ERR_TRIGGER_NOT_FOUND for a path or method no trigger declares", async () => {
    await served();
    const missing = await h.post<{ code: string; message: string }>("/t/hooks/nothing", {});
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("CHIP_ERR_TRIGGER_NOT_FOUND");
    const method = await h.get<{ code: string; message: string; details: { methods: string[] } }>(
      "/t/hooks/ingest",
    );
    expect(method.status).toBe(404);
    expect(method.body.message).toContain("/t/hooks/ingest answers POST");
    expect(method.body.details.methods).toEqual(["POST"]);
  });

  it("are listed by GET /v1/triggers with their served path and last outcome", async () => {
    h.ws.module({
      name: "sweeper",
      chipset: { triggers: [{ cron: "0 3 * * *", call: "sweep" }] },
      code: `export const module = defineModule({ api: { sweep() {} } });`,
    });
    await served();
    await h.post("/t/hooks/ingest", { items: [] });
    const { status, body } = await h.get<{ triggers: Array<Record<string, string>> }>("/v1/triggers");
    expect(status).toBe(200);
    expect(body.triggers.map((t) => `${t["id"]} ${t["kind"]} ${t["path"] ?? t["cron"]}`)).toEqual([
      "ingest http /t/hooks/ingest",
      "ingest http /t/hooks/status",
      "ingest http /t/hooks/broken",
      "ingest http /t/hooks/slow",
      "sweeper cron 0 3 * * *",
    ]);
    expect(body.triggers[0]).toMatchObject({ method: "POST", call: "ingest", fired: 1, last: { ok: true } });
    expect(body.triggers[4]).toMatchObject({ kind: "cron", last: null });
    expect(body.triggers[4]!["nextRun"]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
