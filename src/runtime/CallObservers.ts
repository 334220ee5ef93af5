import { toDisposable, type Disposable } from "../common/Disposable.js";
import type { ChipsetError } from "../errors/ChipsetError.js";
import type { CallRun } from "../policies/CallRun.js";
import type { CallObserver } from "./CallObserver.js";

/**
 * The runtime's own observer (monitoring) followed by any others a tool added
 * (`runtime.observeCalls`, e.g. the host's Prometheus metrics). With none added, a call pays one
 * length test; an added observer that throws is reported and the call goes on.
 */
export class CallObservers implements CallObserver {
  private others: readonly CallObserver[] = [];

  constructor(
    private readonly first: CallObserver,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Adds `observer` after the others until the result is disposed. */
  add(observer: CallObserver): Disposable {
    this.others = [...this.others, observer];
    return toDisposable(() => {
      this.others = this.others.filter((o) => o !== observer);
    });
  }

  settled(run: CallRun, error: ChipsetError | undefined): void {
    this.first.settled(run, error);
    const others = this.others;
    for (let i = 0; i < others.length; i++) {
      try {
        others[i]!.settled(run, error);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  attempted(run: CallRun, durationMs: number, error: ChipsetError | undefined): void {
    this.first.attempted(run, durationMs, error);
    const others = this.others;
    for (let i = 0; i < others.length; i++) {
      try {
        others[i]!.attempted(run, durationMs, error);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
