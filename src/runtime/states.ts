import type { LifecycleState } from "../lifecycle/transitions.js";

/** True for states in which an instance holds resources and serves (or will serve) calls. */
export function stateIsActive(state: LifecycleState): boolean {
  return state === "running" || state === "paused" || state === "initialized";
}
