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
 *
 * An error is a value: once made, its code, message, module, details and context cannot change
 * (assigning throws in strict mode). Adding facts makes a copy ({@link withContext},
 * {@link withDetails}), so an error shared by several callers (a crash) is never altered under them.
 */
export class ChipsetError extends Error {
  declare readonly code: ErrorCode;
  declare readonly module: string | undefined;
  declare readonly details: Readonly<Record<string, unknown>>;
  declare readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: ChipsetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ChipsetError";
    Object.defineProperties(this, {
      message: { value: message, writable: false, enumerable: false, configurable: false },
      code: { value: code, writable: false, enumerable: true, configurable: false },
      module: { value: options.module, writable: false, enumerable: true, configurable: false },
      details: { value: freeze(options.details), writable: false, enumerable: true, configurable: false },
      context: {
        value: options.context === undefined ? noContext : Object.freeze({ ...options.context }),
        writable: false,
        enumerable: true,
        configurable: false,
      },
      [brand]: { value: true },
    });
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
    return this.copy("context", Object.freeze({ ...this.context, ...context }));
  }

  /** A copy of this error with `details` added to its own (same code, message, module, context, cause and stack). */
  withDetails(details: Readonly<Record<string, unknown>>): ChipsetError {
    return this.copy("details", Object.freeze({ ...this.details, ...details }));
  }

  /**
   * A copy of the own properties with one replaced, not a new Error: capturing a stack costs
   * microseconds, and refused calls (breaker open) get a copy each. The stack is read from the
   * original when asked for (on Node 24 it is an accessor that answers only for its own error,
   * and formatting it eagerly would cost as much as capturing a new one).
   */
  private copy(key: "context" | "details", value: unknown): ChipsetError {
    const descriptors = Object.getOwnPropertyDescriptors(this) as Record<PropertyKey, PropertyDescriptor>;
    descriptors[key] = { value, writable: false, enumerable: true, configurable: false };
    const original = this as Error;
    descriptors["stack"] = {
      get: () => original.stack,
      set(this: Error, stack: unknown) {
        Object.defineProperty(this, "stack", { value: stack, writable: true, configurable: true });
      },
      enumerable: false,
      configurable: true,
    };
    return Object.create(Object.getPrototypeOf(this) as object, descriptors) as ChipsetError;
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
const noDetails: Readonly<Record<string, unknown>> = Object.freeze({});

function freeze(details: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> {
  if (details === undefined) return noDetails;
  return Object.isFrozen(details) ? details : Object.freeze({ ...details });
}

/** True when `err` is a {@link ChipsetError} with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is ChipsetError {
  return err instanceof ChipsetError && err.code === code;
}

/** The message of any thrown value, for composing messages. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
