import { ManualClock } from "../../src/common/Clock.js";
import { DisposableStore, toDisposable, type Disposable } from "../../src/common/Disposable.js";
import { EventSource } from "../../src/common/Event.js";
import type { ChipsetError } from "../../src/errors/ChipsetError.js";
import type { CrashInfo, HostInfo } from "../../src/vocabulary/hosts.js";
import type { HostHook, LifecycleCommand, LifecycleState } from "../../src/vocabulary/lifecycle.js";
import type { ModuleHost } from "../../src/hosts/ModuleHost.js";
import type { StateParcel } from "../../src/hosts/StateParcel.js";
import { IntakeGate } from "../../src/lifecycle/IntakeGate.js";
import type { LifecycleSubject } from "../../src/lifecycle/LifecycleSubject.js";
import type { ModuleContext } from "../../src/module.js";

/** How a fake hook behaves on its next run. */
export type Behaviour = "ok" | "async-ok" | "throw" | "reject" | "hang";

/** A host whose hooks do what the test says, recording every run (for runner unit tests only). */
export class FakeHost implements ModuleHost {
  readonly isolation = "inline" as const;
  loaded = false;
  readonly runs: string[] = [];
  readonly signals: AbortSignal[] = [];
  behaviour: Partial<Record<HostHook | "load", Behaviour>> = {};
  crash: CrashInfo | undefined;
  private readonly crashes = new EventSource<CrashInfo>();
  onCrash(listener: (crash: CrashInfo) => void): Disposable {
    return this.crashes.subscribe(listener);
  }

  load(deadline: { readonly signal: AbortSignal }): void | Promise<void> {
    const signal = deadline.signal;
    this.runs.push("load");
    this.signals.push(signal);
    const result = act(this.behaviour.load ?? "async-ok", signal);
    if (result === undefined) {
      this.loaded = true;
      return;
    }
    return Promise.resolve(result).then(() => {
      this.loaded = true;
    });
  }
  loadSync(): void {
    this.loaded = true;
  }
  runHook(hook: HostHook, ctx: ModuleContext): unknown {
    this.runs.push(hook);
    return act(this.behaviour[hook] ?? "ok", ctx.signal, (s) => this.signals.push(s));
  }
  hasHook(): boolean {
    return true;
  }
  methods(): string[] {
    return [];
  }
  hasMethod(): boolean {
    return false;
  }
  call(): unknown {
    return undefined;
  }
  hasFunction(): boolean {
    return false;
  }
  callFunction(): unknown {
    return undefined;
  }
  exportState(): StateParcel {
    return { kind: "value", value: undefined };
  }
  importState(): unknown {
    return undefined;
  }
  info(): HostInfo {
    return { isolation: "inline", pid: process.pid, threadId: 0 };
  }
  chaos(): void {}
  end(): void {}
  memory(): undefined {
    return undefined;
  }
  usage(): undefined {
    return undefined;
  }
  unload(): void {
    this.runs.push("unload");
    this.loaded = false;
  }
}

function act(b: Behaviour, signal: AbortSignal, seen?: (s: AbortSignal) => void): unknown {
  seen?.(signal);
  switch (b) {
    case "ok":
      return undefined;
    case "async-ok":
      return Promise.resolve();
    case "throw":
      throw new Error("hook exploded");
    case "reject":
      return Promise.reject(new Error("hook rejected"));
    case "hang":
      return new Promise(() => {});
  }
}

/** A lifecycle subject around a {@link FakeHost}, with a manual clock. */
export class FakeSubject implements LifecycleSubject {
  readonly id = "fake";
  readonly version = "1.0.0";
  readonly key = "fake@1.0.0";
  readonly kind = "test";
  state: LifecycleState = "registered";
  lastError: ChipsetError | undefined;
  readonly timings: Partial<Record<LifecycleCommand, number>> = {};
  readonly gate: IntakeGate;
  stopScope = new DisposableStore();
  released = 0;

  constructor(
    readonly host: FakeHost,
    readonly clock: ManualClock,
    readonly timeoutMs = 100,
  ) {
    this.gate = new IntakeGate(this.key, clock, { maxWaiting: 10, maxWaitMs: 1000 });
  }

  timeoutFor(): number {
    return this.timeoutMs;
  }

  context(deadline: { readonly signal: AbortSignal }): ModuleContext {
    const scope = this.stopScope;
    return {
      id: this.id,
      version: this.version,
      config: {},
      baseDir: "/",
      log: { debug() {}, info() {}, warn() {}, error() {} },
      get signal() {
        return deadline.signal;
      },
      use: () => {
        throw new Error("no deps in fakes");
      },
      optional: () => undefined,
      onStop: (item) => scope.add(typeof item === "function" ? toDisposable(item) : item),
      checkpoint: () => Promise.resolve(),
    };
  }

  releaseStopScope(): void {
    this.released++;
    this.stopScope.dispose();
    this.stopScope = new DisposableStore();
  }
}
