import type { Clock } from "../common/Clock.js";
import type { Disposable } from "../common/Disposable.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import {
  ChipsetError,
  ErrorCodes,
  errorTraits,
  messageOf,
  type ErrorCode,
  type ErrorContext,
} from "../errors/index.js";
import {
  RUNTIME_MODULE,
  addCount,
  type ErrorCountDelta,
  type ErrorCounts,
  type ErrorEntry,
  type ErrorStore,
} from "./ErrorStore.js";

export { RUNTIME_MODULE, type ErrorCounts, type ErrorEntry } from "./ErrorStore.js";

/** What an {@link ErrorMonitor} needs. */
export interface ErrorMonitorDeps {
  clock: Clock;
  store: ErrorStore;
  /** Recent errors kept, in memory and in the database (at least 1). Default 500. */
  capacity?: number;
  /** Interval of the background flush, in milliseconds (at least 1). Default 1000. */
  flushMs?: number;
  /**
   * Receives a failed background flush (`CHIP_ERR_STORE_FAILED`, the store's error as `cause`);
   * the errors stay pending and the next flush retries them. Should log, not throw.
   */
  onError: (err: ChipsetError) => void;
}

/** Code of a recorded value that is not a ChipsetError. */
const UNKNOWN = "UNKNOWN";
const MAX_CAUSES = 5;

/**
 * The global error monitor: all-time counts by code and module, and a bounded list of recent
 * errors with their context. `record` only writes to a ring in memory; a background flush
 * writes what is pending to the database in one transaction per interval, where another
 * process (`chipset errors`) reads it. Queries combine the database with what is pending.
 *
 * The module of an error is `context.id`, else the error's own `context.id`, else the id in its
 * `module` (`id@version`); errors with none are counted under {@link RUNTIME_MODULE}.
 */
export class ErrorMonitor {
  private readonly clock: Clock;
  private readonly store: ErrorStore;
  private readonly capacity: number;
  private readonly flushMs: number;
  private readonly onError: (err: ChipsetError) => void;

  // The pending errors, a ring of parallel arrays so that `record` allocates nothing per error.
  // The error itself is kept and only described when flushed or queried: under a flood most are
  // overwritten first. Slot `(head + i) % capacity` holds the i-th oldest, seq `nextSeq - size + i`.
  private readonly pendingAt: Float64Array;
  private readonly pendingError: unknown[];
  private readonly pendingContext: Array<ErrorContext | undefined>;
  private readonly pendingModule: string[];
  private head = 0;
  private size = 0;
  private nextSeq: number;
  // Count increments not written yet, code -> module -> n: every error counts, dropped or not.
  private readonly deltas = new Map<string, Map<string, number>>();
  // The last `module` ref parsed and its id: errors come in runs from one module.
  private lastRef = "";
  private lastRefId = "";

  private timer: Disposable | undefined;
  private closed = false;
  private started = false;

  /** Reads the last stored `seq` (so numbering goes on across runs); throws when the store cannot be read. */
  constructor(deps: ErrorMonitorDeps) {
    this.clock = deps.clock;
    this.store = deps.store;
    this.capacity = Math.max(1, Math.trunc(deps.capacity ?? 500));
    this.flushMs = Math.max(1, deps.flushMs ?? 1000);
    this.onError = deps.onError;
    this.pendingAt = new Float64Array(this.capacity);
    this.pendingError = new Array<unknown>(this.capacity);
    this.pendingContext = new Array<ErrorContext | undefined>(this.capacity);
    this.pendingModule = new Array<string>(this.capacity);
    this.nextSeq = this.store.lastSeq() + 1;
  }

  /**
   * Records one error (a ChipsetError with its context, or any other value, as code `UNKNOWN`);
   * `context` overrides the error's own fields. No I/O: the flush writes it. Never throws.
   */
  record(error: unknown, context?: ErrorContext): void {
    try {
      const isChipset = error instanceof ChipsetError;
      const code: string = isChipset ? error.code : UNKNOWN;
      const module = context?.id ?? (isChipset ? this.moduleOf(error) : RUNTIME_MODULE);
      let slot: number;
      if (this.size < this.capacity) {
        slot = (this.head + this.size) % this.capacity;
        this.size++;
      } else {
        // Full: the oldest pending error is dropped (its seq becomes a gap); it is still counted.
        slot = this.head;
        this.head = (this.head + 1) % this.capacity;
      }
      this.pendingAt[slot] = this.clock.wallNow();
      this.pendingError[slot] = error;
      this.pendingContext[slot] = context;
      this.pendingModule[slot] = module;
      this.nextSeq++;
      let byModule = this.deltas.get(code);
      if (byModule === undefined) this.deltas.set(code, (byModule = new Map<string, number>()));
      byModule.set(module, (byModule.get(module) ?? 0) + 1);
      if (this.started && this.timer === undefined && !this.closed) this.arm();
    } catch (err) {
      // Only a hostile value (a throwing Proxy) gets here; the error path must not throw.
      this.report(
        new ChipsetError(
          ErrorCodes.INTERNAL,
          `The error monitor could not record an error: ${messageOf(err)}.`,
          { cause: err },
        ),
      );
    }
  }

  /**
   * Recent errors, newest first: pending ones, then those in the database (including other
   * processes' writes). Of one module id (or {@link RUNTIME_MODULE}) when given; at most `limit`
   * (default 50, at most the capacity).
   */
  recent(filter: { id?: string; limit?: number } = {}): ErrorEntry[] {
    const limit = Math.min(this.capacity, Math.max(0, Math.trunc(filter.limit ?? 50)));
    const out: ErrorEntry[] = [];
    for (let i = this.size - 1; i >= 0 && out.length < limit; i--) {
      const slot = (this.head + i) % this.capacity;
      if (filter.id === undefined || this.pendingModule[slot] === filter.id) out.push(this.describe(slot, i));
    }
    if (out.length < limit) out.push(...this.store.recent({ ...filter, limit: limit - out.length }));
    return out;
  }

  /** All-time counts (written and pending), of one module id (or {@link RUNTIME_MODULE}) when given. */
  counts(filter: { id?: string } = {}): ErrorCounts {
    const counts = this.store.counts(filter);
    for (const [code, byModule] of this.deltas)
      for (const [module, n] of byModule)
        if (filter.id === undefined || module === filter.id) addCount(counts, code, module, n);
    return counts;
  }

  /**
   * How many errors each module version had between `since` and `until` (ms since the epoch,
   * `since` included, `until` not): pending ones and those in the database, as far as the kept recent errors go
   * (`id` null: the runtime's own; `version` null: recorded without one).
   */
  countsBetween(
    since: number,
    until: number,
  ): Array<{ id: string | null; version: string | null; count: number }> {
    const counts = new Map<string, { id: string | null; version: string | null; count: number }>();
    const add = (id: string | null, version: string | null, n: number): void => {
      const key = `${id ?? ""}\u0000${version ?? ""}`;
      const entry = counts.get(key);
      if (entry === undefined) counts.set(key, { id, version, count: n });
      else entry.count += n;
    };
    for (const c of this.store.countsBetween(since, until)) add(c.id, c.version, c.count);
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) % this.capacity;
      const at = this.pendingAt[slot]!;
      if (at < since || at >= until) continue;
      const e = this.describe(slot, i);
      add(e.id ?? null, e.version ?? null, 1);
    }
    return [...counts.values()];
  }

  /**
   * Writes the pending errors and count increments in one transaction. Throws
   * `CHIP_ERR_STORE_FAILED` when the write fails, keeping them pending for the next flush.
   */
  flush(): void {
    if (this.size === 0 && this.deltas.size === 0) return;
    const entries: ErrorEntry[] = [];
    for (let i = 0; i < this.size; i++) entries.push(this.describe((this.head + i) % this.capacity, i));
    const counts: ErrorCountDelta[] = [];
    for (const [code, byModule] of this.deltas)
      for (const [module, count] of byModule) counts.push({ code, module, count });
    let last: number;
    try {
      last = this.store.append(entries, counts, this.capacity);
    } catch (err) {
      throw new ChipsetError(
        ErrorCodes.STORE_FAILED,
        `The error monitor could not write ${entries.length} errors to ${this.store.path}: ${messageOf(err)}. ` +
          `They stay in memory (the newest ${this.capacity}, all of them counted) and the next flush retries; ` +
          "check that the data directory is writable and not held locked by another process.",
        { cause: err, details: { path: this.store.path, pending: entries.length } },
      );
    }
    for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) % this.capacity;
      this.pendingError[slot] = undefined; // let the errors (and what their causes hold) be collected
      this.pendingContext[slot] = undefined;
    }
    this.head = 0;
    this.size = 0;
    this.deltas.clear();
    this.nextSeq = Math.max(this.nextSeq, last + 1);
  }

  /**
   * Starts the background flush: `flushMs` after an error is recorded, its batch is written (a
   * background timer: it keeps no process alive, and none runs while there is nothing to write).
   * Idempotent.
   */
  start(): void {
    this.started = true;
    if (this.timer === undefined && !this.closed && this.size > 0) this.arm();
  }

  /**
   * Stops the timer and flushes; a failed flush goes to `onError` (never thrown), and its errors
   * stay queryable. Idempotent. Call it before closing the database.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.dispose();
    this.timer = undefined;
    this.flushReporting();
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.flushReporting();
        if (!this.closed && this.size > 0) this.arm(); // the flush failed: try again later
      },
      this.flushMs,
      { background: true },
    );
  }

  private flushReporting(): void {
    try {
      this.flush();
    } catch (err) {
      this.report(err as ChipsetError);
    }
  }

  private report(err: ChipsetError): void {
    try {
      this.onError(err);
    } catch {
      // A throwing reporter has nowhere else to go, and must not stop the flush timer.
    }
  }

  /** The module id of a ChipsetError recorded without `context.id`. */
  private moduleOf(error: ChipsetError): string {
    // `context` may be missing on an error from an older copy of the library.
    const own = (error.context as ErrorContext | undefined)?.id;
    if (own !== undefined) return own;
    const ref = error.module;
    if (ref === undefined || ref === "") return RUNTIME_MODULE;
    if (ref !== this.lastRef) {
      this.lastRef = ref;
      this.lastRefId = parseModuleRef(ref).id;
    }
    return this.lastRefId;
  }

  /** The pending error in `slot`, the i-th oldest, as an entry. */
  private describe(slot: number, i: number): ErrorEntry {
    const seq = this.nextSeq - this.size + i;
    const at = this.pendingAt[slot] as number;
    const module = this.pendingModule[slot] as string;
    try {
      return describeError(this.pendingError[slot], this.pendingContext[slot], { seq, at, module });
    } catch (err) {
      return {
        ...base(seq, at, UNKNOWN, "NonError", module),
        message: `(the error could not be read: ${messageOf(err)})`,
        causes: [],
      };
    }
  }
}

const unknownTraits = { category: "internal", severity: "error", transient: false } as const;

function base(seq: number, at: number, code: string, name: string, module: string) {
  const traits = errorTraits[code as ErrorCode] ?? unknownTraits;
  return {
    seq,
    at,
    code,
    name,
    category: traits.category as string,
    severity: traits.severity as string,
    transient: traits.transient,
    ...(module === RUNTIME_MODULE ? {} : { id: module }),
  };
}

/** Describes `error` as an entry: `context` over the error's own context, causes summarised. */
function describeError(
  error: unknown,
  context: ErrorContext | undefined,
  at: { seq: number; at: number; module: string },
): ErrorEntry {
  const isError = error instanceof Error;
  const isChipset = error instanceof ChipsetError;
  const own = isChipset ? ((error.context as ErrorContext | undefined) ?? {}) : {};
  const ctx: ErrorContext = context === undefined ? own : { ...own, ...context };
  let version = ctx.version;
  if (version === undefined && isChipset && error.module !== undefined) {
    const ref = parseModuleRef(error.module);
    if (ref.id === at.module) version = ref.version;
  }
  return {
    ...base(at.seq, at.at, isChipset ? error.code : UNKNOWN, isError ? error.name : "NonError", at.module),
    message: isError ? error.message : messageOf(error),
    ...(version === undefined ? {} : { version }),
    ...(ctx.method === undefined ? {} : { method: ctx.method }),
    ...(ctx.attempt === undefined ? {} : { attempt: ctx.attempt }),
    ...(ctx.host === undefined ? {} : { host: ctx.host }),
    ...(ctx.callId === undefined ? {} : { callId: ctx.callId }),
    causes: causesOf(error),
  };
}

/** The first line of each cause down the chain of `error`, at most five. */
function causesOf(error: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>([error]);
  let cause = error instanceof Error ? error.cause : undefined;
  while (cause !== undefined && out.length < MAX_CAUSES && !seen.has(cause)) {
    seen.add(cause);
    out.push(firstLine(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return out;
}

function firstLine(value: unknown): string {
  let text: string;
  if (value instanceof Error) {
    // A cause rebuilt from a worker is a plain Error that kept its `code`.
    const code = (value as { code?: unknown }).code;
    const label = typeof code === "string" && code.startsWith("CHIP_ERR_") ? code : value.name;
    text = `${label}: ${value.message}`;
  } else {
    text = messageOf(value);
  }
  const end = text.indexOf("\n");
  return end === -1 ? text : text.slice(0, end);
}
