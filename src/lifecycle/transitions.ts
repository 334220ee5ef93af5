/**
 * The lifecycle as a pure table: (state, command) -> next state, the hook to run, and how to
 * roll back when that hook fails. The runner (LifecycleRunner) does the I/O; this file decides.
 *
 *   registered -load-> loaded -init-> initialized -start-> running <-pause/resume-> paused
 *   running|paused|initialized -stop-> stopped -start-> running
 *   loaded|stopped|failed|crashed -unload-> registered
 *
 * Two incidents happen to an instance without anyone asking, and are rows of the table too:
 * `crash` (its host died, or an inline module threw where no caller could catch it) leads to
 * `crashed`, whose hooks are not run again (the only way on is `unload`, after which the
 * supervisor restarts it); `give-up` (the supervisor stopped restarting it) leads to `failed`.
 *
 * A failed `start` is cleaned up by running `stop`, after which the instance is `stopped` (so
 * shutdown does not run `stop` a second time; a retry is `stopped -start-> running`).
 * `stop` cannot be rolled back (the module may have released half of its resources), so a
 * failed stop leaves the instance `failed`; so does a failed rollback.
 */
import { lifecycleStates, type LifecycleCommand, type LifecycleState } from "../vocabulary/lifecycle.js";
export { lifecycleStates };

/** Every command. */
export const lifecycleCommands: readonly LifecycleCommand[] = [
  "load",
  "init",
  "start",
  "pause",
  "resume",
  "stop",
  "unload",
];

/** What happens to an instance without a command: its host died, or its supervisor gave up on it. */
export type LifecycleIncident = "crash" | "give-up";

/** What the runner does for an allowed command. */
export interface TransitionPlan {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly command: LifecycleCommand;
  /** The module hook to call (`load` imports the code; `unload` calls none). */
  readonly hook: LifecycleCommand | undefined;
  /** On failure: the hook to call to clean up (if any) and the state to return to. */
  readonly rollback: { readonly hook: "stop" | "resume" | undefined; readonly to: LifecycleState };
}

/** The result of asking the table. */
export type TransitionResult =
  | { readonly ok: true; readonly plan: TransitionPlan }
  | { readonly ok: false; readonly allowed: readonly LifecycleCommand[] };

type Row = Partial<Record<LifecycleCommand, Omit<TransitionPlan, "from" | "command">>>;

const table: Record<LifecycleState, Row> = {
  registered: { load: { to: "loaded", hook: "load", rollback: { hook: undefined, to: "registered" } } },
  loaded: {
    init: { to: "initialized", hook: "init", rollback: { hook: undefined, to: "loaded" } },
    unload: { to: "registered", hook: undefined, rollback: { hook: undefined, to: "loaded" } },
  },
  initialized: {
    start: { to: "running", hook: "start", rollback: { hook: "stop", to: "stopped" } },
    stop: { to: "stopped", hook: "stop", rollback: { hook: undefined, to: "failed" } },
  },
  running: {
    pause: { to: "paused", hook: "pause", rollback: { hook: undefined, to: "running" } },
    stop: { to: "stopped", hook: "stop", rollback: { hook: undefined, to: "failed" } },
  },
  paused: {
    resume: { to: "running", hook: "resume", rollback: { hook: undefined, to: "paused" } },
    stop: { to: "stopped", hook: "stop", rollback: { hook: undefined, to: "failed" } },
  },
  stopped: {
    start: { to: "running", hook: "start", rollback: { hook: "stop", to: "stopped" } },
    unload: { to: "registered", hook: undefined, rollback: { hook: undefined, to: "stopped" } },
  },
  failed: { unload: { to: "registered", hook: undefined, rollback: { hook: undefined, to: "failed" } } },
  crashed: { unload: { to: "registered", hook: undefined, rollback: { hook: undefined, to: "crashed" } } },
};

/**
 * Where each incident leads from each state (absent: it changes nothing there). A crash can
 * happen in any state that has code loaded or being loaded (a host may die during its load);
 * the supervisor gives up on an instance it left crashed, or unloaded after a failed restart.
 */
const incidents: Record<LifecycleState, Partial<Record<LifecycleIncident, LifecycleState>>> = {
  registered: { crash: "crashed", "give-up": "failed" },
  loaded: { crash: "crashed" },
  initialized: { crash: "crashed" },
  running: { crash: "crashed" },
  paused: { crash: "crashed" },
  stopped: { crash: "crashed" },
  failed: { crash: "crashed" },
  crashed: { "give-up": "failed" },
};

/** The state `incident` leads to from `state`, or undefined when it changes nothing there. */
export function afterIncident(
  state: LifecycleState,
  incident: LifecycleIncident,
): LifecycleState | undefined {
  return incidents[state][incident];
}

// Plans and happy paths are computed once: transition() and nextStep() sit on every lifecycle
// step, and 1,000 modules take 3,000 of them to start.
const plans = {} as Record<LifecycleState, Record<LifecycleCommand, TransitionResult>>;
for (const state of lifecycleStates) {
  const row = table[state];
  plans[state] = {} as Record<LifecycleCommand, TransitionResult>;
  for (const command of lifecycleCommands) {
    const entry = row[command];
    const result: TransitionResult = entry
      ? { ok: true, plan: Object.freeze({ from: state, command, ...entry }) }
      : { ok: false, allowed: Object.freeze(Object.keys(row) as LifecycleCommand[]) };
    plans[state][command] = Object.freeze(result);
  }
}

/** Looks up `command` in `state`: the plan, or the commands that are allowed instead. */
export function transition(state: LifecycleState, command: LifecycleCommand): TransitionResult {
  return plans[state][command];
}

/**
 * The commands that bring `state` to `target` along the happy path, or undefined when there is
 * none (e.g. from `failed` only `unload` leads anywhere). Used by `use()` to reach `running`.
 */
export function pathTo(state: LifecycleState, target: LifecycleState): LifecycleCommand[] | undefined {
  const seen = new Set<LifecycleState>([state]);
  const queue: Array<[LifecycleState, LifecycleCommand[]]> = [[state, []]];
  while (queue.length > 0) {
    const [s, path] = queue.shift()!;
    if (s === target) return path;
    for (const [command, entry] of Object.entries(table[s]) as Array<
      [LifecycleCommand, { to: LifecycleState }]
    >) {
      if (!seen.has(entry.to)) {
        seen.add(entry.to);
        queue.push([entry.to, [...path, command]]);
      }
    }
  }
  return undefined;
}

const firstSteps = {} as Record<LifecycleState, Record<LifecycleState, LifecycleCommand | undefined>>;
for (const from of lifecycleStates) {
  firstSteps[from] = {} as Record<LifecycleState, LifecycleCommand | undefined>;
  for (const to of lifecycleStates) firstSteps[from][to] = pathTo(from, to)?.[0];
}

/** The first command of {@link pathTo}`(state, target)`, from a table built once. */
export function nextStep(state: LifecycleState, target: LifecycleState): LifecycleCommand | undefined {
  return firstSteps[state][target];
}

/**
 * True when an instance in `state` has reached `target` on the happy path: `loaded` is reached
 * by `initialized`, `running`, `paused` and `stopped` too; `initialized` by `running`, `paused`
 * and `stopped`; `running` by `paused` (its calls wait for `resume`). `failed` and `crashed`
 * reach nothing but themselves.
 */
export function reached(state: LifecycleState, target: LifecycleState): boolean {
  if (state === target) return true;
  if (target === "running") return state === "paused";
  if (target === "loaded")
    return state === "initialized" || state === "running" || state === "paused" || state === "stopped";
  if (target === "initialized") return state === "running" || state === "paused" || state === "stopped";
  return false;
}
