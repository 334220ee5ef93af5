/**
 * The host side of bench/dashboard.mjs: a runtime of `count` generated inline modules in load
 * levels, served by `serveHost` on 127.0.0.1:0, and an event flood made of real state changes
 * (pause and resume), paced to a rate, with every runtime event counted as it is emitted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createRuntime, defineModule } from "chipset";
import { serveHost } from "chipset/server";
import { runtimeEventNames } from "../../dist/server/eventNames.js";

const KINDS = ["service", "adapter", "store", "tool"];

/**
 * `count` modules in `levels` load levels (`dash-l<level>-<i>`): each above level 0 requires two
 * of the level below it; a tenth of the top level is lazy and nobody needs it, so it stays
 * `registered`. Kinds turn through four. Returns `[{ name, lazy }]` and the manifests.
 */
function generate(count, levels) {
  const per = Math.ceil(count / levels);
  const name = (level, i) => `dash-l${level}-${String(i).padStart(3, "0")}`;
  const out = [];
  for (let level = 0; level < levels; level++)
    for (let i = 0; i < per && out.length < count; i++) {
      const below = level === 0 ? [] : [name(level - 1, i), name(level - 1, (i * 7 + 3) % per)];
      const lazy = level === levels - 1 && i % 10 === 9;
      out.push({
        name: name(level, i),
        lazy,
        manifest: {
          name: name(level, i),
          version: "1.0.0",
          description: `level ${level} module ${i} of the dashboard benchmark`,
          chipset: {
            kind: KINDS[(level + i) % KINDS.length],
            activation: lazy ? "lazy" : "eager",
            requires: Object.fromEntries(below.map((d) => [d, "^1.0.0"])),
          },
        },
      });
    }
  return out;
}

/**
 * Starts the host. Returns `{ url, token, ids (the modules the flood toggles), emitted() (runtime
 * events so far), flood(options), settle(pausedIds), close() }`.
 */
export async function startDashboardHost({ dataDir, count = 200, levels = 5 }) {
  const runtime = createRuntime({
    dataDir,
    preload: 0,
    logLevel: "silent",
    hosts: { pool: { worker: 0, process: 0 } },
  });
  const modules = generate(count, levels);
  for (const m of modules) runtime.register(m.manifest, defineModule({ api: { ping: () => m.name } }));
  let emitted = 0;
  const subscriptions = runtimeEventNames.map((n) => runtime.on(n, () => emitted++));
  const outcomes = await runtime.start();
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) throw new Error(`${failed.length} of the dashboard bench's modules did not start`);
  const host = await serveHost(runtime, { host: "127.0.0.1", port: 0 });
  const ids = modules.filter((m) => !m.lazy).map((m) => m.name);
  const paused = new Set();
  const busy = new Set();
  const toggle = async (id) => {
    busy.add(id);
    try {
      if (paused.has(id)) await runtime.resume(id);
      else await runtime.pause(id);
      if (paused.has(id)) paused.delete(id);
      else paused.add(id);
    } finally {
      busy.delete(id);
    }
  };
  return {
    url: host.url,
    token: host.token,
    count: modules.length,
    ids,
    emitted: () => emitted,
    /**
     * Pauses and resumes modules in turn (each one `module.state` event) for `ms`, keeping the
     * events emitted at `perMs` per ms of elapsed time (checked every ms or so). Answers the
     * events emitted and the ms it took, the last transitions included.
     */
    async flood({ ms, perMs }) {
      const first = emitted;
      const inFlight = new Set();
      let cursor = 0;
      const start = performance.now();
      for (let now = start; now - start < ms; now = performance.now()) {
        const due = Math.floor((now - start) * perMs) - (emitted - first) - inFlight.size;
        for (let k = 0, tried = 0; k < due && tried < ids.length; tried++) {
          const id = ids[cursor++ % ids.length];
          if (busy.has(id)) continue;
          const op = toggle(id).finally(() => inFlight.delete(op));
          inFlight.add(op);
          k++;
        }
        await sleep(1);
      }
      await Promise.all(inFlight);
      return { events: emitted - first, ms: performance.now() - start };
    },
    /** Leaves exactly `want` (a set of ids) paused and every other toggled module running. */
    async settle(want) {
      await Promise.all(ids.filter((id) => paused.has(id) !== want.has(id)).map(toggle));
    },
    /** The host's own view: `{ id: state }` for every module, from `GET /v1/modules`. */
    async states() {
      const res = await globalThis.fetch(`${host.url}/v1/modules`, {
        headers: { authorization: `Bearer ${host.token}` },
      });
      const { modules: views } = await res.json();
      return Object.fromEntries(views.map((m) => [m.id, m.state]));
    },
    async close() {
      for (const s of subscriptions) s.dispose();
      await host.close(100);
      await runtime.close();
    },
  };
}
