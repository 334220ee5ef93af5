import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Assembly, RuntimeParts } from "./Assembly.js";
import type { UpdateCheckReport } from "./findUpdates.js";
import { requestUpdate, type RequestedOutcome, type UpdateRequestOptions } from "./requestUpdate.js";
import type { UpdateOptions, UpdateReport } from "./updateReport.js";
import { UpdateRequestServer } from "./UpdateRequestServer.js";
import type { CheckUpdatesOptions } from "./UpdateWatcher.js";

/** The runtime's hot-update methods (`runtime.update`, `.rollback`, ...): the `Runtime` implements them. */
export interface UpdateFacade {
  /**
   * Updates module `id` to a new version while it keeps serving (blue-green): fetches it (from
   * `options.from`, an installed version, or the config's registries) and verifies its integrity
   * and signature, installs it, starts it beside the running version, checks it (`health()` and
   * its manifest's `update.verify` calls), with `strategy: "canary"` sends it a share of the
   * calls for a while and judges it against the old version, switches calls to it in one step
   * with the old version's state (`exportState` / `importState`), watches it for `graceMs` and
   * retires the old version (stopped, unloaded, kept installed). Rejects with
   * `CHIP_ERR_UPDATE_FAILED` (the old version serves; `cause` says why, `details.report` which
   * step), `CHIP_ERR_INTEGRITY_MISMATCH`, or `CHIP_ERR_OPTIONS_INVALID` for malformed options.
   */
  update(id: string, options?: UpdateOptions): Promise<UpdateReport>;

  /**
   * Updates `id` back to the version its last update (or rollback) replaced, the same way. The
   * data directory records it, so a rollback works after a restart and from another process.
   */
  rollback(id: string, options?: Omit<UpdateOptions, "from" | "version">): Promise<UpdateReport>;

  /**
   * Updates or rolls back `id` where it runs: when a host (a runtime that called
   * {@link serveUpdateRequests}, as `chipset start` does) runs on this data directory, the request
   * is left for it and its outcome awaited; else the update runs in this runtime.
   */
  requestUpdate(id: string, options?: UpdateRequestOptions): Promise<RequestedOutcome>;

  /**
   * Makes this runtime the data directory's host until it closes: update and rollback requests
   * from other processes ({@link requestUpdate}, `chipset update`) are taken and run here, one at
   * a time; they are looked for every `pollMs` (default 200 ms). Idempotent.
   */
  serveUpdateRequests(pollMs?: number): void;

  /**
   * Looks for new versions now, in the module directories and the config's registries (as the
   * started runtime does every `updates.intervalMs`), announces the newly seen ones
   * (`update.available`) and answers each installed module with a newer version (`current`,
   * `wanted`, `latest`, `source`) and each source that failed; applies nothing.
   */
  checkUpdates(options?: CheckUpdatesOptions): Promise<UpdateCheckReport>;
}

/**
 * The runtime's hot updates over its parts: run here (`Updater`), asked of the data directory's
 * host, served for other processes once asked (the request server is this object's), and looked
 * for (`UpdateWatcher`). Changes are refused once the runtime is closing (see `RuntimeState`).
 */
export class RuntimeUpdates implements UpdateFacade {
  private server: UpdateRequestServer | undefined;

  constructor(
    private readonly parts: Assembly,
    private readonly made: RuntimeParts,
  ) {}

  update(id: string, options?: UpdateOptions): Promise<UpdateReport> {
    return this.parts.updater.update(id, options);
  }

  rollback(id: string, options?: Omit<UpdateOptions, "from" | "version">): Promise<UpdateReport> {
    return this.parts.updater.rollback(id, options);
  }

  requestUpdate(id: string, options: UpdateRequestOptions = {}): Promise<RequestedOutcome> {
    this.parts.state.assertOpen();
    return requestUpdate({ ...this.parts, clock: this.made.clock }, id, options);
  }

  serveUpdateRequests(pollMs?: number): void {
    this.parts.state.assertOpen();
    if (this.made.registry.readOnly)
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `this runtime opened ${this.made.options.dataDir} read-only: it cannot run updates; open it writable to serve update requests`,
        { details: { field: "readOnly" } },
      );
    this.server ??= new UpdateRequestServer(
      { ...this.parts, clock: this.made.clock, db: this.made.db },
      pollMs,
    );
  }

  checkUpdates(options?: CheckUpdatesOptions): Promise<UpdateCheckReport> {
    this.parts.state.assertOpen();
    return this.parts.watcher.check(options);
  }

  /** Stops serving requests and looking for new versions (the runtime is closing). */
  close(): void {
    this.server?.dispose();
    this.parts.watcher.close();
  }
}
