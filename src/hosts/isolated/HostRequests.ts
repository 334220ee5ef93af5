import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import type { CrashInfo, DefinitionFunction, SignalSource } from "../../vocabulary/hosts.js";
import type { HostHook } from "../../vocabulary/lifecycle.js";
import { transferOf, type StateParcel } from "../StateParcel.js";
import type { LoadedMessage, LoadMessage, StateMessage } from "../protocol.js";
import type { IsolatedKind, RequestMessage } from "./Channel.js";
import type { CallTimeLimit } from "./CallTimeLimit.js";
import type { PendingRequests, RequestKind } from "./PendingRequests.js";

/**
 * What an isolated host asks of its child: each request (load, hook, call, definition function,
 * state hand-over) a numbered message on the attached channel, settled by the child's answer
 * through the {@link PendingRequests}. Refused at once while no channel is attached: with the
 * crash's error if the child crashed, else `CHIP_ERR_MODULE_UNAVAILABLE`.
 */
export class HostRequests {
  private seq = 0;

  constructor(
    /** The module's `id@version`. */
    private readonly key: string,
    private readonly isolation: IsolatedKind,
    /** Its `channel` is the one attached (set and cleared as the host attaches and lets go of one). */
    private readonly pending: PendingRequests,
    /** A WebAssembly engine's per-call time limit, told of each call sent (undefined for a JavaScript module). */
    private readonly timeLimit: CallTimeLimit | undefined,
    /** The host, for the crash that ended its child. */
    private readonly host: { readonly crash: CrashInfo | undefined },
  ) {}

  /** Imports the module in the child: its exports' shape. */
  load(fields: Omit<LoadMessage, "type" | "id">, signal: AbortSignal): Promise<LoadedMessage> {
    const msg: LoadMessage = { type: "load", id: ++this.seq, ...fields };
    return this.send(msg, "load", "load", signal) as Promise<LoadedMessage>;
  }

  /** Runs `hook` in the child with the module's `config`; `available` are its optional dependencies present. */
  hook(
    hook: HostHook,
    config: unknown,
    available: string[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return this.send({ type: "hook", id: ++this.seq, hook, config, available }, "hook", hook, signal);
  }

  call(method: string, args: readonly unknown[], source?: SignalSource): Promise<unknown> {
    const id = ++this.seq;
    // Cancellation crosses the boundary as a message, so an isolated call always needs the signal itself.
    const signal = source?.signal;
    const answer = this.send(
      signal === undefined
        ? { type: "call", id, method, args: args as unknown[] }
        : { type: "call", id, method, args: args as unknown[], cancellable: true },
      "call",
      method,
      signal,
    );
    // Only a call that went out runs in the child (send refuses one without a channel, or already aborted).
    if (this.timeLimit !== undefined && this.pending.channel !== undefined && signal?.aborted !== true)
      this.timeLimit.sent(id, method);
    return answer;
  }

  callFunction(fn: DefinitionFunction, args: readonly unknown[], signal?: AbortSignal): Promise<unknown> {
    const msg: StateMessage = { type: "state", id: ++this.seq, fn, args: args as unknown[] };
    if (signal !== undefined) msg.cancellable = true;
    return this.send(msg, "state", fn, signal);
  }

  /** The old version's half of an update's hand-over: the state comes back as bytes, serialized in the child. */
  exportState(signal?: AbortSignal): Promise<StateParcel> {
    const msg: RequestMessage = { type: "export-state", id: ++this.seq };
    if (signal !== undefined) msg.cancellable = true;
    return this.send(msg, "state", "exportState", signal) as Promise<StateParcel>;
  }

  /** The new version's half: the bytes go on as they came (a worker's are transferred), read once in the child. */
  importState(parcel: StateParcel, fromVersion: string, signal?: AbortSignal): Promise<unknown> {
    const msg: RequestMessage = { type: "import-state", id: ++this.seq, parcel, fromVersion };
    if (signal !== undefined) msg.cancellable = true;
    const transfer = this.isolation === "worker" ? transferOf(parcel) : undefined;
    return this.send(msg, "state", "importState", signal, transfer);
  }

  private send(
    msg: RequestMessage,
    kind: RequestKind,
    name: string,
    signal: AbortSignal | undefined,
    transfer?: ArrayBuffer[],
  ): Promise<unknown> {
    const channel = this.pending.channel;
    if (channel === undefined) return Promise.reject(this.gone(name));
    return this.pending.send(channel, msg, kind, name, signal, transfer);
  }

  private gone(name: string): Error {
    const crash = this.host.crash;
    if (crash !== undefined) return crash.error;
    return new ChipsetError(
      ErrorCodes.MODULE_UNAVAILABLE,
      `${this.key} is not loaded, so ${name} cannot run; load it first`,
      { module: this.key },
    );
  }
}
