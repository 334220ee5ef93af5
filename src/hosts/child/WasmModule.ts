/**
 * The WebAssembly engine adapter, inside the child host: compiles a module's `.wasm` entry under
 * its memory cap and makes its exported functions the module's api (see docs/dispatch.md,
 * "WebAssembly engines"). How values pass:
 *
 * - i32, f32, f64: JavaScript numbers (an i32 argument is an integer from -2^31 to 2^32 - 1; an
 *   i32 result is signed). i64: a BigInt, or a safe-integer number, in; out, a number when it is
 *   a safe integer (|n| <= 2^53 - 1), else a BigInt.
 * - A string (as UTF-8) or a Uint8Array fills two i32 parameters, (ptr, len): the module must
 *   export `alloc(len) -> ptr`, and its memory (exported as `memory`, or imported); the bytes are
 *   copied there before the call, and handed to `dealloc(ptr, len)` after it, newest first, when
 *   the module exports one.
 * - No result: undefined; several (multi-value): an array.
 *
 * Memory: a memory the module defines gets the cap as its maximum (the binary is rewritten
 * before it is compiled); an imported one is made here with the cap as its maximum. Either way
 * `memory.grow` past the cap answers -1, and a module that needs more than the cap to start is
 * refused. Imports other than one memory are refused: an engine module is self-contained.
 *
 * Dependency-free apart from Chipset's own dependency-free files (see `main.ts`).
 */
import { readFile } from "node:fs/promises";
import { ChipsetError, messageOf } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { defineModule, type DefinedModule } from "../../module.js";
import type { LoadMessage, WasmLimits } from "../protocol.js";
import { isMemory, webAssembly, type WasmImports, type WasmMemory } from "./wasmApi.js";
import {
  capMemory,
  MAX_PAGES,
  readWasmLayout,
  type WasmLayout,
  type WasmSignature,
  type WasmValueType,
} from "./wasmBinary.js";

/** Bytes in one WebAssembly page. */
const PAGE = 65536;
const encoder = new TextEncoder();

type WasmFunction = (...args: unknown[]) => unknown;

/**
 * Loads the WebAssembly module `msg.file` under `limits` and returns its definition: an api of
 * its exported functions. Rejects with `CHIP_ERR_LOAD_FAILED` saying what was wrong.
 */
export async function loadWasmModule(msg: LoadMessage, limits: WasmLimits): Promise<DefinedModule> {
  const fail = (what: string, cause?: unknown) =>
    new ChipsetError(ErrorCodes.LOAD_FAILED, `${msg.key}: ${msg.file} ${what}`, {
      module: msg.key,
      ...(cause === undefined ? {} : { cause }),
      details: { file: msg.file, memoryMb: limits.memoryMb },
    });
  const bytes = new Uint8Array(await readFile(msg.file));
  let layout: WasmLayout;
  try {
    layout = readWasmLayout(bytes);
  } catch (err) {
    throw fail(`cannot be run as a WebAssembly engine: ${messageOf(err)}`, err);
  }
  const capPages = Math.min(limits.memoryMb * ((1024 * 1024) / PAGE), MAX_PAGES);
  const tooBig = (minimum: number) =>
    fail(
      `needs at least ${minimum} pages (${mib(minimum)} MiB) of memory, more than its cap of ${limits.memoryMb} MiB ` +
        `(engine.wasm.memoryMb); raise engine.wasm.memoryMb in its manifest, or build the module with a smaller initial memory`,
    );
  const foreign = layout.imports.filter((i) => i.kind !== "memory");
  if (foreign.length > 0) {
    const names = foreign.map((i) => `${i.module}.${i.name} (${i.kind})`).join(", ");
    throw fail(
      `imports ${names}; a WebAssembly engine module may import nothing but one memory: build it self-contained (no WASI, no host functions)`,
    );
  }
  const memoryImports = layout.imports.filter((i) => i.kind === "memory");
  if (memoryImports.length > 1) throw fail(`imports ${memoryImports.length} memories; one is supported`);
  const imports: WasmImports = {};
  let memory: WasmMemory | undefined;
  const wanted = memoryImports[0];
  if (wanted !== undefined) {
    const limitsOf = wanted.memory!;
    if (limitsOf.minimum > capPages) throw tooBig(limitsOf.minimum);
    memory = new webAssembly.Memory({
      initial: limitsOf.minimum,
      maximum: Math.min(limitsOf.maximum ?? capPages, capPages),
    });
    imports[wanted.module] = { ...imports[wanted.module], [wanted.name]: memory };
  }
  if (layout.memory !== undefined && layout.memory.minimum > capPages) throw tooBig(layout.memory.minimum);
  let instance: { exports: Record<string, unknown> };
  try {
    const compiled = await webAssembly.compile(capMemory(bytes, layout, capPages));
    instance = await webAssembly.instantiate(compiled, imports);
  } catch (err) {
    throw fail(`could not be compiled and instantiated: ${messageOf(err)}`, err);
  }
  const exports = instance.exports;
  if (isMemory(exports.memory)) memory = exports.memory;
  const buffers = new ByteArguments(
    memory,
    typeof exports.alloc === "function" ? (exports.alloc as WasmFunction) : undefined,
    typeof exports.dealloc === "function" ? (exports.dealloc as WasmFunction) : undefined,
  );
  const api: Record<string, WasmFunction> = Object.create(null) as Record<string, WasmFunction>;
  for (const [name, signature] of layout.functions) {
    const fn = exports[name];
    if (typeof fn !== "function") continue;
    api[name] = method(name, fn as WasmFunction, signature, buffers);
  }
  return defineModule({ api });
}

/** The api method of exported function `name`: checks and converts its arguments and result. */
function method(
  name: string,
  fn: WasmFunction,
  signature: WasmSignature | undefined,
  buffers: ByteArguments,
): WasmFunction {
  if (signature === undefined) {
    return () => {
      throw new TypeError(
        `${name} takes or returns a value type Chipset cannot pass (only i32, i64, f32 and f64 cross a call)`,
      );
    };
  }
  const shape = describe(name, signature);
  return (...args: unknown[]) => {
    const held: Array<[number, number]> = [];
    try {
      // The JS API returns an i64 as a BigInt, several results as an array.
      const result = fn(...lower(shape, signature.params, args, buffers, held));
      return Array.isArray(result) ? result.map(lift) : lift(result);
    } finally {
      buffers.release(held);
    }
  };
}

/** The wasm values of `args` for `params`; strings and bytes are copied into memory (recorded in `held`). */
function lower(
  shape: string,
  params: readonly WasmValueType[],
  args: readonly unknown[],
  buffers: ByteArguments,
  held: Array<[number, number]>,
): unknown[] {
  const values: unknown[] = [];
  let p = 0;
  let i = 0;
  for (; i < args.length && p < params.length; i++) {
    const arg = args[i];
    if (typeof arg === "string" || arg instanceof Uint8Array) {
      if (params[p] !== "i32" || params[p + 1] !== "i32") {
        throw new TypeError(
          `${shape}: argument ${i + 1} is a ${typeof arg === "string" ? "string" : "Uint8Array"}, which passes as two i32 parameters (ptr, len), ` +
            `but parameters ${p + 1} and ${p + 2} are not both i32`,
        );
      }
      const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
      values.push(buffers.copyIn(shape, bytes, held), bytes.length);
      p += 2;
      continue;
    }
    values.push(number(shape, i, params[p]!, arg));
    p++;
  }
  if (p !== params.length || i !== args.length) {
    throw new TypeError(
      `${shape} takes ${params.length} value${params.length === 1 ? "" : "s"} (a string or Uint8Array fills an (i32, i32) pair); it was called with ${args.length} argument${args.length === 1 ? "" : "s"}`,
    );
  }
  return values;
}

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An i64 result as a number when it is a safe integer, else as the BigInt: results reach the CLI
 * and the HTTP API as JSON, which has no BigInt, and counters and amounts rarely pass 2^53.
 */
function lift(value: unknown): unknown {
  return typeof value === "bigint" && value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 32 - 1;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 64n - 1n;

/** Argument `index` as a wasm value of `type`, or a TypeError saying what it must be. */
function number(shape: string, index: number, type: WasmValueType, value: unknown): unknown {
  if (type === "i64") {
    if (typeof value === "bigint" && value >= I64_MIN && value <= I64_MAX) return value;
    if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    throw argumentError(shape, index, "an i64: a BigInt, or a safe-integer number", value);
  }
  if (typeof value !== "number") throw argumentError(shape, index, `an ${type}: a number`, value);
  if (type === "i32" && !(Number.isInteger(value) && value >= I32_MIN && value <= I32_MAX)) {
    throw argumentError(shape, index, "an i32: an integer from -2147483648 to 4294967295", value);
  }
  return value;
}

function argumentError(shape: string, index: number, expected: string, value: unknown): TypeError {
  const found =
    typeof value === "string"
      ? JSON.stringify(value)
      : typeof value === "bigint"
        ? `${value}n`
        : String(value);
  return new TypeError(`${shape}: argument ${index + 1} must be ${expected}; got ${found}`);
}

/** `add(i32, i32) -> i32`, for messages. */
function describe(name: string, signature: WasmSignature): string {
  const results = signature.results.length === 0 ? "" : ` -> ${signature.results.join(", ")}`;
  return `${name}(${signature.params.join(", ")})${results}`;
}

function mib(pages: number): string {
  return ((pages * PAGE) / (1024 * 1024)).toFixed(pages % 16 === 0 ? 0 : 2);
}

/** Copies string and byte arguments into the module's memory through its `alloc`, and back out through `dealloc`. */
class ByteArguments {
  constructor(
    private readonly memory: WasmMemory | undefined,
    private readonly alloc: WasmFunction | undefined,
    private readonly dealloc: WasmFunction | undefined,
  ) {}

  /** The address of a copy of `bytes` in memory; recorded in `held` for {@link release}. */
  copyIn(shape: string, bytes: Uint8Array, held: Array<[number, number]>): number {
    const { memory, alloc } = this;
    if (memory === undefined || alloc === undefined) {
      throw new TypeError(
        `${shape}: strings and bytes need the module to export alloc(len: i32) -> i32 and a memory; pass numbers, or build the module with both`,
      );
    }
    const ptr = (alloc(bytes.length) as number) >>> 0;
    // Read the buffer after alloc: growing the memory replaces it.
    if (ptr + bytes.length > memory.buffer.byteLength) {
      throw new RangeError(
        `${shape}: alloc(${bytes.length}) answered ${ptr}, which leaves no room for ${bytes.length} bytes in its ${memory.buffer.byteLength}-byte memory`,
      );
    }
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    held.push([ptr, bytes.length]);
    return ptr;
  }

  /** Hands what {@link copyIn} took back to `dealloc`, newest first. */
  release(held: Array<[number, number]>): void {
    if (this.dealloc === undefined) return;
    for (let i = held.length - 1; i >= 0; i--) this.dealloc(held[i]![0], held[i]![1]);
  }
}
