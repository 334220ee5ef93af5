import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { PolicyBook } from "./PolicyBook.js";

const sink = { has: () => false, emit: () => undefined };

describe("PolicyBook", () => {
  it("does not grow for ever when callers invent method names or module ids", () => {
    const book = new PolicyBook(new ManualClock(), sink, undefined);
    const m = book.module("svc");
    for (let i = 0; i < 5_000; i++) m.plan(`method${i}`, undefined);
    expect((m as unknown as { plans: Map<string, unknown> }).plans.size).toBeLessThanOrEqual(1_000);
    book.override("kept", { timeoutMs: 100 });
    for (let i = 0; i < 25_000; i++) book.module(`nobody-${i}`);
    const modules = (book as unknown as { modules: Map<string, unknown> }).modules;
    expect(modules.size).toBeLessThanOrEqual(10_001);
    // What holds state is never dropped: the override is still there.
    expect(book.module("kept").resolve("any", undefined).timeoutMs).toBe(100);
  });

  it("keeps a breaker's state when its settings change at run time", () => {
    const clock = new ManualClock();
    const book = new PolicyBook(clock, sink, undefined);
    book.override("svc", { breaker: { consecutiveFailures: 1, openMs: 1_000 } });
    const first = book.module("svc").plan("get", undefined).breaker!;
    first.failure(first.pass());
    expect(first.state.name).toBe("open");
    book.override("svc", { breaker: { consecutiveFailures: 1, openMs: 5_000 } });
    const second = book.module("svc").plan("get", undefined).breaker!;
    expect(second).toBe(first);
    expect(second.state.name).toBe("open");
    expect(second.settings.openMs).toBe(5_000);
  });
});
