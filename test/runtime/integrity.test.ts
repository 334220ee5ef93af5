import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes, type Runtime } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

const answer = (value: number) =>
  `export const module = defineModule({ api: { answer() { return ${value}; } } });`;

/** The installed entry file of `id@1.0.0` in the workspace's store. */
function storeFile(id: string): string {
  return path.join(h.ws.dataDir, "store", id, "1.0.0", "index.js");
}

async function rejection(promise: Promise<unknown>): Promise<ChipsetError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ChipsetError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

/** Where the tampered code leaves a trace when it runs (it must never run). */
function ranMarker(): string {
  return path.join(h.ws.root, "tampered-code-ran");
}

/**
 * Opens a runtime with `victim` (answers 1) and `bystander` (answers 2) installed, then tampers
 * with victim's store copy: it answers 666 and, once imported, writes {@link ranMarker}.
 */
function tamperedRuntime(isolation: "inline" | "worker" = "inline"): { rt: Runtime; original: string } {
  h.ws.module({ name: "victim", code: answer(1), chipset: { isolation } });
  h.ws.module({ name: "bystander", code: answer(2) });
  const rt = h.open();
  const original = fs.readFileSync(storeFile("victim"), "utf8");
  const payload = `\nimport { writeFileSync as leave } from "node:fs";\nleave(${JSON.stringify(ranMarker())}, "ran");\n`;
  fs.writeFileSync(storeFile("victim"), original.replace("return 1", "return 666") + payload);
  return { rt, original };
}

describe("loading installed code that changed after add", () => {
  it("refuses to load it with CHIP_ERR_INTEGRITY_FAILED naming the module, its store dir and the repair", async () => {
    const { rt } = tamperedRuntime();
    const err = await rejection(rt.load("victim"));
    expect(err.code).toBe(ErrorCodes.INTEGRITY_FAILED);
    expect(err.module).toBe("victim@1.0.0");
    const dir = path.dirname(storeFile("victim"));
    expect(err.message).toContain(dir);
    expect(err.message).toContain("chipset doctor --repair");
    expect(err.message).toContain("chipset remove victim@1.0.0");
    expect(err.details).toMatchObject({ dir, expected: rt.queries.info("victim").digest });
    expect(fs.existsSync(ranMarker())).toBe(false);
  });

  it("refuses a call into it, while other modules and the registry carry on", async () => {
    const { rt } = tamperedRuntime();
    expect((await rejection(rt.call("victim", "answer"))).code).toBe(ErrorCodes.INTEGRITY_FAILED);
    expect(await rt.call("bystander", "answer")).toBe(2);
    expect(rt.queries.info("victim").version).toBe("1.0.0");
  });

  it("refuses a synchronous load too", () => {
    const { rt } = tamperedRuntime();
    expect(() => rt.loadSync("victim")).toThrow(
      expect.objectContaining({ code: ErrorCodes.INTEGRITY_FAILED }),
    );
  });

  it("refuses a worker module before its worker imports anything", async () => {
    const { rt } = tamperedRuntime("worker");
    expect((await rejection(rt.call("victim", "answer"))).code).toBe(ErrorCodes.INTEGRITY_FAILED);
    expect(fs.existsSync(ranMarker())).toBe(false);
  });

  it("fails a module that requires it with the dependency named", async () => {
    const { rt } = tamperedRuntime();
    h.ws.module({ name: "user", code: answer(3), chipset: { requires: { victim: "^1.0.0" } } });
    // Only the new module: scanning victim's source again would repair its copy (see below).
    rt.scan([path.join(h.ws.modulesDir, "user-1.0.0")]);
    const err = await rejection(rt.call("user", "answer"));
    expect(err.code).toBe(ErrorCodes.DEPENDENCY_FAILED);
    expect(JSON.stringify(err.details)).toContain("victim");
  });

  it("loads it again once the file is restored", async () => {
    const { rt, original } = tamperedRuntime();
    await rejection(rt.load("victim"));
    fs.writeFileSync(storeFile("victim"), original);
    expect(await rt.call("victim", "answer")).toBe(1);
    expect(fs.existsSync(ranMarker())).toBe(false);
  });

  it("checks a version once per runtime: a change after its first load is refused by the next runtime", async () => {
    h.ws.module({ name: "victim", code: answer(1) });
    let rt = h.open();
    expect(await rt.call("victim", "answer")).toBe(1);
    fs.writeFileSync(
      storeFile("victim"),
      fs.readFileSync(storeFile("victim"), "utf8").replace("return 1", "return 7"),
    );
    await rt.unload("victim");
    expect(await rt.call("victim", "answer")).toBe(7);
    await rt.close();
    rt = h.open({ moduleDirs: [] });
    expect((await rejection(rt.call("victim", "answer"))).code).toBe(ErrorCodes.INTEGRITY_FAILED);
  });

  it("is repaired by adding its unchanged source again, as a start that scans it does", async () => {
    const { rt } = tamperedRuntime();
    await rejection(rt.load("victim"));
    expect(rt.add(path.join(h.ws.modulesDir, "victim-1.0.0")).status).toBe("replaced");
    expect(await rt.call("victim", "answer")).toBe(1);
    expect(fs.existsSync(ranMarker())).toBe(false);
  });
});
