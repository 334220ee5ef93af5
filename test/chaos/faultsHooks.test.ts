import { describe, expect, it } from "vitest";
import { defineModule, ErrorCodes, ManualClock, type Runtime } from "../../src/index.js";
import { chaosOf } from "../../src/chaos.js";
import { chaosHarness, collect, failure, settleTimes, watch } from "./faultFixtures.js";

const h = chaosHarness();

/** Registers inline module `name` whose own `start` hook counts its runs; answers the counter. */
function startCounting(rt: Runtime, name: string, timeouts: { start?: number } = {}): { starts: number } {
  const seen = { starts: 0 };
  rt.register(
    { name, version: "1.0.0", chipset: { kind: "test", timeouts } },
    defineModule({
      start() {
        seen.starts++;
      },
      api: { ping: () => "pong" },
    }),
  );
  return seen;
}

describe("failing hooks", () => {
  it("make runtime.start() fail with HOOK_FAILED caused by CHAOS_FAULT, and leave the module startable once removed", async () => {
    const rt = h.open();
    const svc = startCounting(rt, "svc");
    const other = startCounting(rt, "other");
    chaosOf(rt).enable(1);
    const fault = chaosOf(rt).inject({
      kind: "failing-hook",
      hook: "start",
      message: "no start today",
      target: { module: "svc" },
    });
    const failed = collect(rt, "module.failed");
    const err = await failure(rt.start("svc"));
    expect(err).toMatchObject({
      code: ErrorCodes.HOOK_FAILED,
      cause: { code: ErrorCodes.CHAOS_FAULT, message: "no start today" },
    });
    expect(failed).toMatchObject([{ id: "svc", command: "start", state: "stopped" }]);
    expect(svc.starts).toBe(0); // the fault came before the module's own start hook
    const info = rt.queries.info("svc");
    expect(info.version).toBe("1.0.0"); // still registered
    expect(info.instance?.state).toBe("stopped"); // not running: the start was rolled back
    // A call starts the module on demand, and meets the same fault while it is in place.
    expect((await failure(rt.call("svc", "ping"))).code).toBe(ErrorCodes.HOOK_FAILED);
    // The fault is aimed at svc: other starts as usual.
    await rt.start("other");
    expect(other.starts).toBe(1);
    expect(fault.injected).toBe(2);

    fault.dispose();
    await rt.start("svc");
    expect(rt.queries.info("svc").instance?.state).toBe("running");
    expect(svc.starts).toBe(1);
    expect(await rt.call("svc", "ping")).toBe("pong");
  });

  it("fail only the hook they name: a failing stop hook leaves start alone", async () => {
    const rt = h.open();
    const svc = startCounting(rt, "svc");
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "failing-hook", hook: "stop", target: { module: "svc" } });
    await rt.start("svc");
    expect(svc.starts).toBe(1);
    expect(await failure(rt.stop("svc"))).toMatchObject({
      code: ErrorCodes.HOOK_FAILED,
      cause: { code: ErrorCodes.CHAOS_FAULT },
    });
  });
});

describe("slow hooks", () => {
  /** Starts `svc` (start timeout 1000 ms) under a slow start hook of `latencyMs`; answers how long it took. */
  async function startUnder(latencyMs: number) {
    const clock = new ManualClock();
    const rt = h.open({ clock });
    const svc = startCounting(rt, "svc", { start: 1000 });
    chaosOf(rt).enable(1);
    chaosOf(rt).inject({ kind: "slow-hook", hook: "start", latencyMs, target: { module: "svc" } });
    const started = collect(rt, "module.started");
    const starting = watch(rt.start("svc"));
    const [ms] = await settleTimes(clock, [starting]);
    return { rt, svc, starting, ms, started };
  }

  it("fail the start with HOOK_TIMEOUT when they take longer than the phase timeout", async () => {
    const { rt, svc, starting, ms, started } = await startUnder(5000);
    expect(ms).toBe(1000);
    expect(starting.error).toMatchObject({
      code: ErrorCodes.HOOK_TIMEOUT,
      details: { phase: "start", timeoutMs: 1000 },
    });
    expect(svc.starts).toBe(0);
    expect(started).toEqual([]);
    expect(rt.queries.info("svc").instance?.state).toBe("stopped");
  });

  it("only delay the start when they take less than the phase timeout", async () => {
    const { rt, svc, starting, ms, started } = await startUnder(300);
    expect(ms).toBe(300);
    expect(starting.error).toBeUndefined();
    expect(svc.starts).toBe(1);
    expect(started).toMatchObject([{ id: "svc", durationMs: 300 }]);
    expect(rt.queries.info("svc").instance?.state).toBe("running");
  });
});
