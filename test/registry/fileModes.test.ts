import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();
let umask: number | undefined;
afterEach(() => {
  if (umask !== undefined) process.umask(umask);
  umask = undefined;
});

/** Every directory and file under `dir` (symlinks as themselves), with its mode bits. */
function modes(dir: string): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue;
    const path = join(entry.parentPath, entry.name);
    found.push([path, statSync(path).mode & 0o777]);
  }
  return found;
}

describe("the data directory", () => {
  it("is writable by its owner alone, even under umask 0: the store's directories and files, chipset.db and its -wal and -shm", async () => {
    umask = process.umask(0);
    h.ws.module({
      name: "plain",
      code: "export const module = defineModule({ api: { ping() { return 1; } } });",
    });
    const rt = h.open({ moduleDirs: [] });
    rt.add(join(h.ws.modulesDir, "plain-1.0.0"));
    expect(await rt.call("plain", "ping")).toBe(1);
    const found = modes(join(h.ws.dataDir, "store"));
    expect(found.length).toBeGreaterThan(3);
    expect(found.filter(([, mode]) => (mode & 0o022) !== 0)).toEqual([]);
    expect(statSync(h.ws.dataDir).mode & 0o777).toBe(0o755);
    for (const file of ["chipset.db", "chipset.db-wal", "chipset.db-shm"])
      expect([file, statSync(join(h.ws.dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
  });
});
