import type { Clock } from "../../common/Clock.js";
import type { UsageCounters } from "../../vocabulary/resources.js";
import type { WasmLimits } from "../protocol.js";
import { CallTimeLimit } from "./CallTimeLimit.js";
import type { Channel, IsolatedKind } from "./Channel.js";
import { hangCrash, timeLimitCrash, type CrashFacts } from "./crashError.js";
import { MemoryGauge, type MemoryReading } from "./MemoryGauge.js";
import { UsageGauge } from "./UsageGauge.js";
import { type HangTolerance, Watchdog } from "./Watchdog.js";

/** What a {@link ChildWatch} is set by: an isolated host's options. */
export interface WatchSettings {
  isolation: IsolatedKind;
  clock: Clock;
  hang: HangTolerance;
  /** Heap limit (worker), or heap and resident-memory limit (process), in MiB; none by default. */
  memoryMb?: number | undefined;
  /** A WebAssembly engine's limits, with its per-call time limit; undefined for a JavaScript module. */
  wasm?: WasmLimits | undefined;
}

/**
 * What watches an isolated host's child, across the channels it attaches: the watchdog that ends
 * a child silent too long (no heartbeat), a WebAssembly engine's per-call time limit, and the
 * memory and usage gauges its heartbeats feed. The first two tell `crashed` what ended it; a
 * {@link ChildLink} feeds them all while its channel is attached.
 */
export class ChildWatch {
  readonly watchdog: Watchdog;
  /** A WebAssembly engine's per-call time limit (undefined for a JavaScript module). */
  readonly timeLimit: CallTimeLimit | undefined;
  readonly gauge: MemoryGauge;
  readonly usage = new UsageGauge();

  constructor(settings: WatchSettings, crashed: (facts: CrashFacts) => void) {
    const { isolation, clock, hang, memoryMb, wasm } = settings;
    this.watchdog = new Watchdog(clock, hang, (silentMs) => crashed(hangCrash(isolation, silentMs, hang)));
    this.timeLimit =
      wasm === undefined
        ? undefined
        : new CallTimeLimit(clock, wasm.timeLimitMs, (method) =>
            crashed(timeLimitCrash(isolation, method, wasm.timeLimitMs)),
          );
    this.gauge = new MemoryGauge(
      isolation === "process" && memoryMb !== undefined ? memoryMb * 1024 * 1024 : undefined,
    );
  }

  /** The child's memory at the latest reading (see `IsolatedHost.memory`); `live` is the channel attached by then. */
  memory(channel: Channel | undefined, live: () => Channel | undefined): MemoryReading | undefined {
    this.gauge.read(channel, live);
    return this.gauge.current;
  }

  /** What the module used since it was loaded, with the heap as {@link memory} reads it. */
  used(channel: Channel | undefined, live: () => Channel | undefined): UsageCounters | undefined {
    const usage = this.usage.read(channel);
    // On Node 24, a worker's heap is read from here while it is busy.
    const heapUsed = this.memory(channel, live)?.heapUsed;
    if (usage !== undefined && heapUsed !== undefined) usage.heapUsed = heapUsed;
    return usage;
  }
}
