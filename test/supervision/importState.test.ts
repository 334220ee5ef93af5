import { describe, expect, it } from "vitest";
import { currentCall } from "../../src/module.js";
import { defineModule, ErrorCodes, ManualClock, type ChipsetError } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { flush, next } from "./helpers.js";

const h = runtimeHarness();

/**
 * An inline module that checkpoints on start, crashes when told to (an error thrown in a timer,
 * as a bug would), and whose `importState` waits for `release()` or for its signal.
 */
function keeper() {
  const seen: { imports: number; reasons: unknown[]; entered: Array<() => void> } = {
    imports: 0,
    reasons: [],
    entered: [],
  };
  let release: (() => void) | undefined;
  const definition = defineModule({
    async start(ctx) {
      await ctx.checkpoint({ n: 1 });
    },
    importState() {
      seen.imports++;
      const signal = currentCall()!.signal;
      for (const go of seen.entered.splice(0)) go();
      return new Promise<void>((resolve) => {
        release = resolve;
        signal.addEventListener("abort", () => {
          seen.reasons.push(signal.reason);
          resolve();
        });
      });
    },
    api: {
      die() {
        setTimeout(() => {
          throw new Error("boom");
        }, 0);
        return "dying";
      },
      ping: () => "pong",
    },
  });
  const importing = () => new Promise<void>((resolve) => seen.entered.push(resolve));
  return { definition, seen, importing, release: () => release?.() };
}

function open() {
  const clock = new ManualClock();
  const rt = h.open({ clock, random: () => 0 });
  const k = keeper();
  rt.register(
    {
      name: "keeper",
      version: "1.0.0",
      chipset: { kind: "service", timeouts: { init: 50 }, restart: { initialDelayMs: 100, maxRestarts: 5 } },
    },
    k.definition,
  );
  return { rt, clock, k };
}

describe("a restart's importState", () => {
  it("runs within the module's init timeout: one that hangs is aborted, the restart fails and is tried again", async () => {
    const { rt, clock, k } = open();
    await rt.start("keeper");
    const restarting = next(rt, "module.restarting");
    await rt.call("keeper", "die");
    expect((await restarting).attempt).toBe(1);

    const importing = k.importing();
    clock.advance(100);
    await importing;
    const failed = next(rt, "runtime.error", (e) => e.context === "restart of keeper@1.0.0");
    const again = next(rt, "module.restarting");
    clock.advance(50);
    const error = (await failed).error as ChipsetError;
    expect(error.code).toBe(ErrorCodes.HOOK_TIMEOUT);
    expect(error.message).toContain("importState() of keeper@1.0.0 did not finish within 50 ms");
    expect(k.seen.reasons).toEqual([error]);
    expect((await again).attempt).toBe(2);

    // The next attempt's importState answers: the module serves again.
    const secondImport = k.importing();
    const restarted = next(rt, "module.restarted");
    clock.advance(200);
    await secondImport;
    k.release();
    expect((await restarted).attempt).toBe(2);
    expect(await rt.call("keeper", "ping")).toBe("pong");
    expect(k.seen.imports).toBe(2);
  });

  it("is called off when the module is stopped on request: its signal fires and no restart follows", async () => {
    const { rt, clock, k } = open();
    await rt.start("keeper");
    const restarting = next(rt, "module.restarting");
    await rt.call("keeper", "die");
    await restarting;
    const importing = k.importing();
    clock.advance(100);
    await importing;

    let restarted = false;
    rt.on("module.restarted", () => (restarted = true));
    await rt.stop("keeper");
    expect(k.seen.reasons).toHaveLength(1);
    expect(k.seen.reasons[0]).toMatchObject({ code: ErrorCodes.ABORTED });
    clock.advance(10_000);
    await flush();
    expect(restarted).toBe(false);
    expect(rt.queries.info("keeper").state).toBe("stopped");
  });
});
