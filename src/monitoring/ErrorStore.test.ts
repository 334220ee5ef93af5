import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Database } from "../store/Database.js";
import { ErrorStore, RUNTIME_MODULE, type ErrorEntry } from "./ErrorStore.js";

let root: string;
let db: Database;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-errors-"));
  db = Database.open(root);
});
afterEach(() => {
  db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function entry(seq: number, over: Partial<ErrorEntry> = {}): ErrorEntry {
  return {
    seq,
    at: 1_700_000_000_000 + seq,
    code: "CHIP_ERR_CALL_FAILED",
    name: "ChipsetError",
    category: "internal",
    severity: "error",
    transient: false,
    message: `failure ${seq}`,
    id: "echo",
    causes: [],
    ...over,
  };
}

describe("ErrorStore", () => {
  it("returns what it appended, newest first, with every field and absent ones omitted", () => {
    const store = new ErrorStore(db);
    const full = entry(1, {
      version: "1.2.3",
      method: "ping",
      attempt: 2,
      host: "worker",
      callId: 7,
      transient: true,
      causes: ["TypeError: boom", "x"],
    });
    const bare = entry(2, { id: undefined, code: "UNKNOWN", name: "RangeError" });
    delete bare.id;
    store.append([full, bare], [], 10);

    expect(store.recent()).toEqual([bare, full]);
    expect(Object.keys(store.recent()[0]!)).not.toContain("version");
    expect(store.lastSeq()).toBe(2);
  });

  it("adds increments to the all-time counters instead of replacing them", () => {
    const store = new ErrorStore(db);
    store.append([], [{ code: "CHIP_ERR_CALL_FAILED", module: "echo", count: 2 }], 10);
    store.append(
      [],
      [
        { code: "CHIP_ERR_CALL_FAILED", module: "echo", count: 3 },
        { code: "UNKNOWN", module: RUNTIME_MODULE, count: 1 },
      ],
      10,
    );

    expect(store.counts()).toEqual({
      byCode: { CHIP_ERR_CALL_FAILED: 5, UNKNOWN: 1 },
      byModule: { echo: 5, [RUNTIME_MODULE]: 1 },
      total: 6,
    });
    expect(store.counts({ id: RUNTIME_MODULE })).toEqual({
      byCode: { UNKNOWN: 1 },
      byModule: { [RUNTIME_MODULE]: 1 },
      total: 1,
    });
  });

  it("keeps only the newest `keep` entries", () => {
    const store = new ErrorStore(db);
    store.append([entry(1), entry(2), entry(3)], [], 2);
    store.append([entry(4)], [], 2);

    expect(store.recent().map((e) => e.seq)).toEqual([4, 3]);
    expect(db.sql.prepare("SELECT count(*) AS n FROM errors").get()).toEqual({ n: 2 });
  });

  it("writes nothing, entries or counts, when part of an append fails", () => {
    const store = new ErrorStore(db);
    // Two entries with one seq: the second insert fails after the first succeeded.
    expect(() =>
      store.append([entry(1), entry(1)], [{ code: "UNKNOWN", module: "echo", count: 2 }], 10),
    ).toThrow();

    expect(store.recent()).toEqual([]);
    expect(store.counts().total).toBe(0);
  });

  it("numbers entries after those another writer stored first, keeping their order", () => {
    const store = new ErrorStore(db);
    const other = Database.open(root);
    try {
      new ErrorStore(other).append([entry(1), entry(2)], [], 10);
      const last = store.append([entry(1, { message: "mine a" }), entry(3, { message: "mine b" })], [], 10);

      expect(last).toBe(5);
      expect(store.recent().map((e) => [e.seq, e.message])).toEqual([
        [5, "mine b"],
        [3, "mine a"],
        [2, "failure 2"],
        [1, "failure 1"],
      ]);
    } finally {
      other.close();
    }
  });

  it("never reuses a seq, even once every entry was deleted", () => {
    const store = new ErrorStore(db);
    store.append([entry(1), entry(2)], [], 10);
    db.sql.exec("DELETE FROM errors");

    expect(store.lastSeq()).toBe(2);
  });
});
