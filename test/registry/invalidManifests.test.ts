import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../../src/errors/index.js";
import type { Registry } from "../../src/registry/Registry.js";
import { openRegistry, storeListing, tempDir, writeModule } from "./fixtures.js";

type Json = Record<string, unknown>;

/** A manifest using every field, valid; each run corrupts exactly one thing in a copy of it. */
function validManifest(): Json {
  return {
    name: "video-player",
    version: "1.4.0",
    type: "module",
    exports: "./index.js",
    chipset: {
      kind: "media",
      description: "Plays video files",
      keywords: ["video", "player"],
      requires: { "file-io": "^2.1.0" },
      optional: { "gpu-decoder": "^1.0.0" },
      provides: ["video.play", "video.pause"],
      activation: "lazy",
      isolation: "worker",
      singleton: true,
      configSchema: { type: "object", properties: { bufferMs: { type: "integer", default: 500 } } },
      limits: { memoryMb: 256, cpuPercent: 50 },
      permissions: { fsRead: ["./media"], fsWrite: ["./cache"], childProcess: false, worker: true },
      restart: { policy: "permanent", maxRestarts: 5, withinMs: 60000 },
      calls: { timeoutMs: 2000, methods: { status: { idempotent: true, timeoutMs: 100 } } },
      fallback: "image-viewer",
      timeouts: { load: 1000, init: 5000, start: 5000, pause: 1000, resume: 1000, stop: 2000 },
      idleUnloadMs: 300000,
    },
  };
}

/** One corruption: the dotted path of the field it breaks, and how to break it. */
interface Corruption {
  field: string;
  /** The value written, for fast-check's counterexample report. */
  value?: unknown;
  apply(json: Json): void;
}

function setAt(json: Json, field: string, value: unknown): void {
  const parts = field.split(".");
  let node = json;
  for (const part of parts.slice(0, -1)) node = node[part] as Json;
  const last = parts.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const corrupt = (field: string, value: unknown, at = field): Corruption => ({
  field,
  value,
  apply: (json) => setAt(json, at, value),
});

// Values of each JSON type, to put where another type belongs.
const samples = {
  string: "text",
  integer: 7,
  number: 2.5,
  boolean: true,
  null: null,
  array: [1],
  object: { a: 1 },
};
type Kind = keyof typeof samples;
const wrongFor: Record<string, Kind[]> = {
  string: ["integer", "number", "boolean", "null", "array", "object"],
  integer: ["string", "number", "boolean", "null", "array", "object"],
  number: ["string", "boolean", "null", "array", "object"],
  boolean: ["string", "integer", "number", "null", "array", "object"],
  array: ["string", "integer", "number", "boolean", "null", "object"],
  object: ["string", "integer", "number", "boolean", "null", "array"],
};
const typedFields: Array<[string, string]> = [
  ["name", "string"],
  ["version", "string"],
  ["chipset", "object"],
  ["chipset.kind", "string"],
  ["chipset.description", "string"],
  ["chipset.keywords", "array"],
  ["chipset.requires", "object"],
  ["chipset.optional", "object"],
  ["chipset.provides", "array"],
  ["chipset.singleton", "boolean"],
  ["chipset.configSchema", "object"],
  ["chipset.limits", "object"],
  ["chipset.limits.memoryMb", "number"],
  ["chipset.limits.cpuPercent", "number"],
  ["chipset.permissions", "object"],
  ["chipset.permissions.fsRead", "array"],
  ["chipset.permissions.childProcess", "boolean"],
  ["chipset.permissions.worker", "boolean"],
  ["chipset.restart", "object"],
  ["chipset.restart.maxRestarts", "integer"],
  ["chipset.calls", "object"],
  ["chipset.calls.timeoutMs", "integer"],
  ["chipset.calls.methods", "object"],
  ["chipset.calls.methods.status", "object"],
  ["chipset.calls.methods.status.idempotent", "boolean"],
  ["chipset.fallback", "string"],
  ["chipset.timeouts", "object"],
  ["chipset.timeouts.init", "integer"],
  ["chipset.idleUnloadMs", "integer"],
  ["chipset.requires.file-io", "string"],
  ["chipset.keywords.1", "string"],
  ["chipset.permissions.fsWrite.0", "string"],
];
const wrongType = fc
  .constantFrom(...typedFields)
  .chain(([field, kind]) =>
    fc.constantFrom(...(wrongFor[kind] as Kind[])).map((k) => corrupt(field, samples[k])),
  );

const junk = fc.string({ minLength: 0, maxLength: 12 });
const badRange = fc
  .tuple(
    fc.constantFrom("chipset.requires.file-io", "chipset.optional.gpu-decoder", "chipset.requires.new-dep"),
    fc.oneof(
      fc.constantFrom("latest", "1.2.3.4", "^", ">>1", "~~1", "x.y.z", "1 ||| 2", "@1", "", "  "),
      junk,
    ),
  )
  .filter(([, range]) => range.trim() === "" || semver.validRange(range) === null)
  .map(([field, range]) => corrupt(field, range));

const badVersion = fc
  .oneof(
    fc.constantFrom("v1.4.0", "=1.4.0", " 1.4.0", "1.4", "1.4.0.1", "01.4.0", "1.4.0-", "latest", ""),
    junk,
  )
  .filter((v) => semver.valid(v) !== v || v.trim() !== v || v.startsWith("v") || v.startsWith("="))
  .filter((v) => semver.valid(v) === null || v !== semver.valid(v))
  .map((v) => corrupt("version", v));

const badName = fc
  .tuple(
    fc.constantFrom("name", "chipset.fallback"),
    fc.constantFrom(
      "Video",
      "video player",
      ".video",
      "_video",
      "",
      "vid~eo",
      "vid(eo)",
      "vid!",
      "node_modules",
      "@acme",
      "@/x",
      "@Acme/x",
      "a/b",
      "x".repeat(215),
      "é",
    ),
  )
  .map(([field, name]) => corrupt(field, name));

const badDependencyId = fc
  .tuple(
    fc.constantFrom("requires", "optional"),
    fc.constantFrom("File-IO", "file io", ".hidden", "a/b/c", "~x", ""),
  )
  .map(([map, id]): Corruption => ({
    field: `chipset.${map}.${id}`,
    value: id,
    apply: (json) => {
      ((json.chipset as Json)[map] as Json)[id] = "^1.0.0";
    },
  }));

const closedObjects: Array<[string, string[]]> = [
  ["chipset", Object.keys(validManifest().chipset as Json)],
  ["chipset.limits", ["memoryMb", "cpuPercent"]],
  ["chipset.permissions", ["fsRead", "fsWrite", "childProcess", "worker"]],
  ["chipset.restart", ["policy", "maxRestarts", "withinMs"]],
  ["chipset.calls", ["timeoutMs", "idempotent", "retry", "breaker", "bulkhead", "methods"]],
  ["chipset.calls.methods.status", ["timeoutMs", "idempotent", "retry", "breaker", "bulkhead"]],
  ["chipset.timeouts", ["load", "init", "start", "pause", "resume", "stop"]],
];
const unknownKey = fc
  .tuple(
    fc.constantFrom(...closedObjects),
    fc.oneof(
      fc.constantFrom("kindd", "isolaton", "timeout", "Kind", "extra"),
      fc.string({ minLength: 1, maxLength: 10 }),
    ),
    fc.jsonValue(),
  )
  .filter(([[, known], key]) => !known.includes(key) && key !== "__proto__")
  .map(([[parent], key, value]): Corruption => ({
    field: `${parent}.${key}`,
    value,
    apply: (json) => {
      let node = json;
      for (const part of parent.split(".")) node = node[part] as Json;
      node[key] = value ?? null;
    },
  }));

const badEnum = fc
  .tuple(fc.constantFrom("chipset.isolation", "chipset.activation", "chipset.restart.policy", "type"), junk)
  .filter(
    ([, v]) =>
      ![
        "inline",
        "worker",
        "process",
        "eager",
        "lazy",
        "permanent",
        "transient",
        "temporary",
        "module",
        "commonjs",
      ].includes(v),
  )
  .map(([field, v]) => corrupt(field, v));

const badNumber = fc
  .tuple(
    fc.constantFrom(
      "chipset.timeouts.load",
      "chipset.timeouts.start",
      "chipset.timeouts.stop",
      "chipset.calls.timeoutMs",
      "chipset.restart.withinMs",
      "chipset.calls.methods.status.timeoutMs",
      "chipset.idleUnloadMs",
      "chipset.restart.maxRestarts",
      "chipset.limits.memoryMb",
      "chipset.limits.cpuPercent",
    ),
    fc.oneof(fc.integer({ min: -1_000_000, max: -1 }), fc.constantFrom(0, 0.5, 1.5, -0.25, 2 ** 31, 1e20)),
  )
  .filter(([field, n]) => {
    if (field.endsWith("idleUnloadMs") || field.endsWith("maxRestarts"))
      return n < 0 || !Number.isInteger(n) || (n >= 2 ** 31 && field.endsWith("idleUnloadMs"));
    if (field.startsWith("chipset.limits")) return n <= 0;
    if (field.startsWith("chipset.calls")) return n !== 0; // a call timeout of 0 means none
    return true;
  })
  .map(([field, n]) => corrupt(field, n));

const badConfigSchema = fc
  .constantFrom<unknown>(
    { type: "strnig" },
    { properties: 5 },
    { required: "bufferMs" },
    { minimum: "3" },
    { type: "object", proprties: {} },
    { $ref: "#/definitions/nope" },
    { items: 3 },
    { type: ["string", "nope"] },
    { pattern: "(" },
    { additionalProperties: "no" },
    { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" },
    { format: "no-such-format" },
  )
  .map((schema) => corrupt("chipset.configSchema", schema));

const missing = fc
  .constantFrom("name", "version", "chipset", "chipset.kind")
  .map((field) => corrupt(field, undefined));

const badShape = fc.constantFrom<Corruption>(
  corrupt("chipset.kind", "Media Player"),
  corrupt("chipset.kind", "1media"),
  corrupt("chipset.kind", ""),
  corrupt("chipset.kind", "m".repeat(65)),
  corrupt("chipset.description", "d".repeat(1001)),
  corrupt("chipset.provides", ["video.play", "video.play"]),
  corrupt("chipset.provides.0", ""),
  corrupt("chipset.keywords.0", ""),
  corrupt("chipset.activation.onEvent", { onEvent: [] }, "chipset.activation"),
  corrupt("chipset.activation.onEvent", {}, "chipset.activation"),
  corrupt("chipset.activation.onEvent", { onEvent: "file.opened" }, "chipset.activation"),
  corrupt("chipset.activation.onEvent.0", { onEvent: [5] }, "chipset.activation"),
  corrupt("chipset.activation.also", { onEvent: ["a"], also: 1 }, "chipset.activation"),
  corrupt("chipset.activation", ["eager"]),
);

const corruption = fc.oneof(
  wrongType,
  badRange,
  badVersion,
  badName,
  badDependencyId,
  unknownKey,
  badEnum,
  badNumber,
  badConfigSchema,
  missing,
  badShape,
);

describe("adding invalid manifests", () => {
  let root: string;
  let dataDir: string;
  let moduleDir: string;
  let registry: Registry;
  let close: () => void;

  beforeAll(() => {
    root = tempDir();
    dataDir = path.join(root, "data");
    ({ registry, close } = openRegistry(dataDir));
    registry.add(writeModule(path.join(root, "ok-a"), { name: "file-io", version: "2.2.0" }));
    registry.add(
      writeModule(path.join(root, "ok-b"), {
        name: "video-player",
        version: "1.4.0",
        chipset: { kind: "media" },
      }),
    );
    moduleDir = writeModule(path.join(root, "candidate"), { name: "video-player" });
  });

  afterAll(() => {
    close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("accepts the uncorrupted manifest (so every rejection below is due to its corruption)", () => {
    fs.writeFileSync(path.join(moduleDir, "package.json"), JSON.stringify(validManifest()));
    const scratch = openRegistry(path.join(root, "scratch"));
    try {
      expect(scratch.registry.add(moduleDir).status).toBe("added");
    } finally {
      scratch.close();
    }
  });

  it("rejects 1,000 random single corruptions with MANIFEST_INVALID naming the corrupted field, changing nothing", () => {
    const rows = registry.list();
    const listing = storeListing(dataDir);
    const file = path.join(moduleDir, "package.json");
    fc.assert(
      fc.property(corruption, (c) => {
        const json = validManifest();
        c.apply(json);
        fs.writeFileSync(file, JSON.stringify(json));
        let error: unknown;
        try {
          registry.add(moduleDir);
        } catch (err) {
          error = err;
        }
        expect(error, `accepted a manifest corrupted at ${c.field}`).toBeInstanceOf(ChipsetError);
        const e = error as ChipsetError;
        expect(e.code).toBe(ErrorCodes.MANIFEST_INVALID);
        expect(e.details.field).toBe(c.field);
        expect(e.details.file).toBe(file);
        expect(e.message).toContain(file);
        expect(e.message).toContain(`"${c.field}"`);
        expect(registry.list()).toEqual(rows);
        expect(storeListing(dataDir)).toEqual(listing);
      }),
      { numRuns: 1000 },
    );
  });
});
