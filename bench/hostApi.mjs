/**
 * Benchmark 10: the running host's HTTP API (issue 12), against a bare Fastify route, in one run.
 *   1. Calls: `POST /v1/modules/{ref}/calls/inc` with `{ args: [x] }` and the bearer token, on
 *      Chipset's HostServer, into an inline and into a worker module; against a bare Fastify
 *      (defaults: no schema, no token) whose route calls the same `inc` (the module file's own
 *      function, `/direct`) or goes through `runtime.call` as the API does (`/inline`, `/worker`).
 *      The server side is bench/hostApiServer.mjs, in a process of its own; the load is this
 *      process: one undici Pool per contender, `connections` keep-alive connections, one lane per
 *      connection sending the next request as soon as the answer is read (a closed loop).
 *      After a first pass through every contender (not counted), each round runs every contender
 *      for `warmupMs` then `measureMs`, in an order that turns round by round. Per round: the
 *      server process's CPU time (every thread, `process.cpuUsage`) per request answered, and
 *      requests per second. A contender's figure is the median over rounds (and the lower
 *      quartile: on a machine shared with other work, busy moments inflate some rounds, and the
 *      quieter quarter shows the cost itself); **ratio = API CPU per request / bare CPU per
 *      request**, with the time per request (bare requests/s over API requests/s) beside it.
 *   2. Event latency: from a runtime event being emitted (the inline module paused and resumed,
 *      `gapMs` apart, each transition emitting its events) to an SSE client of `GET /v1/events`
 *      in this process having read its frame. Both ends read `process.hrtime` (CLOCK_MONOTONIC,
 *      one clock for every process of the machine).
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, request as undiciRequest } from "undici";
import { linkChipset, removeDir, tempDir, writeModule } from "./lib/fixtures.mjs";
import { median, percentile, table, x } from "./lib/stats.mjs";

const SERVER = fileURLToPath(new URL("./hostApiServer.mjs", import.meta.url));
const SOURCE = `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { inc(x) { return x + 1; } } });
`;

/** Forks the server; `ready` resolves with its ports, `ask(msg)` with its answer to `msg`. */
function startServer(arg) {
  const extra = (process.env.BENCH_CHILD_FLAGS ?? "").split(/\s+/).filter(Boolean);
  const child = fork(SERVER, [JSON.stringify(arg)], {
    execArgv: extra,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map();
  let next = 0;
  let ready;
  const readyPromise = new Promise((resolve, reject) => {
    ready = resolve;
    child.once("exit", (code, signal) => {
      const err = new Error(`bench/hostApiServer.mjs exited (${code ?? signal})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
    });
  });
  child.on("message", (m) => {
    if (m.type === "ready") return ready(m);
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(new Error(m.error));
    else p?.resolve(m);
  });
  return {
    ready: readyPromise,
    ask: (msg) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        child.send({ ...msg, id });
      }),
    kill: () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"),
  };
}

// ---- 1. calls --------------------------------------------------------------------------------

/** A closed-loop load on `pool` for `ms`: answers the requests answered and their latencies (ms). */
async function load(pool, path, headers, connections, ms) {
  const latencies = [];
  let failed = 0;
  const end = performance.now() + ms;
  const lane = async (k) => {
    let x = k;
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await pool.request({ method: "POST", path, headers, body: JSON.stringify({ args: [x] }) });
      const body = await res.body.json();
      if (res.statusCode !== 200 || body.result !== x + 1) failed++;
      latencies.push(performance.now() - t0);
      x++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, k) => lane(k * 1_000_000)));
  return { count: latencies.length, seconds: (performance.now() - t0) / 1000, latencies, failed };
}

async function calls(server, { rounds, warmupMs, measureMs, connections }) {
  const json = { "content-type": "application/json" };
  const auth = { ...json, authorization: `Bearer ${server.token}` };
  const contenders = [
    {
      name: "API, inline module",
      url: server.api,
      path: "/v1/modules/bench-api-inline/calls/inc",
      headers: auth,
    },
    {
      name: "API, worker module",
      url: server.api,
      path: "/v1/modules/bench-api-worker/calls/inc",
      headers: auth,
    },
    { name: "bare Fastify, the function", url: server.bare, path: "/direct", headers: json },
    { name: "bare Fastify, runtime.call inline", url: server.bare, path: "/inline", headers: json },
    { name: "bare Fastify, runtime.call worker", url: server.bare, path: "/worker", headers: json },
    {
      name: "bare Fastify, runtime.call inline + signal",
      url: server.bare,
      path: "/inline-signal",
      headers: json,
    },
    {
      name: "bare Fastify, runtime.call worker + signal",
      url: server.bare,
      path: "/worker-signal",
      headers: json,
    },
  ];
  for (const c of contenders) {
    c.pool = new Pool(c.url, { connections, pipelining: 1 });
    c.rps = [];
    c.cpu = [];
    c.latencies = [];
    c.failed = 0;
  }
  try {
    // A first pass through every contender, not counted: the JIT has seen every path before round 1.
    for (const c of contenders) await load(c.pool, c.path, c.headers, connections, warmupMs * 10);
    for (let round = 0; round < rounds; round++) {
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
      for (const c of order) {
        await load(c.pool, c.path, c.headers, connections, warmupMs);
        const before = (await server.ask({ type: "cpu" })).cpuUs;
        const r = await load(c.pool, c.path, c.headers, connections, measureMs);
        const after = (await server.ask({ type: "cpu" })).cpuUs;
        c.rps.push(r.count / r.seconds);
        c.cpu.push((after - before) / r.count);
        c.latencies.push(...r.latencies);
        c.failed += r.failed;
      }
    }
  } finally {
    await Promise.all(contenders.map((c) => c.pool.close()));
  }
  return Object.fromEntries(
    contenders.map((c) => [
      c.name,
      {
        rps: median(c.rps),
        cpuUs: median(c.cpu),
        cpuUsP25: percentile(c.cpu, 25),
        cpuRounds: c.cpu.map((v) => Math.round(v)),
        rpsRounds: c.rps.map((v) => Math.round(v)),
        p50: percentile(c.latencies, 50),
        p99: percentile(c.latencies, 99),
        failed: c.failed,
      },
    ]),
  );
}

// ---- 2. event latency ------------------------------------------------------------------------

/** Reads `GET /v1/events`, timing every frame by its `id:` as it arrives, until told to stop. */
async function sseClient(server) {
  const res = await undiciRequest(`${server.api}/v1/events`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  if (res.statusCode !== 200) throw new Error(`GET /v1/events answered ${res.statusCode}`);
  const received = new Map();
  let buffer = "";
  const reading = (async () => {
    res.body.setEncoding("utf8");
    for await (const chunk of res.body) {
      const at = process.hrtime.bigint();
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(frame)?.[1];
        if (id !== undefined) received.set(Number(id), at);
      }
    }
  })().catch(() => undefined);
  return {
    received,
    close: async () => {
      res.body.destroy();
      await reading;
    },
  };
}

async function eventLatency(server, { events, gapMs }) {
  const client = await sseClient(server);
  try {
    const { emitted } = await server.ask({ type: "events", count: events, gapMs });
    // The last frames may still be on their way.
    const lastId = emitted.at(-1)[0];
    const deadline = performance.now() + 5_000;
    while (!client.received.has(lastId) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const latencies = [];
    let missing = 0;
    for (const [id, at] of emitted) {
      const got = client.received.get(id);
      if (got === undefined) missing++;
      else latencies.push(Number(got - BigInt(at)) / 1e6);
    }
    return {
      events: emitted.length,
      missing,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
    };
  } finally {
    await client.close();
  }
}

// ---- the run ---------------------------------------------------------------------------------

const TARGET = 1.15;

export async function run({
  rounds = 24,
  warmupMs = 100,
  measureMs = 400,
  connections = 16,
  events = 2_000,
  gapMs = 1,
} = {}) {
  const root = tempDir("hostapi");
  const mods = join(root, "mods");
  const dirs = {
    inline: writeModule(mods, { name: "bench-api-inline", isolation: "inline", source: SOURCE }),
    worker: writeModule(mods, { name: "bench-api-worker", isolation: "worker", source: SOURCE }),
  };
  linkChipset(mods); // the bare route imports the module's file where it was written
  const server = startServer({ dataDir: join(root, "data"), ...dirs });
  try {
    const ready = await server.ready;
    const info = { ...ready, ask: server.ask };
    const callFigures = await calls(info, { rounds, warmupMs, measureMs, connections });
    const sse = await eventLatency(info, { events, gapMs });
    await server.ask({ type: "close" });

    const fig = (name) => callFigures[name];
    /** API over bare: server CPU per request (median and lower quartile of the rounds), and time per request (1 / requests/s). */
    const against = (api, bare) => ({
      cpu: fig(api).cpuUs / fig(bare).cpuUs,
      cpuP25: fig(api).cpuUsP25 / fig(bare).cpuUsP25,
      time: fig(bare).rps / fig(api).rps,
    });
    const ratios = {
      inline: against("API, inline module", "bare Fastify, the function"),
      inlineCall: against("API, inline module", "bare Fastify, runtime.call inline"),
      inlineSignal: against("API, inline module", "bare Fastify, runtime.call inline + signal"),
      worker: against("API, worker module", "bare Fastify, runtime.call worker + signal"),
      workerNoSignal: against("API, worker module", "bare Fastify, runtime.call worker"),
      workerDirect: against("API, worker module", "bare Fastify, the function"),
    };
    console.log(
      `\n## 10. Host HTTP API: calls (${connections} keep-alive connections, closed loop, ${rounds} rounds of ${measureMs} ms)`,
    );
    console.log(
      table(
        ["contender", "server CPU µs/req", "p25", "requests/s", "p50 ms", "p99 ms", "failed"],
        Object.entries(callFigures).map(([name, f]) => [
          name,
          f.cpuUs.toFixed(1),
          f.cpuUsP25.toFixed(1),
          Math.round(f.rps),
          f.p50.toFixed(2),
          f.p99.toFixed(2),
          f.failed,
        ]),
      ),
    );
    const ratioRows = [
      ["API inline / bare, the function", ratios.inline],
      ["API inline / bare, runtime.call", ratios.inlineCall],
      ["API inline / bare, runtime.call + signal", ratios.inlineSignal],
      ["API worker / bare, the function", ratios.workerDirect],
      ["API worker / bare, runtime.call", ratios.workerNoSignal],
      ["API worker / bare, runtime.call + signal", ratios.worker],
    ];
    console.log("");
    console.log(
      table(
        ["ratio", "CPU per request", "p25", "time per request"],
        ratioRows.map(([name, r]) => [name, x(r.cpu), x(r.cpuP25), x(r.time)]),
      ),
    );
    console.log(
      `\n## 10. Host HTTP API: event latency, emitted -> read by an SSE client (${sse.events} events)`,
    );
    console.log(
      table(
        ["events", "missing", "p50 ms", "p99 ms", "max ms"],
        [[sse.events, sse.missing, sse.p50.toFixed(3), sse.p99.toFixed(3), sse.max.toFixed(3)]],
      ),
    );
    return {
      name: "hostApi",
      calls: callFigures,
      ratios,
      sse,
      targets: [
        {
          name: `API call into an inline module <= ${TARGET}x a bare Fastify route calling the function (server CPU per request)`,
          value: x(ratios.inline.cpu),
          met: ratios.inline.cpu <= TARGET,
        },
        {
          name: `API call into a worker module <= ${TARGET}x a bare Fastify route with runtime.call and a signal (server CPU per request)`,
          value: x(ratios.worker.cpu),
          met: ratios.worker.cpu <= TARGET,
        },
      ],
    };
  } finally {
    server.kill();
    removeDir(root);
  }
}
