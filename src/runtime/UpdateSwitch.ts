import type { Clock } from "../common/Clock.js";
import { DisposableStore } from "../common/Disposable.js";
import type { Emitter } from "../common/Emitter.js";
import { race } from "../common/race.js";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import { satisfies } from "../resolver/fastSemver.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import type { InstanceFactory } from "../instances/InstanceFactory.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { ModuleControl } from "./ModuleControl.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

/** What a switch needs from the runtime. */
export interface SwitchDeps {
  clock: Clock;
  events: Emitter<RuntimeEvents>;
  instances: InstanceReader;
  factory: InstanceFactory;
  control: ModuleControl;
  /** Forgets supervision of the instance at `key`. */
  release(key: string): void;
}

/**
 * The moment of an update between two running instances of one module, `old` and `next`:
 * {@link forward} holds new calls at the old version's gate, lets its in-flight calls finish
 * (bounded), hands its state to the new version, routes the module's calls and its dependents to
 * the new version in one step and opens the gate, so the held calls go there. {@link back} does
 * the same the other way; {@link retireOld} and {@link discardNew} stop and unload the loser.
 */
export class UpdateSwitch {
  /** Why the new version should not stay, once it crashed or an anomaly began. */
  private trouble: ChipsetError | undefined;
  private onTrouble: ((reason: ChipsetError) => void) | undefined;
  private readonly listening = new DisposableStore();

  constructor(
    private readonly old: Instance,
    private readonly next: Instance,
    private readonly deps: SwitchDeps,
  ) {
    // Listening from the start: a crash may come while the switch is still under way.
    const { events } = deps;
    this.listening.add(
      events.on("module.crashed", (e) => {
        if (e.id === next.id && e.version === next.version) this.troubled(e.error);
      }),
    );
    this.listening.add(
      events.on("module.anomaly", (e) => {
        if (e.id !== next.id || e.version !== next.version || !e.active) return;
        this.troubled(
          new ChipsetError(
            ErrorCodes.UPDATE_FAILED,
            `${next.key} showed an anomaly after the switch (${e.metric}${e.method === undefined ? "" : ` of ${e.method}`}: ${e.observed} against a baseline of ${e.baseline})`,
            { module: next.key, details: { anomaly: e } },
          ),
        );
      }),
    );
  }

  private troubled(reason: ChipsetError): void {
    this.trouble ??= reason;
    const tell = this.onTrouble;
    this.onTrouble = undefined;
    tell?.(reason);
  }

  /** Switches calls from the old version to the new one; the old keeps running (for a switch back). */
  async forward(drainTimeoutMs: number): Promise<{ gateMs: number; stateMigrated: boolean }> {
    return this.move(this.old, this.next, drainTimeoutMs);
  }

  /** Switches calls back to the old version, with the new version's state when it can still give it, and discards the new one. */
  async back(drainTimeoutMs = 1_000): Promise<void> {
    await this.move(this.next, this.old, drainTimeoutMs).catch(() => {
      // The new version cannot hand its state back (it crashed): the old one keeps its own, as it
      // was at the switch. Calls must go back all the same.
      this.route(this.next, this.old);
      this.next.gate.open();
    });
    await this.discardNew();
  }

  /**
   * Waits `graceMs` for the new version to prove itself: resolves with the reason to switch back
   * (it crashed, or an anomaly began, since it started), or undefined when the time passed quietly.
   */
  watch(graceMs: number): Promise<ChipsetError | undefined> {
    if (this.trouble !== undefined) return Promise.resolve(this.trouble);
    if (graceMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => {
        this.onTrouble = undefined;
        resolve(undefined);
      }, graceMs);
      this.onTrouble = (reason) => {
        timer.dispose();
        resolve(reason);
      };
    });
  }

  /** Stops listening for the new version's trouble (the update is over). */
  dispose(): void {
    this.listening.dispose();
  }

  /** Stops and unloads the old version (it stays installed) and leaves the table to the new one. */
  async retireOld(): Promise<void> {
    await this.drop(this.old);
  }

  /** Stops and unloads the new version and leaves the table to the old one (nothing was switched, or it was switched back). */
  async discardNew(): Promise<void> {
    await this.drop(this.next);
  }

  private async move(from: Instance, to: Instance, drainTimeoutMs: number) {
    const { clock } = this.deps;
    const t0 = clock.now();
    from.gate.close();
    try {
      await race(from.gate.drained(), { clock, ms: drainTimeoutMs, onTimeout: () => undefined });
      let stateMigrated = false;
      if (from.host.hasFunction("exportState") && to.host.hasFunction("importState")) {
        // An opaque parcel: an isolated old version serializes its state once, in its own thread
        // or process, and only the new version reads it; this thread moves bytes.
        const parcel = await this.within(
          from,
          "exportState",
          () => from.host.exportState(),
          from.timeoutFor("stop"),
        );
        await this.within(
          to,
          "importState",
          () => to.host.importState(parcel, from.version),
          to.timeoutFor("init"),
        );
        stateMigrated = true;
      }
      this.route(from, to);
      return { gateMs: clock.now() - t0, stateMigrated };
    } finally {
      // Held calls now go where the table sends them: the new version, or the old one if it failed.
      from.gate.open();
    }
  }

  /**
   * Calls to the module, and the dependents bound to `from` whose range accepts `to`, go to `to`
   * from now on (a dependent whose range excludes it stays, when the module runs side by side).
   */
  private route(from: Instance, to: Instance): void {
    this.deps.factory.route(to.id, to);
    for (const inst of this.deps.instances.all()) {
      if (!inst.deps.some((d) => d.key === from.key) || !accepts(inst, to)) continue;
      inst.deps = inst.deps.map((d) => (d.key === from.key ? { ...d, version: to.version, key: to.key } : d));
    }
  }

  /** The active instances still bound to the old version (dependents whose range excludes the new one). */
  oldStillNeeded(): boolean {
    for (const inst of this.deps.instances.all())
      if (stateIsActive(inst.state) && inst.deps.some((d) => d.key === this.old.key)) return true;
    return false;
  }

  /** Runs `fn` of `inst` (through `run`) within `ms`, its failure or timeout the hook's. */
  private async within<T>(
    inst: Instance,
    fn: "exportState" | "importState",
    run: () => T | Promise<T>,
    ms: number,
  ) {
    const what = `${fn}() of ${inst.key}`;
    try {
      return await race(new Promise<T>((resolve) => resolve(run())), {
        clock: this.deps.clock,
        ms,
        onTimeout: () => {
          throw new ChipsetError(ErrorCodes.HOOK_TIMEOUT, `${what} did not answer within ${ms} ms`, {
            module: inst.key,
            details: { phase: fn, timeoutMs: ms },
          });
        },
      });
    } catch (err) {
      if (err instanceof ChipsetError && err.code === ErrorCodes.HOOK_TIMEOUT) throw err;
      throw new ChipsetError(ErrorCodes.HOOK_FAILED, `${what} failed: ${messageOf(err)}`, {
        module: inst.key,
        cause: err,
        details: { phase: fn },
      });
    }
  }

  private async drop(inst: Instance): Promise<void> {
    const { control, factory } = this.deps;
    this.dispose();
    this.deps.release(inst.key);
    try {
      await control.unloadInstance(inst, "update");
    } finally {
      factory.forget(inst);
      factory.route(inst.id, undefined);
    }
  }
}

/** Whether `dependent`'s declared range on `to`'s module accepts `to`'s version. */
function accepts(dependent: Instance, to: Instance): boolean {
  const range = dependent.manifest.requires?.[to.id] ?? dependent.manifest.optional?.[to.id];
  return range === undefined || satisfies(to.version, range);
}
