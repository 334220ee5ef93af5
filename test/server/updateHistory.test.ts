import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/index.js";
import { createAjv } from "../../src/registry/createAjv.js";
import type { UpdateHistoryEntry } from "../../src/registry/UpdateHistory.js";
import { counter } from "../versions/counterModule.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** A row as the route answers it: the registry's entry, its report read as a report. */
type HistoryEntry = Omit<UpdateHistoryEntry, "report"> & {
  report: { steps: Array<{ step: string; error?: string }>; outcome: string };
};

/**
 * counter@1.0.0 (installed), and beside it the directories of counter@2.0.0 and of counter@3.0.0,
 * whose `update.verify` call fails; answers the runtime options that know 1.0.0 only.
 */
function counters() {
  h.ws.module({ name: "counter", version: "1.0.0", code: counter() });
  const next = h.ws.module({ name: "counter", version: "2.0.0", code: counter(), dirName: "counter-next" });
  const broken = h.ws.module({
    name: "counter",
    version: "3.0.0",
    code: counter('selfTest() { throw new Error("self test failed"); },'),
    chipset: { update: { verify: [{ method: "selfTest" }] } },
    dirName: "counter-broken",
  });
  return { next, broken, options: { moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0")] } };
}

interface OpenApi {
  paths: Record<
    string,
    { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }
  >;
}

const summary = (e: HistoryEntry) => `${e.action} ${e.from}->${e.to} ${e.outcome} ${e.code}`;

describe("GET /v1/modules/{ref}/updates", () => {
  it("lists the updates, rollbacks and failed updates made over the API, newest first, and keeps them across a restart", async () => {
    const { next, broken, options } = counters();
    const rt = h.open(options);
    const server = await h.serve(rt);
    expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 1 });

    expect(await h.get("/v1/modules/counter/updates")).toEqual({ status: 200, body: { updates: [] } });
    expect((await h.post("/v1/modules/counter/update", { from: next, graceMs: 0 })).body).toMatchObject({
      outcome: "completed",
    });
    expect((await h.post("/v1/modules/counter/rollback", { graceMs: 0 })).body).toMatchObject({
      outcome: "completed",
      to: "1.0.0",
    });
    const failed = await h.post("/v1/modules/counter/update", { from: broken, graceMs: 0 });
    expect(failed.body).toMatchObject({ code: ErrorCodes.UPDATE_FAILED });

    const { status, body } = await h.get<{ updates: HistoryEntry[] }>("/v1/modules/counter/updates");
    expect(status).toBe(200);
    expect(body.updates.map(summary)).toEqual([
      "update 1.0.0->3.0.0 failed CHIP_ERR_UPDATE_FAILED",
      "rollback 2.0.0->1.0.0 completed null",
      "update 1.0.0->2.0.0 completed null",
    ]);
    const [bad, back, first] = body.updates;
    expect(bad!.message).toContain("self test failed");
    expect(bad!.report.steps.at(-1)).toMatchObject({ step: "verify", error: ErrorCodes.CALL_FAILED });
    expect(first!.report.steps.map((s) => s.step)).toContain("switch");
    expect(back!.strategy).toBe("blue-green");
    expect(bad!.seq).toBeGreaterThan(back!.seq);
    expect(back!.seq).toBeGreaterThan(first!.seq);
    for (const e of body.updates) expect(e.finishedAt).toBeGreaterThanOrEqual(e.startedAt);
    // Every entry fits the schema /openapi.json documents.
    const doc = (await h.get<OpenApi>("/openapi.json")).body;
    const documented =
      doc.paths["/v1/modules/{ref}/updates"]!.get.responses["200"]!.content["application/json"]!.schema;
    const validate = createAjv({ strict: false }).compile(documented);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(
      (await h.get<{ updates: HistoryEntry[] }>("/v1/modules/counter/updates?limit=1")).body.updates,
    ).toEqual([bad]);

    // A runtime opened again on the same data directory reads the same history.
    await server.close(100);
    await rt.close();
    const again = h.open(options);
    await h.serve(again);
    const after = await h.get<{ updates: HistoryEntry[] }>("/v1/modules/counter@1.0.0/updates");
    expect(after.body.updates).toEqual(body.updates);
  });

  it("answers the coded 404 for an unknown module, and 400 for a limit out of range", async () => {
    const { rt } = await h.echoHost({ start: false });
    const unknown = await h.get<{ code: string }>("/v1/modules/nothing-here/updates");
    expect(unknown).toMatchObject({ status: 404, body: { code: ErrorCodes.MODULE_NOT_FOUND } });
    expect((await h.get("/v1/modules/svc/updates?limit=0")).status).toBe(400);
    expect((await h.get("/v1/modules/svc/updates?limit=201")).status).toBe(400);
    // An update asked for a module that is not installed leaves no trace.
    await expect(rt.update("nothing-here")).rejects.toMatchObject({ code: ErrorCodes.UPDATE_FAILED });
    const db = new BetterSqlite3(join(h.ws.dataDir, "chipset.db"), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM update_history").get()).toEqual({ n: 0 });
    db.close();
  });

  it("keeps the update's outcome when the history cannot be written, and says so as a runtime error", async () => {
    const { next, options } = counters();
    const rt = h.open(options);
    expect(await rt.call("counter", "hit")).toMatchObject({ version: "1.0.0" });
    const errors: string[] = [];
    rt.on("runtime.error", (e) => errors.push(e.context));
    // Another connection takes the table away: the runtime's insert fails.
    const other = new BetterSqlite3(join(h.ws.dataDir, "chipset.db"));
    other.exec("DROP TABLE update_history");
    other.close();
    const report = await rt.update("counter", { from: next, graceMs: 0 });
    expect(report).toMatchObject({ from: "1.0.0", to: "2.0.0", outcome: "completed" });
    expect(await rt.call("counter", "hit")).toMatchObject({ version: "2.0.0" });
    expect(errors).toEqual(["recording the update of counter in the update history"]);
  });
});
