import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openRegistry, tempDir, writeModule } from "../../test/registry/fixtures.js";
import { ErrorCodes } from "../errors/codes.js";
import { IntegrityCheck } from "./IntegrityCheck.js";

let root: string;
let opened: ReturnType<typeof openRegistry>;

beforeEach(() => {
  root = tempDir("chipset-integrity-");
  opened = openRegistry(path.join(root, "data"));
});
afterEach(() => {
  opened.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function installed() {
  const dir = writeModule(path.join(root, "src", "m"), {
    name: "m",
    files: { "lib/a.js": "export const a = 1;\n" },
  });
  return opened.registry.add(dir).record;
}

describe("the load-time check across runtimes", () => {
  it("hashes a copy once: a later runtime knows it unchanged from its files' metadata", () => {
    const record = installed();
    const first = new IntegrityCheck(opened.registry.verified);
    first.assertIntact(record);
    expect(first.hashed).toBe(1);
    const later = new IntegrityCheck(opened.registry.verified);
    later.assertIntact(record);
    expect(later.hashed).toBe(0);
  });

  it("still refuses a file changed with its size and times put back", () => {
    const record = installed();
    new IntegrityCheck(opened.registry.verified).assertIntact(record);
    const file = path.join(record.dir!, "lib", "a.js");
    const { atime, mtime } = fs.statSync(file);
    fs.writeFileSync(file, "export const a = 2;\n"); // same length
    fs.utimesSync(file, atime, mtime);
    const later = new IntegrityCheck(opened.registry.verified);
    expect(() => later.assertIntact(record)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INTEGRITY_FAILED }),
    );
    expect(later.hashed).toBe(1);
  });
});
