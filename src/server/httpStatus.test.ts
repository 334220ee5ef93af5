import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { errorReply, httpStatusOf } from "./httpStatus.js";

describe("the HTTP status of each error code", () => {
  it("gives every code a 4xx or 5xx status", () => {
    for (const code of Object.values(ErrorCodes)) {
      expect(httpStatusOf[code], code).toBeGreaterThanOrEqual(400);
      expect(httpStatusOf[code], code).toBeLessThan(600);
    }
  });

  it("answers 404 for unknown names, 409 for a wrong state, 503 when unavailable, 504 for a timeout, 400 for bad input", () => {
    const expected: Array<[number, string[]]> = [
      [404, [ErrorCodes.MODULE_NOT_FOUND, ErrorCodes.METHOD_NOT_FOUND]],
      [409, [ErrorCodes.INVALID_TRANSITION, ErrorCodes.MODULE_IN_USE]],
      [
        503,
        [
          ErrorCodes.MODULE_UNAVAILABLE,
          ErrorCodes.MODULE_DOWN,
          ErrorCodes.BREAKER_OPEN,
          ErrorCodes.BULKHEAD_FULL,
        ],
      ],
      [504, [ErrorCodes.CALL_TIMEOUT, ErrorCodes.HOOK_TIMEOUT]],
      [400, [ErrorCodes.OPTIONS_INVALID, ErrorCodes.REQUEST_INVALID]],
      [401, [ErrorCodes.UNAUTHORIZED]],
    ];
    for (const [status, codes] of expected)
      for (const code of codes) expect(httpStatusOf[code as keyof typeof httpStatusOf], code).toBe(status);
  });

  it("answers 503 for every transient code but the module's own failures, which are 502", () => {
    for (const code of Object.values(ErrorCodes)) {
      const err = new ChipsetError(code, "x");
      if (
        err.transient &&
        err.category !== "module" &&
        err.category !== "dependency" &&
        err.category !== "timeout"
      )
        expect(httpStatusOf[code], code).toBe(503);
    }
  });

  it("replies with the error's JSON, and turns anything else into CHIP_ERR_INTERNAL (500)", () => {
    const err = new ChipsetError(ErrorCodes.BREAKER_OPEN, "open", { module: "svc@1.0.0" });
    expect(errorReply(err)).toEqual({ status: 503, body: err.toJSON() });
    const bug = errorReply(new TypeError("x is undefined"));
    expect(bug.status).toBe(500);
    expect(bug.body.code).toBe("CHIP_ERR_INTERNAL");
    expect(bug.body.message).toContain("x is undefined");
  });
});
