/**
 * The part of the WebAssembly JS API the engine adapter uses, typed here: `@types/node` 20 does
 * not declare the `WebAssembly` global (TypeScript has it only in the DOM libraries), and a
 * global declaration of our own would clash with the one a newer `@types/node` brings.
 */

/** A linear memory (`WebAssembly.Memory`). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A compiled module (`WebAssembly.Module`). */
export type WasmCompiled = object;

/** An instance's exports: functions, memories, globals, tables. */
export type WasmExports = Record<string, unknown>;

/** What `instantiate` links the module's imports to: module name -> field name -> value. */
export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmCompiled>;
  instantiate(module: WasmCompiled, imports: WasmImports): Promise<{ exports: WasmExports }>;
}

/** The `WebAssembly` global of this thread. */
export const webAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** True when `value` is a `WebAssembly.Memory`. */
export function isMemory(value: unknown): value is WasmMemory {
  return value instanceof (webAssembly.Memory as unknown as new () => object);
}
