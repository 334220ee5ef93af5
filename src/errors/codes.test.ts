import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "./codes.js";
import { ChipsetError, hasCode } from "./ChipsetError.js";
import { errorTraits } from "./traits.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

describe("error codes", () => {
  it("are each documented in docs/errors.md", () => {
    const missing = Object.values(ErrorCodes).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it("are all distinct and prefixed CHIP_ERR_", () => {
    const codes = Object.values(ErrorCodes);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^CHIP_ERR_[A-Z_]+$/);
  });

  it("documents no code that does not exist", () => {
    const documented = [...doc.matchAll(/`(CHIP_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
    const known = new Set<string>(Object.values(ErrorCodes));
    expect(documented.filter((c) => !known.has(c!))).toEqual([]);
  });
});

describe("ChipsetError", () => {
  it("is recognised by instanceof even when made by another copy of the library", () => {
    const foreign = Object.assign(new Error("x"), { code: ErrorCodes.ABORTED });
    Object.defineProperty(foreign, Symbol.for("chipset.error"), { value: true });
    expect(foreign instanceof ChipsetError).toBe(true);
    expect(new Error("plain") instanceof ChipsetError).toBe(false);
  });

  it("keeps the cause, the module and the details, and serialises them", () => {
    const cause = new Error("disk gone");
    const err = new ChipsetError(ErrorCodes.HOOK_FAILED, "init failed", {
      cause,
      module: "a@1.0.0",
      details: { hook: "init" },
    });
    expect(err.cause).toBe(cause);
    expect(hasCode(err, ErrorCodes.HOOK_FAILED)).toBe(true);
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: "ChipsetError",
      code: "CHIP_ERR_HOOK_FAILED",
      category: "module",
      severity: "error",
      transient: false,
      message: "init failed",
      module: "a@1.0.0",
      details: { hook: "init" },
    });
  });
});

describe("error traits", () => {
  it("give every code a category, a severity and transience, as docs/errors.md lists them", () => {
    const rows = new Map(
      [
        ...doc.matchAll(/^\|\s*`(CHIP_ERR_[A-Z_]+)`\s*\|\s*([a-z-]+)\s*\|\s*([a-z]+)\s*\|\s*(yes|no)\s*\|/gm),
      ].map((m) => [m[1], { category: m[2], severity: m[3], transient: m[4] === "yes" }]),
    );
    for (const code of Object.values(ErrorCodes)) expect(rows.get(code), code).toEqual(errorTraits[code]);
  });

  it("are read from the code by every ChipsetError, and serialised", () => {
    const crash = new ChipsetError(ErrorCodes.MODULE_CRASHED, "gone", { module: "a@1.0.0" });
    expect([crash.category, crash.severity, crash.transient]).toEqual(["crash", "error", true]);
    expect(crash.toJSON()).toMatchObject({ category: "crash", severity: "error", transient: true });
    const bad = new ChipsetError(ErrorCodes.MANIFEST_INVALID, "no name");
    expect([bad.category, bad.transient]).toEqual(["validation", false]);
  });
});

describe("ChipsetError.withContext", () => {
  it("copies the error with the context added, keeping code, message, stack and cause, and leaves the original alone", () => {
    const cause = new Error("disk gone");
    const original = new ChipsetError(ErrorCodes.MODULE_CRASHED, "a crashed", {
      module: "a@1.0.0",
      cause,
      context: { id: "a" },
    });
    const copy = original.withContext({ method: "read", attempt: 2, callId: 7 });
    expect(copy).not.toBe(original);
    expect(copy instanceof ChipsetError).toBe(true);
    expect([copy.code, copy.message, copy.stack, copy.cause, copy.module]).toEqual([
      original.code,
      original.message,
      original.stack,
      cause,
      "a@1.0.0",
    ]);
    expect(copy.context).toEqual({ id: "a", method: "read", attempt: 2, callId: 7 });
    expect(original.context).toEqual({ id: "a" });
    expect(copy.toJSON().context).toEqual({ id: "a", method: "read", attempt: 2, callId: 7 });
    expect(copy.category).toBe("crash");
  });

  it("keeps the stack of where the error was raised, which logs show, on every Node version", () => {
    function raisedHere(): ChipsetError {
      return new ChipsetError(ErrorCodes.BREAKER_OPEN, "refused", { module: "a@1.0.0" });
    }
    const copy = raisedHere().withContext({ method: "read", callId: 1 }).withContext({ attempt: 2 });
    expect(copy.stack).toMatch(/^ChipsetError: refused\n\s+at raisedHere /);
    expect(inspect(copy)).toContain("at raisedHere");
  });

  it("lets a copy's stack be replaced without touching the original's", () => {
    const original = new ChipsetError(ErrorCodes.MODULE_CRASHED, "a crashed");
    const before = original.stack;
    const copy = original.withContext({ callId: 3 });
    copy.stack = "ChipsetError: a crashed\n    at elsewhere";
    expect(copy.stack).toBe("ChipsetError: a crashed\n    at elsewhere");
    expect(original.stack).toBe(before);
  });
});

describe("a ChipsetError once made", () => {
  it("cannot have its code, message, module, details or context changed", () => {
    const err = new ChipsetError(ErrorCodes.HOOK_FAILED, "init failed", {
      module: "a@1.0.0",
      details: { hook: "init" },
      context: { id: "a" },
    });
    const attempts: Array<() => void> = [
      () => Object.assign(err, { code: ErrorCodes.INTERNAL }),
      () => Object.assign(err, { message: "something else" }),
      () => Object.assign(err, { module: "b@1.0.0" }),
      () => Object.assign(err, { details: {} }),
      () => Object.assign(err, { context: {} }),
      () => Object.assign(err.details, { hook: "start" }),
      () => Object.assign(err.context, { id: "b" }),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(TypeError);
    expect(err).toMatchObject({ code: ErrorCodes.HOOK_FAILED, message: "init failed", module: "a@1.0.0" });
    expect(err.details).toEqual({ hook: "init" });
    expect(err.context).toEqual({ id: "a" });
  });

  it("is not changed by the details it was made with changing afterwards", () => {
    const details: Record<string, unknown> = { hook: "init" };
    const err = new ChipsetError(ErrorCodes.HOOK_FAILED, "init failed", { details });
    details["hook"] = "start";
    expect(err.details).toEqual({ hook: "init" });
  });

  it("gains details only as a copy (withDetails), leaving the original as it was", () => {
    const original = new ChipsetError(ErrorCodes.HOOK_FAILED, "start failed", { details: { hook: "start" } });
    const copy = original.withDetails({ rollback: "stop failed too" });
    expect(copy.details).toEqual({ hook: "start", rollback: "stop failed too" });
    expect(original.details).toEqual({ hook: "start" });
    expect([copy.code, copy.message, copy.stack]).toEqual([original.code, original.message, original.stack]);
  });
});
