/**
 * The floor of bench/update.mjs's state hand-over as Chipset makes it: a bare worker thread or
 * forked process that holds a state and, on request, serializes it once (`pack`: answered as
 * bytes, a worker's transferred) or reads such bytes into the state it holds (`unpack`), as an
 * old and a new version's hosts do (src/hosts/StateParcel.ts), with no gate, no protocol and
 * no other calls. Messages: `{ id, op: "keep" | "pack" | "unpack", x }` -> `{ id, value }`.
 */
import { Buffer } from "node:buffer";
import v8 from "node:v8";
import { parentPort } from "node:worker_threads";

const inWorker = parentPort !== null;
const answer = inWorker
  ? (msg, transfer) => parentPort.postMessage(msg, transfer)
  : (msg) => process.send(msg);
let kept;

(inWorker ? parentPort : process).on("message", ({ id, op, x }) => {
  if (op === "keep") {
    kept = x;
    answer({ id, value: true }, []);
  } else if (op === "pack") {
    const serializer = inWorker ? new v8.Serializer() : new v8.DefaultSerializer();
    serializer.writeHeader();
    serializer.writeValue(kept);
    const bytes = serializer.releaseBuffer();
    answer({ id, value: bytes }, [bytes.buffer]);
  } else if (op === "unpack") {
    const bytes = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const deserializer = inWorker ? new v8.Deserializer(bytes) : new v8.DefaultDeserializer(bytes);
    deserializer.readHeader();
    kept = deserializer.readValue();
    answer({ id, value: true }, []);
  }
});
