import { describe, expect, it } from "vitest";
import { afterIncident, lifecycleCommands, lifecycleStates, pathTo, transition } from "./transitions.js";
import { type LifecycleCommand, type LifecycleState } from "../vocabulary/lifecycle.js";

const allowed: Record<LifecycleState, Partial<Record<LifecycleCommand, LifecycleState>>> = {
  registered: { load: "loaded" },
  loaded: { init: "initialized", unload: "registered" },
  initialized: { start: "running", stop: "stopped" },
  running: { pause: "paused", stop: "stopped" },
  paused: { resume: "running", stop: "stopped" },
  stopped: { start: "running", unload: "registered" },
  failed: { unload: "registered" },
  crashed: { unload: "registered" },
};

describe("the lifecycle transition table", () => {
  it("allows exactly the documented transitions, from every state, for every command", () => {
    for (const state of lifecycleStates) {
      for (const command of lifecycleCommands) {
        const result = transition(state, command);
        const expected = allowed[state][command];
        if (expected === undefined) {
          expect(result.ok, `${state} -${command}->`).toBe(false);
          if (!result.ok) expect([...result.allowed].sort()).toEqual(Object.keys(allowed[state]).sort());
        } else {
          expect(result.ok && result.plan.to, `${state} -${command}->`).toBe(expected);
        }
      }
    }
  });

  it("cleans a failed start up through stop, ending stopped, and leaves a failed stop failed", () => {
    const start = transition("initialized", "start");
    expect(start.ok && start.plan.rollback).toEqual({ hook: "stop", to: "stopped" });
    const stop = transition("running", "stop");
    expect(stop.ok && stop.plan.rollback.to).toBe("failed");
  });

  it("sends a crash from any state with code (or code loading) to crashed, and a give-up from crashed or unloaded to failed", () => {
    const crash: Record<LifecycleState, LifecycleState | undefined> = {
      registered: "crashed",
      loaded: "crashed",
      initialized: "crashed",
      running: "crashed",
      paused: "crashed",
      stopped: "crashed",
      failed: "crashed",
      crashed: undefined,
    };
    const giveUp: Record<LifecycleState, LifecycleState | undefined> = {
      registered: "failed",
      loaded: undefined,
      initialized: undefined,
      running: undefined,
      paused: undefined,
      stopped: undefined,
      failed: undefined,
      crashed: "failed",
    };
    for (const state of lifecycleStates) {
      expect(afterIncident(state, "crash"), `${state} -crash->`).toBe(crash[state]);
      expect(afterIncident(state, "give-up"), `${state} -give-up->`).toBe(giveUp[state]);
    }
  });

  it("finds the happy path to running from every state that has one", () => {
    expect(pathTo("registered", "running")).toEqual(["load", "init", "start"]);
    expect(pathTo("stopped", "running")).toEqual(["start"]);
    expect(pathTo("paused", "running")).toEqual(["resume"]);
    expect(pathTo("running", "running")).toEqual([]);
    expect(pathTo("running", "registered")).toEqual(["stop", "unload"]);
  });
});
