import fs from "node:fs";
import fsp from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import type { IoSink, SinkOf } from "./IoSink.js";

type Fn = (...args: unknown[]) => unknown;
type Field = "fsRead" | "fsWrite";
type Table = Record<string, unknown>;

/**
 * Counts the bytes that `node:fs` reads and writes for the module doing the call: bytes actually
 * moved (what a read returned, what a write reported written), by every public path of Node 20
 * to 24:
 *
 * - sync: `readFileSync`, `writeFileSync`, `appendFileSync`, `readSync`, `writeSync`,
 *   `readvSync`, `writevSync`. A sync call made inside another (`readFileSync` reads through
 *   `fs.readSync`) is counted once, by the outer one.
 * - callback: `read`, `write`, `readv`, `writev` (file streams call these through the `fs`
 *   object, so `createReadStream` / `createWriteStream` are counted by them, as are `writeFile`
 *   and `appendFile`, which write through `fs.write`), and `readFile` (which reads through the
 *   binding, unseen).
 * - promises: `readFile`, `writeFile`, `appendFile` (through the binding) and the `FileHandle`
 *   methods `read`, `readv`, `write`, `writev`, `readFile`, `writeFile`, `appendFile`
 *   (FileHandle's prototype is reached through the first `open()`; `filehandle.createReadStream()`
 *   reads through `filehandle.read`).
 *
 * Not seen: `copyFile` and `cp` (the kernel copies), what native addons read or write, and
 * functions a library took from `fs` before the meter was installed (CommonJS destructuring).
 * ES modules' named imports see the metered functions (`syncBuiltinESMExports`).
 *
 * Cost per call: one {@link SinkOf} call and an add (and a closure for callback calls).
 */
export class FsMeter {
  private readonly saved: { table: Table; name: string; value: unknown }[] = [];
  private fileHandleProto: Table | undefined;
  /** `depth` is above 0 while a metered sync call runs: the fs calls it makes are its own, already counted. */
  private readonly nesting = { depth: 0 };

  constructor(private readonly sinkOf: SinkOf) {}

  /** Patches `fs` and `fs/promises` (and ES modules' views of them). */
  install(): void {
    const sync = fs as unknown as Table;
    this.sync(sync, "readFileSync", "fsRead", (r, a) => byteLength(r, encodingOf(a[1])));
    this.sync(sync, "writeFileSync", "fsWrite", (_r, a) => byteLength(a[1], encodingOf(a[2])));
    this.sync(sync, "appendFileSync", "fsWrite", (_r, a) => byteLength(a[1], encodingOf(a[2])));
    for (const name of ["readSync", "readvSync"]) this.sync(sync, name, "fsRead", asCount);
    for (const name of ["writeSync", "writevSync"]) this.sync(sync, name, "fsWrite", asCount);
    for (const name of ["read", "readv"]) this.callback(sync, name, "fsRead", asCount);
    for (const name of ["write", "writev"]) this.callback(sync, name, "fsWrite", asCount);
    this.callback(sync, "readFile", "fsRead", (r, a) =>
      byteLength(r, typeof a[1] === "function" ? undefined : encodingOf(a[1])),
    );
    const promises = fsp as unknown as Table;
    this.promised(promises, "readFile", "fsRead", (r, a) => byteLength(r, encodingOf(a[1])));
    for (const name of ["writeFile", "appendFile"]) this.writeFile(promises, name, 1);
    this.replace(promises, "open", (open) => (...args) => {
      const opened = Reflect.apply(open, fsp, args) as Promise<object>;
      if (this.fileHandleProto !== undefined) return opened;
      return opened.then((handle) => {
        this.meterFileHandles(Object.getPrototypeOf(handle) as Table);
        return handle;
      });
    });
    syncBuiltinESMExports();
  }

  /** Restores every function it replaced. */
  uninstall(): void {
    for (const { table, name, value } of this.saved.reverse()) table[name] = value;
    this.saved.length = 0;
    this.fileHandleProto = undefined;
    syncBuiltinESMExports();
  }

  /** Runs `fn` without counting the fs calls it makes (the host's own reads, such as /proc). */
  unmetered<T>(fn: () => T): T {
    this.nesting.depth++;
    try {
      return fn();
    } finally {
      this.nesting.depth--;
    }
  }

  private meterFileHandles(proto: Table): void {
    if (this.fileHandleProto !== undefined) return;
    this.fileHandleProto = proto;
    for (const name of ["read", "readv"])
      this.promised(proto, name, "fsRead", (r) => asCount((r as { bytesRead?: unknown }).bytesRead));
    for (const name of ["write", "writev"])
      this.promised(proto, name, "fsWrite", (r) => asCount((r as { bytesWritten?: unknown }).bytesWritten));
    this.promised(proto, "readFile", "fsRead", (r, a) => byteLength(r, encodingOf(a[0])));
    for (const name of ["writeFile", "appendFile"]) this.writeFile(proto, name, 0);
  }

  private sync(
    table: Table,
    name: string,
    field: Field,
    count: (result: unknown, args: unknown[]) => number,
  ): void {
    this.replace(table, name, (original) => {
      const { nesting, sinkOf } = this;
      return function (this: unknown, ...args: unknown[]) {
        const sink = nesting.depth === 0 ? sinkOf() : undefined;
        if (sink === undefined) return Reflect.apply(original, this, args);
        nesting.depth++;
        try {
          const result = Reflect.apply(original, this, args);
          sink[field] += count(result, args);
          return result;
        } finally {
          nesting.depth--;
        }
      };
    });
  }

  /** A function whose last argument is a Node callback `(err, result)`: counted when it succeeds. */
  private callback(
    table: Table,
    name: string,
    field: Field,
    count: (result: unknown, args: unknown[]) => number,
  ): void {
    this.replace(table, name, (original) => {
      const { nesting, sinkOf } = this;
      return function (this: unknown, ...args: unknown[]) {
        const last = args.length - 1;
        const done = args[last];
        const sink = nesting.depth === 0 && typeof done === "function" ? sinkOf() : undefined;
        if (sink === undefined) return Reflect.apply(original, this, args);
        args[last] = function (this: unknown, err: unknown, ...rest: unknown[]) {
          if (err == null) sink[field] += count(rest[0], args);
          return Reflect.apply(done as Fn, this, [err, ...rest]);
        };
        return Reflect.apply(original, this, args);
      };
    });
  }

  private promised(
    table: Table,
    name: string,
    field: Field,
    count: (result: unknown, args: unknown[]) => number,
  ): void {
    this.replace(table, name, (original) => {
      const sinkOf = this.sinkOf;
      return function (this: unknown, ...args: unknown[]) {
        const sink = sinkOf();
        const result = Reflect.apply(original, this, args);
        if (sink === undefined || !(result instanceof Promise)) return result;
        return result.then((value: unknown) => {
          sink[field] += count(value, args);
          return value;
        });
      };
    });
  }

  /** `writeFile(target, data, options)` of fs/promises or a FileHandle (`data` at `at`): data may also be an (async) iterable, counted as it is written. */
  private writeFile(table: Table, name: string, at: number): void {
    this.replace(table, name, (original) => {
      const sinkOf = this.sinkOf;
      return function (this: unknown, ...args: unknown[]) {
        const sink = sinkOf();
        if (sink === undefined) return Reflect.apply(original, this, args);
        const data = args[at];
        const encoding = encodingOf(args[at + 1]);
        if (typeof data !== "string" && !ArrayBuffer.isView(data) && isIterable(data)) {
          args[at] = counted(data, encoding, sink);
          return Reflect.apply(original, this, args);
        }
        const result = Reflect.apply(original, this, args);
        if (!(result instanceof Promise)) return result;
        return result.then((value: unknown) => {
          sink.fsWrite += byteLength(data, encoding);
          return value;
        });
      };
    });
  }

  private replace(table: Table, name: string, wrap: (original: Fn) => Fn): void {
    const original = table[name];
    if (typeof original !== "function") return; // absent on this Node version
    const wrapped = wrap(original as Fn);
    // util.promisify(fs.read) and its kind read symbol-keyed markers on the function.
    for (const key of Object.getOwnPropertySymbols(original))
      Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(original, key)!);
    Object.defineProperty(wrapped, "name", { value: (original as Fn).name });
    this.saved.push({ table, name, value: original });
    table[name] = wrapped;
  }
}

function asCount(value: unknown): number {
  return typeof value === "number" && value > 0 ? value : 0;
}

function encodingOf(options: unknown): BufferEncoding | undefined {
  const encoding =
    typeof options === "string" ? options : (options as { encoding?: unknown } | null)?.encoding;
  return typeof encoding === "string" && Buffer.isEncoding(encoding) ? encoding : undefined;
}

/** The bytes behind `data`: a buffer's length, or a string's length once encoded (UTF-8 unless told). */
function byteLength(data: unknown, encoding: BufferEncoding | undefined): number {
  if (typeof data === "string") return Buffer.byteLength(data, encoding ?? "utf8");
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

function isIterable(data: unknown): data is Iterable<unknown> | AsyncIterable<unknown> {
  if (data === null || typeof data !== "object") return false;
  return Symbol.asyncIterator in data || Symbol.iterator in data;
}

/** `data` as an async iterable that counts each chunk it hands on. */
async function* counted(
  data: Iterable<unknown> | AsyncIterable<unknown>,
  encoding: BufferEncoding | undefined,
  sink: IoSink,
): AsyncGenerator<unknown> {
  for await (const chunk of data) {
    sink.fsWrite += byteLength(chunk, encoding);
    yield chunk;
  }
}
