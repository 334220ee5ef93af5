/** The transfer list of a message that transfers nothing. */
const none: ArrayBuffer[] = [];

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
 *
 * A message may name ArrayBuffers to transfer rather than copy (a worker's `postMessage`
 * transfer list; a process's IPC copies them anyway): they leave with its batch.
 */
export class Outbox<M> {
  private queue: M[] = [];
  private fails: Array<((err: unknown) => void) | undefined> = [];
  private transfers: ArrayBuffer[][] = [];
  /** Whether a message queued now has something to transfer (most have not: no list is built for them). */
  private transferring = false;
  private scheduled = false;

  /**
   * @param post posts one message, or `{ type: "batch", messages }`, transferring `transfer`
   *   (empty for most); throws when it cannot be cloned.
   * @param onFail told of a message that could not be sent and has no `onFail` of its own.
   */
  constructor(
    private readonly post: (msg: M | { type: "batch"; messages: M[] }, transfer: ArrayBuffer[]) => void,
    private readonly onFail: (msg: M, err: unknown) => void,
  ) {}

  /**
   * Queues `msg` for the end of this turn; `onFail` is told if it cannot be cloned. `transfer`:
   * ArrayBuffers in it to move rather than copy (they are detached here once it has left).
   */
  send(msg: M, onFail?: (err: unknown) => void, transfer: ArrayBuffer[] = none): void {
    this.queue.push(msg);
    this.fails.push(onFail);
    this.transfers.push(transfer);
    if (transfer.length > 0) this.transferring = true;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Sends what is queued, then `msg`, now (a crash report, before the thread or process ends). */
  sendNow(msg: M): void {
    this.flush();
    this.post(msg, none);
  }

  /** Sends everything queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    const fails = this.fails;
    const transfers = this.transfers;
    const transferring = this.transferring;
    this.queue = [];
    this.fails = [];
    this.transfers = [];
    this.transferring = false;
    if (queue.length > 1) {
      try {
        this.post({ type: "batch", messages: queue }, transferring ? transfers.flat() : none);
        return;
      } catch {
        // One of them cannot be cloned: send them one by one, so only that one fails.
      }
    }
    for (let i = 0; i < queue.length; i++) {
      const msg = queue[i]!;
      try {
        this.post(msg, transfers[i]!);
      } catch (err) {
        const onFail = fails[i];
        if (onFail !== undefined) onFail(err);
        else this.onFail(msg, err);
      }
    }
  };
}
