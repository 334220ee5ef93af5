import { join } from "node:path";
import { abortError } from "../common/abort.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { PROTOCOL_VERSION, type BootConfig } from "./protocol.js";
import { packageRoot } from "./sdkLink.js";
import type { Channel, IsolatedKind } from "./isolated/Channel.js";
import { isPooled, type HostSpec } from "./isolated/hostSpec.js";
import { childEnvironment } from "./isolated/childEnvironment.js";
import { processExecArgv } from "./isolated/processArgs.js";
import { ProcessChannel } from "./isolated/ProcessChannel.js";
import { WorkerChannel } from "./isolated/WorkerChannel.js";

/** Sizes of the warm pool and the heartbeat of every host it starts. */
export interface HostPoolOptions {
  /** Blank worker hosts kept started, ready for a module (0: none). */
  worker: number;
  /** Blank process hosts kept started, ready for a module (0: none). */
  process: number;
  /** How often each host reports that it is alive, in ms. */
  heartbeatMs: number;
}

/**
 * How long after a module took a blank host the pool starts its replacement, in ms. Starting a
 * child process blocks this thread for several ms (fork), and a new host then boots on the same
 * two cores as the module's first hooks and calls: the replacement waits until those are done.
 */
const REFILL_DELAY_MS = 50;

/** Blank hosts of one isolation: started ones, and ones still starting. */
interface Blanks {
  ready: Channel[];
  starting: Channel[];
}

/**
 * Starts the worker threads and child processes that run isolated modules, and keeps a few
 * blank ones warm so that loading such a module costs no thread or process start. It tracks
 * every host it started until that host has ended, so {@link close} can wait until none is left.
 *
 * A blank host never keeps the event loop alive; a host being started for a caller does until
 * it is ready; after that its owner refs it while requests are pending.
 */
export class HostPool {
  private readonly entry = join(packageRoot(), "dist", "hosts", "child", "main.js");
  private readonly boot: BootConfig;
  private readonly blanks: Record<IsolatedKind, Blanks> = {
    worker: { ready: [], starting: [] },
    process: { ready: [], starting: [] },
  };
  private readonly channels = new Set<Channel>();
  /** Refills due soon, by isolation (see {@link refillSoon}). */
  private readonly refills: Partial<
    Record<IsolatedKind, { timer: NodeJS.Timeout; done: Promise<void>; resolve: () => void }>
  > = {};
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: HostPoolOptions) {
    this.boot = { protocol: PROTOCOL_VERSION, heartbeatMs: options.heartbeatMs };
  }

  /** Hosts started and not yet ended: blank, starting and in use. */
  get live(): number {
    return this.channels.size;
  }

  /** Blank hosts of `isolation` started or starting now (at most the configured size). */
  blankCount(isolation: IsolatedKind): number {
    const b = this.blanks[isolation];
    return b.ready.length + b.starting.length;
  }

  /** Starts blank hosts of `isolation` in the background until the pool holds its configured size. */
  warm(isolation: IsolatedKind): void {
    const size = this.options[isolation];
    const blanks = this.blanks[isolation];
    while (!this.closed && blanks.ready.length + blanks.starting.length < size) {
      let channel: Channel;
      try {
        channel = this.start({ isolation });
      } catch {
        return; // the next acquire starts one itself and reports why it cannot
      }
      channel.unref();
      blanks.starting.push(channel);
      channel.ready.then(
        () => {
          if (remove(blanks.starting, channel)) blanks.ready.push(channel);
        },
        // A blank host that cannot start is not retried here (no restart loop).
        () => remove(blanks.starting, channel),
      );
    }
  }

  /**
   * Warms the pool for a module that will need a host like `spec` (in the background): only
   * hosts without a memory limit or permissions come from the pool, so other specs change nothing.
   */
  warmFor(spec: {
    isolation: IsolatedKind;
    memoryMb?: number | undefined;
    permissions?: object | undefined;
  }): void {
    if (isPooled(spec)) this.warm(spec.isolation);
  }

  /**
   * A started host for `spec`: a blank one from the pool when `spec` is the default (no memory
   * limit, no permissions), else a new one. The pool is not refilled here: call {@link refill}
   * once the module is in, so the new host does not boot on the same cores as its import. Rejects
   * with `CHIP_ERR_HOST_START_FAILED` when the host cannot start, `CHIP_ERR_ABORTED` when
   * `signal` fires first, `CHIP_ERR_RUNTIME_CLOSED` once the pool is closed.
   */
  async acquire(spec: HostSpec, signal?: AbortSignal): Promise<Channel> {
    this.assertOpen();
    if (signal?.aborted) throw abortError(signal, `starting a ${spec.isolation} host`);
    let channel: Channel | undefined;
    if (isPooled(spec)) {
      const blanks = this.blanks[spec.isolation];
      channel = takeBlank(blanks);
    }
    if (channel === undefined) {
      try {
        channel = this.start(spec);
      } catch (err) {
        throw new ChipsetError(
          ErrorCodes.HOST_START_FAILED,
          `a ${spec.isolation} host could not start: ${messageOf(err)}; check the memory limit and the permissions`,
          { cause: err, details: { isolation: spec.isolation } },
        );
      }
    }
    channel.ref();
    try {
      await this.whenReady(channel, signal);
    } finally {
      channel.unref();
    }
    if (this.closed) {
      channel.terminate();
      this.assertOpen();
    }
    return channel;
  }

  /** Tops the pool up again after an {@link acquire} of `spec` (only default specs use the pool). */
  refill(spec: HostSpec): void {
    if (isPooled(spec)) this.warm(spec.isolation);
  }

  /**
   * Refills the pool for `spec` a moment from now ({@link REFILL_DELAY_MS}): once a module has
   * taken a blank host, its first hooks and calls go first. Refills due together are one.
   */
  refillSoon(spec: HostSpec): void {
    if (!isPooled(spec) || this.closed || this.refills[spec.isolation] !== undefined) return;
    const isolation = spec.isolation;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const timer = setTimeout(() => {
      delete this.refills[isolation];
      this.warm(isolation);
      resolve();
    }, REFILL_DELAY_MS);
    timer.unref();
    this.refills[isolation] = { timer, done, resolve };
  }

  /** Resolves once the pool holds its full size of started blank hosts of `isolation` (or is closed). */
  async filled(isolation: IsolatedKind): Promise<void> {
    for (;;) {
      await this.refills[isolation]?.done;
      const blanks = this.blanks[isolation];
      if (this.closed || blanks.ready.length >= this.options[isolation]) return;
      if (blanks.starting.length === 0) return; // a host that cannot start is not retried
      await Promise.allSettled(blanks.starting.map((channel) => channel.ready));
    }
  }

  /** Ends the blank hosts and resolves once every host (the ones in use included) has ended. */
  close(): Promise<void> {
    this.closed = true;
    for (const refill of Object.values(this.refills)) {
      clearTimeout(refill.timer);
      refill.resolve();
    }
    for (const blanks of Object.values(this.blanks)) {
      for (const channel of [...blanks.ready, ...blanks.starting]) channel.terminate();
      blanks.ready.length = 0;
      blanks.starting.length = 0;
    }
    return this.idle();
  }

  /** Ends every host now, in use or not, and resolves once all have ended. */
  destroy(): Promise<void> {
    const closing = this.close();
    for (const channel of this.channels) channel.terminate();
    return closing;
  }

  private idle(): Promise<void> {
    if (this.channels.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(spec: HostSpec): Channel {
    const channel =
      spec.isolation === "worker"
        ? new WorkerChannel(this.entry, this.boot, spec.memoryMb)
        : new ProcessChannel(
            this.entry,
            this.boot,
            processExecArgv(spec.memoryMb, spec.permissions),
            childEnvironment(spec.permissions),
            spec.permissions === undefined
              ? undefined
              : {
                  net: spec.permissions.net ?? false,
                  // The module's directory comes first in fsRead (see moduleHostSpec).
                  reads: [this.entry, ...spec.permissions.fsRead.slice(0, 1)],
                  ...(spec.memoryMb === undefined ? {} : { memoryMb: spec.memoryMb }),
                  ...(spec.pids === undefined ? {} : { pids: spec.pids }),
                  ...(spec.cpuPercent === undefined ? {} : { cpuPercent: spec.cpuPercent }),
                },
          );
    this.channels.add(channel);
    void channel.exited.then(() => this.forget(channel));
    return channel;
  }

  private forget(channel: Channel): void {
    this.channels.delete(channel);
    const blanks = this.blanks[channel.isolation];
    remove(blanks.ready, channel);
    remove(blanks.starting, channel);
    if (this.channels.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private whenReady(channel: Channel, signal: AbortSignal | undefined): Promise<void> {
    if (signal === undefined) return channel.ready;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        channel.terminate();
        reject(abortError(signal, `starting a ${channel.isolation} host`));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      channel.ready.finally(() => signal.removeEventListener("abort", onAbort)).then(resolve, reject);
    });
  }

  private assertOpen(): void {
    if (this.closed)
      throw new ChipsetError(
        ErrorCodes.RUNTIME_CLOSED,
        "the host pool is closed; no new worker or process hosts start",
      );
  }
}

/** A blank host still alive: a started one first, else the oldest still starting. */
function takeBlank(blanks: Blanks): Channel | undefined {
  for (;;) {
    const channel = blanks.ready.pop() ?? blanks.starting.shift();
    if (channel === undefined || channel.alive) return channel;
  }
}

function remove(list: Channel[], channel: Channel): boolean {
  const at = list.indexOf(channel);
  if (at < 0) return false;
  list.splice(at, 1);
  return true;
}
