import type { Clock } from "../../common/Clock.js";
import { ErrorCodes, type ChipsetError } from "../../errors/index.js";
import type { CallRun } from "../../policies/CallRun.js";
import type { CallObserver } from "../../runtime/CallObserver.js";
import { CallTally } from "./CallTally.js";

/** The label value of a module or method a call named that is not known to exist. */
export const UNKNOWN = "(unknown)";

/**
 * Counts every call by module, method and outcome, with its duration, for
 * `chipset_calls_total` and `chipset_call_duration_seconds`. A call costs a WeakMap lookup of
 * its method plan and a few additions ({@link CallTally}); labels are decided once per plan.
 *
 * Label sets stay bounded whatever callers send: a method takes its own name as a label only
 * once the module has answered it (or thrown from it), so a call to a method a module does not
 * have counts under `method="(unknown)"`, and one to a module that is neither registered nor
 * live under `module="(unknown)"`.
 */
export class CallMetrics implements CallObserver {
  private readonly byPlan = new WeakMap<object, CallTally>();
  private readonly tallies = new Map<string, CallTally>();
  /** Per module id, the methods that answered: the only method names used as labels. */
  private readonly known = new Map<string, Set<string>>();

  constructor(
    private readonly deps: {
      clock: Clock;
      /** True when `id` is a registered module (asked only for calls whose method is not known yet). */
      isModule(id: string): boolean;
    },
  ) {}

  /** Every (module, method) counted so far. */
  all(): IterableIterator<CallTally> {
    return this.tallies.values();
  }

  settled(run: CallRun, error: ChipsetError | undefined): void {
    const tally = this.byPlan.get(run.plan) ?? this.tallyOf(run, error);
    const outcome = error !== undefined ? error.category : run.answeredBy === undefined ? "ok" : "fallback";
    tally.record(outcome, (this.deps.clock.now() - run.startedAt) / 1000);
  }

  attempted(): void {
    // Durations are the whole call's, taken when it settles.
  }

  /** The tally of a call whose plan has none yet; kept for the plan once its method is known. */
  private tallyOf(run: CallRun, error: ChipsetError | undefined): CallTally {
    const { id, method } = run.plan;
    let methods = this.known.get(id);
    const answered =
      (error === undefined && run.answeredBy === undefined) ||
      (error?.code === ErrorCodes.CALL_FAILED && error.module?.startsWith(`${id}@`) === true);
    if (answered) {
      if (methods === undefined) this.known.set(id, (methods = new Set()));
      methods.add(method);
    }
    if (methods?.has(method) === true) {
      const tally = this.tally(id, method);
      this.byPlan.set(run.plan, tally);
      return tally;
    }
    const real = methods !== undefined || run.site !== undefined || this.deps.isModule(id);
    return this.tally(real ? id : UNKNOWN, UNKNOWN);
  }

  private tally(module: string, method: string): CallTally {
    const key = `${module}\n${method}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) this.tallies.set(key, (tally = new CallTally(module, method)));
    return tally;
  }
}
