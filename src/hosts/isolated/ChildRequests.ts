import { ChipsetError, messageOf } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { serializeError, type CheckpointMessage, type LogMessage, type UseMessage } from "../protocol.js";
import type { Channel } from "./Channel.js";
import type { HostBridge } from "../HostBridge.js";

/**
 * Serves what a module in a worker or process asks of the runtime (its `ctx.use` calls, its
 * checkpoints and log lines) through the host's bridge, and sends each answer back on the
 * channel it came from, if that channel is still the host's.
 */
export class ChildRequests {
  /** The module's `use` requests being served, by the child's id. */
  private readonly serving = new Map<number, AbortController>();

  constructor(
    private readonly key: string,
    private readonly bridge: HostBridge,
    private readonly current: () => Channel | undefined,
  ) {}

  /** `ctx.use(target)[method](...args)`: answered once the bridge settles, unless cancelled first. */
  use(channel: Channel, msg: UseMessage): void {
    const controller = new AbortController();
    this.serving.set(msg.id, controller);
    // A bridge that throws instead of rejecting still gets its error back to the module.
    const answer = new Promise<unknown>((resolve) =>
      resolve(this.bridge.use(msg.target, msg.method, msg.args, msg.optional, controller.signal)),
    );
    this.settle(channel, msg.id, answer, true);
  }

  /** The module gave up waiting for its `use` request `id`. */
  cancel(id: number): void {
    this.serving
      .get(id)
      ?.abort(
        new ChipsetError(ErrorCodes.ABORTED, `${this.key} gave up waiting for ${id}`, { module: this.key }),
      );
    this.serving.delete(id);
  }

  /** `ctx.checkpoint(state)`: answered once the bridge has stored it. */
  checkpoint(channel: Channel, msg: CheckpointMessage): void {
    this.settle(channel, msg.id, new Promise((resolve) => resolve(this.bridge.checkpoint(msg.state))));
  }

  /** Passes a line to the bridge; a logger that throws must not take the runtime down with it. */
  log(level: LogMessage["level"], obj: unknown, msg: string | undefined): void {
    try {
      this.bridge.log(level, obj, msg);
    } catch {
      // nowhere left to report it
    }
  }

  /** The answer to the module's request `id` could not be cloned: the module gets an error instead. */
  unsendable(channel: Channel, id: number, err: unknown): void {
    const error = new TypeError(`the answer could not be sent to ${this.key} (${messageOf(err)})`, {
      cause: err,
    });
    channel.send({ type: "reply", id, ok: false, error: serializeError(error) });
  }

  /** The host ended: what the module asked for is abandoned. */
  abortAll(): void {
    for (const controller of this.serving.values()) {
      controller.abort(new ChipsetError(ErrorCodes.ABORTED, `${this.key} ended`, { module: this.key }));
    }
    this.serving.clear();
  }

  /** Sends the child the answer to its request `id` once `answer` settles (if still wanted). */
  private settle(channel: Channel, id: number, answer: Promise<unknown>, isUse = false): void {
    const send = (ok: boolean, value: unknown) => {
      if (isUse && !this.serving.delete(id)) return; // the module gave up on it
      if (this.current() !== channel) return;
      // An answer that cannot be cloned goes back as an error (the host passes it to unsendable).
      channel.send(
        ok
          ? { type: "reply", id, ok: true, value }
          : { type: "reply", id, ok: false, error: serializeError(value) },
      );
    };
    answer.then(
      (value) => send(true, value),
      (err: unknown) => send(false, err),
    );
  }
}
