import { messageOf } from "../../errors/ChipsetError.js";
import type { ChildToHost, HeartbeatMessage } from "../protocol.js";
import { isRequest, type Channel, type ChannelExit, type HostMessage, type IsolatedKind } from "./Channel.js";
import type { ChildRequests } from "./ChildRequests.js";
import { memoryLimitCrash, reportedCrash, type CrashFacts } from "./crashError.js";
import type { UsageGauge } from "./UsageGauge.js";
import type { CallTimeLimit } from "./CallTimeLimit.js";
import type { MemoryGauge } from "./MemoryGauge.js";
import { ModuleOutput } from "./ModuleOutput.js";
import { answerError, type PendingRequests } from "./PendingRequests.js";
import type { Watchdog } from "./Watchdog.js";

/** The parts of an isolated host that a {@link ChildLink} routes to; they outlive one channel. */
export interface LinkParts {
  /** The module's `id@version`. */
  key: string;
  /** Its entry file (named when its load fails). */
  file: string;
  isolation: IsolatedKind;
  /** Its memory limit in MiB (`limits.memoryMb`), if any. */
  memoryMb: number | undefined;
  pending: PendingRequests;
  requests: ChildRequests;
  watchdog: Watchdog;
  gauge: MemoryGauge;
  usage: UsageGauge;
  /** A WebAssembly engine's per-call time limit, told of each answer (undefined for a JavaScript module). */
  timeLimit: CallTimeLimit | undefined;
  /** The child reported its own crash, or went past its memory limit. */
  crashed(facts: CrashFacts): void;
  /** The channel ended, for whatever reason. */
  exited(exit: ChannelExit): void;
}

/**
 * The wiring of one live channel to a child: its answers settle the host's pending requests, the
 * module's own requests go to the bridge, heartbeats feed the watchdog and the memory gauge, its
 * console lines go to its log, and a message that cannot be cloned fails what sent it. Made when
 * the host attaches a channel; {@link close} ends the child.
 */
export class ChildLink {
  constructor(
    readonly channel: Channel,
    private readonly parts: LinkParts,
  ) {
    parts.pending.channel = channel;
    channel.onMessage = this.receive;
    channel.onSendFailed = (msg, err) => this.sendFailed(msg, err);
    // The module's console goes to its log, so each line says whose it is.
    const output = new ModuleOutput((level, obj, line) => parts.requests.log(level, obj, line));
    channel.onStdout = (text) => output.push("stdout", text);
    channel.onStderr = (text) => output.push("stderr", text);
    void channel.exited.then((exit) => {
      output.end();
      parts.exited(exit);
    });
    parts.watchdog.start();
  }

  /** Stops routing and ends the child; what the module asked for is abandoned. Pending requests are the host's. */
  close(): void {
    const { channel, parts } = this;
    parts.pending.channel = undefined;
    parts.watchdog.stop();
    parts.timeLimit?.clear();
    channel.onMessage = undefined;
    channel.onSendFailed = undefined;
    channel.terminate();
    parts.requests.abortAll();
  }

  private readonly receive = (msg: ChildToHost): void => {
    const { pending, requests } = this.parts;
    this.parts.watchdog.messages++;
    switch (msg.type) {
      case "result":
        this.parts.timeLimit?.answered(msg.id);
        pending.take(msg.id)?.resolve(msg.value);
        return;
      case "error": {
        this.parts.timeLimit?.answered(msg.id);
        const request = pending.take(msg.id);
        request?.reject(answerError(request, msg.error, this.parts.key, this.parts.file));
        return;
      }
      case "heartbeat":
        return this.heartbeat(msg);
      case "loaded":
        pending.take(msg.id)?.resolve(msg);
        return;
      case "use":
        return requests.use(this.channel, msg);
      case "use-cancel":
        return requests.cancel(msg.id);
      case "checkpoint":
        return requests.checkpoint(this.channel, msg);
      case "log":
        return requests.log(msg.level, msg.obj, msg.msg);
      case "crash":
        return this.parts.crashed(reportedCrash(msg));
      case "ready":
        return;
    }
  };

  private heartbeat(msg: HeartbeatMessage): void {
    // A process's resident memory as the kernel counts it, where this process can read it: a
    // module can make its own report say anything.
    const rss = this.channel.readRss() ?? msg.rss;
    this.parts.usage.heartbeat(msg.usage);
    if (this.parts.gauge.heartbeat({ heapUsed: msg.heapUsed, rss }))
      this.parts.crashed(memoryLimitCrash(rss, this.parts.memoryMb));
  }

  /** A message could not be cloned: its request fails (an answer goes as an error instead); anything else is logged. */
  private sendFailed(msg: HostMessage, err: unknown): void {
    const { pending, requests } = this.parts;
    if (isRequest(msg)) {
      this.parts.timeLimit?.answered(msg.id);
      pending.unsendable(msg.id, err, this.parts.isolation);
    } else if (msg.type === "reply" && msg.ok) requests.unsendable(this.channel, msg.id, err);
    else
      requests.log(
        "warn",
        { err },
        `${this.parts.key}: a ${msg.type} message could not be sent: ${messageOf(err)}`,
      );
  }
}
