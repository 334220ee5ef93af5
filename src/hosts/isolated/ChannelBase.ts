import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { Outbox } from "../Outbox.js";
import { ProcStats } from "./procStats.js";
import type { ChildToHost, HostToChild } from "../protocol.js";
import type { Channel, ChannelExit, HostMessage, IsolatedKind } from "./Channel.js";

/**
 * What worker and process channels share: the `ready` handshake, the `exited` promise and the
 * dispatch of messages to the owner. Subclasses call {@link deliver} and {@link ended}.
 */
export abstract class ChannelBase implements Channel {
  abstract readonly isolation: IsolatedKind;
  pid = 0;
  threadId = 0;
  readonly ready: Promise<void>;
  readonly exited: Promise<ChannelExit>;
  alive = true;
  onMessage: ((msg: ChildToHost) => void) | undefined = undefined;
  onStdout: ((text: string) => void) | undefined = undefined;
  onStderr: ((text: string) => void) | undefined = undefined;
  protected terminating = false;
  /** Told of a message that could not be sent and had no `onFail` of its own (logged by the owner). */
  onSendFailed: ((msg: HostMessage, err: unknown) => void) | undefined = undefined;
  private readonly outbox = new Outbox<HostMessage>(
    (msg, transfer) => this.post(msg, transfer),
    (msg, err) => this.onSendFailed?.(msg, err),
  );
  private booted = false;
  /** The kernel's figures of the child, read through `/proc` (from `ready` until the child ends). */
  private proc: ProcStats | undefined = undefined;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private resolveExited!: (exit: ChannelExit) => void;

  constructor() {
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody may be waiting for a blank host to start; its failure is reported to whoever asks.
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  send(msg: HostMessage, onFail?: (err: unknown) => void, transfer?: ArrayBuffer[]): void {
    if (this.alive) this.outbox.send(msg, onFail, transfer);
  }

  /**
   * Posts one message or a batch now (a worker's `postMessage`, transferring `transfer`; a
   * process's `send`, which copies everything); throws when it cannot be cloned.
   */
  protected abstract post(msg: HostToChild, transfer: ArrayBuffer[]): void;
  /** Makes the thread or process keep the event loop alive (`true`) or not. */
  protected abstract keepAlive(on: boolean): void;
  protected abstract kill(): void;

  ref(): void {
    this.keepAlive(true);
  }

  unref(): void {
    // A host being ended keeps the loop alive until it has: see terminate().
    if (!this.terminating) this.keepAlive(false);
  }

  readHeapUsed(): Promise<number> | undefined {
    return undefined;
  }

  readRss(): number | undefined {
    return this.isolation === "process" ? this.proc?.rss() : undefined;
  }

  readCpuUs(): number | undefined {
    return this.proc?.cpuUs();
  }

  readStorageIo(): { read: number; write: number } | undefined {
    return this.isolation === "process" ? this.proc?.storageIo() : undefined;
  }

  terminate(): void {
    if (!this.alive || this.terminating) return;
    this.terminating = true;
    // Until it has ended, so that whoever waits for `exited` (the pool's close) is not cut short.
    this.keepAlive(true);
    this.kill();
  }

  /** Hands a message from the child to the owner (the first one must be `ready`), a batch one by one. */
  protected deliver(msg: ChildToHost): void {
    if (msg.type === "batch") {
      for (const m of msg.messages) this.deliver(m);
      return;
    }
    if (msg.type === "output") {
      (msg.stream === "stdout" ? this.onStdout : this.onStderr)?.(msg.text);
      return;
    }
    if (this.booted) {
      this.onMessage?.(msg);
      return;
    }
    if (msg.type !== "ready") return;
    this.booted = true;
    this.pid = msg.pid;
    this.threadId = msg.threadId;
    // A process's figures are the whole process's; a worker's CPU time is its own thread's (a
    // worker has no memory or storage figures of its own in /proc).
    if (this.isolation === "process") this.proc = new ProcStats(msg.pid);
    else if (msg.tid > 0) this.proc = new ProcStats(msg.pid, msg.tid);
    this.resolveReady();
  }

  /** Records the end of the child; before `ready`, that is a start failure. */
  protected ended(exit: Omit<ChannelExit, "terminated">): void {
    if (!this.alive) return;
    this.alive = false;
    this.proc?.close();
    this.proc = undefined;
    const full: ChannelExit = { ...exit, terminated: this.terminating };
    if (!this.booted) this.rejectReady(this.startError(full));
    this.resolveExited(full);
  }

  private startError(exit: ChannelExit): ChipsetError {
    const how = exit.terminated
      ? "it was terminated while starting"
      : exit.error
        ? `it failed: ${exit.error.message}`
        : exit.signal
          ? `it was killed by ${exit.signal}`
          : `it exited with code ${String(exit.code)}`;
    const stderr = exit.stderr.trim();
    return new ChipsetError(
      ErrorCodes.HOST_START_FAILED,
      `a ${this.isolation} host could not start: ${how}` +
        (stderr ? `; its stderr ends with: ${stderr.slice(-500)}` : "") +
        "; check the memory limit, the permissions and that chipset is built (dist/hosts/child/main.js)",
      {
        cause: exit.error ?? new Error(stderr ? `${how}; stderr: ${stderr}` : how),
        details: { isolation: this.isolation, exitCode: exit.code, signal: exit.signal },
      },
    );
  }
}
