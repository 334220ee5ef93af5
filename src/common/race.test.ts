import { describe, expect, it } from "vitest";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { ManualClock } from "./Clock.js";
import { deferred } from "../../test/support/deferred.js";
import { LazyAbort, race, sleep } from "./race.js";

/** Settles once the microtask queue has drained (what a settled race needs to be observed). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("race", () => {
  it("settles like the work when it answers before the deadline, and leaves no timer behind", async () => {
    const clock = new ManualClock();
    const work = deferred<string>();
    const raced = race(work.promise, { clock, ms: 100, onTimeout: () => "late" });
    work.resolve("answer");
    await expect(raced).resolves.toBe("answer");
    expect(clock.pending).toBe(0);
  });

  it("answers what onTimeout says at the deadline and tells onGiveUp, ignoring the work's late answer", async () => {
    const clock = new ManualClock();
    const work = deferred<string>();
    const givenUp: unknown[] = [];
    const raced = race(work.promise, {
      clock,
      ms: 100,
      onTimeout: () => "timed out",
      onGiveUp: (reason) => givenUp.push(reason),
    });
    clock.advance(99);
    await flush();
    expect(givenUp).toEqual([]);
    clock.advance(1);
    await expect(raced).resolves.toBe("timed out");
    expect(givenUp).toEqual([undefined]);
    work.reject(new Error("too late"));
    await flush(); // a late rejection of abandoned work is not unhandled (vitest would fail the test)
  });

  it("rejects with what onTimeout throws, and gives that to onGiveUp", async () => {
    const clock = new ManualClock();
    const timeout = new ChipsetError(ErrorCodes.HOOK_TIMEOUT, "too slow");
    const givenUp: unknown[] = [];
    const raced = race(new Promise(() => undefined), {
      clock,
      ms: 5,
      onTimeout: () => {
        throw timeout;
      },
      onGiveUp: (reason) => givenUp.push(reason),
    });
    clock.advance(5);
    await expect(raced).rejects.toBe(timeout);
    expect(givenUp).toEqual([timeout]);
  });

  it("rejects with CHIP_ERR_ABORTED caused by the signal's reason when the caller aborts", async () => {
    const controller = new AbortController();
    const raced = race(new Promise(() => undefined), {
      signal: controller.signal,
      what: "the load of x@1.0.0",
      module: "x@1.0.0",
    });
    controller.abort("enough");
    const error = (await raced.catch((err: unknown) => err)) as ChipsetError;
    expect(error.code).toBe(ErrorCodes.ABORTED);
    expect(error.cause).toBe("enough");
    expect(error.module).toBe("x@1.0.0");
    expect(error.message).toContain("the load of x@1.0.0 was cancelled");
  });

  it("rejects at once for a signal aborted before the race began, without waiting for the work", async () => {
    const raced = race(new Promise(() => undefined), { signal: AbortSignal.abort("before") });
    await expect(raced).rejects.toMatchObject({ code: ErrorCodes.ABORTED, cause: "before" });
  });

  it("removes its abort listener once the work answered, so a later abort changes nothing", async () => {
    const controller = new AbortController();
    const givenUp: unknown[] = [];
    const raced = race(Promise.resolve(7), { signal: controller.signal, onGiveUp: (r) => givenUp.push(r) });
    await expect(raced).resolves.toBe(7);
    controller.abort();
    expect(givenUp).toEqual([]);
  });

  it("maps a rejection of the work through onReject", async () => {
    const raced = race(Promise.reject(new Error("boom")), {
      onReject: (err) => new ChipsetError(ErrorCodes.HOOK_FAILED, `wrapped: ${(err as Error).message}`),
    });
    await expect(raced).rejects.toMatchObject({ code: ErrorCodes.HOOK_FAILED, message: "wrapped: boom" });
  });
});

describe("sleep", () => {
  it("resolves after the time on the given clock", async () => {
    const clock = new ManualClock();
    let woke = false;
    const slept = sleep(clock, 50).then(() => (woke = true));
    clock.advance(49);
    await flush();
    expect(woke).toBe(false);
    clock.advance(1);
    await slept;
    expect(woke).toBe(true);
  });

  it("resolves at once when its signal fires, and cancels its timer", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const slept = sleep(clock, 1_000, controller.signal);
    controller.abort();
    await slept;
    expect(clock.pending).toBe(0);
  });
});

describe("LazyAbort", () => {
  it("makes no AbortController until someone reads its signal, and aborts that signal when asked", () => {
    const lazy = new LazyAbort();
    lazy.abort("nobody listens"); // harmless: no signal was made
    const signal = lazy.signal;
    expect(signal.aborted).toBe(false);
    lazy.abort("now");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("now");
  });
});
