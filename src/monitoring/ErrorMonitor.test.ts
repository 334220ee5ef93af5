import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { Database } from "../store/Database.js";
import { ErrorMonitor, RUNTIME_MODULE, type ErrorEntry } from "./ErrorMonitor.js";
import { ErrorStore, type ErrorCountDelta } from "./ErrorStore.js";

let root: string;
let db: Database;
let clock: ManualClock;
let reported: ChipsetError[];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-monitor-"));
  db = Database.open(root);
  clock = new ManualClock();
  reported = [];
});
afterEach(() => {
  db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function monitor(options: { capacity?: number; flushMs?: number; store?: ErrorStore } = {}): ErrorMonitor {
  return new ErrorMonitor({
    clock,
    store: options.store ?? new ErrorStore(db),
    capacity: options.capacity,
    flushMs: options.flushMs,
    onError: (err) => reported.push(err),
  });
}

/** A store over the real database whose next `failures` appends throw, as a locked database would. */
class FlakyStore extends ErrorStore {
  failures = 1;
  override append(entries: readonly ErrorEntry[], counts: readonly ErrorCountDelta[], keep: number): number {
    if (this.failures-- > 0) throw new Error("database is locked");
    return super.append(entries, counts, keep);
  }
}

const failed = (
  id: string,
  message = "the call failed",
  context: ChipsetError["context"] = { id },
): ChipsetError => new ChipsetError(ErrorCodes.CALL_FAILED, message, { module: id, context });

describe("ErrorMonitor", () => {
  it("keeps counts by code and module across closing and reopening the database", () => {
    const m = monitor();
    m.record(failed("echo"));
    m.record(failed("echo"));
    m.record(new ChipsetError(ErrorCodes.MODULE_CRASHED, "crashed", { context: { id: "echo" } }));
    m.record(failed("clock"));
    m.record(new TypeError("no such thing"));
    m.close();
    db.close();

    db = Database.open(root);
    const cli = new ErrorStore(db);
    expect(cli.counts()).toEqual({
      byCode: { CHIP_ERR_CALL_FAILED: 3, CHIP_ERR_MODULE_CRASHED: 1, UNKNOWN: 1 },
      byModule: { echo: 3, clock: 1, [RUNTIME_MODULE]: 1 },
      total: 5,
    });
    expect(cli.recent().map((e) => e.code)).toEqual([
      "UNKNOWN",
      "CHIP_ERR_CALL_FAILED",
      "CHIP_ERR_MODULE_CRASHED",
      "CHIP_ERR_CALL_FAILED",
      "CHIP_ERR_CALL_FAILED",
    ]);

    // A later run adds to the same counters and goes on numbering.
    const next = monitor();
    next.record(failed("echo"));
    expect(next.recent({ limit: 1 }).map((e) => e.seq)).toEqual([6]);
    next.close();
    expect(cli.counts({ id: "echo" })).toEqual({
      byCode: { CHIP_ERR_CALL_FAILED: 3, CHIP_ERR_MODULE_CRASHED: 1 },
      byModule: { echo: 4 },
      total: 4,
    });
    expect(cli.recent({ limit: 2 }).map((e) => e.seq)).toEqual([6, 5]);
  });

  it("keeps only the newest `capacity` errors, newest first, in memory and in the database", () => {
    const m = monitor({ capacity: 3 });
    for (let i = 1; i <= 2; i++) m.record(failed("echo", `error ${i}`));
    m.flush();
    for (let i = 3; i <= 7; i++) m.record(failed("echo", `error ${i}`));

    const newest = ["error 7", "error 6", "error 5"];
    expect(m.recent().map((e) => e.message)).toEqual(newest);
    expect(m.recent({ limit: 100 })).toHaveLength(3);
    m.flush();
    expect(new ErrorStore(db).recent({ limit: 100 }).map((e) => e.message)).toEqual(newest);
    expect(db.sql.prepare("SELECT count(*) AS n FROM errors").get()).toEqual({ n: 3 });
    // Every error counts, also those that fell out of the list before being written.
    expect(m.counts().total).toBe(7);
    expect(new ErrorStore(db).counts().total).toBe(7);
  });

  it("numbers errors in increasing order, leaving a gap for those dropped before a flush", () => {
    const m = monitor({ capacity: 2 });
    m.record(failed("echo"));
    m.flush();
    for (let i = 0; i < 4; i++) m.record(failed("echo"));

    expect(m.recent().map((e) => e.seq)).toEqual([5, 4]);
    m.flush();
    expect(new ErrorStore(db).recent().map((e) => e.seq)).toEqual([5, 4]);
  });

  it("filters recent errors and counts by module id, scoped ids and module-less errors included", () => {
    const m = monitor();
    m.record(new ChipsetError(ErrorCodes.MODULE_CRASHED, "scoped crash", { module: "@acme/x@1.2.0" }));
    m.record(failed("constructor")); // an id that is also an Object.prototype key
    m.record(new ChipsetError(ErrorCodes.HOOK_TIMEOUT, "start hook timed out", { module: "@acme/x" }));
    m.record(new ChipsetError(ErrorCodes.STORE_FAILED, "disk full"));
    m.flush();
    m.record(failed("@acme/x", "pending one", {}));

    expect(m.recent({ id: "@acme/x" }).map((e) => [e.message, e.id, e.version])).toEqual([
      ["pending one", "@acme/x", undefined],
      ["start hook timed out", "@acme/x", undefined],
      ["scoped crash", "@acme/x", "1.2.0"],
    ]);
    expect(m.counts({ id: "@acme/x" })).toEqual({
      byCode: { CHIP_ERR_MODULE_CRASHED: 1, CHIP_ERR_HOOK_TIMEOUT: 1, CHIP_ERR_CALL_FAILED: 1 },
      byModule: { "@acme/x": 3 },
      total: 3,
    });
    expect(m.counts().byModule).toEqual({ "@acme/x": 3, constructor: 1, [RUNTIME_MODULE]: 1 });
    expect(m.recent({ id: RUNTIME_MODULE }).map((e) => [e.message, "id" in e])).toEqual([
      ["disk full", false],
    ]);
    expect(m.recent({ id: "constructor", limit: 1 })).toHaveLength(1);
  });

  it("keeps the context fields and the first line of each cause, at most five", () => {
    let cause: unknown = "the innermost\nsecond line";
    for (let i = 6; i >= 1; i--) cause = new Error(`level ${i}\nstack-like detail`, { cause });
    const rebuilt = Object.assign(new Error("rebuilt in a worker"), { code: "CHIP_ERR_HOOK_FAILED" });
    const error = new ChipsetError(ErrorCodes.CALL_FAILED, "echo.ping failed", {
      module: "echo@1.0.0",
      cause: new TypeError("x is not a function", { cause: rebuilt }),
      context: { id: "echo", version: "1.0.0", method: "ping", host: "worker" },
    });
    const deep = new ChipsetError(ErrorCodes.HOOK_FAILED, "deep", { cause });
    const m = monitor();
    m.record(error, { attempt: 2, callId: 41, host: "process" });
    m.record(deep);

    const expected: ErrorEntry = {
      seq: 1,
      at: clock.wallNow(),
      code: "CHIP_ERR_CALL_FAILED",
      name: "ChipsetError",
      category: "module",
      severity: "error",
      transient: false,
      message: "echo.ping failed",
      id: "echo",
      version: "1.0.0",
      method: "ping",
      attempt: 2,
      host: "process",
      callId: 41,
      causes: ["TypeError: x is not a function", "CHIP_ERR_HOOK_FAILED: rebuilt in a worker"],
    };
    const deepCauses = [
      "Error: level 1",
      "Error: level 2",
      "Error: level 3",
      "Error: level 4",
      "Error: level 5",
    ];
    expect(m.recent()[1]).toEqual(expected);
    expect(m.recent()[0]?.causes).toEqual(deepCauses);
    m.flush();
    expect(new ErrorStore(db).recent()[1]).toEqual(expected);
    expect(new ErrorStore(db).recent()[0]?.causes).toEqual(deepCauses);
  });

  it("shows unflushed errors in recent and counts before anything is written", () => {
    const m = monitor();
    m.record(failed("echo"));

    expect(new ErrorStore(db).recent()).toEqual([]);
    expect(m.recent().map((e) => e.id)).toEqual(["echo"]);
    expect(m.counts()).toEqual({ byCode: { CHIP_ERR_CALL_FAILED: 1 }, byModule: { echo: 1 }, total: 1 });
  });

  it("records a non-Chipset error as UNKNOWN, keeping its name and message", () => {
    const m = monitor();
    m.record(new RangeError("index out of range"), { id: "echo", method: "at" });
    m.record("a thrown string");

    const [str, range] = m.recent();
    expect(range).toMatchObject({
      code: "UNKNOWN",
      name: "RangeError",
      message: "index out of range",
      category: "internal",
      severity: "error",
      transient: false,
      id: "echo",
      method: "at",
    });
    expect(str).toMatchObject({ code: "UNKNOWN", name: "NonError", message: "a thrown string" });
    expect(m.counts()).toEqual({
      byCode: { UNKNOWN: 2 },
      byModule: { echo: 1, [RUNTIME_MODULE]: 1 },
      total: 2,
    });
  });

  it("flushes an interval after an error is recorded, keeps no timer while idle, and close stops it", () => {
    const store = new ErrorStore(db);
    const m = monitor({ store, flushMs: 1000 });
    m.start();
    m.start();
    m.record(failed("echo"));

    clock.advance(999);
    expect(store.recent()).toHaveLength(0);
    clock.advance(1);
    expect(store.recent()).toHaveLength(1);

    m.record(failed("echo"));
    clock.advance(999);
    expect(store.recent()).toHaveLength(1);
    clock.advance(1);
    expect(store.recent()).toHaveLength(2);
    expect(clock.pending).toBe(0); // nothing to write: no timer

    m.record(failed("echo"));
    expect(clock.pending).toBe(1);
    m.close();
    expect(store.recent()).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it("reports a failing background flush to onError and writes the errors at the next one", () => {
    const store = new FlakyStore(db);
    const m = monitor({ store });
    m.start();
    m.record(failed("echo"));

    expect(() => clock.advance(1000)).not.toThrow();
    expect(reported.map((e) => [e.code, e.message])).toEqual([
      [ErrorCodes.STORE_FAILED, expect.stringContaining("database is locked")],
    ]);
    expect(m.recent()).toHaveLength(1);

    clock.advance(1000);
    expect(store.recent()).toHaveLength(1);
    expect(store.counts().total).toBe(1);
    expect(reported).toHaveLength(1);
    m.close();
  });

  it("throws from a direct flush that fails, keeping the errors for the next one", () => {
    const store = new FlakyStore(db);
    const m = monitor({ store });
    m.record(failed("echo"));

    expect(() => m.flush()).toThrow(expect.objectContaining({ code: ErrorCodes.STORE_FAILED }));
    expect(store.recent()).toHaveLength(0);
    m.flush();
    expect(store.recent().map((e) => e.id)).toEqual(["echo"]);
    expect(store.counts().total).toBe(1);
  });

  it("reports a failing flush on close instead of throwing, the errors still queryable", () => {
    const m = monitor({ store: Object.assign(new FlakyStore(db), { failures: 1 }) });
    m.record(failed("echo"));

    expect(() => m.close()).not.toThrow();
    expect(reported.map((e) => e.code)).toEqual([ErrorCodes.STORE_FAILED]);
    expect(m.recent().map((e) => e.id)).toEqual(["echo"]);
  });

  it("goes on flushing when onError itself throws", () => {
    const store = Object.assign(new FlakyStore(db), { failures: 1 });
    const m = new ErrorMonitor({
      clock,
      store,
      onError: () => {
        throw new Error("logger broke");
      },
    });
    m.start();
    m.record(failed("echo"));

    expect(() => clock.advance(1000)).not.toThrow();
    clock.advance(1000);
    expect(store.recent()).toHaveLength(1);
    m.close();
  });
});
