import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeHost, FakeSubject, type Behaviour } from "../../test/support/FakeSubject.js";
import { ManualClock } from "../common/Clock.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { HookRegistry } from "./HookRegistry.js";
import { LifecycleRunner, type FailureReport } from "./LifecycleRunner.js";
import { lifecycleCommands, transition } from "./transitions.js";
import { type LifecycleCommand, type LifecycleState } from "../vocabulary/lifecycle.js";

function setup(timeoutMs = 100) {
  const clock = new ManualClock();
  const hooks = new HookRegistry();
  const transitions: Array<{
    subject: unknown;
    command: LifecycleCommand;
    from: LifecycleState;
    to: LifecycleState;
    durationMs: number;
  }> = [];
  const failures: FailureReport[] = [];
  const afterErrors: ChipsetError[] = [];
  const runner = new LifecycleRunner({
    clock,
    hooks,
    guard: () => {},
    onTransition: (subject, command, from, to, durationMs) =>
      transitions.push({ subject, command, from, to, durationMs }),
    onFailure: (r) => failures.push(r),
    onAfterHookError: (_s, _c, e) => afterErrors.push(e),
  });
  const host = new FakeHost();
  const subject = new FakeSubject(host, clock, timeoutMs);
  return { clock, hooks, runner, host, subject, transitions, failures, afterErrors };
}

/** Lets pending promise callbacks run, then moves the clock past the phase timeout until `p` settles. */
async function settleWith<T>(
  p: Promise<T>,
  clock: ManualClock,
  stepMs: number,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  for (let i = 0; i < 50 && outcome === undefined; i++) {
    await new Promise((r) => setImmediate(r));
    if (outcome === undefined) clock.advance(stepMs);
  }
  if (outcome === undefined) throw new Error("did not settle even after the clock passed every timeout");
  return outcome;
}

async function bringTo(runner: LifecycleRunner, subject: FakeSubject, commands: LifecycleCommand[]) {
  for (const c of commands) await runner.run(subject, c);
}

describe("LifecycleRunner", () => {
  it("shares one promise between concurrent requests for the same transition", async () => {
    const { runner, subject, host, transitions } = setup();
    const a = runner.run(subject, "load");
    const b = runner.run(subject, "load");
    expect(a).toBe(b);
    await a;
    expect(host.runs.filter((r) => r === "load")).toHaveLength(1);
    expect(subject.state).toBe("loaded");
    expect(transitions.map((t) => `${t.command}: ${t.from} -> ${t.to}`)).toEqual([
      "load: registered -> loaded",
    ]);
  });

  it("times a hanging hook out, aborts its signal and rolls back", async () => {
    const { runner, subject, host, clock, failures } = setup(250);
    await bringTo(runner, subject, ["load"]);
    host.behaviour.init = "hang";
    const outcome = await settleWith(runner.run(subject, "init"), clock, 250);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: ChipsetError }).error;
    expect(error.code).toBe(ErrorCodes.HOOK_TIMEOUT);
    expect(error.message).toContain("within 250 ms");
    expect(host.signals.at(-1)!.aborted).toBe(true);
    expect(host.signals.at(-1)!.reason).toBe(error);
    expect(subject.state).toBe("loaded");
    expect(failures.map((f) => f.state)).toEqual(["loaded"]);
    expect(clock.pending).toBe(0);
  });

  it("runs stop to clean up after a failed start and keeps the original cause", async () => {
    const { runner, subject, host } = setup();
    await bringTo(runner, subject, ["load", "init"]);
    const released: string[] = [];
    host.behaviour.start = "reject";
    subject.context(new AbortController()).onStop(() => released.push("timer"));
    await expect(runner.run(subject, "start")).rejects.toMatchObject({
      code: ErrorCodes.HOOK_FAILED,
      module: "fake@1.0.0",
    });
    expect(host.runs.slice(-2)).toEqual(["start", "stop"]);
    expect(released).toEqual(["timer"]);
    expect(subject.state).toBe("stopped");
    expect((subject.lastError?.cause as Error).message).toBe("hook rejected");
  });

  it("refuses a transition the table does not allow, naming what is allowed", async () => {
    const { runner, subject } = setup();
    await expect(runner.run(subject, "start")).rejects.toMatchObject({
      code: ErrorCodes.INVALID_TRANSITION,
      message: expect.stringContaining("allowed from there: load") as unknown,
    });
    expect(subject.state).toBe("registered");
  });

  it("lets a before: hook cancel the transition without running the module's hook", async () => {
    const { runner, subject, host, hooks } = setup();
    hooks.add("before:load", () => {
      throw new Error("not today");
    });
    await expect(runner.run(subject, "load")).rejects.toMatchObject({ code: ErrorCodes.HOOK_FAILED });
    expect(host.runs).toEqual([]);
    expect(subject.state).toBe("registered");
  });

  it("keeps a transition whose after: hook fails, and reports the hook's error", async () => {
    const { runner, subject, hooks, afterErrors } = setup();
    hooks.add("after:load", () => Promise.reject(new Error("audit log down")), { kind: "test" });
    await runner.run(subject, "load");
    expect(subject.state).toBe("loaded");
    expect(afterErrors.map((e) => e.message)).toEqual([expect.stringContaining("audit log down")]);
  });

  it("applies hooks scoped to another module or kind to nobody else", async () => {
    const { runner, subject, hooks } = setup();
    const seen: string[] = [];
    hooks.add("before:load", () => void seen.push("other-module"), { module: "other" });
    hooks.add("before:load", () => void seen.push("other-kind"), { kind: "media" });
    hooks.add("before:load", () => void seen.push("everyone"));
    await runner.run(subject, "load");
    expect(seen).toEqual(["everyone"]);
  });

  it("pauses only after in-flight calls finish, holds new calls, and releases them on resume", async () => {
    const { runner, subject, host } = setup();
    await bringTo(runner, subject, ["load", "init", "start"]);
    const token = subject.gate.enter();
    const pausing = runner.run(subject, "pause");
    await new Promise((r) => setImmediate(r));
    expect(host.runs).not.toContain("pause");
    subject.gate.leave(token);
    await pausing;
    expect(subject.state).toBe("paused");
    let released = false;
    const waiting = subject.gate.wait().then(() => (released = true));
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(false);
    await runner.run(subject, "resume");
    await waiting;
    expect(released).toBe(true);
  });

  it("rejects calls still waiting when a paused module is stopped instead of resumed", async () => {
    const { runner, subject } = setup();
    await bringTo(runner, subject, ["load", "init", "start", "pause"]);
    const waiting = subject.gate.wait();
    await runner.run(subject, "stop");
    await expect(waiting).rejects.toMatchObject({ code: ErrorCodes.MODULE_UNAVAILABLE });
  });

  it("serves a hook that acts on its own module after the work in progress, not in the middle of it", async () => {
    const { runner, subject, hooks, transitions, host } = setup();
    host.behaviour.load = "ok"; // all synchronous: the hook runs while the first call is still on the stack
    let pausing: Promise<void> | undefined;
    // While start is in progress the module is still "initialized": a pause served now would be refused.
    hooks.add("before:start", () => {
      pausing ??= runner.run(subject, "pause");
    });
    await runner.advance(subject, "running");
    await pausing;
    expect(subject.state).toBe("paused");
    expect(transitions.map((t) => t.command)).toEqual(["load", "init", "start", "pause"]);
  });

  it("moves a module whose hooks answer synchronously without waiting for a promise", () => {
    const { runner, subject, host } = setup();
    host.behaviour.load = "ok";
    expect(runner.advanceNow(subject, "running")).toBeUndefined();
    expect(subject.state).toBe("running");
  });

  it("runs start, stop, start as three transitions: a request is not shared across one queued after it", async () => {
    const { runner, subject } = setup();
    await runner.advance(subject, "initialized");
    await Promise.all([
      runner.run(subject, "start"),
      runner.run(subject, "stop"),
      runner.run(subject, "start"),
    ]);
    expect(subject.state).toBe("running");
  });

  it("rejects at once, with no unhandled rejection, when the caller's signal is already aborted", async () => {
    const { runner, subject, host } = setup();
    await runner.advance(subject, "loaded");
    host.behaviour.init = "reject";
    const controller = new AbortController();
    controller.abort(new Error("user gave up"));
    await expect(runner.run(subject, "init", controller.signal)).rejects.toMatchObject({
      code: ErrorCodes.ABORTED,
    });
    await new Promise((r) => setImmediate(r)); // the abandoned hook's rejection lands here, handled
    expect(subject.state).toBe("loaded");
  });

  it("reports an onStop cleanup that throws, and the stop still stands", async () => {
    const { runner, subject, afterErrors } = setup();
    await runner.advance(subject, "running");
    subject.context(new AbortController()).onStop(() => {
      throw new Error("socket already closed");
    });
    await runner.run(subject, "stop");
    expect(subject.state).toBe("stopped");
    expect(afterErrors.map((e) => e.message)).toEqual([expect.stringContaining("socket already closed")]);
  });

  it("advance() picks each next command when its turn comes, so concurrent callers never clash", async () => {
    const { runner, subject, host } = setup();
    await Promise.all([
      runner.advance(subject, "running"),
      runner.advance(subject, "loaded"),
      runner.advance(subject, "running"),
    ]);
    expect(subject.state).toBe("running");
    expect(host.runs).toEqual(["load", "init", "start"]);
  });
});

// ---- model-based test: the runner against the pure table ----------------------------------

function expectedAfter(
  state: LifecycleState,
  command: LifecycleCommand,
  main: Behaviour,
  cleanup: Behaviour,
) {
  const result = transition(state, command);
  if (!result.ok) return { state, code: ErrorCodes.INVALID_TRANSITION as string };
  const { plan } = result;
  const hookRuns = plan.hook !== undefined && plan.command !== "unload";
  const fails = hookRuns && main !== "ok" && main !== "async-ok";
  if (!fails) return { state: plan.to, code: undefined };
  const code = main === "hang" ? ErrorCodes.HOOK_TIMEOUT : ErrorCodes.HOOK_FAILED;
  const cleanupFails = cleanup !== "ok" && cleanup !== "async-ok";
  if (plan.rollback.hook === "stop" && cleanupFails) return { state: "failed" as const, code };
  return { state: plan.rollback.to, code };
}

describe("LifecycleRunner against the transition table (model-based)", () => {
  it("always ends in the state the table predicts, with the predicted error, and leaks no timers", async () => {
    // Mostly commands the table allows and hooks that succeed, so deep states (paused, stopped,
    // failed) are reached often; the rest are arbitrary commands and failures.
    const behaviourArb = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<Behaviour>("ok", "async-ok") },
      { weight: 2, arbitrary: fc.constantFrom<Behaviour>("throw", "reject", "hang") },
    );
    const commandArb = fc.record({
      legal: fc.nat(9).map((n) => n < 8),
      pick: fc.nat(),
      arbitrary: fc.constantFrom(...lifecycleCommands),
      main: behaviourArb,
      cleanup: behaviourArb,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 30 }), async (steps) => {
        const { runner, subject, host, clock } = setup(50);
        let model: LifecycleState = "registered";
        for (const { legal, pick, arbitrary, main, cleanup } of steps) {
          const allowedNow = lifecycleCommands.filter((c) => transition(model, c).ok);
          const command = legal ? allowedNow[pick % allowedNow.length]! : arbitrary;
          host.behaviour = {
            load: main,
            init: main,
            start: main,
            pause: main,
            resume: main,
            stop: command === "start" ? cleanup : main,
          };
          const expected = expectedAfter(model, command, main, cleanup);
          const outcome = await settleWith(runner.run(subject, command), clock, 50);
          if (expected.code === undefined) expect(outcome.ok).toBe(true);
          else expect(outcome.ok ? undefined : (outcome.error as ChipsetError).code).toBe(expected.code);
          expect(subject.state).toBe(expected.state);
          expect(clock.pending).toBe(0);
          model = expected.state;
        }
      }),
      { numRuns: 300 },
    );
  });
});
