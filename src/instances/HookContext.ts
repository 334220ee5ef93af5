import type { ModuleContext, ModuleDisposable, ModuleProxy } from "../module.js";

/** What a hook context reads from its instance. */
export interface ContextOwner {
  readonly id: string;
  readonly version: string;
  readonly config: unknown;
  readonly baseDir: string;
  moduleLogger(): ModuleContext["log"];
  phaseSignalNow(): AbortSignal;
  dependency(id: string, optional: boolean): ModuleProxy<Record<string, never>> | undefined;
  addStopItem(item: ModuleDisposable | (() => void)): void;
  checkpoint(state: unknown): Promise<void>;
}

/**
 * What a module's hooks receive as `ctx`: one small object per instance with getters on the
 * prototype, not an object literal with accessors and closures (that cost more than the hooks
 * on a 1,000-module start).
 */
export class HookContext implements ModuleContext {
  readonly id: string;
  readonly version: string;
  private bound: Pick<ModuleContext, "use" | "optional" | "onStop" | "checkpoint"> | undefined;

  constructor(private readonly inst: ContextOwner) {
    this.id = inst.id;
    this.version = inst.version;
  }

  get config(): unknown {
    return this.inst.config;
  }

  get baseDir(): string {
    return this.inst.baseDir;
  }

  get log(): ModuleContext["log"] {
    return this.inst.moduleLogger();
  }

  get signal(): AbortSignal {
    return this.inst.phaseSignalNow();
  }

  // Getters returning functions bound to the instance, made on first use: destructuring
  // (`init({ use })`) works, and modules that never use them cost no closures.
  get use(): ModuleContext["use"] {
    return this.functions().use;
  }

  get optional(): ModuleContext["optional"] {
    return this.functions().optional;
  }

  get onStop(): ModuleContext["onStop"] {
    return this.functions().onStop;
  }

  get checkpoint(): ModuleContext["checkpoint"] {
    return this.functions().checkpoint;
  }

  private functions(): Pick<ModuleContext, "use" | "optional" | "onStop" | "checkpoint"> {
    const inst = this.inst;
    return (this.bound ??= {
      use: ((id: string) => inst.dependency(id, false)!) as ModuleContext["use"],
      optional: ((id: string) => inst.dependency(id, true)) as ModuleContext["optional"],
      onStop: (item) => inst.addStopItem(item),
      checkpoint: (state) => inst.checkpoint(state),
    });
  }
}
