import type { ErrorCode } from "./codes.js";
import { errorTraits, type ErrorCategory, type ErrorSeverity } from "./traits.js";

const brand = Symbol.for("chipset.error");

/** Options accepted by {@link ChipsetError}. */
export interface ChipsetErrorOptions {
  /** The underlying error (kept as the standard `cause`). */
  cause?: unknown;
  /** The module the error is about, as `id` or `id@version`. */
  module?: string;
  /** Structured facts for programs (paths, ranges, chains); JSON-serialisable. */
  details?: Readonly<Record<string, unknown>>;
  /** Where it happened: the call, attempt and host (see {@link ErrorContext}). */
  context?: ErrorContext;
}

/**
 * Where an error happened, for programs and for the error monitor. Set by the call path on
 * every error a call fails with; lifecycle and crash errors carry the module, version and host.
 */
export interface ErrorContext {
  /** The module's id. */
  readonly id?: string;
  readonly version?: string;
  /** The api method called. */
  readonly method?: string;
  /** Which attempt failed (1 for the first; retries count up). */
  readonly attempt?: number;
  /** Where the module ran. */
  readonly host?: "inline" | "worker" | "process";
  /** The call's id, unique within one runtime (counts from 1). */
  readonly callId?: number;
}

/**
 * The one base class of every error Chipset raises: a stable `code`, a message saying what
 * happened and what to do, the `module` concerned and the original `cause`.
 * `instanceof` works across two copies of the library (branded with `Symbol.for`).
 */
export class ChipsetError extends Error {
  readonly code: ErrorCode;
  readonly module: string | undefined;
  details: Readonly<Record<string, unknown>>;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: ChipsetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ChipsetError";
    this.code = code;
    this.module = options.module;
    this.details = options.details ?? {};
    this.context = options.context ?? noContext;
    Object.defineProperty(this, brand, { value: true });
  }

  /** What kind of failure this is (from the code; see docs/errors.md). */
  get category(): ErrorCategory {
    return errorTraits[this.code].category;
  }

  /** How bad it is (from the code). */
  get severity(): ErrorSeverity {
    return errorTraits[this.code].severity;
  }

  /** Whether the same request may succeed later as it is (from the code). */
  get transient(): boolean {
    return errorTraits[this.code].transient;
  }

  /**
   * A copy of this error with `context` added to its own (same code, message, module, details,
   * cause and stack). Errors shared by several calls (a crash) get one copy per call.
   */
  withContext(context: ErrorContext): ChipsetError {
    // A copy of the own properties (message, stack, cause, code, ...), not a new Error: capturing
    // a stack costs microseconds, and refused calls (breaker open) get one each.
    const own = Object.getOwnPropertyDescriptors(this);
    // Node 20 keeps `stack` as an own value; Node 24 as an own accessor that reads a hidden slot
    // of the error it was captured on, which a copy lacks (its stack read undefined). The copy
    // reads the original's stack instead, formatted only when someone asks for it.
    own.stack = {
      get: () => this.stack,
      set(this: ChipsetError, stack: string | undefined) {
        Object.defineProperty(this, "stack", { value: stack, writable: true, configurable: true });
      },
      enumerable: false,
      configurable: true,
    };
    const copy = Object.create(Object.getPrototypeOf(this) as object, own) as ChipsetError;
    Object.defineProperty(copy, "context", {
      value: { ...this.context, ...context },
      enumerable: true,
      writable: true,
    });
    return copy;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /** A plain object for `--json` output and for crossing process boundaries. */
  toJSON(): {
    name: string;
    code: ErrorCode;
    category: ErrorCategory;
    severity: ErrorSeverity;
    transient: boolean;
    message: string;
    module?: string;
    details: Readonly<Record<string, unknown>>;
    context?: ErrorContext;
  } {
    return {
      name: this.name,
      code: this.code,
      category: this.category,
      severity: this.severity,
      transient: this.transient,
      message: this.message,
      ...(this.module === undefined ? {} : { module: this.module }),
      details: this.details,
      ...(this.context === noContext ? {} : { context: this.context }),
    };
  }
}

const noContext: ErrorContext = Object.freeze({});

/** True when `err` is a {@link ChipsetError} with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is ChipsetError {
  return err instanceof ChipsetError && err.code === code;
}

/** The message of any thrown value, for composing messages. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
