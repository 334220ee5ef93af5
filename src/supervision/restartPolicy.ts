import type { CrashKind } from "../vocabulary/hosts.js";
import type { RestartManifest } from "../vocabulary/manifest.js";

/** A module's restart settings with every default applied. */
export interface RestartSettings {
  policy: "permanent" | "transient" | "temporary";
  maxRestarts: number;
  withinMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
  onDependencyCrash: "continue" | "stop" | "restart";
  /** Fraction of each delay taken off at random (0: none, 1: anywhere from 0 to the delay). */
  jitter: number;
}

/** The defaults of {@link RestartSettings}: permanent, 5 restarts a minute, backoff 100 ms to 30 s. */
export const restartDefaults: RestartSettings = {
  policy: "permanent",
  maxRestarts: 5,
  withinMs: 60_000,
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  resetAfterMs: 30_000,
  onDependencyCrash: "continue",
  jitter: 0.2,
};

/** The manifest's `restart` section over the runtime's defaults over {@link restartDefaults}. */
export function restartSettings(
  manifest: RestartManifest | undefined,
  runtime: Partial<RestartSettings> = {},
): RestartSettings {
  return { ...restartDefaults, ...runtime, ...manifest };
}

/**
 * Whether `policy` restarts after an end of `kind`: `permanent` always, `transient` only after
 * a crash (not after the module ended its own host with exit code 0), `temporary` never.
 */
export function policyRestarts(
  policy: RestartSettings["policy"],
  kind: CrashKind,
  exitCode?: number | null,
): boolean {
  // A module stopped at its resource limit stays down whatever its policy: an operator brings it back.
  if (policy === "temporary" || kind === "resource-stop") return false;
  if (policy === "permanent") return true;
  return !(kind === "exit" && exitCode === 0);
}

/**
 * Whether an end of `kind` is a normal one under `policy`: the module ended its own host with
 * exit code 0 and its policy does not restart it (`transient`, `temporary`). As for an Erlang
 * child that exits `normal`, that is not a crash: nothing is restarted, reported or failed over.
 */
export function endedNormally(
  policy: RestartSettings["policy"],
  kind: CrashKind,
  exitCode?: number | null,
): boolean {
  return policy !== "permanent" && kind === "exit" && exitCode === 0;
}

/**
 * The delay before restart number `attempt` (1 for the first since the last reset), in ms:
 * `initialDelayMs * 2^(attempt-1)`, capped at `maxDelayMs`, less a random part of up to
 * `jitter` of it (`random` returns [0, 1)), so modules that crashed together do not restart in step.
 */
export function backoffDelay(attempt: number, settings: RestartSettings, random: () => number): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 40);
  const base = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** exponent);
  return Math.round(base * (1 - settings.jitter * random()));
}
