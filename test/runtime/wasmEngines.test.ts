import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Runtime } from "../../src/index.js";
import type { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { PackageManifest } from "../../src/vocabulary/manifest.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { next } from "../supervision/helpers.js";

const h = runtimeHarness();
const example = join(import.meta.dirname, "..", "..", "examples", "wasm-contract");

/** A copy of the example contract registered as engine `name`, its manifest changed by `edit`. */
function engine(name: string, edit: (pkg: PackageManifest) => void = () => {}): string {
  const dir = join(h.ws.modulesDir, name);
  cpSync(example, dir, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageManifest;
  pkg.name = name;
  edit(pkg);
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  return dir;
}

function open(): Runtime {
  return h.open({ hosts: { pool: { worker: 0, process: 0 } } });
}

describe("document 004's example: WebAssembly engines", () => {
  it("registers two wasm engines and executes a contract on a named engine and on one chosen by selection", async () => {
    engine("wasm-1");
    engine("wasm-2");
    const rt = open();
    // ExecuteWithSelection(ctx, { ResourceType: wasm, ... }): the pool starts on its first call.
    const request = { type: "wasm", capabilities: ["contract.execute"] };
    expect(await rt.execute(request, "add", 40, 2)).toBe(42);
    expect(rt.engines()).toMatchObject([
      { type: "wasm", members: [{ key: "wasm-1@1.0.0" }, { key: "wasm-2@1.0.0" }] },
    ]);
    // ExecuteWithEngine(ctx, "wasm-1", params): each engine is an instance with its own state.
    expect(await rt.executeOn("wasm-1@1.0.0", "increment")).toBe(1);
    expect(await rt.executeOn("wasm-1@1.0.0", "increment")).toBe(2);
    expect(await rt.executeOn("wasm-2@1.0.0", "increment")).toBe(1);
    expect(await rt.executeOn("wasm-2@1.0.0", "checksum", "abc")).toBe(97 + 98 + 99);
    // The score (document 004's weights) of each, and the one it picks.
    const explained = rt.explainDispatch(request);
    expect(explained.strategy).toBe("score");
    expect(explained.candidates.map((c) => [c.key, c.eligible])).toEqual([
      ["wasm-1@1.0.0", true],
      ["wasm-2@1.0.0", true],
    ]);
    // A type no module declares is refused with what to add.
    await expect(rt.execute({ type: "onnx" }, "add", 1, 2)).rejects.toMatchObject({
      code: ErrorCodes.MODULE_NOT_FOUND,
      message: expect.stringContaining('"engine": { "type": "onnx" }') as unknown,
    });
  });

  it("crashes an engine whose call runs past its time limit; its supervisor restarts it and it serves again", async () => {
    engine("wasm-1", (pkg) => {
      pkg.chipset.engine!.wasm = { timeLimitMs: 200, memoryMb: 16 };
    });
    engine("wasm-2");
    const rt = open();
    expect(await rt.call("wasm-2", "increment")).toBe(1);
    const restarted = next(rt, "module.restarted", (e) => e.id === "wasm-1");
    const err = (await rt
      .call("wasm-1", "spin", [Number.MAX_SAFE_INTEGER])
      .catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.MODULE_CRASHED);
    expect(err.details).toMatchObject({ kind: "time-limit", method: "spin", limitMs: 200 });
    expect(err.message).toContain("its WebAssembly call spin() ran past its time limit of 200 ms");
    await restarted;
    expect(await rt.call("wasm-1", "add", [2, 3])).toBe(5);
    // The other engine went on undisturbed.
    expect(await rt.call("wasm-2", "increment")).toBe(2);
  });

  it("answers a call of an export that is not a function with method not found, naming the functions", async () => {
    engine("wasm-1");
    const rt = open();
    const err = (await rt.call("wasm-1", "memory").catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.METHOD_NOT_FOUND);
    expect(err.message).toContain(
      'wasm-1@1.0.0 has no method "memory"; its api has: add, increment, addWide',
    );
  });
});

describe("registering a WebAssembly module", () => {
  it("refuses a .wasm entry that would run inline", () => {
    const dir = engine("wasm-inline", (pkg) => {
      delete pkg.chipset.isolation;
    });
    const rt = open();
    expect(() => rt.add(dir)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.MANIFEST_INVALID,
        details: expect.objectContaining({ field: "chipset.isolation" }) as unknown,
        message: expect.stringContaining(
          "its entry contract.wasm is a WebAssembly module, which runs in a worker or process host",
        ) as unknown,
      }),
    );
  });

  it("refuses engine type wasm on a JavaScript entry", () => {
    const dir = h.ws.module({
      name: "js-engine",
      chipset: { isolation: "worker", engine: { type: "wasm" } },
    });
    const rt = open();
    expect(() => rt.add(dir)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.MANIFEST_INVALID,
        details: expect.objectContaining({ field: "chipset.engine.type" }) as unknown,
        message: expect.stringContaining(
          '"engine": { "type": "wasm" } needs a .wasm entry file, but its entry is index.js',
        ) as unknown,
      }),
    );
  });

  it("refuses engine.wasm limits on a JavaScript entry", () => {
    const dir = h.ws.module({
      name: "js-limits",
      chipset: { isolation: "worker", engine: { type: "onnx", wasm: { timeLimitMs: 10 } } },
    });
    const rt = open();
    expect(() => rt.add(dir)).toThrow(
      /"engine.wasm" sets the limits of a WebAssembly module, but its entry is index.js/,
    );
  });
});
