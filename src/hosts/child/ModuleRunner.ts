import { isPromiseLike } from "../../common/isPromiseLike.js";
import { pathToFileURL } from "node:url";
import { ChipsetError, messageOf } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { callStore } from "../callStore.js";
import { isModuleDefinition, type CallInfo, type ModuleDefinition } from "../../module.js";
import type { HostHook } from "../../vocabulary/lifecycle.js";
import {
  serializeError,
  type CallMessage,
  type ExportStateMessage,
  type HookMessage,
  type ImportStateMessage,
  type HostToChild,
  type LoadMessage,
  type NotifyMessage,
  type StateMessage,
} from "../protocol.js";
import { type DefinitionFunction } from "../../vocabulary/hosts.js";
import { packState, transferOf, unpackState, type StateParcel } from "../StateParcel.js";
import { ChildContext } from "./ChildContext.js";
import { HostRequests, neverAborted } from "./HostRequests.js";
import { ChaosFaults } from "./ChaosFaults.js";
import { rebuildError } from "./rebuildError.js";
import type { ChildTransport } from "./transport.js";
import type { UsageMeter } from "./UsageMeter.js";
import { loadWasmModule } from "./WasmModule.js";

const hookNames: readonly HostHook[] = ["init", "start", "pause", "resume", "stop"];
const functionNames: readonly DefinitionFunction[] = [
  "exportState",
  "importState",
  "health",
  "dependencyChanged",
];

type ApiObject = Record<string, unknown>;
type AnyFunction = (...args: unknown[]) => unknown;

/**
 * The inside of a worker or child-process host: imports one module and serves the host's
 * requests. Calls run concurrently (each answered when it settles); a `cancel` aborts the
 * signal of the hook or cancellable call it names. As in an inline host, the module's code
 * runs inside {@link callStore}, so `currentCall()` names the call or hook being served.
 */
export class ModuleRunner {
  private definition: ModuleDefinition | undefined;
  private api: ApiObject | undefined;
  private ctx: ChildContext | undefined;
  private load: LoadMessage | undefined;
  private readonly requests: HostRequests;
  /** Signals of the hooks and cancellable calls now running, by request id. */
  private readonly running = new Map<number, AbortController>();
  private halted = false;
  private readonly store = callStore();
  /** The call info of calls without a signal, one per method (made once, not per call). */
  private readonly scopes = new Map<string, CallInfo>();
  private readonly faults = new ChaosFaults();
  /**
   * A WebAssembly module's answers leave one by one: its calls run synchronously, one after the
   * other, and the host times each from the answer to the one before (see CallTimeLimit), so an
   * answer must not wait for the calls after it in the same batch.
   */
  private answerEach = false;

  /** @param meter counts what the module uses; started afresh when the module is loaded. */
  constructor(
    private readonly transport: ChildTransport,
    private readonly meter: UsageMeter,
  ) {
    this.requests = new HostRequests(transport);
  }

  /** Stops serving: every later message is ignored (the host is about to terminate us). */
  halt(): void {
    this.halted = true;
    this.faults.apply({ action: "release" });
  }

  /** Handles one message from the host. */
  readonly receive = (msg: HostToChild): void => {
    if (this.halted) return;
    switch (msg.type) {
      case "call":
        this.call(msg);
        if (this.answerEach) this.transport.flush();
        return;
      case "reply":
        return this.requests.settle(msg);
      case "cancel":
        this.running.get(msg.id)?.abort(rebuildError(msg.reason));
        return;
      case "hook":
        void this.hook(msg);
        return;
      case "load":
        void this.importModule(msg);
        return;
      case "state":
        return this.state(msg);
      case "export-state":
        return this.exportState(msg);
      case "import-state":
        return this.importState(msg);
      case "notify":
        return this.notify(msg);
      case "chaos":
        return this.faults.apply(msg);
    }
  };

  private async importModule(msg: LoadMessage): Promise<void> {
    this.meter.reset();
    let namespace: unknown;
    try {
      // A WebAssembly engine's exports become its api (see WasmModule.ts).
      namespace =
        msg.wasm === undefined
          ? await import(pathToFileURL(msg.file).href)
          : { module: await loadWasmModule(msg, msg.wasm) };
    } catch (err) {
      return this.fail(msg.id, err);
    }
    const ns = namespace as { module?: unknown; default?: unknown };
    const candidate = isModuleDefinition(ns.module) ? ns.module : ns.default;
    if (!isModuleDefinition(candidate)) {
      const err = new ChipsetError(
        ErrorCodes.LOAD_FAILED,
        `${msg.key}: ${msg.file} does not export a module definition; export one with ` +
          '`export const module = defineModule({ ... })` (from "chipset/module")',
        { module: msg.key, details: { file: msg.file } },
      );
      return this.fail(msg.id, err);
    }
    this.definition = candidate;
    this.load = msg;
    this.answerEach = msg.wasm !== undefined;
    const api = candidate.api as ApiObject | undefined;
    this.api = api;
    this.ctx = new ChildContext(msg, this.transport, this.requests);
    this.transport.send({
      type: "loaded",
      id: msg.id,
      methods: api ? Object.keys(api).filter((k) => typeof api[k] === "function") : [],
      hooks: hookNames.filter((h) => typeof candidate[h] === "function"),
      functions: functionNames.filter((f) => typeof candidate[f] === "function"),
    });
  }

  private async hook(msg: HookMessage): Promise<void> {
    const ctx = this.ctx;
    if (ctx === undefined) return this.fail(msg.id, this.notLoaded(`the ${msg.hook} hook`));
    const controller = new AbortController();
    this.running.set(msg.id, controller);
    ctx.config = msg.config;
    ctx.signal = controller.signal;
    ctx.available = new Set(msg.available);
    const fn = this.definition![msg.hook];
    let failed = false;
    let error: unknown;
    try {
      if (typeof fn === "function") {
        const scope: CallInfo = { method: msg.hook, signal: controller.signal };
        await this.store.run(scope, Reflect.apply, fn, this.definition, [ctx]);
      }
    } catch (err) {
      failed = true;
      error = err;
    }
    this.running.delete(msg.id);
    // As inline: what `onStop` registered is released after stop, and after an init that failed.
    if (msg.hook === "stop" || (msg.hook === "init" && failed)) {
      for (const err of ctx.releaseStopItems()) {
        ctx.logLine(
          "error",
          { err: serializeError(err) },
          `${this.load!.key}: an onStop cleanup threw: ${messageOf(err)}`,
        );
      }
    }
    if (failed) this.fail(msg.id, error);
    else this.succeed(msg.id, undefined, msg.hook);
  }

  private call(msg: CallMessage): void {
    const api = this.api;
    const fn = api !== undefined && Object.hasOwn(api, msg.method) ? api[msg.method] : undefined;
    if (typeof fn !== "function") {
      const key = this.load?.key ?? "the module";
      return this.fail(
        msg.id,
        new ChipsetError(
          ErrorCodes.METHOD_NOT_FOUND,
          `${key} has no api method "${msg.method}"; check the method name`,
          {
            module: this.load?.key,
            details: { method: msg.method },
          },
        ),
      );
    }
    let value: unknown;
    try {
      const scope = msg.cancellable ? this.cancellableScope(msg.id, msg.method) : this.scopeOf(msg.method);
      value = this.store.run(scope, Reflect.apply, fn as AnyFunction, api, msg.args);
    } catch (err) {
      this.running.delete(msg.id);
      return this.fail(msg.id, err);
    }
    if (!isPromiseLike(value)) {
      if (msg.cancellable) this.running.delete(msg.id);
      return this.succeed(msg.id, value, msg.method);
    }
    const id = msg.id;
    value.then(
      (result) => {
        if (msg.cancellable) this.running.delete(id);
        this.succeed(id, result, msg.method);
      },
      (err: unknown) => {
        if (msg.cancellable) this.running.delete(id);
        this.fail(id, err);
      },
    );
  }

  private cancellableScope(id: number, method: string): CallInfo {
    const controller = new AbortController();
    this.running.set(id, controller);
    return { method, signal: controller.signal };
  }

  private scopeOf(method: string): CallInfo {
    let scope = this.scopes.get(method);
    if (scope === undefined) this.scopes.set(method, (scope = { method, signal: neverAborted }));
    return scope;
  }

  private state(msg: StateMessage): void {
    this.runFunction(
      msg.id,
      msg.fn,
      () => msg.args,
      msg.cancellable,
      (result) => this.succeed(msg.id, result, `${msg.fn}()`),
    );
  }

  private exportState(msg: ExportStateMessage): void {
    this.runFunction(
      msg.id,
      "exportState",
      () => [],
      msg.cancellable,
      (state) => {
        let parcel: StateParcel;
        try {
          parcel = packState(state, this.transport.isolation === "worker" ? "clone" : "node");
        } catch {
          // Something in it the serializer refuses (a function; a SharedArrayBuffer, which a
          // worker's message would share): it goes as a value, as before this parcel existed, and
          // is cloned by the message or refused with the same error as before.
          parcel = { kind: "value", value: state };
        }
        this.succeed(msg.id, parcel, "exportState()", transferOf(parcel));
      },
    );
  }

  private importState(msg: ImportStateMessage): void {
    this.runFunction(
      msg.id,
      "importState",
      () => [unpackState(msg.parcel, this.transport.isolation !== "worker"), msg.fromVersion],
      msg.cancellable,
      (result) => this.succeed(msg.id, result, "importState()"),
    );
  }

  /**
   * Runs definition function `name` with the arguments `args()` makes, in its call scope, and
   * hands its result to `answer`; what it (or `args`) throws or rejects with is the request's
   * failure.
   */
  private runFunction(
    id: number,
    name: DefinitionFunction,
    args: () => unknown[],
    cancellable: true | undefined,
    answer: (result: unknown) => void,
  ): void {
    const fn = this.member(name);
    if (typeof fn !== "function") return this.fail(id, this.notLoaded(`${name}()`));
    let value: unknown;
    try {
      const scope = cancellable ? this.cancellableScope(id, name) : this.scopeOf(name);
      value = this.store.run(scope, Reflect.apply, fn, this.definition, args());
    } catch (err) {
      this.running.delete(id);
      return this.fail(id, err);
    }
    Promise.resolve(value).then(
      (result) => {
        this.running.delete(id);
        answer(result);
      },
      (err: unknown) => {
        this.running.delete(id);
        this.fail(id, err);
      },
    );
  }

  private notify(msg: NotifyMessage): void {
    const fn = this.member("dependencyChanged");
    if (msg.event !== "dependency" || typeof fn !== "function") return;
    const report = (err: unknown) =>
      this.ctx?.logLine(
        "error",
        { err: serializeError(err) },
        `${this.load!.key}: dependencyChanged threw: ${messageOf(err)}`,
      );
    try {
      const args = [msg.payload];
      const value: unknown = this.store.run(
        this.scopeOf("dependencyChanged"),
        Reflect.apply,
        fn,
        this.definition,
        args,
      );
      Promise.resolve(value).catch(report);
    } catch (err) {
      report(err);
    }
  }

  /** A function of the definition, unbound (called with the definition as `this`). */
  private member(name: DefinitionFunction): AnyFunction | undefined {
    const value = (this.definition as Record<string, unknown> | undefined)?.[name];
    return typeof value === "function" ? (value as AnyFunction) : undefined;
  }

  private succeed(id: number, value: unknown, what: string, transfer?: ArrayBuffer[]): void {
    // A primitive always clones: no failure callback to make for it.
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      this.transport.send({ type: "result", id, value });
      return;
    }
    this.transport.send(
      { type: "result", id, value },
      (err) =>
        this.fail(
          id,
          new TypeError(
            `the result of ${what} could not be sent to the caller (${messageOf(err)}); ` +
              "return structured-clonable values (no functions, no class instances that hold handles)",
            { cause: err },
          ),
        ),
      transfer,
    );
  }

  private fail(id: number, err: unknown): void {
    this.transport.send({ type: "error", id, error: serializeError(err) });
  }

  private notLoaded(what: string): ChipsetError {
    return new ChipsetError(ErrorCodes.INTERNAL, `${what} was requested before the module was loaded`);
  }
}
