import { abortError } from "../../common/abort.js";
import { serializeError } from "../protocol.js";
import type { Channel } from "./Channel.js";

/** What a host asks its child for. */
export type RequestKind = "load" | "hook" | "call" | "state";

/** A request awaiting the child's answer; `name` is the method, hook or function. */
export class Pending {
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly kind: RequestKind,
    readonly name: string,
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: unknown) => void,
  ) {}
}

/**
 * A host's requests awaiting the child's answers, by id. While any is pending, the channel
 * keeps the event loop alive (ref'd when the first is added, unref'd when the last is taken).
 * A request with a signal is rejected at once with `CHIP_ERR_ABORTED` when it fires, and the
 * child is told with a `cancel` message.
 */
export class PendingRequests {
  /** The channel the requests went to (set by the host as it attaches and lets go of one). */
  channel: Channel | undefined = undefined;
  private readonly requests = new Map<number, Pending>();

  constructor(
    private readonly module: string,
    /** Names a request in messages ("the call of x@1.0.0.m()"). */
    private readonly describe: (kind: RequestKind, name: string) => string,
  ) {}

  /** Records request `id` (already sent); `signal` may cancel it. */
  add(id: number, pending: Pending, signal: AbortSignal | undefined): void {
    this.requests.set(id, pending);
    if (this.requests.size === 1) this.channel?.ref();
    if (signal !== undefined) this.cancelOnAbort(id, pending, signal);
  }

  /** Removes and returns request `id`, if still pending. */
  take(id: number): Pending | undefined {
    const pending = this.requests.get(id);
    if (pending === undefined) return undefined;
    this.requests.delete(id);
    if (this.requests.size === 0) this.channel?.unref();
    if (pending.signal !== undefined) pending.signal.removeEventListener("abort", pending.onAbort!);
    return pending;
  }

  /** Rejects every pending request with `err`. */
  rejectAll(err: Error): void {
    for (const id of [...this.requests.keys()]) this.take(id)?.reject(err);
  }

  private cancelOnAbort(id: number, pending: Pending, signal: AbortSignal): void {
    pending.signal = signal;
    pending.onAbort = () => {
      if (this.take(id) === undefined) return;
      pending.reject(abortError(signal, this.describe(pending.kind, pending.name), this.module));
      try {
        this.channel?.send({ type: "cancel", id, reason: serializeError(signal.reason) });
      } catch {
        // the child is gone: nothing left to cancel
      }
    };
    signal.addEventListener("abort", pending.onAbort, { once: true });
  }
}
