import { describe, expect, it } from "vitest";
import { defineModule, ErrorCodes, type ChipsetManifest } from "../../src/index.js";
import { failure, policyHarness } from "./fixtures.js";

const h = policyHarness();

const bad: Array<[string, Partial<ChipsetManifest>]> = [
  ["chipset.calls.breaker.openMs", { calls: { breaker: { openMs: -1 } } }],
  ["chipset.calls.retry.maxAttempts", { calls: { retry: { maxAttempts: 0 } } }],
  ["chipset.calls.bulkhead.maxConcurrent", { calls: { bulkhead: { maxConcurrent: 0 } } }],
  ["chipset.calls.methods.get.timeoutMs", { calls: { methods: { get: { timeoutMs: -5 } } } }],
  ["chipset.calls.breaker.failureRate", { calls: { breaker: { failureRate: 1.5 } } }],
];

describe("a manifest with a bad calls section", () => {
  it.each(bad)(
    "is rejected at registration with CHIP_ERR_MANIFEST_INVALID naming %s",
    async (field, chipset) => {
      const { rt } = h.openManual();
      let thrown: unknown;
      try {
        rt.register(
          { name: "broken", version: "1.0.0", chipset: { kind: "test", ...chipset } },
          defineModule({ api: { get: () => 1 } }),
        );
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: ErrorCodes.MANIFEST_INVALID, details: { field } });
      expect((thrown as Error).message).toContain(`"${field}"`);
      // Nothing was registered.
      expect((await failure(rt.call("broken", "get"))).code).toBe(ErrorCodes.MODULE_NOT_FOUND);
    },
  );

  it("in a module directory is rejected by the scan, and the other modules still register", async () => {
    h.ws.module({ name: "broken", chipset: { calls: { breaker: { openMs: -1 } } } });
    h.ws.module({
      name: "fine",
      chipset: { calls: { timeoutMs: 100 } },
      code: "export const module = defineModule({ api: { ping: () => 'pong' } });",
    });
    const { rt } = h.openManual();
    const [rejected, ...more] = rt.lastScan.rejected;
    expect(more).toEqual([]);
    expect(rejected!.error.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(rejected!.error.details.field).toBe("chipset.calls.breaker.openMs");
    expect(rejected!.dir).toContain("broken");
    expect(await rt.call("fine", "ping")).toBe("pong");
  });
});
