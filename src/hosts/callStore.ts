import { AsyncLocalStorage } from "node:async_hooks";
import type { CallInfo } from "../module.js";

// One store per process and thread, shared by every copy of this library and of the module SDK
// (`currentCall()` in src/module.ts reads it under the same key).
const callStoreKey = Symbol.for("chipset.call-store");
const globals = globalThis as unknown as Record<symbol, AsyncLocalStorage<CallInfo> | undefined>;

/** The store behind `currentCall()`: the hosts run cancellable calls and hooks inside it. */
export function callStore(): AsyncLocalStorage<CallInfo> {
  return (globals[callStoreKey] ??= new AsyncLocalStorage<CallInfo>());
}
