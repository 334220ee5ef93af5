#!/usr/bin/env node
/**
 * Builds contract.wasm, the example WebAssembly engine module (docs/dispatch.md, "WebAssembly
 * engines"), from the readable description below. There is no wat2wasm here, so this script
 * writes the binary format itself: a few encoders (LEB128, vectors, sections; see the
 * WebAssembly core specification, chapter 5 "Binary Format") and one table of the opcodes the
 * contract uses. The output is deterministic: test/hosts/wasm.test.ts checks that it matches the
 * committed contract.wasm byte for byte.
 *
 *   node examples/modules/wasm-contract/build-contract.mjs [out.wasm]   (default: contract.wasm beside it)
 */
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// ---- the contract ------------------------------------------------------------------------

const i32 = 0x7f;
const i64 = 0x7e;
const f32 = 0x7d;
const f64 = 0x7c;

/** Mutable globals: the contract's state, kept across calls while its engine runs. */
const globals = [
  { name: "count", type: i64, init: ["i64.const", 0] }, // increment()'s counter, exported (not a method)
  { name: "heap", type: i32, init: ["i32.const", 1024] }, // alloc()'s bump pointer (bytes below 1024 unused)
];
const G = Object.fromEntries(globals.map((g, i) => [g.name, i]));

/**
 * The exported functions, in order. `locals` are extra locals after the parameters; `body` is a
 * list of instructions, each [opcode, ...immediates] as in the text format.
 */
const functions = [
  // add(a, b): a + b (i32)
  {
    name: "add",
    params: [i32, i32],
    results: [i32],
    body: [["local.get", 0], ["local.get", 1], ["i32.add"]],
  },
  // increment(): the counter plus one, kept in a global (i64, so it comes back as a BigInt)
  {
    name: "increment",
    params: [],
    results: [i64],
    body: [
      ["global.get", G.count],
      ["i64.const", 1],
      ["i64.add"],
      ["global.set", G.count],
      ["global.get", G.count],
    ],
  },
  // addWide(a, b): a + b (i64)
  {
    name: "addWide",
    params: [i64, i64],
    results: [i64],
    body: [["local.get", 0], ["local.get", 1], ["i64.add"]],
  },
  // average(a, b): (a + b) * 0.5 (f64)
  {
    name: "average",
    params: [f64, f64],
    results: [f64],
    body: [["local.get", 0], ["local.get", 1], ["f64.add"], ["f64.const", 0.5], ["f64.mul"]],
  },
  // half(x): x * 0.5 (f32)
  { name: "half", params: [f32], results: [f32], body: [["local.get", 0], ["f32.const", 0.5], ["f32.mul"]] },
  // spin(n): counts n down to 0 and returns 0; a large n runs past the engine's time limit
  {
    name: "spin",
    params: [i64],
    results: [i64],
    body: [
      ["block"],
      ["loop"],
      ["local.get", 0],
      ["i64.eqz"],
      ["br_if", 1],
      ["local.get", 0],
      ["i64.const", 1],
      ["i64.sub"],
      ["local.set", 0],
      ["br", 0],
      ["end"],
      ["end"],
      ["local.get", 0],
    ],
  },
  // alloc(len): the address of len fresh bytes (a bump allocator; grows the memory, traps when it cannot)
  {
    name: "alloc",
    params: [i32],
    results: [i32],
    locals: [i32, i32], // 1: ptr, 2: top
    body: [
      ["global.get", G.heap],
      ["local.set", 1],
      ["local.get", 1],
      ["local.get", 0],
      ["i32.add"],
      ["local.set", 2],
      ["block"],
      // top <= memory.size * 65536: it fits
      ["local.get", 2],
      ["memory.size"],
      ["i32.const", 16],
      ["i32.shl"],
      ["i32.le_u"],
      ["br_if", 0],
      // else grow by ceil((top - size) / 65536) pages; memory.grow answers -1 at the cap
      ["local.get", 2],
      ["memory.size"],
      ["i32.const", 16],
      ["i32.shl"],
      ["i32.sub"],
      ["i32.const", 65535],
      ["i32.add"],
      ["i32.const", 16],
      ["i32.shr_u"],
      ["memory.grow"],
      ["i32.const", -1],
      ["i32.ne"],
      ["br_if", 0],
      ["unreachable"],
      ["end"],
      ["local.get", 2],
      ["global.set", G.heap],
      ["local.get", 1],
    ],
  },
  // dealloc(ptr, len): frees the latest allocation (the host frees a call's arguments in reverse order)
  {
    name: "dealloc",
    params: [i32, i32],
    results: [],
    body: [
      ["local.get", 0],
      ["local.get", 1],
      ["i32.add"],
      ["global.get", G.heap],
      ["i32.eq"],
      ["if"],
      ["local.get", 0],
      ["global.set", G.heap],
      ["end"],
    ],
  },
  // checksum(ptr, len): the sum of len bytes at ptr; called with a string or bytes (see docs)
  {
    name: "checksum",
    params: [i32, i32],
    results: [i32],
    locals: [i32], // 2: sum
    body: [
      ["block"],
      ["loop"],
      ["local.get", 1],
      ["i32.eqz"],
      ["br_if", 1],
      ["local.get", 2],
      ["local.get", 0],
      ["i32.load8_u", 0, 0],
      ["i32.add"],
      ["local.set", 2],
      ["local.get", 0],
      ["i32.const", 1],
      ["i32.add"],
      ["local.set", 0],
      ["local.get", 1],
      ["i32.const", 1],
      ["i32.sub"],
      ["local.set", 1],
      ["br", 0],
      ["end"],
      ["end"],
      ["local.get", 2],
    ],
  },
  // grow(pages): memory.grow — the previous size in pages, or -1 past the engine's memory cap
  { name: "grow", params: [i32], results: [i32], body: [["local.get", 0], ["memory.grow"]] },
];

/** One memory of 1 page (64 KiB) and no maximum: the engine's cap (engine.wasm.memoryMb) becomes its maximum. */
const memory = { min: 1 };

// ---- the binary format ---------------------------------------------------------------------

/** Opcode and immediate encoders of the instructions used above. */
const ops = {
  unreachable: [0x00],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  br: [0x0c, "u32"],
  br_if: [0x0d, "u32"],
  "local.get": [0x20, "u32"],
  "local.set": [0x21, "u32"],
  "global.get": [0x23, "u32"],
  "global.set": [0x24, "u32"],
  "i32.load8_u": [0x2d, "u32", "u32"], // align, offset
  "memory.size": [0x3f, 0x00],
  "memory.grow": [0x40, 0x00],
  "i32.const": [0x41, "s32"],
  "i64.const": [0x42, "s64"],
  "f32.const": [0x43, "f32"],
  "f64.const": [0x44, "f64"],
  "i32.eqz": [0x45],
  "i32.eq": [0x46],
  "i32.ne": [0x47],
  "i32.le_u": [0x4d],
  "i64.eqz": [0x50],
  "i32.add": [0x6a],
  "i32.sub": [0x6b],
  "i32.shl": [0x74],
  "i32.shr_u": [0x76],
  "i64.add": [0x7c],
  "i64.sub": [0x7d],
  "f32.mul": [0x94],
  "f64.add": [0xa0],
  "f64.mul": [0xa2],
};

/** Unsigned LEB128. */
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a BigInt. */
function sleb(n) {
  const out = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function float(bytes, write, value) {
  const view = new DataView(new ArrayBuffer(bytes));
  write.call(view, 0, value, true);
  return [...new Uint8Array(view.buffer)];
}

const immediate = {
  u32: (v) => u32(v),
  s32: (v) => sleb(BigInt(v)),
  s64: (v) => sleb(BigInt(v)),
  f32: (v) => float(4, DataView.prototype.setFloat32, v),
  f64: (v) => float(8, DataView.prototype.setFloat64, v),
};

function instruction([name, ...args]) {
  const op = ops[name];
  if (op === undefined) throw new Error(`unknown instruction ${name}`);
  const out = [];
  let arg = 0;
  for (const part of op) out.push(...(typeof part === "number" ? [part] : immediate[part](args[arg++])));
  return out;
}

const expr = (instructions) => [...instructions.flatMap(instruction), 0x0b];
const utf8 = (s) => [...u32(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items) => [...u32(items.length), ...items.flat()];
const section = (id, bytes) => [id, ...u32(bytes.length), ...bytes];

/** The contract's bytes. */
export function contractBytes() {
  // Function types, deduplicated in order of first use.
  const types = [];
  const typeIndex = functions.map((f) => {
    const encoded = [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))];
    const key = encoded.join(",");
    let at = types.findIndex((t) => t.join(",") === key);
    if (at < 0) at = types.push(encoded) - 1;
    return at;
  });
  const code = functions.map((f) => {
    const locals = (f.locals ?? []).map((t) => [...u32(1), t]);
    const body = [...vec(locals), ...expr(f.body)];
    return [...u32(body.length), ...body];
  });
  const exports = [
    ...functions.map((f, i) => [...utf8(f.name), 0x00, ...u32(i)]),
    [...utf8("memory"), 0x02, ...u32(0)],
    [...utf8("count"), 0x03, ...u32(G.count)],
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vec(types)),
    ...section(3, vec(typeIndex.map((t) => u32(t)))),
    ...section(5, vec([[0x00, ...u32(memory.min)]])),
    ...section(6, vec(globals.map((g) => [g.type, 0x01, ...expr([g.init])]))),
    ...section(7, vec(exports)),
    ...section(10, vec(code)),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? fileURLToPath(new URL("./contract.wasm", import.meta.url));
  writeFileSync(out, contractBytes());
  console.log(`wrote ${out}`);
}
