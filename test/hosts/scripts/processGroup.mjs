// Run by processGroup.test.ts in a fresh Node process, with the module directory `root` made by
// the test: a process host with a module started (it holds a timer, so its process has work of its
// own), and a started host with none (as the warm pool holds them). Prints their pids as one JSON line, then waits:
// - `sigint`: on SIGINT, calls the module, ends the idle host itself, and prints how both fared;
// - `wait`: until it is killed.
import { join } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { systemClock } from "../../../dist/common/Clock.js";
import { HostPool } from "../../../dist/hosts/HostPool.js";
import { IsolatedHost } from "../../../dist/hosts/IsolatedHost.js";

const [mode, root] = process.argv.slice(2);
const pool = new HostPool({ worker: 0, process: 0, heartbeatMs: 50 });
const host = new IsolatedHost({
  isolation: "process",
  key: "echo@1.0.0",
  moduleId: "echo",
  version: "1.0.0",
  file: join(root, "echo", "index.js"),
  requires: [],
  optional: [],
  baseDir: root,
  pool,
  clock: systemClock,
  bridge: {
    use: () => Promise.reject(new Error("unused")),
    checkpoint: () => Promise.resolve(),
    log: () => {},
  },
  hangTimeoutMs: 10_000,
});
await host.load({ signal: new globalThis.AbortController().signal });
await host.runHook("start", {
  signal: new globalThis.AbortController().signal,
  config: {},
  optional: () => undefined,
});
const idle = await pool.acquire({ isolation: "process" });
const keepAlive = setInterval(() => {}, 1 << 30);

if (mode === "sigint") {
  process.once("SIGINT", async () => {
    clearInterval(keepAlive);
    const answer = await host.call("echo", ["still here"]).catch((err) => err.message);
    idle.terminate();
    const idleExit = await idle.exited;
    host.unload();
    await pool.close();
    console.log(JSON.stringify({ answer, idleSignal: idleExit.signal }));
  });
}
console.log(JSON.stringify({ loaded: host.info().pid, idle: idle.pid }));
