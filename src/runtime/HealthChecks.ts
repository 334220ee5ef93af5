import type { Clock, Timer } from "../common/Clock.js";
import { toDisposable, type Disposable } from "../common/Disposable.js";
import { race } from "../common/race.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { HealthState } from "../vocabulary/dispatch.js";

/** What an application's health check is shown of one replica or engine instance. */
export interface HealthCheckTarget {
  /** `id@version`, and `#replica` after the first. */
  key: string;
  id: string;
  version: string;
  replica: number;
  /** Its manifest's `engine.type`; undefined for a replica of a module that is no engine. */
  engineType: string | undefined;
  /** Its health state before this check. */
  health: HealthState;
  /** Its calls in flight now. */
  inflight: number;
  /** Calls it served since it was made. */
  calls: number;
}

/** A check's verdict: `true`/`false`, or `{ ok, reason }` (the reason shows in `replica.health`). */
export type HealthCheckResult = boolean | { ok: boolean; reason?: string };

/**
 * An application's health check (document 004's CustomHealthChecker): answers whether `target`
 * is fit to take calls. A throw, a rejection or no answer within the timeout counts as a failure.
 * `signal` aborts when the check's time is up.
 */
export type HealthCheck = (
  target: HealthCheckTarget,
  signal: AbortSignal,
) => HealthCheckResult | Promise<HealthCheckResult>;

/** Where and how often a registered health check runs. */
export interface HealthCheckOptions {
  /** Its name in health reasons (default `health check #n`, n counting registrations). */
  name?: string;
  /** Only instances of modules whose `engine.type` is this. Default: every replica and engine. */
  type?: string;
  /** Only instances of this module id. */
  module?: string;
  /** Time between two rounds, in ms (default 10 000, Kubernetes' probe period). */
  intervalMs?: number;
  /** Time one check may take, in ms (default 1 000, Kubernetes' probe timeout). */
  timeoutMs?: number;
}

/** What running health checks needs from the runtime. */
export interface HealthChecksDeps {
  clock: Clock;
  instances: InstanceReader;
  /** Feeds the verdict of check `check` to the health of `inst`. */
  checked(inst: Instance, check: string, ok: boolean, reason: string | undefined): void;
}

interface Registration {
  readonly check: HealthCheck;
  readonly options: Required<Pick<HealthCheckOptions, "intervalMs" | "timeoutMs" | "name">> &
    HealthCheckOptions;
  timer: Timer | undefined;
  /** Instances whose check of this registration has not answered yet: not checked again meanwhile. */
  readonly running: Set<Instance>;
}

/**
 * The health checks applications register (`runtime.dispatch.registerHealthCheck`): each runs
 * every `intervalMs` against each running replica and engine instance it applies to, and its
 * verdicts, a run of their own per check, move that instance's health (see docs/dispatch.md,
 * "Health states and ejection").
 */
export class HealthChecks {
  private readonly registered = new Set<Registration>();
  private count = 0;

  constructor(private readonly deps: HealthChecksDeps) {}

  /**
   * Runs `check` every `options.intervalMs` (default 10 s) against each running instance of a
   * replicated or engine module (`options.type`, `options.module` narrow it), each check within
   * `options.timeoutMs` (default 1 s). Throws `CHIP_ERR_OPTIONS_INVALID` for a check that is not
   * a function or a bad option. Dispose to stop it.
   */
  register(check: HealthCheck, options: HealthCheckOptions = {}): Disposable {
    validate(check, options);
    const reg: Registration = {
      check,
      options: { intervalMs: 10_000, timeoutMs: 1_000, name: `health check #${++this.count}`, ...options },
      timer: undefined,
      running: new Set(),
    };
    this.registered.add(reg);
    this.schedule(reg);
    return toDisposable(() => {
      reg.timer?.dispose();
      this.registered.delete(reg);
    });
  }

  /** Stops every check (the runtime stopped). */
  dispose(): void {
    for (const reg of this.registered) reg.timer?.dispose();
    this.registered.clear();
  }

  private schedule(reg: Registration): void {
    reg.timer = this.deps.clock.setTimeout(
      () => {
        if (!this.registered.has(reg)) return;
        this.round(reg);
        this.schedule(reg);
      },
      reg.options.intervalMs,
      { background: true },
    );
  }

  /** One round: every instance the check applies to that is not still being checked. */
  private round(reg: Registration): void {
    const { type, module } = reg.options;
    for (const inst of this.deps.instances.all()) {
      if (inst.group === undefined || inst.state !== "running" || reg.running.has(inst)) continue;
      if (type !== undefined && inst.manifest.engine?.type !== type) continue;
      if (module !== undefined && inst.id !== module) continue;
      reg.running.add(inst);
      void this.checkOne(reg, inst).finally(() => reg.running.delete(inst));
    }
  }

  private async checkOne(reg: Registration, inst: Instance): Promise<void> {
    const { clock } = this.deps;
    const ms = reg.options.timeoutMs;
    const abort = new AbortController();
    const target: HealthCheckTarget = {
      key: inst.key,
      id: inst.id,
      version: inst.version,
      replica: inst.replica,
      engineType: inst.manifest.engine?.type,
      health: inst.group?.candidateOf(inst)?.health ?? "unknown",
      inflight: inst.gate.inFlight,
      calls: inst.calls,
    };
    let ok: boolean;
    let reason: string | undefined;
    try {
      const answer = await race(
        new Promise<HealthCheckResult>((resolve) => resolve(reg.check(target, abort.signal))),
        {
          clock,
          ms,
          onTimeout: () => {
            abort.abort(new Error(`no answer within ${ms} ms`));
            throw new Error(`the health check did not answer within ${ms} ms`);
          },
        },
      );
      ok = typeof answer === "boolean" ? answer : answer.ok === true;
      reason = typeof answer === "boolean" ? undefined : answer.reason;
    } catch (err) {
      ok = false;
      reason = `the health check failed: ${messageOf(err)}`;
    }
    if (this.registered.has(reg) && this.deps.instances.get(inst.key) === inst)
      this.deps.checked(
        inst,
        reg.options.name,
        ok,
        reason ?? (ok ? undefined : "it said the instance is not fit"),
      );
  }
}

function validate(check: unknown, options: HealthCheckOptions): void {
  const refuse = (field: string, what: string, found: unknown) => {
    throw new ChipsetError(
      ErrorCodes.OPTIONS_INVALID,
      `registerHealthCheck: ${field} must be ${what}, not ${JSON.stringify(found) ?? String(found)}`,
      { details: { field, expected: what } },
    );
  };
  if (typeof check !== "function")
    refuse("check", "a function (target, signal) => boolean | { ok, reason }", typeof check);
  for (const field of ["intervalMs", "timeoutMs"] as const) {
    const value = options[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
      refuse(field, "a whole number of ms above 0", value);
  }
  for (const field of ["type", "module", "name"] as const) {
    const value = options[field];
    if (value !== undefined && (typeof value !== "string" || value === ""))
      refuse(field, "a non-empty string", value);
  }
}
