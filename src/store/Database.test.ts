import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { Database } from "./Database.js";
import { migrations } from "./migrations.js";

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-db-"));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function openFailure(dataDir: string, options = {}): ChipsetError {
  try {
    Database.open(dataDir, options).close();
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    return err as ChipsetError;
  }
  throw new Error("the database opened");
}

describe("Database", () => {
  it("creates the data directory and chipset.db with WAL, foreign keys, NORMAL sync and a busy timeout", () => {
    const dataDir = path.join(root, "nested", "data");
    const db = Database.open(dataDir, { busyTimeoutMs: 1234 });
    try {
      expect(db.path).toBe(path.join(dataDir, "chipset.db"));
      expect(fs.existsSync(db.path)).toBe(true);
      expect(db.sql.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.sql.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(db.sql.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
      expect(db.sql.pragma("busy_timeout", { simple: true })).toBe(1234);
    } finally {
      db.close();
    }
  });

  it("migrates to the latest schema and records it in user_version", () => {
    const db = Database.open(root);
    try {
      expect(db.schemaVersion).toBe(migrations.length);
      const tables = db.sql
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        .all()
        .map((r) => r.name);
      expect(tables).toEqual(expect.arrayContaining(["modules", "module_deps", "modules_fts", "usage"]));
    } finally {
      db.close();
    }
  });

  it("applies only the pending migrations when reopened, keeping the data", () => {
    const first = Database.open(root, { migrations: ["CREATE TABLE t (x INTEGER)"] });
    first.sql.prepare("INSERT INTO t VALUES (1)").run();
    first.close();
    const second = Database.open(root, {
      migrations: ["CREATE TABLE t (x INTEGER)", "ALTER TABLE t ADD COLUMN y TEXT DEFAULT 'y'"],
    });
    try {
      expect(second.schemaVersion).toBe(2);
      expect(second.sql.prepare("SELECT x, y FROM t").all()).toEqual([{ x: 1, y: "y" }]);
    } finally {
      second.close();
    }
  });

  it("rolls back every step of a failed migration", () => {
    const err = openFailure(root, {
      migrations: ["CREATE TABLE a (x)", "CREATE TABLE b (x); THIS IS NOT SQL"],
    });
    expect(err.code).toBe(ErrorCodes.STORE_FAILED);
    const db = Database.open(root, { migrations: [] });
    try {
      expect(db.schemaVersion).toBe(0);
      expect(db.sql.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it("refuses a database from a newer Chipset", () => {
    Database.open(root).close();
    const err = openFailure(root, { migrations: [] });
    expect(err.code).toBe(ErrorCodes.STORE_FAILED);
    expect(err.message).toContain("newer than this Chipset knows");
  });

  it("wraps open failures in STORE_FAILED naming the file and what to do", () => {
    fs.writeFileSync(
      path.join(root, "chipset.db"),
      "this is not a database, just some text that is long enough ".repeat(20),
    );
    const err = openFailure(root);
    expect(err.code).toBe(ErrorCodes.STORE_FAILED);
    expect(err.message).toContain(path.join(root, "chipset.db"));
    expect(err.message).toMatch(/move a damaged file aside|another data directory/);
    expect(err.details.path).toBe(path.join(root, "chipset.db"));
    expect(err.cause).toBeDefined();
  });

  it("fails with STORE_FAILED when the data directory cannot be created", () => {
    fs.writeFileSync(path.join(root, "file"), "");
    const err = openFailure(path.join(root, "file", "data"));
    expect(err.code).toBe(ErrorCodes.STORE_FAILED);
    expect(err.message).toContain(path.join(root, "file", "data", "chipset.db"));
  });

  it("runs a transaction atomically and closes idempotently", () => {
    const db = Database.open(root, { migrations: ["CREATE TABLE t (x INTEGER)"] });
    expect(() =>
      db.transaction(() => {
        db.sql.prepare("INSERT INTO t VALUES (1)").run();
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(db.transaction(() => db.sql.prepare("SELECT count(*) AS n FROM t").get())).toEqual({ n: 0 });
    db.close();
    expect(db.isOpen).toBe(false);
    expect(() => db.close()).not.toThrow();
  });
});
