import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { CONFIG_FILE_NAME, loadConfigFile, loadDefaultConfigFile } from "./ConfigFile.js";
import { MAX_CONFIG_BYTES } from "./readConfigText.js";

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-config-"));
  file = path.join(dir, CONFIG_FILE_NAME);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function rejection(content: unknown): ChipsetError {
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  try {
    loadConfigFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect((err as ChipsetError).message).toContain(file);
    return err as ChipsetError;
  }
  throw new Error("the config was accepted");
}

describe("loadConfigFile", () => {
  it("reads call policies for every module and per module", () => {
    const policies = { codec: { methods: { probe: { idempotent: true, retry: { maxAttempts: 5 } } } } };
    fs.writeFileSync(file, JSON.stringify({ calls: { timeoutMs: 30000, breaker: {} }, policies }));
    const config = loadConfigFile(file);
    expect(config.calls).toEqual({ timeoutMs: 30000, breaker: {} });
    expect(config.policies).toEqual(policies);
  });

  it("reads the application's version rules: `use` ranges and `overrides`", () => {
    fs.writeFileSync(file, JSON.stringify({ use: { lib: "^2" }, overrides: { "@acme/log": "1.6.0" } }));
    const config = loadConfigFile(file);
    expect(config.use).toEqual({ lib: "^2" });
    expect(config.overrides).toEqual({ "@acme/log": "1.6.0" });
  });

  it("refuses a `use` or override that is not a semver range, naming the field", () => {
    expect(rejection({ use: { lib: "^^2" } }).details["field"]).toBe("use.lib");
    expect(rejection({ overrides: { lib: "latest" } }).details["field"]).toBe("overrides.lib");
  });

  it("refuses log file settings out of range, naming the field", () => {
    expect(rejection({ logs: { maxFileBytes: 100 } }).details["field"]).toBe("logs.maxFileBytes");
    expect(rejection({ logs: { keepFiles: -1 } }).details["field"]).toBe("logs.keepFiles");
    expect(rejection({ logs: { level: "loud" } }).details["field"]).toBe("logs.level");
    expect(rejection({ logs: { maxBytes: 4096 } }).message).toMatch(/maxBytes/);
  });

  it("reads the cluster's credentials as files resolved against the file's directory", () => {
    fs.writeFileSync(
      file,
      JSON.stringify({
        cluster: { user: "chip", passwordFile: "secrets/nats", tls: { caFile: "/etc/ca.pem" } },
      }),
    );
    expect(loadConfigFile(file).cluster).toEqual({
      user: "chip",
      passwordFile: path.join(dir, "secrets/nats"),
      tls: { caFile: "/etc/ca.pem" },
    });
  });

  it("refuses a cluster setting it does not know or of the wrong type, naming the field", () => {
    const typo = rejection({ cluster: { password: "secret" } });
    expect(typo.message).toMatch(/cluster/);
    expect(typo.message).toMatch(/password/);
    const wrong = rejection({ cluster: { tls: { caFile: 7 } } });
    expect(wrong.details["field"]).toBe("cluster.tls.caFile");
  });

  it("reads the operator's permission ceilings, paths resolved against the file's directory", () => {
    fs.writeFileSync(
      file,
      JSON.stringify({
        permissions: {
          default: { env: ["LANG"], worker: false },
          codec: { fsRead: ["./media", "/srv/shared"], fsWrite: ["../cache"], childProcess: true },
        },
      }),
    );
    const { permissions } = loadConfigFile(file);
    expect(permissions.file).toBe(file);
    expect(permissions.default).toEqual({ env: ["LANG"], worker: false });
    expect([...permissions.modules]).toEqual([
      [
        "codec",
        {
          fsRead: [path.join(dir, "media"), "/srv/shared"],
          fsWrite: [path.resolve(dir, "..", "cache")],
          childProcess: true,
        },
      ],
    ]);
  });

  it("rejects a malformed permission ceiling, naming the field", () => {
    const err = rejection({ permissions: { codec: { env: ["API TOKEN"] } } });
    expect((err.details as { field: string }).field).toBe("permissions.codec.env.0");
    expect(err.message).toMatch(/environment variable name/);
    const unknown = rejection({ permissions: { default: { network: true } } });
    expect((unknown.details as { field: string }).field).toBe("permissions.default.network");
    expect(unknown.message).toMatch(/network/);
  });

  it("rejects a malformed call policy, naming the field", () => {
    const err = rejection({ policies: { codec: { bulkhead: { maxConcurrent: 0 } } } });
    expect((err.details as { field: string }).field).toBe("policies.codec.bulkhead.maxConcurrent");
    expect(err.message).toMatch(/calls running at once/);
  });

  it("reads every field and resolves moduleDirs against the file's directory", () => {
    fs.writeFileSync(
      file,
      JSON.stringify({
        moduleDirs: ["./modules", "/abs/mods", "../shared"],
        modules: { "video-player": { bufferMs: 500 }, "@acme/x": {} },
        defaults: { hookTimeoutMs: 5000, idleUnloadMs: 0, preload: 3, shutdownTimeoutMs: 10000 },
        logs: { maxFileBytes: 4096, keepFiles: 0, level: "debug" },
        resources: {
          sampleMs: 500,
          limits: { memoryMb: 256, warnAt: 0.9, action: "restart" },
          reportEveryMs: 0,
        },
        dispatch: { strategy: "least_loaded", defaultEngineType: "wasm", maxQueue: 0, requestTimeoutMs: 0 },
      }),
    );
    expect(loadConfigFile(file)).toEqual({
      file,
      moduleDirs: [path.join(dir, "modules"), "/abs/mods", path.resolve(dir, "..", "shared")],
      modules: { "video-player": { bufferMs: 500 }, "@acme/x": {} },
      defaults: { hookTimeoutMs: 5000, idleUnloadMs: 0, preload: 3, shutdownTimeoutMs: 10000 },
      logs: { maxFileBytes: 4096, keepFiles: 0, level: "debug" },
      resources: {
        sampleMs: 500,
        limits: { memoryMb: 256, warnAt: 0.9, action: "restart" },
        reportEveryMs: 0,
      },
      policies: {},
      placement: {},
      permissions: { file, default: undefined, modules: new Map() },
      use: {},
      overrides: {},
      triggers: {},
      dispatch: { strategy: "least_loaded", defaultEngineType: "wasm", maxQueue: 0, requestTimeoutMs: 0 },
      cluster: {},
      updateFields: { sources: undefined, trust: undefined, updates: undefined },
    });
  });

  it("accepts an empty object, filling in empty defaults", () => {
    fs.writeFileSync(file, "{}");
    expect(loadConfigFile(file)).toEqual({
      file,
      moduleDirs: [],
      modules: {},
      defaults: {},
      logs: {},
      policies: {},
      placement: {},
      permissions: { file, default: undefined, modules: new Map() },
      use: {},
      overrides: {},
      triggers: {},
      resources: {},
      dispatch: {},
      cluster: {},
      updateFields: { sources: undefined, trust: undefined, updates: undefined },
    });
  });

  it.each<[string, unknown, string]>([
    ["an unknown top-level key", { moduleDir: ["./m"] }, "moduleDir"],
    ["moduleDirs that is a string", { moduleDirs: "./modules" }, "moduleDirs"],
    ["an empty module directory", { moduleDirs: ["./a", ""] }, "moduleDirs.1"],
    ["module config that is not an object", { modules: { "video-player": 5 } }, "modules.video-player"],
    ["a module id that is not a package name", { modules: { "Video Player": {} } }, "modules.Video Player"],
    ["a negative hook timeout", { defaults: { hookTimeoutMs: -1 } }, "defaults.hookTimeoutMs"],
    ["a fractional preload count", { defaults: { preload: 1.5 } }, "defaults.preload"],
    ["an unknown default", { defaults: { idleMs: 5 } }, "defaults.idleMs"],
    ["a fractional dispatch queue size", { dispatch: { maxQueue: 1.5 } }, "dispatch.maxQueue"],
    ["an unknown dispatch setting", { dispatch: { maxQueues: 5 } }, "dispatch.maxQueues"],
    ["a document that is not an object", [], ""],
  ])("rejects %s, naming the file and the field", (_label, content, field) => {
    expect(rejection(content).details.field).toBe(field);
  });

  it("says what was expected", () => {
    const err = rejection({ defaults: { shutdownTimeoutMs: "soon" } });
    expect(err.message).toContain(
      '"defaults.shutdownTimeoutMs" is invalid; expected the shutdown deadline: a positive integer number of milliseconds, found "soon"',
    );
  });

  it("rejects unparseable JSON", () => {
    expect(rejection("{ moduleDirs: [").message).toContain("not valid JSON");
  });

  it("rejects a missing file that was asked for", () => {
    try {
      loadConfigFile(path.join(dir, "nope.json"));
      expect.unreachable();
    } catch (err) {
      expect((err as ChipsetError).code).toBe(ErrorCodes.OPTIONS_INVALID);
      expect((err as ChipsetError).message).toContain(path.join(dir, "nope.json"));
    }
  });
});

describe("loadConfigFile with a path that is not a config file", () => {
  /** The error `loadConfigFile(target)` throws, checked to be OPTIONS_INVALID naming `target`. */
  function refusal(target: string): ChipsetError {
    try {
      loadConfigFile(target);
    } catch (err) {
      expect(err).toMatchObject({ code: ErrorCodes.OPTIONS_INVALID, details: { file: target } });
      return err as ChipsetError;
    }
    throw new Error("the config was accepted");
  }

  it("refuses a link to a device at once instead of reading it for ever", () => {
    fs.symlinkSync("/dev/zero", file);
    expect(refusal(file).message).toMatch(/not a regular file \(it is a device\)/);
  });

  it("refuses a directory and a FIFO without opening them", () => {
    expect(refusal(dir).message).toMatch(/not a regular file \(it is a directory\)/);
    const fifo = path.join(dir, "fifo.json");
    execFileSync("mkfifo", [fifo]);
    expect(refusal(fifo).message).toMatch(/not a regular file \(it is a FIFO\)/);
  });

  it("refuses a file larger than 4 MiB, naming its size and the limit", () => {
    fs.writeFileSync(file, `{}${" ".repeat(MAX_CONFIG_BYTES)}`);
    expect(refusal(file).message).toContain(
      `${MAX_CONFIG_BYTES + 2} bytes, more than the ${MAX_CONFIG_BYTES}`,
    );
  });
});

describe("loadDefaultConfigFile", () => {
  it("returns undefined when the directory has no chipset.config.json, and reads it when it has", () => {
    expect(loadDefaultConfigFile(dir)).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ moduleDirs: ["m"] }));
    expect(loadDefaultConfigFile(dir)?.moduleDirs).toEqual([path.join(dir, "m")]);
  });
});
