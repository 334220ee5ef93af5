/**
 * A module's state on its way from one version to the next (an update's `exportState()` ->
 * `importState()`). Opaque outside the hosts: the runtime takes it from one host and gives it to
 * another. Dependency-free (Node built-ins only): the child side of a host uses it too.
 *
 * Why bytes: handed over as a value, 1 MB of state was cloned four times (serialized in the old
 * host, deserialized and serialized again on the runtime's thread, deserialized in the new
 * host), two of them on the thread every other call waits for. Serialized once in the old host,
 * the runtime moves bytes (a worker's are transferred, not copied) and only the new host
 * deserializes. Measured on a 2-core EPYC (Node 20, 1 MB): an Array of 131,072 doubles round
 * trip to a worker as a value 35-64 ms, as copied bytes 5-15 ms, as transferred bytes 0.1-0.3 ms;
 * through a forked process 39-90 ms as a value, 2.7-3.1 ms as bytes (BENCHMARKS.md, 9.5).
 */
import { DefaultDeserializer, DefaultSerializer, Deserializer, Serializer } from "node:v8";

/**
 * How the bytes were made, so they are read back as a message would have delivered the value:
 * `clone` as a worker's `postMessage` clones (V8's own serializer: a `Buffer` arrives as a
 * `Uint8Array`), `node` as a process host's IPC does (`v8.serialize`: a `Buffer` stays one,
 * unless it is read in a worker, whose messages never carry one).
 */
export type StateFormat = "clone" | "node";

/**
 * The state itself (an inline host's result, passed by reference as before; or an isolated
 * host's when it could not be serialized in advance, which then travels as a message would), or
 * its serialization, made once in the old host.
 */
export type StateParcel =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "bytes"; readonly format: StateFormat; readonly bytes: Uint8Array };

/**
 * Serializes `value` as `format` says; throws what the serializer throws when something in it
 * cannot be cloned (a function, a `SharedArrayBuffer`, a symbol).
 */
export function packState(value: unknown, format: StateFormat): StateParcel {
  const serializer = format === "clone" ? new Serializer() : new DefaultSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return { kind: "bytes", format, bytes: serializer.releaseBuffer() };
}

/**
 * The state in `parcel`: the value itself, or a fresh copy read from its bytes. `buffers`: false
 * in a worker, where a `Buffer` arrives as a `Uint8Array` (as through `postMessage`).
 */
export function unpackState(parcel: StateParcel, buffers = true): unknown {
  if (parcel.kind === "value") return parcel.value;
  // A Buffer over the same memory: the deserializers want one.
  const { buffer, byteOffset, byteLength } = parcel.bytes;
  const bytes = Buffer.from(buffer, byteOffset, byteLength);
  const deserializer =
    parcel.format === "clone"
      ? new Deserializer(bytes)
      : buffers
        ? new DefaultDeserializer(bytes)
        : new BuffersAsViews(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}

declare module "node:v8" {
  interface DefaultDeserializer {
    /** Node's documented hook that reads back the typed arrays DefaultSerializer writes (not in @types/node). */
    _readHostObject(): unknown;
  }
}

/** Reads `v8.serialize`'s bytes with every `Buffer` in them as a plain `Uint8Array`. */
class BuffersAsViews extends DefaultDeserializer {
  override _readHostObject(): unknown {
    const view = super._readHostObject();
    return Buffer.isBuffer(view) ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : view;
  }
}

/**
 * What can be transferred with `parcel` to a worker instead of copied: its bytes' ArrayBuffer
 * when they fill it all (so nothing else is detached with it), else nothing.
 */
export function transferOf(parcel: StateParcel): ArrayBuffer[] {
  if (parcel.kind !== "bytes") return [];
  const { buffer, byteOffset, byteLength } = parcel.bytes;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength
    ? [buffer]
    : [];
}
