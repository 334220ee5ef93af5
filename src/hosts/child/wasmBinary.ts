/**
 * Reads what the WebAssembly JS API does not tell (Node 20 has no type reflection): each
 * exported function's signature and the limits of the module's memory, from the binary format
 * (WebAssembly core specification, chapter 5), and rewrites a defined memory's maximum. Only the
 * sections that say so are decoded (types, imports, functions, memories, exports); the rest are
 * skipped by their sizes, and V8 validates the whole module when it compiles it.
 *
 * Dependency-free, as everything the child host loads (see `main.ts`).
 */

/** The value types Chipset passes across a call. */
export type WasmValueType = "i32" | "i64" | "f32" | "f64";

/** A function type: its parameter and result types. */
export interface WasmSignature {
  params: WasmValueType[];
  results: WasmValueType[];
}

/** A memory's limits, in 64 KiB pages; `maximum` undefined when the module declares none. */
export interface WasmMemoryLimits {
  minimum: number;
  maximum: number | undefined;
}

/** An import, by kind; a memory's with its limits. */
export interface WasmImport {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  memory?: WasmMemoryLimits;
}

/** What Chipset needs to know of a module before it compiles it. */
export interface WasmLayout {
  imports: WasmImport[];
  /** Exported functions and their signatures (undefined: a type Chipset cannot pass, such as v128 or a reference). */
  functions: Map<string, WasmSignature | undefined>;
  /** Exports that are not functions, by name, with their kind. */
  others: Map<string, string>;
  /** The memory the module defines itself (not imported), if any. */
  memory: WasmMemoryLimits | undefined;
  /** Where the memory section lies in the bytes (its id byte to its end), if there is one. */
  memorySection: { start: number; end: number } | undefined;
}

/** The binary is malformed or uses what Chipset does not support; the message says which. */
export class WasmFormatError extends Error {
  override name = "WasmFormatError";
}

const valueTypes: Record<number, WasmValueType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };
const importKinds = ["function", "table", "memory", "global", "tag"] as const;
const exportKinds = ["function", "table", "memory", "global", "tag"];

/** The largest memory a 32-bit WebAssembly memory can have, in pages (4 GiB). */
export const MAX_PAGES = 65536;

/** Decodes the layout of the module in `bytes`; throws {@link WasmFormatError}. */
export function readWasmLayout(bytes: Uint8Array): WasmLayout {
  const r = new Reader(bytes);
  if (r.u8() !== 0x00 || r.u8() !== 0x61 || r.u8() !== 0x73 || r.u8() !== 0x6d) {
    throw new WasmFormatError('it is not a WebAssembly binary (it does not start with "\\0asm")');
  }
  const version = r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24);
  if (version !== 1)
    throw new WasmFormatError(`its binary format version is ${version}; version 1 is supported`);
  const types: Array<WasmSignature | undefined> = [];
  const imports: WasmImport[] = [];
  const functionTypes: number[] = [];
  const exports: Array<{ name: string; kind: number; index: number }> = [];
  let importedFunctions = 0;
  let memory: WasmMemoryLimits | undefined;
  let memorySection: { start: number; end: number } | undefined;
  while (!r.done) {
    const start = r.at;
    const id = r.u8();
    const size = r.u32();
    const end = r.at + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the file`);
    switch (id) {
      case 1:
        for (let n = r.u32(); n > 0; n--) types.push(readFunctionType(r));
        break;
      case 2:
        for (let n = r.u32(); n > 0; n--) {
          const entry = readImport(r);
          if (entry.kind === "function") importedFunctions++;
          imports.push(entry);
        }
        break;
      case 3:
        for (let n = r.u32(); n > 0; n--) functionTypes.push(r.u32());
        break;
      case 5: {
        const count = r.u32();
        if (count > 1) throw new WasmFormatError(`it defines ${count} memories; one is supported`);
        if (count === 1) memory = readLimits(r);
        memorySection = { start, end };
        break;
      }
      case 7:
        for (let n = r.u32(); n > 0; n--) exports.push({ name: r.name(), kind: r.u8(), index: r.u32() });
        break;
    }
    r.at = end;
  }
  const functions = new Map<string, WasmSignature | undefined>();
  const others = new Map<string, string>();
  for (const e of exports) {
    if (e.kind !== 0) {
      others.set(e.name, exportKinds[e.kind] ?? `kind ${e.kind}`);
      continue;
    }
    // Imported functions come first in the index space; those are refused before any call.
    const typeIndex = e.index < importedFunctions ? undefined : functionTypes[e.index - importedFunctions];
    functions.set(e.name, typeIndex === undefined ? undefined : types[typeIndex]);
  }
  return { imports, functions, others, memory, memorySection };
}

/**
 * `bytes` with its defined memory's maximum set to `maxPages` (the module's own maximum when
 * that is lower): the engine then refuses to grow it further (`memory.grow` answers -1).
 */
export function capMemory(bytes: Uint8Array, layout: WasmLayout, maxPages: number): Uint8Array {
  const { memory, memorySection } = layout;
  if (memory === undefined || memorySection === undefined) return bytes;
  const maximum = Math.min(memory.maximum ?? maxPages, maxPages);
  const content = [...leb(1), 0x01, ...leb(memory.minimum), ...leb(maximum)];
  const section = [5, ...leb(content.length), ...content];
  const out = new Uint8Array(bytes.length - (memorySection.end - memorySection.start) + section.length);
  out.set(bytes.subarray(0, memorySection.start), 0);
  out.set(section, memorySection.start);
  out.set(bytes.subarray(memorySection.end), memorySection.start + section.length);
  return out;
}

function readFunctionType(r: Reader): WasmSignature | undefined {
  const form = r.u8();
  if (form !== 0x60) {
    throw new WasmFormatError(
      `it declares a type of form 0x${form.toString(16)} (only function types are supported)`,
    );
  }
  let passable = true;
  const list = (): WasmValueType[] => {
    const out: WasmValueType[] = [];
    for (let n = r.u32(); n > 0; n--) {
      const code = r.u8();
      const type = valueTypes[code];
      if (type === undefined) {
        passable = false;
        // Reference types with a heap type (0x63, 0x64) carry one more byte; the others are one byte.
        if (code === 0x63 || code === 0x64) r.s33();
      } else out.push(type);
    }
    return out;
  };
  const params = list();
  const results = list();
  return passable ? { params, results } : undefined;
}

function readImport(r: Reader): WasmImport {
  const module = r.name();
  const name = r.name();
  const code = r.u8();
  const kind = importKinds[code];
  if (kind === undefined) throw new WasmFormatError(`import ${module}.${name} is of unknown kind ${code}`);
  const entry: WasmImport = { module, name, kind };
  if (kind === "function") r.u32();
  else if (kind === "table") {
    r.u8();
    readLimits(r, "table");
  } else if (kind === "memory") entry.memory = readLimits(r);
  else if (kind === "global") {
    r.u8();
    r.u8();
  } else {
    r.u8();
    r.u32();
  }
  return entry;
}

function readLimits(r: Reader, what = "memory"): WasmMemoryLimits {
  const flags = r.u8();
  if (what === "memory" && (flags & 0x02) !== 0) {
    throw new WasmFormatError("its memory is shared (threads); only unshared memories are supported");
  }
  if (what === "memory" && (flags & 0x04) !== 0) {
    throw new WasmFormatError("its memory is 64-bit (memory64); only 32-bit memories are supported");
  }
  const minimum = r.u32();
  const maximum = (flags & 0x01) !== 0 ? r.u32() : undefined;
  return { minimum, maximum };
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  u8(): number {
    if (this.at >= this.bytes.length) throw new WasmFormatError("it ends in the middle of a section");
    return this.bytes[this.at++]!;
  }

  /** Unsigned LEB128, at most 32 bits. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new WasmFormatError("it holds a malformed number (LEB128 longer than 5 bytes)");
  }

  /** Signed LEB128 of up to 33 bits (a heap type), skipped. */
  s33(): void {
    this.u32();
  }

  name(): string {
    const length = this.u32();
    const end = this.at + length;
    if (end > this.bytes.length) throw new WasmFormatError("a name runs past the end of the file");
    const text = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.at, end));
    this.at = end;
    return text;
  }
}
