import type { Logger } from "pino";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Isolation, ModuleRecord } from "../vocabulary/manifest.js";

/**
 * Where a module runs when the environment cannot start child processes: `isolation: "process"`
 * falls back to a worker thread, with one warning per module version; a module with
 * `permissions` is refused instead (only a process can enforce them, and running it without
 * them would hand it more than it was granted).
 */
export class IsolationFallback {
  private readonly warned = new Set<string>();

  /**
   * @param why why child processes cannot be started here (the environment's adapted default);
   *   undefined where they can, and every module keeps its own isolation.
   */
  constructor(
    private readonly why: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** The isolation `record` (addressed `key`) runs in here. */
  isolationOf(record: ModuleRecord, key: string): Isolation {
    const asked = record.manifest.isolation ?? "inline";
    if (asked !== "process" || this.why === undefined) return asked;
    if (record.manifest.permissions !== undefined)
      throw new ChipsetError(
        ErrorCodes.ISOLATION_UNSUPPORTED,
        `${key} declares permissions, which only a process host can enforce, and ${this.why}; ` +
          "run chipset where child processes can be started (see `chipset env`), or remove its permissions",
        { module: key, details: { isolation: asked } },
      );
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.logger.warn(
        { module: key, isolation: "worker", asked },
        `${key} asks for isolation "process", but ${this.why}; it runs in a worker thread instead`,
      );
    }
    return "worker";
  }
}
