import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/codes.js";
import { openRegistry, tempDir, writeModule } from "./fixtures.js";

let root: string;

beforeEach(() => {
  root = tempDir("chipset-full-");
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe("a full disk", () => {
  it("is named as a full disk when usage cannot be recorded, and the registry stays readable", () => {
    const { db, registry, close } = openRegistry(path.join(root, "data"));
    try {
      registry.add(writeModule(path.join(root, "src", "a"), { name: "a" }));
      // SQLite's own page limit fails writes with SQLITE_FULL, as a full file system does.
      db.sql.pragma(`max_page_count = ${db.sql.pragma("page_count", { simple: true }) as number}`);
      let failure: unknown;
      try {
        for (let i = 0; i < 10_000; i++) registry.recordUsage(`module-${i}-${"x".repeat(100)}`);
      } catch (err) {
        failure = err;
      }
      expect(failure).toMatchObject({
        code: ErrorCodes.STORE_FAILED,
        details: { reason: "disk-full" },
      });
      expect((failure as Error).message).toMatch(
        /The disk holding the data directory is full: free space on it/,
      );
      expect(registry.list().map((r) => r.id)).toEqual(["a"]);
    } finally {
      close();
    }
  });
});
