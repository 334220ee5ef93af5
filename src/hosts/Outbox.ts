/**
 * Sends messages across a thread or process boundary in batches: every message sent during one
 * turn of the event loop leaves in one post at its end (a batch of one leaves as itself). A post
 * costs about 2 µs whatever it carries (structured clone, the port, waking the other side), so
 * 64 calls in flight cost one post each way instead of 64.
 *
 * A message that cannot be cloned makes its batch fail as a whole: the batch is then sent one
 * message at a time, and each one that still fails is handed to its own `onFail` (or the
 * outbox's), so it is reported to whoever sent it and the others still go. Dependency-free: the
 * child side of a host uses it too.
 */
export class Outbox<M> {
  private queue: M[] = [];
  private fails: Array<((err: unknown) => void) | undefined> = [];
  private scheduled = false;

  /**
   * @param post posts one message, or `{ type: "batch", messages }`; throws when it cannot be cloned.
   * @param onFail told of a message that could not be sent and has no `onFail` of its own.
   */
  constructor(
    private readonly post: (msg: M | { type: "batch"; messages: M[] }) => void,
    private readonly onFail: (msg: M, err: unknown) => void,
  ) {}

  /** Queues `msg` for the end of this turn; `onFail` is told if it cannot be cloned. */
  send(msg: M, onFail?: (err: unknown) => void): void {
    this.queue.push(msg);
    this.fails.push(onFail);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Sends what is queued, then `msg`, now (a crash report, before the thread or process ends). */
  sendNow(msg: M): void {
    this.flush();
    this.post(msg);
  }

  /** Sends everything queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    const fails = this.fails;
    this.queue = [];
    this.fails = [];
    if (queue.length > 1) {
      try {
        this.post({ type: "batch", messages: queue });
        return;
      } catch {
        // One of them cannot be cloned: send them one by one, so only that one fails.
      }
    }
    for (let i = 0; i < queue.length; i++) {
      const msg = queue[i]!;
      try {
        this.post(msg);
      } catch (err) {
        const onFail = fails[i];
        if (onFail !== undefined) onFail(err);
        else this.onFail(msg, err);
      }
    }
  };
}
