import { describe, expect, it } from "vitest";
import { policyDefaults, resolveMethodPolicy } from "./CallsConfig.js";
import { type CallsConfig } from "../vocabulary/calls.js";

/** The five levels in order: runtime defaults, manifest, override (each module-wide, with `methods`). */
function resolve(
  method: string,
  levels: { defaults?: CallsConfig; manifest?: CallsConfig; override?: CallsConfig },
) {
  return resolveMethodPolicy(method, [levels.defaults, levels.manifest, levels.override]);
}

describe("resolveMethodPolicy", () => {
  it("guards nothing when no level says anything", () => {
    expect(resolveMethodPolicy("get", [undefined, undefined, undefined])).toEqual({
      timeoutMs: 0,
      retry: undefined,
      breaker: undefined,
      bulkhead: undefined,
    });
  });

  it("lets each level replace the timeout of the one below, in order", () => {
    const defaults: CallsConfig = { timeoutMs: 1 };
    const manifest: CallsConfig = { timeoutMs: 2, methods: { get: { timeoutMs: 3 } } };
    const override: CallsConfig = { timeoutMs: 4, methods: { get: { timeoutMs: 5 } } };
    expect(resolve("get", { defaults }).timeoutMs).toBe(1);
    expect(resolve("get", { defaults, manifest: { timeoutMs: 2 } }).timeoutMs).toBe(2);
    expect(resolve("get", { defaults, manifest }).timeoutMs).toBe(3);
    expect(resolve("get", { defaults, manifest, override: { timeoutMs: 4 } }).timeoutMs).toBe(4);
    expect(resolve("get", { defaults, manifest, override }).timeoutMs).toBe(5);
    // Another method sees only the module-wide levels.
    expect(resolve("put", { defaults, manifest, override }).timeoutMs).toBe(4);
  });

  it("merges a policy field by field over the levels below it, filling the rest from the defaults", () => {
    const policy = resolve("get", {
      defaults: { breaker: { openMs: 1_000 } },
      manifest: { breaker: { consecutiveFailures: 3 }, methods: { get: { breaker: { minCalls: 7 } } } },
      override: { methods: { get: { breaker: { openMs: 2_000 } } } },
    });
    expect(policy.breaker?.settings).toEqual({
      ...policyDefaults.breaker,
      consecutiveFailures: 3,
      minCalls: 7,
      openMs: 2_000,
    });
  });

  it("turns a policy off with false, and lets a higher level turn it on again from scratch", () => {
    const manifest: CallsConfig = {
      bulkhead: { maxConcurrent: 3, maxQueue: 9 },
      methods: { get: { bulkhead: false } },
    };
    expect(resolve("get", { manifest }).bulkhead).toBeUndefined();
    expect(resolve("put", { manifest }).bulkhead?.settings).toEqual({ maxConcurrent: 3, maxQueue: 9 });
    const again = resolve("get", {
      manifest,
      override: { methods: { get: { bulkhead: { maxConcurrent: 1 } } } },
    });
    // The manifest's maxQueue was switched off with the rest: the default comes back.
    expect(again.bulkhead?.settings).toEqual({
      maxConcurrent: 1,
      maxQueue: policyDefaults.bulkhead.maxQueue,
    });
  });

  it("lets an override turn off what the manifest set", () => {
    const manifest: CallsConfig = { breaker: {}, retry: {}, idempotent: true };
    const policy = resolve("get", { manifest, override: { breaker: false, retry: false } });
    expect(policy.breaker).toBeUndefined();
    expect(policy.retry).toBeUndefined();
  });

  it("retries only methods declared idempotent", () => {
    const manifest: CallsConfig = { retry: { maxAttempts: 4 }, methods: { get: { idempotent: true } } };
    expect(resolve("get", { manifest }).retry).toEqual({ ...policyDefaults.retry, maxAttempts: 4 });
    expect(resolve("put", { manifest }).retry).toBeUndefined();
    expect(
      resolve("get", { manifest, override: { methods: { get: { idempotent: false } } } }).retry,
    ).toBeUndefined();
  });

  it("does not retry an idempotent method when no level configures retry", () => {
    expect(resolve("get", { manifest: { idempotent: true } }).retry).toBeUndefined();
  });

  it("shares a breaker and a bulkhead set module-wide, and gives a method its own when set for it", () => {
    const manifest: CallsConfig = { breaker: {}, bulkhead: {}, methods: { get: { breaker: { openMs: 1 } } } };
    expect(resolve("put", { manifest }).breaker?.scope).toBe("module");
    expect(resolve("put", { manifest }).bulkhead?.scope).toBe("module");
    expect(resolve("get", { manifest }).breaker?.scope).toBe("method");
    expect(resolve("get", { manifest }).bulkhead?.scope).toBe("module");
    expect(resolve("get", { override: { methods: { get: { bulkhead: {} } } } }).bulkhead?.scope).toBe(
      "method",
    );
  });

  it("keeps a method's own breaker when a later module-wide level adjusts every breaker", () => {
    const manifest: CallsConfig = { methods: { get: { breaker: { consecutiveFailures: 1 } } } };
    const override: CallsConfig = { breaker: { openMs: 100 } };
    const get = resolve("get", { manifest, override }).breaker;
    const put = resolve("put", { manifest, override }).breaker;
    // get's settings differ from the module's: sharing one breaker between the two cannot work.
    expect(get?.settings).toMatchObject({ consecutiveFailures: 1, openMs: 100 });
    expect(put?.settings).toMatchObject({
      consecutiveFailures: policyDefaults.breaker.consecutiveFailures,
      openMs: 100,
    });
    expect(get?.scope).toBe("method");
    expect(put?.scope).toBe("module");
  });

  it("shares the bulkhead again once a module-wide level switched the method's own off and on again", () => {
    const manifest: CallsConfig = { methods: { get: { bulkhead: { maxConcurrent: 1 } } } };
    const override: CallsConfig = { bulkhead: false };
    expect(resolve("get", { manifest, override }).bulkhead).toBeUndefined();
    const reset = resolveMethodPolicy("get", [manifest, override, { bulkhead: { maxConcurrent: 2 } }]);
    expect(reset.bulkhead).toEqual({
      settings: { ...policyDefaults.bulkhead, maxConcurrent: 2 },
      scope: "module",
    });
  });

  it("does not change the configs it is given", () => {
    const manifest: CallsConfig = { breaker: { openMs: 1 }, methods: { get: { breaker: { minCalls: 2 } } } };
    const copy = structuredClone(manifest);
    resolve("get", { manifest, override: { breaker: { windowMs: 5 } } });
    expect(manifest).toEqual(copy);
  });
});
