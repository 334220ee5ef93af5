import type { Clock, Timer } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import type { UpdateRequest, UpdateRequests } from "../registry/UpdateRequests.js";
import type { Database } from "../store/Database.js";
import { recorded, updateOptionsOf } from "./requestUpdate.js";
import type { Updater } from "./Updater.js";
import type { UpdateOptions } from "./updateReport.js";

/** What the server needs from the runtime. */
export interface RequestServerDeps {
  clock: Clock;
  db: Database;
  requests: UpdateRequests;
  updater: Pick<Updater, "update" | "rollback">;
}

/** How often a host looks for new requests, in ms. */
export const DEFAULT_REQUEST_POLL_MS = 200;

/**
 * A host's side of the desired state: while it runs, the process is registered as the data
 * directory's host, and the update and rollback requests other processes leave (`chipset
 * update` in a second terminal) are taken one at a time, run with `runtime.update` /
 * `runtime.rollback`, their steps and outcome recorded. It notices new requests by SQLite's
 * `PRAGMA data_version`, which changes when another connection commits, read every `pollMs`.
 */
export class UpdateRequestServer implements Disposable {
  private timer: Timer | undefined;
  private seen = -1;
  private busy = false;
  private disposed = false;

  constructor(
    private readonly deps: RequestServerDeps,
    private readonly pollMs = DEFAULT_REQUEST_POLL_MS,
  ) {
    deps.requests.hostUp();
    // A host killed during an update left its request running: say it failed, then serve.
    deps.requests.abandonDead();
    this.tick();
  }

  private tick(): void {
    if (this.disposed) return;
    const version = this.deps.db.sql.pragma("data_version", { simple: true }) as number;
    if (version !== this.seen && !this.busy) {
      this.seen = version;
      void this.drain();
    }
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.pollMs, { background: true });
  }

  /** Runs every pending request, oldest first. */
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let request = this.take(); request !== undefined; request = this.take()) await this.run(request);
    } finally {
      this.busy = false;
    }
  }

  private take(): UpdateRequest | undefined {
    return this.disposed || !this.deps.db.isOpen ? undefined : this.deps.requests.take();
  }

  private async run(request: UpdateRequest): Promise<void> {
    const { requests, updater } = this.deps;
    const options: UpdateOptions = {
      ...updateOptionsOf(request.options),
      onStep: (step) => this.deps.db.isOpen && requests.progress(request.seq, step),
    };
    try {
      // A rollback goes to the version recorded before, whatever a request says.
      const { from: _from, version: _version, ...back } = options;
      const report =
        request.action === "rollback"
          ? await updater.rollback(request.id, back)
          : await updater.update(request.id, options);
      if (this.deps.db.isOpen) requests.finish(request.seq, "done", { report });
    } catch (err) {
      const report = err instanceof ChipsetError ? err.details["report"] : undefined;
      if (this.deps.db.isOpen)
        requests.finish(request.seq, "failed", {
          error: recorded(err),
          ...(report === undefined ? {} : { report }),
        });
    }
  }

  /** Stops taking requests and unregisters the host (a request under way still records its outcome). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.timer?.dispose();
    if (this.deps.db.isOpen) this.deps.requests.hostDown();
  }
}
