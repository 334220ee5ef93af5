/**
 * WebAssembly engine modules (see docs/dispatch.md, "WebAssembly engines"): a module whose entry
 * is a `.wasm` file runs in a worker or process host with its exported functions as its api,
 * under the limits of its manifest's `engine.wasm`.
 */
import type { EngineManifest } from "./dispatch.js";

/** A call's time limit when `engine.wasm.timeLimitMs` is not set, in ms. */
export const DEFAULT_WASM_TIME_LIMIT_MS = 1000;

/** The memory cap when `engine.wasm.memoryMb` is not set, in MiB. */
export const DEFAULT_WASM_MEMORY_MB = 64;

/** True when the entry file `entry` is a WebAssembly module (its name ends in `.wasm`). */
export function isWasmEntry(entry: string | undefined): boolean {
  return entry?.toLowerCase().endsWith(".wasm") === true;
}

/** The limits of a WebAssembly module declaring `engine` (or none), defaults applied. */
export function wasmLimitsOf(engine: EngineManifest | undefined): { timeLimitMs: number; memoryMb: number } {
  return {
    timeLimitMs: engine?.wasm?.timeLimitMs ?? DEFAULT_WASM_TIME_LIMIT_MS,
    memoryMb: engine?.wasm?.memoryMb ?? DEFAULT_WASM_MEMORY_MB,
  };
}
