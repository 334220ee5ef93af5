import semver from "semver";
import type { Clock } from "../common/Clock.js";
import { sleep } from "../common/race.js";
import { DisposableStore, toDisposable, type Disposable } from "../common/Disposable.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { HostFault } from "../vocabulary/hosts.js";
import type { CallInterceptor, InterceptedCall } from "../runtime/CallInterceptor.js";
import type { Isolation } from "../vocabulary/manifest.js";
import { faultName, sampleLatency, seededRandom, type Fault, type FaultTarget } from "./faults.js";

/** An instance as chaos sees it (the runtime's instance summaries, and an intercepted call's target, fit). */
export interface ChaosSubject {
  readonly id: string;
  readonly version: string;
  /** Its address (`id@version`), where host faults are aimed. */
  readonly key: string;
  readonly isolation: Isolation;
}

/** What a lifecycle hook fault is told (the runtime's application-hook event fits). */
export interface ChaosHookEvent {
  readonly id: string;
  readonly version: string;
  readonly signal: AbortSignal;
}

/** What the engine needs from the runtime (`chaosOf` wires it to one). */
export interface ChaosDeps {
  clock: Clock;
  /** The live instances. */
  instances(): Iterable<ChaosSubject & { readonly state: string }>;
  /** Injects `fault` inside the host of the instance at `key`. */
  faultHost(key: string, fault: HostFault): void;
  /** Registers an application hook `before:<hook>` for every module; dispose to remove it. */
  hook(hook: string, fn: (event: ChaosHookEvent) => void | Promise<void>): Disposable;
  /** Calls `fn` each time an instance starts (a leak goes on in the new host after a restart). */
  onStarted(fn: (id: string) => void): Disposable;
}

/** A fault in place: dispose to remove it. */
export interface FaultHandle extends Disposable {
  /** Calls (or hook runs, or instances for a leak) it affected so far. */
  readonly injected: number;
}

/** How often each fault fired. */
export interface FaultCount {
  name: string;
  kind: Fault["kind"];
  injected: number;
}

interface Active {
  fault: Fault;
  name: string;
  injected: number;
  percent: number;
  owned: DisposableStore;
}

/**
 * Fault injection: added latency, thrown errors, hung calls, crashed hosts, heap leaks, and slow
 * or failing lifecycle hooks, each aimed by module, version, method and host kind at a share of
 * calls. Off unless switched on with {@link enable}; while off, or with no call fault in place,
 * the call path pays one boolean test. Every draw comes from one seeded generator, so the same
 * seed and the same calls give the same faults.
 */
export class ChaosEngine implements CallInterceptor {
  private on = false;
  private random: () => number = seededRandom(0);
  private faults: Active[] = [];
  private callFaults: Active[] = [];
  /** Calls held back by a latency fault: removing the faults lets them through at once. */
  private readonly delays = new Set<() => void>();

  constructor(private readonly deps: ChaosDeps) {}

  /** True while faults may be injected into calls (the call path asks {@link around} only then). */
  get active(): boolean {
    return this.callFaults.length > 0;
  }

  /** Whether chaos is switched on. */
  get enabled(): boolean {
    return this.on;
  }

  /** Switches chaos on, with `seed` for every random draw from now on (default 1). */
  enable(seed = 1): void {
    this.on = true;
    this.random = seededRandom(seed);
  }

  /** Removes every fault and switches chaos off. */
  disable(): void {
    this.clear();
    this.on = false;
  }

  /** Removes every fault (leaks are released, calls held back by a delay go on at once). */
  clear(): void {
    for (const f of [...this.faults]) f.owned.dispose();
    for (const go of [...this.delays]) go();
  }

  /**
   * Puts `fault` in place until the result is disposed. Throws `CHIP_ERR_OPTIONS_INVALID` while
   * chaos is off (nothing is ever injected by accident) or for a percentage outside 0 to 100.
   */
  inject(fault: Fault): FaultHandle {
    if (!this.on)
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `chaos is off, so "${faultName(fault)}" cannot be injected; call chaosOf(runtime).enable(seed) first`,
      );
    const percent = fault.percent ?? 100;
    if (!(percent >= 0 && percent <= 100))
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `fault "${faultName(fault)}": percent must be from 0 to 100, got ${String(fault.percent)}`,
      );
    const entry: Active = {
      fault,
      name: faultName(fault),
      injected: 0,
      percent,
      owned: new DisposableStore(),
    };
    this.faults.push(entry);
    if (fault.kind === "leak") this.leak(entry, fault.mbPerSecond);
    else if (fault.kind === "slow-hook" || fault.kind === "failing-hook") this.hookFault(entry);
    else this.callFaults = [...this.callFaults, entry];
    entry.owned.add(
      toDisposable(() => {
        this.faults = this.faults.filter((f) => f !== entry);
        this.callFaults = this.callFaults.filter((f) => f !== entry);
      }),
    );
    return {
      get injected() {
        return entry.injected;
      },
      dispose: () => entry.owned.dispose(),
    };
  }

  /** Crashes the host of every running instance that `target` matches, now; answers their keys. */
  crash(target: FaultTarget = {}, message = "chaos: the host was crashed on purpose"): string[] {
    this.assertOn("crash");
    const crashed: string[] = [];
    for (const inst of this.deps.instances()) {
      if (inst.state !== "running" && inst.state !== "paused") continue;
      if (!matches(target, inst)) continue;
      this.deps.faultHost(inst.key, { action: "crash", message });
      crashed.push(inst.key);
    }
    return crashed;
  }

  /** How often each fault in place fired so far. */
  counts(): FaultCount[] {
    return this.faults.map((f) => ({ name: f.name, kind: f.fault.kind, injected: f.injected }));
  }

  /**
   * Runs `call` (the real call into `inst`), or a fault instead: the first call fault that
   * matches and whose percentage the draw falls in decides.
   */
  around(inst: ChaosSubject, run: InterceptedCall, call: () => unknown): unknown {
    for (const f of this.callFaults) {
      if (!matches(f.fault.target, inst, run.method) || !this.roll(f)) continue;
      const fault = f.fault;
      switch (fault.kind) {
        case "latency":
          return this.delayed(sampleLatency(fault.latencyMs, this.random), run, call);
        case "error":
          throw injectedError(inst, run.method, fault.message ?? "chaos: injected error", f.name);
        case "hang":
          return new Promise<never>(() => undefined);
        case "crash":
          this.deps.faultHost(inst.key, { action: "crash", message: `chaos: ${f.name}` });
          return call();
      }
    }
    return call();
  }

  private roll(f: Active): boolean {
    if (f.percent < 100 && this.random() * 100 >= f.percent) return false;
    f.injected++;
    return true;
  }

  private delayed(ms: number, run: InterceptedCall, call: () => unknown): Promise<unknown> {
    const attempt = run.attempt;
    return new Promise((resolve, reject) => {
      const go = (): void => {
        this.delays.delete(go);
        timer.dispose();
        if (!run.isCurrent(attempt)) return resolve(undefined); // the caller moved on; do not call the module late
        try {
          resolve(call());
        } catch (err) {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the call's own ChipsetError, as it came
          reject(err);
        }
      };
      const timer = this.deps.clock.setTimeout(go, ms);
      this.delays.add(go);
    });
  }

  private leak(entry: Active, mbPerSecond: number): void {
    const leaking = new Set<string>();
    const start = (inst: ChaosSubject): void => {
      if (!matches(entry.fault.target, inst) || !this.roll(entry)) return;
      this.deps.faultHost(inst.key, { action: "leak", mbPerSecond });
      leaking.add(inst.key);
    };
    for (const inst of this.deps.instances())
      if (inst.state === "running" || inst.state === "paused") start(inst);
    entry.owned.add(
      this.deps.onStarted((id) => {
        const inst = this.instanceOf(id);
        if (inst) start(inst);
      }),
    );
    entry.owned.add(
      toDisposable(() => {
        for (const key of leaking) this.deps.faultHost(key, { action: "release" });
      }),
    );
  }

  private hookFault(entry: Active): void {
    const fault = entry.fault;
    if (fault.kind !== "slow-hook" && fault.kind !== "failing-hook") return;
    entry.owned.add(
      this.deps.hook(fault.hook, async (event) => {
        const inst = this.instanceOf(event.id);
        const subject = { id: event.id, version: event.version, isolation: inst?.isolation };
        if (!matches(fault.target, subject) || !this.roll(entry)) return;
        if (fault.kind === "failing-hook")
          throw new ChipsetError(
            ErrorCodes.CHAOS_FAULT,
            fault.message ?? `chaos: the ${fault.hook} hook failed on purpose`,
            {
              module: `${event.id}@${event.version}`,
              details: { fault: entry.name },
            },
          );
        await sleep(this.deps.clock, sampleLatency(fault.latencyMs, this.random), event.signal); // less if the phase times out
      }),
    );
  }

  /** The runtime is closing: every fault goes (calls held back go on, leaks are released). */
  close(): void {
    this.disable();
  }

  private instanceOf(id: string): (ChaosSubject & { readonly state: string }) | undefined {
    for (const inst of this.deps.instances()) if (inst.id === id) return inst;
    return undefined;
  }

  private assertOn(what: string): void {
    if (!this.on)
      throw new ChipsetError(
        ErrorCodes.OPTIONS_INVALID,
        `chaos is off, so nothing can ${what}; call chaosOf(runtime).enable(seed) first`,
      );
  }
}

function matches(
  target: FaultTarget | undefined,
  inst: { id: string; version: string; isolation?: Isolation | undefined },
  method?: string,
): boolean {
  if (target === undefined) return true;
  if (target.module !== undefined && target.module !== inst.id) return false;
  if (target.method !== undefined && target.method !== method) return false;
  if (target.host !== undefined && target.host !== inst.isolation) return false;
  if (
    target.version !== undefined &&
    target.version !== inst.version &&
    !semver.satisfies(inst.version, target.version)
  )
    return false;
  return true;
}

/** An injected error, as a call sees a module's own: `CALL_FAILED` with `CHAOS_FAULT` as its cause. */
function injectedError(inst: ChaosSubject, method: string, message: string, fault: string): ChipsetError {
  return new ChipsetError(ErrorCodes.CALL_FAILED, `${inst.key}.${method} failed: ${message}`, {
    module: inst.key,
    cause: new ChipsetError(ErrorCodes.CHAOS_FAULT, message, { module: inst.key, details: { fault } }),
    details: { method, code: ErrorCodes.CHAOS_FAULT },
  });
}
