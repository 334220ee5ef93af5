import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { printable } from "./format.js";
import { createProgress, type Progress } from "./progress.js";

/** Where the CLI writes text: `process.stdout`/`process.stderr`, or a buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
  /** Set when the sink is a terminal (a `tty.WriteStream`). */
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

/** The `{"error": ...}` document printed on stdout when a `--json` command fails. */
export interface JsonError {
  error: {
    code: string;
    message: string;
    module: string | null;
    details: Readonly<Record<string, unknown>>;
  };
}

/** Exit status of a failed command: 2 for usage errors, 3 for a chaos hypothesis that did not hold, 1 for everything else. */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof ChipsetError)) return 1;
  if (err.code === ErrorCodes.CLI_USAGE) return 2;
  // An experiment that ran and whose hypothesis did not hold, told apart from one that could not run.
  return err.code === ErrorCodes.HYPOTHESIS_FAILED ? 3 : 1;
}

/**
 * The CLI's two channels: results on stdout (JSON only, with `--json`), diagnostics on stderr.
 * Errors always go to stderr as `CHIP_ERR_...: message`; with `--json` they are also printed
 * on stdout as a {@link JsonError} so a program reading stdout sees why it is empty.
 */
export class Output {
  constructor(
    private readonly stdout: TextSink,
    private readonly stderr: TextSink,
  ) {}

  /** One line for people on stdout, control characters escaped (see {@link printable}). */
  line(text = ""): void {
    this.stdout.write(`${printable(text)}\n`);
  }

  /** Several lines for people on stdout. */
  lines(texts: readonly string[]): void {
    for (const text of texts) this.line(text);
  }

  /** A JSON document on stdout (2-space indented, newline-terminated). */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Text exactly as given on stdout (help, version). */
  raw(text: string): void {
    this.stdout.write(text);
  }

  /**
   * The size of the terminal stdout is, in characters (Infinity where the terminal does not say,
   * as a pseudo-terminal with no size); undefined when it is not one (a pipe, a file).
   */
  terminal(): { rows: number; columns: number } | undefined {
    const { isTTY, rows, columns } = this.stdout;
    const known = (n: number | undefined) => (n !== undefined && n > 0 ? n : Infinity);
    return isTTY === true ? { rows: known(rows), columns: known(columns) } : undefined;
  }

  /** Text exactly as given on stderr. */
  rawError(text: string): void {
    this.stderr.write(text);
  }

  /** A diagnostic line on stderr (warnings, hints), control characters escaped: never mixed into machine output. */
  note(text: string): void {
    this.stderr.write(`${printable(text)}\n`);
  }

  /**
   * A progress display on stderr for long work: a bar on a terminal; none without one, nor when
   * `quiet` (under `--json`, where a program reads the output, or for work too short to show).
   */
  progress(quiet: boolean): Progress {
    return createProgress(this.stderr, { quiet });
  }

  /** Reports `err` (see the class comment) and returns the exit status it calls for. */
  error(err: unknown, json: boolean): number {
    if (err instanceof ChipsetError) {
      this.stderr.write(`${err.code}: ${printable(err.message)}\n`);
    } else {
      // Not one of ours: a bug. Keep the stack, people will need it for the report.
      this.stderr.write(
        `${ErrorCodes.INTERNAL}: ${printable(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`,
      );
    }
    if (json) this.json(toJsonError(err));
    return exitCodeOf(err);
  }
}

/** The `--json` form of any thrown value; errors that are not a `ChipsetError` get `CHIP_ERR_INTERNAL`. */
export function toJsonError(err: unknown): JsonError {
  if (err instanceof ChipsetError) {
    return {
      error: { code: err.code, message: err.message, module: err.module ?? null, details: err.details },
    };
  }
  return {
    error: {
      code: ErrorCodes.INTERNAL,
      message: err instanceof Error ? err.message : String(err),
      module: null,
      details: {},
    },
  };
}
