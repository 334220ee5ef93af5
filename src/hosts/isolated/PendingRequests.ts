import { abortError } from "../../common/abort.js";
import { ChipsetError, hasCode, messageOf } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { rebuildError } from "../child/rebuildError.js";
import { serializeError, type SerializedError } from "../protocol.js";
import type { Channel, IsolatedKind, RequestMessage } from "./Channel.js";

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

  /** @param module the key (`id@version`) of the module the requests go to. */
  constructor(private readonly module: string) {}

  /** Names a request in messages ("the call of x@1.0.0.m()"). */
  describe(kind: RequestKind, name: string): string {
    const key = this.module;
    if (kind === "call") return `the call of ${key}.${name}()`;
    if (kind === "hook") return `the ${name} hook of ${key}`;
    if (kind === "load") return `loading ${key}`;
    return `${name}() of ${key}`;
  }

  /**
   * Sends `msg` on `channel` and settles with the child's answer; rejects at once with
   * `CHIP_ERR_ABORTED` when `signal` has already fired. `name` is the method, hook or function.
   */
  send(
    channel: Channel,
    msg: RequestMessage,
    kind: RequestKind,
    name: string,
    signal: AbortSignal | undefined,
    /** What to transfer rather than copy to a worker (an update's state bytes). */
    transfer?: ArrayBuffer[],
  ): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(abortError(signal, this.describe(kind, name), this.module));
    return new Promise((resolve, reject) => {
      this.add(msg.id, new Pending(kind, name, resolve, reject), signal);
      // Sent with the others of this turn; one that cannot be cloned comes back to unsendable().
      channel.send(msg, undefined, transfer);
    });
  }

  /** Request `id` could not be cloned to send to the child (a `where`): it fails, saying what to pass. */
  unsendable(id: number, err: unknown, where: IsolatedKind): void {
    const pending = this.take(id);
    pending?.reject(
      new TypeError(
        `${this.module}: the arguments of ${pending.name} could not be sent to its ${where} (${messageOf(err)}); pass structured-clonable values`,
        { cause: err },
      ),
    );
  }

  /** Records request `id` (already sent); `signal` may cancel it. */
  private add(id: number, pending: Pending, signal: AbortSignal | undefined): void {
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

/**
 * The error a child answered `pending` with, rebuilt on this side; a load's failure that is not
 * coded yet becomes `CHIP_ERR_LOAD_FAILED` naming module `key`'s entry `file`.
 */
export function answerError(pending: Pending, serialized: SerializedError, key: string, file: string): Error {
  const err = rebuildError(serialized);
  if (pending.kind !== "load" || hasCode(err, ErrorCodes.LOAD_FAILED)) return err;
  return new ChipsetError(ErrorCodes.LOAD_FAILED, `${key}: importing ${file} failed: ${err.message}`, {
    module: key,
    cause: err,
    details: { file },
  });
}
