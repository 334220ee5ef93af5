import { describe, expect, it } from "vitest";
import { defineModule, ErrorCodes, type Runtime } from "../../src/index.js";
import { deferred, failure, flush, nextEvent, policyHarness, watch } from "./fixtures.js";

const h = policyHarness();

/** A module whose `write` counts its invocations (a side effect the caller must be able to rely on). */
function writer(rt: Runtime, calls: object, start?: () => Promise<void>) {
  const state = { writes: 0 };
  rt.register(
    { name: "writer", version: "1.0.0", chipset: { kind: "test", calls } },
    defineModule({ ...(start === undefined ? {} : { start }), api: { write: () => ++state.writes } }),
  );
  return state;
}

describe("a call given up before it reached the module", () => {
  it("is not run once the module has started, when it timed out while the module was starting", async () => {
    const { rt, clock } = h.openManual();
    const starting = deferred();
    const state = writer(rt, { timeoutMs: 100 }, () => starting.promise);
    const call = watch(rt.call("writer", "write"));
    await flush();
    clock.advance(100);
    expect((await failure(call.promise)).code).toBe(ErrorCodes.CALL_TIMEOUT);
    const started = nextEvent(rt, "module.started");
    starting.resolve();
    await started;
    await flush();
    // The caller was told the call timed out before it began: it must not happen behind its back.
    expect(state.writes).toBe(0);
    expect(await rt.call("writer", "write")).toBe(1);
  });

  it("is not run after resume, when it timed out while the module was paused", async () => {
    const { rt, clock } = h.openManual();
    const state = writer(rt, { timeoutMs: 100 });
    await rt.start("writer");
    await rt.pause("writer");
    const call = watch(rt.call("writer", "write"));
    await flush();
    clock.advance(100);
    expect((await failure(call.promise)).code).toBe(ErrorCodes.CALL_TIMEOUT);
    await rt.resume("writer");
    await flush();
    expect(state.writes).toBe(0);
  });

  it("is not run after resume, when its caller aborted it while the module was paused", async () => {
    const { rt } = h.openManual();
    const state = writer(rt, {});
    await rt.start("writer");
    await rt.pause("writer");
    const controller = new AbortController();
    const call = watch(rt.call("writer", "write", [], { signal: controller.signal }));
    await flush();
    controller.abort(new Error("not needed any more"));
    expect((await failure(call.promise)).code).toBe(ErrorCodes.ABORTED);
    await rt.resume("writer");
    await flush();
    expect(state.writes).toBe(0);
  });

  it("runs once when answered after resume within its timeout", async () => {
    const { rt, clock } = h.openManual();
    const state = writer(rt, { timeoutMs: 100 });
    await rt.start("writer");
    await rt.pause("writer");
    const call = watch(rt.call("writer", "write"));
    await flush();
    clock.advance(99);
    await rt.resume("writer");
    expect(await call.promise).toBe(1);
    expect(state.writes).toBe(1);
  });
});
