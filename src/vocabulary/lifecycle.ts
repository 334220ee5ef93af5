/** The lifecycle's words: the states an instance moves through and the commands that move it. */

/** Lifecycle states of an instance. */
export type LifecycleState =
  "registered" | "loaded" | "initialized" | "running" | "paused" | "stopped" | "failed" | "crashed";

/** Commands that move an instance between states. */
export type LifecycleCommand = "load" | "init" | "start" | "pause" | "resume" | "stop" | "unload";

/** The hooks a host can run inside the module. */
export type HostHook = "init" | "start" | "pause" | "resume" | "stop";

/** True for states in which an instance holds resources and serves (or will serve) calls. */
export function stateIsActive(state: LifecycleState): boolean {
  return state === "running" || state === "paused" || state === "initialized";
}

/** Every state, in lifecycle order. */
export const lifecycleStates: readonly LifecycleState[] = [
  "registered",
  "loaded",
  "initialized",
  "running",
  "paused",
  "stopped",
  "failed",
  "crashed",
];
