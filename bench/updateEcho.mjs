/**
 * The floor of bench/update.mjs's state handover: a worker thread or a forked process that
 * sends back whatever it is sent (`{ id, x }` -> `{ id, value: x }`). A round trip of the state
 * is one structured clone each way, as an update's is (old version -> runtime -> new version),
 * without a gate, a protocol or other calls sharing the thread.
 */
import { parentPort } from "node:worker_threads";

if (parentPort) parentPort.on("message", ({ id, x }) => parentPort.postMessage({ id, value: x }));
else process.on("message", ({ id, x }) => process.send({ id, value: x }));
