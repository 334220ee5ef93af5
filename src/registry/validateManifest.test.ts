import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { validatePackageManifest } from "./validateManifest.js";

/** The example manifest of DESIGN.md, every field filled in. */
function designExample(): Record<string, unknown> {
  return {
    name: "video-player",
    version: "1.4.0",
    type: "module",
    exports: "./dist/index.js",
    chipset: {
      kind: "media",
      description: "Plays video files",
      keywords: ["video", "player"],
      requires: { "file-io": "^2.1.0" },
      optional: { "gpu-decoder": "^1.0.0" },
      provides: ["video.play"],
      activation: "lazy",
      isolation: "worker",
      singleton: true,
      configSchema: { type: "object", properties: { bufferMs: { type: "integer" } } },
      limits: { memoryMb: 256 },
      permissions: { fsRead: ["./media"] },
      restart: { policy: "permanent", maxRestarts: 5, withinMs: 60000 },
      calls: { timeoutMs: 2000, methods: { status: { idempotent: true } } },
      fallback: "image-viewer",
      probes: {
        liveness: { method: "ping", periodMs: 10000, timeoutMs: 1000, failureThreshold: 3 },
        readiness: { health: true, successThreshold: 2 },
        startup: { method: "ping", initialDelayMs: 0, periodMs: 1000, failureThreshold: 30 },
      },
      timeouts: { load: 1000, init: 5000, start: 5000, pause: 1000, resume: 1000, stop: 2000 },
      idleUnloadMs: 300000,
    },
  };
}

function rejection(json: unknown): ChipsetError {
  try {
    validatePackageManifest(json, "/mods/video-player/package.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    return err as ChipsetError;
  }
  throw new Error("the manifest was accepted");
}

function withChipset(patch: Record<string, unknown>): Record<string, unknown> {
  const json = designExample();
  json.chipset = { ...(json.chipset as object), ...patch };
  return json;
}

describe("validatePackageManifest", () => {
  it("accepts the full example manifest of DESIGN.md and returns its fields", () => {
    const manifest = validatePackageManifest(designExample(), "package.json");
    expect(manifest.name).toBe("video-player");
    expect(manifest.version).toBe("1.4.0");
    expect(manifest.exports).toBe("./dist/index.js");
    expect(manifest.chipset).toEqual(designExample().chipset);
  });

  it("accepts a minimal manifest, scoped names and event activation", () => {
    const manifest = validatePackageManifest(
      {
        name: "@acme/x",
        version: "0.1.0-beta.1+build.7",
        chipset: {
          kind: "core.io",
          activation: { onEvent: ["file.opened"] },
          requires: { "@acme/y": ">=1 <3 || 4.x" },
        },
      },
      "package.json",
    );
    expect(manifest.chipset.activation).toEqual({ onEvent: ["file.opened"] });
  });

  it("does not keep references to the input", () => {
    const json = designExample();
    const manifest = validatePackageManifest(json, "package.json");
    (json.chipset as { kind: string }).kind = "changed";
    expect(manifest.chipset.kind).toBe("media");
  });

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      "a bad semver range",
      withChipset({ requires: { "file-io": "latest-and-greatest" } }),
      "chipset.requires.file-io",
      /semver range such as "\^2\.1\.0"/,
    ],
    [
      "a bad optional range",
      withChipset({ optional: { "gpu-decoder": "1.2.3.4" } }),
      "chipset.optional.gpu-decoder",
      /semver range/,
    ],
    [
      "a bad dependency id",
      withChipset({ requires: { "Bad Name": "^1.0.0" } }),
      "chipset.requires.Bad Name",
      /npm package name/,
    ],
    [
      "a version with a leading v",
      { ...designExample(), version: "v1.4.0" },
      "version",
      /semver version such as "1\.4\.0"/,
    ],
    ["a non-semver version", { ...designExample(), version: "1.4" }, "version", /semver version/],
    ["an upper-case name", { ...designExample(), name: "VideoPlayer" }, "name", /npm package name/],
    ["a name with a leading dot", { ...designExample(), name: ".hidden" }, "name", /npm package name/],
    ["a name of the wrong type", { ...designExample(), name: 42 }, "name", /npm package name/],
    ["an unknown chipset key", withChipset({ kindd: "media" }), "chipset.kindd", /did you mean "kind"/],
    [
      "a bad isolation",
      withChipset({ isolation: "thread" }),
      "chipset.isolation",
      /"inline", "worker" or "process"/,
    ],
    [
      "a bad activation string",
      withChipset({ activation: "sometimes" }),
      "chipset.activation",
      /"eager", "lazy"/,
    ],
    [
      "an activation object without events",
      withChipset({ activation: { onEvent: [] } }),
      "chipset.activation.onEvent",
      /non-empty array/,
    ],
    [
      "a negative timeout",
      withChipset({ timeouts: { start: -5 } }),
      "chipset.timeouts.start",
      /positive integer number of milliseconds/,
    ],
    [
      "a fractional timeout",
      withChipset({ timeouts: { stop: 1.5 } }),
      "chipset.timeouts.stop",
      /positive integer/,
    ],
    [
      "an unknown phase",
      withChipset({ timeouts: { warmup: 10 } }),
      "chipset.timeouts.warmup",
      /known fields: load, init/,
    ],
    ["a singleton that is a string", withChipset({ singleton: "yes" }), "chipset.singleton", /true or false/],
    [
      "a keyword that is a number",
      withChipset({ keywords: ["video", 7] }),
      "chipset.keywords.1",
      /non-empty string/,
    ],
    ["a bad kind", withChipset({ kind: "Media Player" }), "chipset.kind", /module kind such as "media"/],
    ["a missing kind", withChipset({ kind: undefined }), "chipset.kind", /is missing/],
    [
      "a bad restart policy",
      withChipset({ restart: { policy: "always" } }),
      "chipset.restart.policy",
      /"permanent", "transient" or "temporary"/,
    ],
    [
      "a negative idle timeout",
      withChipset({ idleUnloadMs: -1 }),
      "chipset.idleUnloadMs",
      /non-negative integer/,
    ],
    ["a bad fallback id", withChipset({ fallback: "" }), "chipset.fallback", /id of another module/],
    [
      "a configSchema of the wrong type",
      withChipset({ configSchema: [] }),
      "chipset.configSchema",
      /JSON Schema/,
    ],
    [
      "a configSchema ajv cannot compile",
      withChipset({ configSchema: { type: "strnig" } }),
      "chipset.configSchema",
      /not a usable JSON Schema/,
    ],
    [
      "a configSchema with a misspelt keyword",
      withChipset({ configSchema: { type: "object", proprties: {} } }),
      "chipset.configSchema",
      /unknown keyword/,
    ],
    [
      "a configSchema pattern with a backreference",
      withChipset({ configSchema: { properties: { v: { type: "string", pattern: "^(a+)\\1$" } } } }),
      "chipset.configSchema",
      /pattern "\^\(a\+\)\\\\1\$" cannot be used .*no backreferences/,
    ],
    [
      "a method option of the wrong type",
      withChipset({ calls: { methods: { status: { idempotent: 1 } } } }),
      "chipset.calls.methods.status.idempotent",
      /true or false/,
    ],
    [
      "a permission of the wrong type",
      withChipset({ permissions: { fsRead: "./media" } }),
      "chipset.permissions.fsRead",
      /array of paths/,
    ],
    [
      "a read grant leading out of the module's directory",
      withChipset({ permissions: { fsRead: ["./media", "../../.."] } }),
      "chipset.permissions.fsRead.1",
      /no "\.\." segment.*found "\.\.\/\.\.\/\.\."/,
    ],
    [
      'a write grant whose ".." leads out after a step in',
      withChipset({ permissions: { fsWrite: ["out/../../store"] } }),
      "chipset.permissions.fsWrite.0",
      /inside the module's directory.*found "out\/\.\.\/\.\.\/store"/,
    ],
    [
      "an environment variable that is not a name",
      withChipset({ permissions: { env: ["API TOKEN"] } }),
      "chipset.permissions.env.0",
      /environment variable name/,
    ],
    [
      "a limit of zero",
      withChipset({ limits: { memoryMb: 0 } }),
      "chipset.limits.memoryMb",
      /positive number of megabytes/,
    ],
    [
      "a negative CPU limit",
      withChipset({ limits: { cpuPercent: -5 } }),
      "chipset.limits.cpuPercent",
      /positive percentage of one CPU \(100 = one core\)/,
    ],
    [
      "a disk limit given as a string",
      withChipset({ limits: { diskMbPerMin: "10MB" } }),
      "chipset.limits.diskMbPerMin",
      /megabytes read and written through node:fs per minute/,
    ],
    [
      "a network limit of zero",
      withChipset({ limits: { networkMbPerMin: 0 } }),
      "chipset.limits.networkMbPerMin",
      /megabytes received and sent over the network per minute/,
    ],
    [
      "a warning threshold given as a percentage",
      withChipset({ limits: { warnAt: 80 } }),
      "chipset.limits.warnAt",
      /fraction of a limit at which resource\.warning is emitted: more than 0, at most 1/,
    ],
    [
      "a limit action that does not exist",
      withChipset({ limits: { action: "kill" } }),
      "chipset.limits.action",
      /"warn", "restart" or "stop"/,
    ],
    [
      "a misspelt limit",
      withChipset({ limits: { cpuPercentage: 50 } }),
      "chipset.limits.cpuPercentage",
      /cpuPercent/,
    ],
    [
      "a probe with a period of zero",
      withChipset({ probes: { liveness: { method: "ping", periodMs: 0 } } }),
      "chipset.probes.liveness.periodMs",
      /time between probes: a positive integer number of milliseconds/,
    ],
    [
      "a probe timeout that is not a number",
      withChipset({ probes: { readiness: { health: true, timeoutMs: "1s" } } }),
      "chipset.probes.readiness.timeoutMs",
      /time a probe has to answer/,
    ],
    [
      "a failure threshold of zero",
      withChipset({ probes: { startup: { method: "ping", failureThreshold: 0 } } }),
      "chipset.probes.startup.failureThreshold",
      /failures in a row that fail the probe: an integer from 1/,
    ],
    [
      "a liveness probe that needs two successes",
      withChipset({ probes: { liveness: { method: "ping", successThreshold: 2 } } }),
      "chipset.probes.liveness.successThreshold",
      /1 \(a liveness probe passes on one success/,
    ],
    [
      "health given as a string",
      withChipset({ probes: { readiness: { health: "yes" } } }),
      "chipset.probes.readiness.health",
      /true \(the module's health\(\) is the probe\)/,
    ],
    [
      "an unknown probe",
      withChipset({ probes: { readyness: { health: true } } }),
      "chipset.probes.readyness",
      /did you mean "readiness"/,
    ],
    [
      "a probe that names no check",
      withChipset({ probes: { liveness: { periodMs: 5000 } } }),
      "chipset.probes.liveness",
      /names no check; expected exactly one check: \{ "method": "<api method>" \} or \{ "health": true \}/,
    ],
    [
      "a probe that names two checks",
      withChipset({ probes: { readiness: { method: "ping", health: true } } }),
      "chipset.probes.readiness",
      /names both a method and health/,
    ],
  ];

  it.each(cases)("rejects %s, naming the field", (_label, json, field, expected) => {
    const err = rejection(json);
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.details.field).toBe(field);
    expect(err.details.file).toBe("/mods/video-player/package.json");
    expect(err.message).toContain("/mods/video-player/package.json");
    expect(err.message).toContain(`"${field}"`);
    expect(err.message).toMatch(expected);
  });

  it("says what was found", () => {
    const err = rejection(withChipset({ requires: { "file-io": "latest-and-greatest" } }));
    expect(err.details.found).toBe('"latest-and-greatest"');
    expect(err.message).toContain('found "latest-and-greatest"');
    expect(err.details.expected).toBe('a semver range such as "^2.1.0"');
  });

  it("accepts 1,000 requires and rejects 1,001, naming the field and the limit", () => {
    const deps = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`dep-${i}`, "^1.0.0"]));
    expect(() =>
      validatePackageManifest(withChipset({ requires: deps(1000) }), "/m/package.json"),
    ).not.toThrow();
    const err = rejection(withChipset({ optional: deps(1001) }));
    expect(err.details.field).toBe("chipset.optional");
    expect(err.message).toContain("at most 1000 module ids");
  });

  it("rejects a package.json without a chipset field, naming the field chipset", () => {
    const { chipset: _omit, ...json } = designExample();
    const err = rejection(json);
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.details.field).toBe("chipset");
    expect(err.message).toContain('"chipset" is missing');
  });

  it("rejects a document that is not an object", () => {
    expect(rejection([1, 2]).details.field).toBe("");
    expect(rejection(null).details.field).toBe("");
  });

  it("lists every problem in details.errors", () => {
    const err = rejection({ ...withChipset({ isolation: "thread", singleton: 1 }), version: "x" });
    const fields = (err.details.errors as Array<{ field: string }>).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["version", "chipset.isolation", "chipset.singleton"]));
    expect(fields).toHaveLength(3);
    expect(err.message).toContain("2 more problems");
  });

  it("names the module in the error", () => {
    expect(rejection(withChipset({ isolation: "thread" })).module).toBe("video-player");
  });
});
