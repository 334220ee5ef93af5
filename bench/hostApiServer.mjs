/**
 * The server side of bench/hostApi.mjs, in a process of its own (the load generator and the SSE
 * client run in the bench's process): one runtime with the same `inc(x)` as an inline and as a
 * worker module, served by
 *   - Chipset's HostServer (`POST /v1/modules/{ref}/calls/inc`, bearer token, on 127.0.0.1:0), and
 *   - a bare Fastify (defaults, no schema, no token) on 127.0.0.1:0 with
 *       `POST /direct`  `inc` of the module's own file, imported and called as a function;
 *       `POST /inline`, `POST /worker`  `await runtime.call(id, "inc", args)`;
 *       `POST /inline-signal`, `POST /worker-signal`  the same with a signal that the connection
 *       closing aborts, as the API passes (a client that goes away cancels its call).
 * Every route answers `{ result }` for a body `{ args: [x] }`.
 *
 * argv[2]: `{ dataDir, inline, worker }` (module directories). Protocol (IPC), each request
 * `{ id, ... }` answered `{ id, ... }`:
 *   `{ type: "events", count, gapMs }`  pauses and resumes the inline module until `count` runtime
 *       events were emitted, `gapMs` apart; answers `{ emitted: [[sseId, hrtimeNs]...] }`, the
 *       `process.hrtime` (CLOCK_MONOTONIC, the same clock in every process of the machine) at
 *       which each event was emitted, by the id the event stream gives it;
 *   `{ type: "cpu" }`  answers `{ cpuUs }`, the CPU time this process used so far (every thread), in µs;
 *   `{ type: "close" }`  closes both servers and the runtime, answers, exits.
 * Sends `{ type: "ready", api, bare, token }` once both modules answered a first call.
 */
import { setMaxListeners } from "node:events";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fastify } from "fastify";
import { createRuntime } from "chipset";
import { HostServer } from "../dist/server/HostServer.js";
import { runtimeEventNames } from "../dist/server/eventNames.js";

const { dataDir, inline, worker } = JSON.parse(process.argv[2]);
const ID = { inline: "bench-api-inline", worker: "bench-api-worker" };
const TOKEN = "bench-token-0123456789abcdef";

const runtime = createRuntime({
  dataDir,
  preload: 0,
  logLevel: "silent",
  hosts: { pool: { worker: 0, process: 0 } },
});
runtime.add(inline);
runtime.add(worker);

// Every event, timed as it is emitted: subscribed before the host's event stream, so the n-th
// event seen here is the one the stream numbers n.
let seen = 0;
let timing;
for (const name of runtimeEventNames)
  runtime.on(name, () => {
    seen++;
    timing?.push([seen, String(process.hrtime.bigint())]);
  });

const host = await HostServer.listen(runtime, { host: "127.0.0.1", port: 0, token: TOKEN });
await runtime.start();
for (const id of Object.values(ID)) await runtime.call(id, "inc", [1]);

const { module } = await import(pathToFileURL(join(inline, "index.js")).href);
const inc = module.api.inc;
const bare = fastify({ logger: false });
bare.post("/direct", async (request) => ({ result: await inc(request.body.args[0]) }));
bare.post("/inline", async (request) => ({
  result: await runtime.call(ID.inline, "inc", request.body.args),
}));
bare.post("/worker", async (request) => ({
  result: await runtime.call(ID.worker, "inc", request.body.args),
}));
// As the API calls: with a signal that the client's connection closing aborts (one per connection).
const aborts = new WeakMap();
const signalOf = (socket) => {
  if (!aborts.has(socket)) {
    const abort = new globalThis.AbortController();
    setMaxListeners(0, abort.signal);
    socket.once("close", () => abort.abort());
    aborts.set(socket, abort);
  }
  return aborts.get(socket).signal;
};
for (const [path, id] of [
  ["/inline-signal", ID.inline],
  ["/worker-signal", ID.worker],
])
  bare.post(path, async (request) => ({
    result: await runtime.call(id, "inc", request.body.args, { signal: signalOf(request.raw.socket) }),
  }));
await bare.listen({ host: "127.0.0.1", port: 0 });

async function events(count, gapMs) {
  timing = [];
  let paused = false;
  while (timing.length < count) {
    await (paused ? runtime.resume(ID.inline) : runtime.pause(ID.inline));
    paused = !paused;
    await sleep(gapMs);
  }
  if (paused) await runtime.resume(ID.inline);
  const emitted = timing.slice(0, count);
  timing = undefined;
  return emitted;
}

process.on("message", (m) => {
  if (m.type === "events")
    events(m.count, m.gapMs).then(
      (emitted) => process.send({ id: m.id, emitted }),
      (err) => process.send({ id: m.id, error: err?.stack ?? String(err) }),
    );
  else if (m.type === "cpu") {
    const { user, system } = process.cpuUsage();
    process.send({ id: m.id, cpuUs: user + system });
  } else if (m.type === "close")
    void (async () => {
      await bare.close();
      await host.close(100);
      await runtime.close();
      process.send({ id: m.id }, () => process.exit(0));
    })();
});
process.send({
  type: "ready",
  api: host.url,
  bare: `http://127.0.0.1:${bare.server.address().port}`,
  token: TOKEN,
});
