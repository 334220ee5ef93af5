import { describe, expect, it } from "vitest";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes, type ErrorCode } from "../errors/codes.js";
import { policyDefaults } from "./CallsConfig.js";
import { countsAgainstModule, isRetryable, retryDelay, wantsFallback } from "./outcomes.js";

const error = (code: ErrorCode) => new ChipsetError(code, code);

describe("retryDelay", () => {
  const exact = { ...policyDefaults.retry, initialDelayMs: 50, multiplier: 2, maxDelayMs: 300, jitter: 0 };

  it("starts at initialDelayMs and multiplies per retry", () => {
    expect([1, 2, 3].map((attempt) => retryDelay(exact, attempt, () => 0.9))).toEqual([50, 100, 200]);
  });

  it("never waits longer than maxDelayMs", () => {
    expect(retryDelay(exact, 4, () => 0)).toBe(300);
    expect(retryDelay(exact, 40, () => 0)).toBe(300);
  });

  it("takes off a random part of up to jitter of the delay", () => {
    const jittered = { ...exact, jitter: 0.5 };
    expect(retryDelay(jittered, 2, () => 0)).toBe(100);
    expect(retryDelay(jittered, 2, () => 0.5)).toBe(75);
    expect(retryDelay(jittered, 2, () => 0.999_999)).toBe(50);
  });
});

describe("outcomes", () => {
  it.each([
    ErrorCodes.MODULE_CRASHED,
    ErrorCodes.CALL_TIMEOUT,
    ErrorCodes.MODULE_UNAVAILABLE,
    ErrorCodes.CALL_FAILED,
  ])("counts %s against the module and retries it", (code) => {
    expect(countsAgainstModule(error(code))).toBe(true);
    expect(isRetryable(error(code))).toBe(true);
  });

  it.each([
    ErrorCodes.ABORTED,
    ErrorCodes.METHOD_NOT_FOUND,
    ErrorCodes.BREAKER_OPEN,
    ErrorCodes.BULKHEAD_FULL,
    ErrorCodes.MODULE_DOWN,
  ])("neither counts %s against the module nor retries it", (code) => {
    expect(countsAgainstModule(error(code))).toBe(false);
    expect(isRetryable(error(code))).toBe(false);
  });

  it("counts an error that is not a ChipsetError against the module", () => {
    expect(countsAgainstModule(new Error("odd"))).toBe(true);
  });

  it.each([
    ErrorCodes.MODULE_CRASHED,
    ErrorCodes.CALL_TIMEOUT,
    ErrorCodes.BREAKER_OPEN,
    ErrorCodes.BULKHEAD_FULL,
    ErrorCodes.MODULE_UNAVAILABLE,
    ErrorCodes.MODULE_DOWN,
  ])("falls back on %s", (code) => {
    expect(wantsFallback(error(code))).toBe(true);
  });

  it.each([ErrorCodes.CALL_FAILED, ErrorCodes.ABORTED, ErrorCodes.METHOD_NOT_FOUND])(
    "does not fall back on %s",
    (code) => {
      expect(wantsFallback(error(code))).toBe(false);
    },
  );
});
