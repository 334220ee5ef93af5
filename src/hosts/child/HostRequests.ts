import { ChipsetError, messageOf } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { callStore } from "../callStore.js";
import type { CheckpointMessage, ReplyMessage, UseMessage } from "../protocol.js";
import { rebuildError } from "./rebuildError.js";
import type { ChildTransport } from "./transport.js";

/** What `currentCall().signal` is when the caller passed no signal: one that never fires. */
export const neverAborted: AbortSignal = new AbortController().signal;

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * The child's own requests to its host (`ctx.use(...).method()`, `ctx.checkpoint`), numbered
 * in the child's id space and settled by the host's `reply` messages.
 */
export class HostRequests {
  private readonly waiting = new Map<number, Waiter>();
  private seq = 0;

  constructor(private readonly transport: ChildTransport) {}

  /**
   * Calls `method` of dependency `target` through the host. Inside a cancellable call or a
   * hook, its signal cancels the request too (the host is told with `use-cancel`).
   */
  use(target: string, method: string, args: unknown[], optional: boolean): Promise<unknown> {
    const current = callStore().getStore()?.signal;
    const signal = current === neverAborted ? undefined : current;
    const what = `${target}.${method}()`;
    if (signal?.aborted) return Promise.reject(aborted(signal, what));
    const id = ++this.seq;
    const msg: UseMessage = { type: "use", id, target, method, args, optional };
    const promise = this.send(msg, `the arguments of ${what}`);
    if (signal === undefined) return promise;
    const onAbort = () => {
      const waiter = this.waiting.get(id);
      if (waiter === undefined) return;
      this.waiting.delete(id);
      this.transport.send({ type: "use-cancel", id });
      waiter.reject(aborted(signal, what));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const detach = () => signal.removeEventListener("abort", onAbort);
    promise.then(detach, detach);
    return promise;
  }

  /** `ctx.checkpoint(state)`: resolves once the host has stored `state`. */
  checkpoint(state: unknown): Promise<void> {
    const msg: CheckpointMessage = { type: "checkpoint", id: ++this.seq, state };
    return this.send(msg, "the checkpoint state") as Promise<void>;
  }

  /** Settles the request the host answered (a reply to a request given up on is dropped). */
  settle(reply: ReplyMessage): void {
    const waiter = this.waiting.get(reply.id);
    if (waiter === undefined) return;
    this.waiting.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(rebuildError(reply.error));
  }

  private send(msg: UseMessage | CheckpointMessage, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.set(msg.id, { resolve, reject });
      this.transport.send(msg, (err) => {
        if (!this.waiting.delete(msg.id)) return;
        reject(
          new TypeError(
            `${what} could not be sent to the host (${messageOf(err)}); pass structured-clonable values`,
            { cause: err },
          ),
        );
      });
    });
  }
}

function aborted(signal: AbortSignal, what: string): Error {
  if (signal.reason instanceof ChipsetError) return signal.reason;
  return new ChipsetError(ErrorCodes.ABORTED, `${what} was cancelled`, { cause: signal.reason });
}
