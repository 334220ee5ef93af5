import { Worker } from "node:worker_threads";
import { nodeFeatures } from "../../common/nodeFeatures.js";
import type { BootConfig, ChildToHost, HostToChild } from "../protocol.js";
import { ChannelBase } from "./ChannelBase.js";

/** A module host in a worker thread of this process. */
export class WorkerChannel extends ChannelBase {
  readonly isolation = "worker" as const;
  private readonly worker: Worker;
  private error: Error | undefined;

  /**
   * Starts `entry` in a new worker. `memoryMb` caps its old-generation heap (a worker that
   * reaches it ends with `ERR_WORKER_OUT_OF_MEMORY`, and this process survives).
   */
  constructor(entry: string, boot: BootConfig, memoryMb: number | undefined) {
    super();
    this.worker = new Worker(entry, {
      workerData: boot,
      // Never the runtime's own flags (an inspector port, loaders of a test runner).
      execArgv: [],
      resourceLimits: memoryMb === undefined ? undefined : { maxOldGenerationSizeMb: memoryMb },
    });
    this.pid = process.pid;
    this.threadId = this.worker.threadId;
    // Its console output comes as messages (hosts/child/captureOutput.ts): reading the worker's
    // own stdout and stderr streams would keep this process alive after unref() (Node 20).
    this.worker.on("message", (msg: ChildToHost) => this.deliver(msg));
    this.worker.on("error", (err) => (this.error ??= err));
    this.worker.on("exit", (code) => this.ended({ code, signal: null, error: this.error, stderr: "" }));
  }

  protected post(msg: HostToChild, transfer: ArrayBuffer[]): void {
    if (this.alive) this.worker.postMessage(msg, transfer);
  }

  /** On Node 24 (`worker.getHeapStatistics()`); undefined before. */
  override readHeapUsed(): Promise<number> | undefined {
    if (!nodeFeatures.workerHeapStatistics) return undefined;
    // Node 20's types do not declare it; nodeFeatures says it is there.
    const worker = this.worker as Worker & { getHeapStatistics(): Promise<{ used_heap_size: number }> };
    return worker.getHeapStatistics().then((stats) => stats.used_heap_size);
  }

  protected keepAlive(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  protected kill(): void {
    // The exit event reports the end; terminate() itself only fails if the worker already ended.
    this.worker.terminate().catch(() => undefined);
  }
}
