import { toDisposable, type Disposable } from "../common/Disposable.js";
import type { LifecycleCommand } from "../vocabulary/lifecycle.js";

/** `before:<command>` or `after:<command>`, e.g. `before:start`, `after:stop`. */
export type HookPoint = `${"before" | "after"}:${LifecycleCommand}`;

/** What an application hook receives. */
export interface HookEvent {
  readonly id: string;
  readonly version: string;
  readonly kind: string;
  readonly command: LifecycleCommand;
  /** Aborted when the phase times out. */
  readonly signal: AbortSignal;
}

/** An application hook; a `before:` hook that throws cancels the transition. */
export type AppHook = (event: HookEvent) => void | Promise<void>;

/** Which modules a hook applies to: one module id, one kind, or (neither) every module. */
export interface HookScope {
  module?: string;
  kind?: string;
}

const none: readonly AppHook[] = Object.freeze([]);

interface Entry {
  fn: AppHook;
  scope: HookScope;
}

/** Application-registered hooks around lifecycle transitions, scoped to a module or a kind. */
export class HookRegistry {
  private readonly hooks = new Map<HookPoint, Entry[]>();

  /** Adds `fn` at `point` for `scope`; dispose the result to remove it. */
  add(point: HookPoint, fn: AppHook, scope: HookScope = {}): Disposable {
    const entry: Entry = { fn, scope };
    const list = this.hooks.get(point) ?? [];
    this.hooks.set(point, [...list, entry]);
    return toDisposable(() =>
      this.hooks.set(
        point,
        (this.hooks.get(point) ?? []).filter((e) => e !== entry),
      ),
    );
  }

  /** The hooks that apply at `point` to a module of `kind`, in registration order. */
  matching(point: HookPoint, id: string, kind: string): readonly AppHook[] {
    const list = this.hooks.get(point);
    if (list === undefined || list.length === 0) return none;
    const out: AppHook[] = [];
    for (const { fn, scope } of list) {
      if (
        (scope.module === undefined || scope.module === id) &&
        (scope.kind === undefined || scope.kind === kind)
      )
        out.push(fn);
    }
    return out;
  }
}
