import type { LogFormat } from "./choices.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { printable } from "./format.js";
import { parseLogRecord, type LogRecord } from "../monitoring/logs.js";
import { formatLogRecord, isLifecycleFailure } from "./logRecord.js";

export { logFormats, logLevels, type LogFormat, type LogLevel } from "./choices.js";

/**
 * What becomes of the runtime's own record of a module's failed lifecycle command, which the
 * command reports anyway: `drop` it (`chipset start` prints the `module.failed` event), or `hold`
 * it until the command ends, then write it only if it is not the error the command fails with
 * (that one is printed as the `CHIP_ERR_...` line), so every failure is shown once.
 */
export type FailureRecords = "drop" | "hold";

/** How deep {@link CliLog.release} follows an error's causes. */
const MAX_CAUSES = 8;

/**
 * The destination of the CLI's pino logger: each line pino writes goes to `write` as it is
 * (`json`) or as a line for people (`text`, see {@link formatLogRecord}); see {@link FailureRecords}.
 */
export class CliLog {
  private readonly held: Array<{ line: string; record: LogRecord }> = [];

  constructor(
    private readonly format: LogFormat,
    private readonly out: (text: string) => void,
    private readonly failures: FailureRecords,
  ) {}

  /** Takes one newline-terminated JSON line from pino. */
  write(line: string): void {
    const record = parseLogRecord(line);
    if (record === undefined) {
      this.out(line);
      return;
    }
    if (isLifecycleFailure(record)) {
      if (this.failures === "hold") this.held.push({ line, record });
      return;
    }
    this.show(line, record);
  }

  /** Writes the held failure records, except those of `error` (the command's own) or its causes. */
  release(error: unknown): void {
    const reported = errorChain(error);
    for (const { line, record } of this.held.splice(0)) {
      if (!reported.some((e) => e.code === record.code && e.message === record.msg)) this.show(line, record);
    }
  }

  // Not named `emit`: pino hands its configuration to a destination's `emit`, if it has one.
  private show(line: string, record: LogRecord): void {
    this.out(this.format === "json" ? line : `${printable(formatLogRecord(record))}\n`);
  }
}

/** `error` and its causes that are Chipset errors. */
function errorChain(error: unknown): ChipsetError[] {
  const chain: ChipsetError[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < MAX_CAUSES; e = e.cause, depth++) {
    if (e instanceof ChipsetError) chain.push(e);
  }
  return chain;
}
