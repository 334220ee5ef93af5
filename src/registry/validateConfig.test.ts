import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { compileConfigSchema } from "./compileConfigSchema.js";
import { validateConfig } from "./validateConfig.js";

const schema = {
  type: "object",
  additionalProperties: false,
  required: ["mode"],
  properties: {
    mode: { enum: ["fast", "safe"] },
    bufferMs: { type: "integer", minimum: 0, default: 500 },
    codec: { type: "object", properties: { name: { type: "string", default: "h264" } }, default: {} },
    contact: { type: "string", format: "email" },
  },
};

function rejection(config: unknown): ChipsetError {
  try {
    validateConfig(schema, config, "video-player");
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    return err as ChipsetError;
  }
  throw new Error("the config was accepted");
}

function rejectionBy(customSchema: Record<string, unknown>, config: unknown): ChipsetError {
  try {
    validateConfig(customSchema, config, "m");
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    return err as ChipsetError;
  }
  throw new Error("the config was accepted");
}

describe("validateConfig", () => {
  it("returns the config with the schema's defaults applied, nested ones included", () => {
    expect(validateConfig(schema, { mode: "fast" }, "video-player")).toEqual({
      mode: "fast",
      bufferMs: 500,
      codec: { name: "h264" },
    });
  });

  it("does not modify the config it was given", () => {
    const config = { mode: "safe" };
    validateConfig(schema, config, "video-player");
    expect(config).toEqual({ mode: "safe" });
  });

  it("treats a missing config as an empty object", () => {
    expect(
      validateConfig({ type: "object", properties: { a: { type: "number", default: 1 } } }, undefined, "m"),
    ).toEqual({ a: 1 });
  });

  it("rejects a wrong type, naming the module, the field, the expected form and the value", () => {
    const err = rejection({ mode: "fast", bufferMs: "lots" });
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.module).toBe("video-player");
    expect(err.details.field).toBe("bufferMs");
    expect(err.details.expected).toBe("an integer");
    expect(err.message).toContain('module "video-player"');
    expect(err.message).toContain('"bufferMs" is invalid; expected an integer, found "lots"');
  });

  it("names nested fields as dotted paths", () => {
    expect(rejection({ mode: "fast", codec: { name: 7 } }).details.field).toBe("codec.name");
  });

  it("reports missing, unknown, out-of-range and badly formatted fields", () => {
    expect(rejection({}).details.field).toBe("mode");
    expect(rejection({ mode: "fast", extra: true }).details.field).toBe("extra");
    expect(rejection({ mode: "fast", bufferMs: -1 }).details.expected).toBe("a number >= 0");
    expect(rejection({ mode: "fast", contact: "nobody" }).details.field).toBe("contact");
    expect(rejection({ mode: "slow" }).details.expected).toBe('one of "fast", "safe"');
  });

  it("lists every problem", () => {
    const errors = rejection({ mode: "slow", bufferMs: 1.5 }).details.errors as Array<{ field: string }>;
    expect(errors.map((e) => e.field).sort()).toEqual(["bufferMs", "mode"]);
  });

  it("rejects config that is not plain data", () => {
    expect(rejection({ mode: "fast", bufferMs: () => 1 }).code).toBe(ErrorCodes.CONFIG_INVALID);
  });

  it("reports an uncompilable schema as a manifest problem", () => {
    try {
      validateConfig({ type: "nope" }, {}, "m");
      expect.unreachable();
    } catch (err) {
      expect((err as ChipsetError).code).toBe(ErrorCodes.MANIFEST_INVALID);
      expect((err as ChipsetError).details.field).toBe("chipset.configSchema");
    }
  });

  // 60 a's and a "!" would take V8's backtracking engine longer than the age of the universe on
  // ^(a+)+$; a regression hangs this test (and fails it by timeout) rather than passing slowly.
  const crafted = `${"a".repeat(60)}!`;

  it("rejects a value for a catastrophic pattern as invalid config instead of hanging", () => {
    const err = rejectionBy(
      { type: "object", properties: { code: { type: "string", pattern: "^(a+)+$" } } },
      { code: crafted },
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.details.field).toBe("code");
    expect(validateConfig({ properties: { code: { pattern: "^(a+)+$" } } }, { code: "aaaa" }, "m")).toEqual({
      code: "aaaa",
    });
  });

  it("rejects a key for a catastrophic patternProperties pattern instead of hanging", () => {
    const err = rejectionBy(
      { type: "object", patternProperties: { "^(a+)+$": { type: "number" } }, additionalProperties: false },
      { [crafted]: 1 },
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.details.field).toBe(crafted);
  });

  it("matches patterns as JSON Schema does: anywhere in the value, named groups and \\u{...} allowed", () => {
    const schema = {
      properties: {
        v: { type: "string", pattern: "(?<year>\\d{4})-\\u{1F600}" },
        w: { type: "string", pattern: "^x$" },
      },
    };
    expect(validateConfig(schema, { v: "on 2024-\u{1F600}!", w: "x" }, "m")).toEqual({
      v: "on 2024-\u{1F600}!",
      w: "x",
    });
    expect(rejectionBy(schema, { v: "on 24-\u{1F600}" }).details.field).toBe("v");
    expect(rejectionBy(schema, { v: "2024-\u{1F600}", w: "2024-\u{1F600}" }).details.field).toBe("w");
  });

  it("refuses a pattern with a backreference or lookaround as a manifest problem naming it", () => {
    for (const pattern of ["^(a)\\1$", "^(?=a)", "(?<!a)b"]) {
      try {
        validateConfig({ properties: { v: { type: "string", pattern } } }, {}, "m");
        expect.unreachable();
      } catch (err) {
        expect((err as ChipsetError).code).toBe(ErrorCodes.MANIFEST_INVALID);
        expect((err as ChipsetError).message).toContain(JSON.stringify(pattern));
        expect((err as ChipsetError).message).toMatch(/linear-time engine, which has no backreferences/);
      }
    }
  });

  it("checks and defaults config keys named after Object's members like any other key", () => {
    const named = {
      type: "object",
      properties: {
        constructor: { type: "string", default: "made" },
        toString: { type: "number", default: 1 },
        valueOf: {
          type: "object",
          properties: { hasOwnProperty: { type: "boolean", default: true } },
          default: {},
        },
      },
      required: ["hasOwnProperty"],
      additionalProperties: false,
      patternProperties: { "^has": { type: "number" } },
    };
    const config = validateConfig<Record<string, unknown>>(named, { hasOwnProperty: 3 }, "m");
    expect(config).toEqual({
      hasOwnProperty: 3,
      constructor: "made",
      toString: 1,
      valueOf: { hasOwnProperty: true },
    });
    // Ordinary objects again for the module's code.
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(rejectionBy(named, {}).details.field).toBe("hasOwnProperty");
    expect(rejectionBy(named, { hasOwnProperty: 3, constructor: 7 }).details.field).toBe("constructor");
  });

  it("keeps a config key named __proto__ as data, never as the config's prototype", () => {
    const config = validateConfig<Record<string, unknown>>(
      { type: "object" },
      JSON.parse('{ "__proto__": { "polluted": true }, "a": 1 }'),
      "m",
    );
    expect(Object.keys(config)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(config.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("compiles each distinct schema once", () => {
    const a = compileConfigSchema({ type: "object", properties: { x: { type: "string" } } });
    const b = compileConfigSchema({ type: "object", properties: { x: { type: "string" } } });
    const c = compileConfigSchema({ type: "object", properties: { x: { type: "number" } } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("lets two schemas share a root $id", () => {
    const v1 = { $id: "https://example.com/cfg", type: "object", properties: { a: { type: "string" } } };
    const v2 = { $id: "https://example.com/cfg", type: "object", properties: { a: { type: "number" } } };
    expect(validateConfig(v1, { a: "x" }, "m")).toEqual({ a: "x" });
    expect(validateConfig(v2, { a: 1 }, "m")).toEqual({ a: 1 });
  });
});
