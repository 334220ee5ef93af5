import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../store/Database.js";
import { UpdateHistory, type UpdateHistoryRecord } from "./UpdateHistory.js";

let root: string;
let db: Database;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-history-"));
  db = Database.open(root);
});
afterEach(() => {
  db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function entry(id: string, to: string, outcome = "completed"): UpdateHistoryRecord {
  return {
    id,
    action: "update",
    strategy: "blue-green",
    from: "1.0.0",
    to,
    outcome,
    code: outcome === "failed" ? "CHIP_ERR_UPDATE_FAILED" : null,
    message: outcome === "failed" ? "it failed" : null,
    startedAt: 1_000,
    finishedAt: 1_500,
    report: { id, to, outcome, steps: [{ step: "resolve", ms: 1 }] },
  };
}

describe("UpdateHistory", () => {
  it("answers each module's updates newest first, at most the limit asked", () => {
    const history = new UpdateHistory(db);
    history.record(entry("a", "2.0.0"));
    history.record(entry("b", "9.0.0"));
    history.record(entry("a", "3.0.0", "failed"));
    expect(history.list("a", 10).map((e) => `${e.to} ${e.outcome} ${e.code}`)).toEqual([
      "3.0.0 failed CHIP_ERR_UPDATE_FAILED",
      "2.0.0 completed null",
    ]);
    expect(history.list("a", 1)).toHaveLength(1);
    expect(history.list("a", 1)[0]!.report).toEqual({
      id: "a",
      to: "3.0.0",
      outcome: "failed",
      steps: [{ step: "resolve", ms: 1 }],
    });
    expect(history.list("c", 10)).toEqual([]);
  });

  it("keeps only the newest updates of a module, leaving other modules' alone", () => {
    const history = new UpdateHistory(db, 3);
    history.record(entry("other", "1.1.0"));
    for (let i = 1; i <= 5; i++) history.record(entry("a", `${i}.0.0`));
    expect(history.list("a", 10).map((e) => e.to)).toEqual(["5.0.0", "4.0.0", "3.0.0"]);
    expect(history.list("other", 10)).toHaveLength(1);
    // Numbers keep increasing after a prune.
    const seq = history.record(entry("a", "6.0.0"));
    expect(seq).toBeGreaterThan(history.list("a", 2)[1]!.seq);
  });
});
