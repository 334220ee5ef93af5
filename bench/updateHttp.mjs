/**
 * Part 2 of bench/update.mjs: the same app reloaded under the same HTTP load, side by side.
 *   - PM2 fork mode: `pm2 reload` of a node:http app (in fork mode PM2 restarts it: stop, start);
 *   - PM2 cluster mode, 2 instances: `pm2 reload`, graceful (one instance at a time, the new one
 *     must be listening before the old one gets SIGINT);
 *   - Chipset: a node:http server (bench/updateServer.mjs) answering each request with
 *     `await runtime.call("app", "hit")` into the app as a worker module, `runtime.update` under load.
 * Each in a process of its own, driven by the same load generator in another process
 * (bench/updateLoad.mjs). A deploy swaps a `current` symlink to the other version's directory
 * and then reloads (PM2) or updates from that directory (Chipset), so every contender really
 * changes version; the answers name the version that served them.
 *
 * PM2 runs as a real daemon started by its programmatic API with PM2_HOME in a temp directory,
 * and is killed at the end (its apps with it).
 */
import { execFileSync, fork } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { pointLink } from "./lib/updateApp.mjs";
import { median, percentile } from "./lib/stats.mjs";

const LOAD = new URL("./updateLoad.mjs", import.meta.url);
const SERVER = new URL("./updateServer.mjs", import.meta.url);
const PM2_CLI = createRequire(import.meta.url).resolve("pm2/bin/pm2");

// ---- children --------------------------------------------------------------------------------

/**
 * Forks `script` (no inherited flags) with `arg` as JSON; `ready` resolves with its
 * `{ type: "ready" }` message, `request(msg)` with the answer carrying the same id.
 */
function forkChild(script, arg) {
  const child = fork(fileURLToPath(script), [JSON.stringify(arg)], {
    execArgv: [],
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map();
  let next = 0;
  let ready;
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      const err = new Error(`${fileURLToPath(script)} exited (${code ?? signal})`);
      ready?.reject(err);
      for (const { reject } of pending.values()) reject(err);
      pending.clear();
      resolve();
    }),
  );
  const readyPromise = new Promise((resolve, reject) => (ready = { resolve, reject }));
  child.on("message", (m) => {
    if (m.type === "ready") ready.resolve(m);
    else {
      pending.get(m.id)?.resolve(m);
      pending.delete(m.id);
    }
  });
  return {
    ready: readyPromise,
    exited,
    request(msg) {
      return new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        child.send({ ...msg, id });
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
}

/** A port that was free a moment ago (PM2's app is told its port; Chipset's server picks one). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once `url` answers a 2xx (rejects after `ms`). */
async function serving(url, ms = 15_000) {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      const { statusCode, body } = await request(url);
      await body.dump();
      if (statusCode >= 200 && statusCode < 300) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${ms} ms`);
    await sleep(50);
  }
}

// ---- PM2 ---------------------------------------------------------------------------------------

/**
 * A PM2 daemon of its own, PM2_HOME in `home`, driven by the programmatic API. `call(method,
 * ...args)` promisifies the API's callbacks. `close()` disconnects, then stops the daemon and its
 * apps with the CLI (`pm2 kill`: the API's `killDaemon` races the daemon's exit and leaves a
 * socket here reconnecting forever, which keeps this process alive), then kills whatever PM2
 * recorded as started there if anything is left.
 */
export async function startPm2(home) {
  const saved = { PM2_HOME: process.env.PM2_HOME, PM2_SILENT: process.env.PM2_SILENT };
  // PM2 reads both when first imported (paths, and whether to print what it does).
  process.env.PM2_HOME = home;
  process.env.PM2_SILENT = "true";
  const { default: PM2 } = await import("pm2");
  const pm2 = new PM2.custom({ pm2_home: home, daemon_mode: true });
  const call = (method, ...args) =>
    new Promise((resolve, reject) =>
      pm2[method](...args, (err, value) => (err ? reject(err) : resolve(value))),
    );
  const close = async () => {
    await call("disconnect").catch(() => undefined);
    try {
      execFileSync(process.execPath, [PM2_CLI, "kill"], {
        env: { ...process.env, PM2_HOME: home },
        stdio: "ignore",
        timeout: 30_000,
      });
    } finally {
      killLeftovers(home);
      for (const [key, value] of Object.entries(saved))
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  };
  try {
    await call("connect");
  } catch (err) {
    await close();
    throw err;
  }
  return { call, close };
}

/**
 * Kills the daemon and apps PM2 recorded under `home` (pid files) if any still runs, and only
 * those: a pid is killed only while its command line is still PM2's or the app's (pids are reused).
 */
function killLeftovers(home) {
  const pidFiles = [join(home, "pm2.pid")];
  const pids = join(home, "pids");
  if (existsSync(pids)) for (const f of readdirSync(pids)) pidFiles.push(join(pids, f));
  for (const file of pidFiles) {
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, "utf8"));
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (pid > 0 && /PM2|server\.mjs/.test(command)) process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** PM2 running server.mjs of `current` (a symlink to a version's directory) in `mode`. */
async function pm2Contender(pm2, root, dirs, mode) {
  const link = join(root, `current-${mode}`);
  pointLink(link, dirs.v1);
  const port = await freePort();
  const name = `app-${mode}`;
  await pm2.call("start", {
    script: join(link, "server.mjs"),
    name,
    exec_mode: mode,
    instances: mode === "cluster" ? 2 : 1,
    env: { PORT: String(port) },
    ...(mode === "fork" ? { interpreter: process.execPath } : {}),
  });
  const url = `http://127.0.0.1:${port}`;
  await serving(url);
  return {
    url,
    async reload(version) {
      pointLink(link, version === "2.0.0" ? dirs.v2 : dirs.v1);
      await pm2.call("reload", name);
      return { to: version };
    },
    close: () => pm2.call("delete", name),
  };
}

// ---- Chipset -----------------------------------------------------------------------------------

async function chipsetContender(root, dirs) {
  const server = forkChild(SERVER, { dataDir: join(root, "data-http"), dir: dirs.v1 });
  try {
    const { port } = await server.ready;
    return {
      url: `http://127.0.0.1:${port}`,
      async reload(version) {
        const answer = await server.request({
          type: "update",
          from: version === "2.0.0" ? dirs.v2 : dirs.v1,
        });
        if (answer.error) throw new Error(`runtime.update in bench/updateServer.mjs: ${answer.error}`);
        return answer.report;
      },
      async close() {
        await server.request({ type: "close" }).catch(() => undefined);
        await server.kill();
      },
    };
  } catch (err) {
    await server.kill();
    throw err;
  }
}

// ---- the load, and what it saw -------------------------------------------------------------------

/**
 * Drives `contender` under the load: a warm-up, then `reloads` cycles of a steady window and a
 * reload (to 2.0.0, back to 1.0.0, ...) each followed by `settleMs`, then a last steady window.
 * Answers every request recorded, the windows' marks and the reloads' reports.
 */
async function drive(contender, { connections, warmupMs, steadyMs, settleMs, reloads }) {
  const load = forkChild(LOAD, { url: contender.url, connections });
  try {
    await load.ready;
    const mark = (name) => load.request({ type: "mark", name });
    const steady = async () => {
      await mark("steady");
      await sleep(steadyMs);
      await mark("steady-end");
    };
    const reports = [];
    await sleep(warmupMs);
    for (let r = 0; r < reloads; r++) {
      await steady();
      await mark("reload");
      reports.push(await contender.reload(r % 2 === 0 ? "2.0.0" : "1.0.0"));
      await mark("reload-end");
      await sleep(settleMs);
    }
    await steady();
    const data = await load.request({ type: "stop" });
    return { ...data, reports };
  } finally {
    await load.kill();
  }
}

/** `{ n, median, p99, max }` of `samples` (ms; -Infinity for max of none, printed "-"). */
export function spread(samples) {
  return {
    n: samples.length,
    median: median(samples),
    p99: percentile(samples, 99),
    max: samples.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

/**
 * What one contender's load saw. A reload's window runs from the reload call to its return, or
 * to the start of the last request that failed before the next reload if that is later (PM2
 * answers a fork-mode restart once the new process is forked, before it listens); the outage,
 * from the first failed request's start to the last one's. Latency: answered (2xx) requests that
 * overlap a window; steady: those that started in a steady window and overlap none. Steady
 * throughput: answered requests started in the steady windows, per second.
 */
export function analyse({ starts, durations, oks, marks, errors, versions, reports }) {
  const at = (name) => marks.filter((m) => m.name === name).map((m) => m.at);
  const steadyFrom = at("steady");
  const steadyTo = at("steady-end");
  const reloadFrom = at("reload");
  const reloadTo = at("reload-end");
  const windows = reloadFrom.map((start, r) => {
    const limit = reloadFrom[r + 1] ?? Infinity;
    let firstFail = Infinity;
    let lastFail = -Infinity;
    for (let i = 0; i < starts.length; i++) {
      if (oks[i] || starts[i] < start || starts[i] >= limit) continue;
      firstFail = Math.min(firstFail, starts[i]);
      lastFail = Math.max(lastFail, starts[i]);
    }
    return {
      start,
      end: Math.max(reloadTo[r], lastFail),
      reloadMs: reloadTo[r] - start,
      outageMs: lastFail > firstFail ? lastFail - firstFail : 0,
    };
  });
  const inReload = (i) => windows.some((w) => starts[i] <= w.end && starts[i] + durations[i] > w.start);
  const inSteady = (i) => steadyFrom.some((s, k) => starts[i] >= s && starts[i] < steadyTo[k]);
  const reload = [];
  const steady = [];
  let steadyAnswered = 0;
  let failedInReloads = 0;
  let failed = 0;
  /** Failed requests outside the windows: when each started, ms after the last reload call returned (-1: before the first). */
  const strays = [];
  for (let i = 0; i < starts.length; i++) {
    const during = inReload(i);
    if (!oks[i]) {
      failed++;
      if (during) failedInReloads++;
      else strays.push(starts[i] - (reloadTo.findLast((t) => t <= starts[i]) ?? starts[i] + 1));
      continue;
    }
    const quiet = inSteady(i);
    if (quiet) steadyAnswered++;
    if (during) reload.push(durations[i]);
    else if (quiet) steady.push(durations[i]);
  }
  const steadyMs = steadyFrom.reduce((sum, s, k) => sum + (steadyTo[k] - s), 0);
  return {
    requests: starts.length,
    steadyPerSecond: (steadyAnswered / steadyMs) * 1000,
    steady: spread(steady),
    reload: spread(reload),
    failed,
    failedInReloads,
    strays,
    reloadMs: windows.map((w) => w.reloadMs),
    windowMs: windows.map((w) => w.end - w.start),
    outageMs: windows.map((w) => w.outageMs),
    errors,
    versions,
    gateMs: reports.map((r) => r.gateMs).filter((g) => g !== undefined),
  };
}

/**
 * Runs the three contenders one after the other on the app in `dirs` (worker isolation), in
 * `root`; answers each one's analysis by key (`pm2Fork`, `pm2Cluster`, `chipset`).
 */
export async function httpContenders(root, dirs, options) {
  const results = {};
  const pm2 = await startPm2(join(root, "pm2-home"));
  try {
    const makers = {
      pm2Fork: () => pm2Contender(pm2, root, dirs, "fork"),
      pm2Cluster: () => pm2Contender(pm2, root, dirs, "cluster"),
      chipset: () => chipsetContender(root, dirs),
    };
    for (const [key, make] of Object.entries(makers)) {
      const contender = await make();
      try {
        results[key] = analyse(await drive(contender, options));
      } finally {
        await contender.close();
      }
    }
  } finally {
    await pm2.close();
  }
  return results;
}
