/**
 * The bare peer of benchmark 4 (isolation): a worker thread or a forked process that answers
 * each `{ id, x }` with `{ id, value }`, where `value` is `await work(x)`, the same tiny async
 * function Chipset's isolated module and piscina's task run. No protocol, no bookkeeping: the
 * floor a host's round trip cannot beat.
 *
 * `{ id, url }` instead imports `url` and answers with `await module.api.inc(1)` of the module
 * it defines (or `true` for a module without one, such as the SDK): the floor of loading a
 * module into a host that has already started.
 */
import { parentPort } from "node:worker_threads";

const work = async (x) => x + 1;

async function answer({ id, x, url }) {
  if (url === undefined) return { id, value: await work(x) };
  const { module } = await import(url);
  return { id, value: module?.api ? await module.api.inc(1) : true };
}

if (parentPort) {
  parentPort.on("message", async (m) => parentPort.postMessage(await answer(m)));
} else {
  process.on("message", async (m) => process.send(await answer(m)));
}
