import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/codes.js";
import { packageRoot } from "../../src/hosts/sdkLink.js";
import type { PermissionsSection } from "../../src/vocabulary/permissions.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

/** A module that answers what it could read, write, spawn and see. */
const PROBE = `import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
const attempt = (fn) => { try { return fn(); } catch (e) { return e.code ?? e.message; } };
export const module = defineModule({ api: {
  read(path) { return attempt(() => readFileSync(path, "utf8")); },
  write(path, text) { return attempt(() => { writeFileSync(path, text); return "written"; }); },
  spawn() { return attempt(() => execFileSync(process.execPath, ["-e", "1"]) && "spawned"); },
  env() { return { ...process.env }; },
  sdk() { return typeof defineModule; },
} });`;

/** Writes a sandboxed (process, with `permissions`) probe module named `name`. */
function sandboxed(name: string, permissions: PermissionsSection, isolation = "process"): void {
  h.ws.module({
    name,
    chipset: { isolation: isolation as "process", permissions },
    code: PROBE,
  });
}

/** Writes a config file granting `permissions` and returns its path. */
function configWith(permissions: Record<string, PermissionsSection>): string {
  const file = join(h.ws.root, "chipset.config.json");
  writeFileSync(file, JSON.stringify({ permissions }));
  return file;
}

const quiet = { hosts: { pool: { worker: 0, process: 0 } } };

describe("what a sandboxed module may read of Chipset itself", () => {
  let inside: string | undefined;
  afterEach(() => {
    if (inside !== undefined) rmSync(inside, { recursive: true, force: true });
    inside = undefined;
  });

  it("imports chipset/module, but cannot read a data directory inside chipset's checkout, its chipset.db, or chipset's sources", async () => {
    // A demo data directory inside the checkout, as `npm start` makes one.
    inside = mkdtempSync(join(packageRoot(), ".chipset-sandbox-test-"));
    chmodSync(inside, 0o755); // mkdtemp's 0700 would keep the sandbox's user out of the module too
    sandboxed("walled", {});
    const rt = h.open({ dataDir: inside, ...quiet });
    const db = join(inside, "chipset.db");
    expect(existsSync(db)).toBe(true);
    const walled = rt.use<{ read(p: string): string; sdk(): string }>("walled");
    await expect(walled.sdk()).resolves.toBe("function");
    const sdkPackage = join(inside, "store", "node_modules", "chipset");
    for (const path of [
      db,
      join(sdkPackage, "..", "..", "..", "chipset.db"),
      join(packageRoot(), "README.md"),
      join(packageRoot(), "src", "module.ts"),
    ])
      await expect(walled.read(path), path).resolves.toBe("ERR_ACCESS_DENIED");
    // What it needs to run stays readable: chipset's dist/ and the SDK package.
    await expect(walled.read(join(packageRoot(), "dist", "module.js"))).resolves.toContain("defineModule");
    await expect(walled.read(join(sdkPackage, "package.json"))).resolves.toContain('"./module"');
  });
});

describe("the operator's ceiling on what a sandboxed module may ask for", () => {
  it("refuses, when loaded, a module asking beyond the default ceiling, naming each excess and where to grant it", async () => {
    sandboxed("greedy", { fsRead: ["./assets", "/"], childProcess: true, env: ["HOME"] });
    const rt = h.open(quiet);
    const err: unknown = await rt.call("greedy", "sdk").catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      module: "greedy@1.0.0",
      details: { denied: ["fsRead /", "childProcess", "env HOME"] },
    });
    expect((err as Error).message).toBe(
      "greedy@1.0.0 asks for fsRead /, childProcess, env HOME, which the operator's ceiling for greedy does not grant; add them to permissions[\"greedy\"] (or permissions.default) in chipset.config.json, or remove them from the module's manifest",
    );
    expect(rt.queries.info("greedy").instance).toBeNull();
  });

  it("grants what the ceiling allows: an absolute path outside the module, child processes, a variable", async () => {
    const shared = join(h.ws.root, "shared");
    mkdirSync(shared);
    writeFileSync(join(shared, "note.txt"), "shared note");
    sandboxed("reader", { fsRead: [shared], childProcess: true, env: ["CHIPSET_TEST_LANG"] });
    const configFile = configWith({
      reader: { fsRead: ["./shared"], childProcess: true, env: ["CHIPSET_TEST_LANG"] },
    });
    process.env.CHIPSET_TEST_LANG = "zh-CN";
    try {
      const rt = h.open({ configFile, ...quiet });
      const reader = rt.use<{ read(p: string): string; spawn(): string; env(): object }>("reader");
      await expect(reader.read(join(shared, "note.txt"))).resolves.toBe("shared note");
      await expect(reader.spawn()).resolves.toBe("spawned");
      await expect(reader.env()).resolves.toEqual({ CHIPSET_TEST_LANG: "zh-CN" });
    } finally {
      delete process.env.CHIPSET_TEST_LANG;
    }
  });

  it("takes a module's own entry over the default, field by field", async () => {
    sandboxed("narrowed", { worker: true });
    sandboxed("other", { worker: true, env: ["CHIPSET_TEST_LANG"] });
    const configFile = configWith({
      default: { env: ["CHIPSET_TEST_LANG"] },
      narrowed: { worker: false },
    });
    const rt = h.open({ configFile, ...quiet });
    await expect(rt.call("narrowed", "sdk")).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      message: expect.stringContaining(
        `add it to permissions["narrowed"] (or permissions.default) in ${configFile}`,
      ) as unknown,
      details: { denied: ["worker"] },
    });
    await expect(rt.call("other", "sdk")).resolves.toBe("function");
  });
});

describe("a sandboxed module's own directory", () => {
  it("may be written where granted, even when the directory does not exist yet", async () => {
    sandboxed("writer", { fsWrite: ["./out", "./cache/deep"] });
    const rt = h.open(quiet);
    const dir = rt.queries.info("writer").dir!;
    expect(existsSync(join(dir, "out"))).toBe(false);
    const writer = rt.use<{ write(p: string, t: string): string }>("writer");
    await expect(writer.write(join(dir, "out", "result.txt"), "done")).resolves.toBe("written");
    await expect(writer.write(join(dir, "cache", "deep", "x"), "deep")).resolves.toBe("written");
    expect(readFileSync(join(dir, "out", "result.txt"), "utf8")).toBe("done");
    // Only what was granted: the module's code beside it stays read-only.
    await expect(writer.write(join(dir, "index.js"), "tampered")).resolves.toBe("ERR_ACCESS_DENIED");
  });
});

describe("the environment of a process module", () => {
  it("is empty for a sandboxed one but for the variables granted; another process module inherits the runtime's", async () => {
    sandboxed("sealed", {});
    h.ws.module({ name: "open-process", chipset: { isolation: "process" }, code: PROBE });
    process.env.CHIPSET_TEST_SECRET = "s3cret";
    try {
      const rt = h.open(quiet);
      await expect(rt.call("sealed", "env")).resolves.toEqual({});
      await expect(rt.call("open-process", "env")).resolves.toMatchObject({ CHIPSET_TEST_SECRET: "s3cret" });
    } finally {
      delete process.env.CHIPSET_TEST_SECRET;
    }
  });
});
