import type { Clock } from "../common/Clock.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { LifecycleRunner } from "../lifecycle/LifecycleRunner.js";
import { requestOf, throwFirstFailure, type Activator, type ModuleOutcome } from "./Activator.js";

/** The result of a batch load: one outcome per module, in completion order. */
export interface LoadReport {
  outcomes: ModuleOutcome[];
  /** Wall time of the whole batch, in ms. */
  durationMs: number;
}

/** A load running in the background: watch `load.progress` events with this `task`, or await `done`. */
export interface LoadTask {
  task: number;
  /** Resolves with the report; never rejects (failures are in the outcomes). */
  done: Promise<LoadReport>;
}

/** What the loader needs from the runtime. */
export interface LoaderDeps {
  clock: Clock;
  activator: Activator;
  runner: LifecycleRunner;
  assertOpen(): void;
  progress(task: number, outcome: ModuleOutcome, done: number, total: number): void;
}

/**
 * Loading without starting (import, no init): awaited batches, batches in the background with
 * progress events, and a truly synchronous load where the platform allows it.
 */
export class Loader {
  private tasks = 0;

  constructor(private readonly deps: LoaderDeps) {}

  /** Loads `refs` and their dependencies, level by level; rejects with the first failure (`details.outcomes` has all). */
  async load(refs: string | readonly string[], signal?: AbortSignal): Promise<LoadReport> {
    const report = await this.batch(refs, ++this.tasks, signal);
    throwFirstFailure(report.outcomes);
    return report;
  }

  /** Starts a batch in the background; `done` never rejects. */
  loadInBackground(refs: string | readonly string[], signal?: AbortSignal): LoadTask {
    const task = ++this.tasks;
    const done = this.batch(refs, task, signal).catch((err: unknown) => {
      const error =
        err instanceof ChipsetError
          ? err
          : new ChipsetError(ErrorCodes.LOAD_FAILED, messageOf(err), { cause: err });
      return { outcomes: [{ id: "(resolution)", version: "", ok: false, error }], durationMs: 0 };
    });
    return { task, done };
  }

  /** Loads `ref` and its dependencies synchronously, or throws `CHIP_ERR_SYNC_LOAD_UNSUPPORTED`. */
  loadSync(ref: string): void {
    this.deps.assertOpen();
    const plan = this.deps.activator.plan([requestOf(ref)]);
    for (const level of plan.levels) {
      for (const inst of level) {
        if (inst.state !== "registered") continue;
        if (this.deps.runner.isBusy(inst)) {
          throw new ChipsetError(
            ErrorCodes.SYNC_LOAD_UNSUPPORTED,
            `${inst.key} is being loaded asynchronously right now; await load() instead`,
            { module: inst.key },
          );
        }
        this.deps.runner.loadSync(inst);
      }
    }
  }

  private async batch(
    refs: string | readonly string[],
    task: number,
    signal: AbortSignal | undefined,
  ): Promise<LoadReport> {
    this.deps.assertOpen();
    const started = this.deps.clock.now();
    const plan = this.deps.activator.plan((typeof refs === "string" ? [refs] : refs).map(requestOf));
    const outcomes = await this.deps.activator.bringUp(plan, "loaded", signal, (outcome, done, total) =>
      this.deps.progress(task, outcome, done, total),
    );
    return { outcomes, durationMs: this.deps.clock.now() - started };
  }
}
