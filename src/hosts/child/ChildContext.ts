import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import type { ModuleContext, ModuleDisposable, ModuleLogger, ModuleProxy } from "../../module.js";
import { makeModuleProxy } from "../makeModuleProxy.js";
import type { LoadMessage, LogMessage } from "../protocol.js";
import type { HostRequests } from "./HostRequests.js";
import type { ChildTransport } from "./transport.js";

type AnyProxy = ModuleProxy<Record<string, never>>;

/**
 * The `ctx` a module's hooks receive inside a worker or child process: one object per loaded
 * module, so an api method that kept it from `init` can still `use`, `log` and `checkpoint`.
 * `config`, `signal` and the optional dependencies present are those of the last hook.
 * Its functions are bound, so destructuring (`init({ use, log })`) works.
 */
export class ChildContext implements ModuleContext {
  readonly id: string;
  readonly version: string;
  readonly baseDir: string;
  config: unknown = undefined;
  signal: AbortSignal = new AbortController().signal;
  readonly log: ModuleLogger;
  /** Optional dependencies present now (sent with each hook). */
  available: ReadonlySet<string> = new Set();
  private readonly key: string;
  private readonly requires: ReadonlySet<string>;
  private readonly optionals: ReadonlySet<string>;
  private readonly proxies = new Map<string, AnyProxy>();
  private stopItems: Array<ModuleDisposable | (() => void)> = [];

  constructor(
    load: LoadMessage,
    private readonly transport: ChildTransport,
    private readonly requests: HostRequests,
  ) {
    this.id = load.moduleId;
    this.version = load.version;
    this.baseDir = load.baseDir;
    this.key = load.key;
    this.requires = new Set(load.requires);
    this.optionals = new Set(load.optional);
    this.log = {
      debug: (obj, msg) => this.logLine("debug", obj, msg),
      info: (obj, msg) => this.logLine("info", obj, msg),
      warn: (obj, msg) => this.logLine("warn", obj, msg),
      error: (obj, msg) => this.logLine("error", obj, msg),
    };
  }

  readonly use = <Api>(id: string): ModuleProxy<Api> => {
    if (!this.requires.has(id)) throw this.undeclared(id, "requires");
    return this.proxy(id, false) as ModuleProxy<Api>;
  };

  readonly optional = <Api>(id: string): ModuleProxy<Api> | undefined => {
    if (!this.optionals.has(id)) throw this.undeclared(id, "optional");
    return this.available.has(id) ? (this.proxy(id, true) as ModuleProxy<Api>) : undefined;
  };

  readonly onStop = (item: ModuleDisposable | (() => void)): void => {
    this.stopItems.push(item);
  };

  readonly checkpoint = (state: unknown): Promise<void> => this.requests.checkpoint(state);

  /** Releases what `onStop` registered, newest first; returns the errors of items that threw. */
  releaseStopItems(): unknown[] {
    const items = this.stopItems;
    this.stopItems = [];
    const errors: unknown[] = [];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      try {
        if (typeof item === "function") item();
        else item.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }

  /** Sends one log line; an `obj` that cannot be cloned is sent as its string form. */
  logLine(level: LogMessage["level"], obj: unknown, msg: string | undefined): void {
    this.transport.send({ type: "log", level, obj, msg }, () =>
      this.transport.send({ type: "log", level, obj: { unclonable: String(obj) }, msg }),
    );
  }

  private proxy(id: string, optional: boolean): AnyProxy {
    const cacheKey = optional ? `?${id}` : id;
    let proxy = this.proxies.get(cacheKey);
    if (proxy === undefined) {
      const requests = this.requests;
      proxy = makeModuleProxy(id, (method, args) => requests.use(id, method, args, optional)) as AnyProxy;
      this.proxies.set(cacheKey, proxy);
    }
    return proxy;
  }

  private undeclared(target: string, field: "requires" | "optional"): ChipsetError {
    return new ChipsetError(
      ErrorCodes.DEPENDENCY_UNDECLARED,
      `${this.key} used ${target} without declaring it; add "${target}" to chipset.${field} in its package.json`,
      { module: this.key, details: { dependency: target, field } },
    );
  }
}
