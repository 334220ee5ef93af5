// Run by processGroup.test.ts in a fresh Node process, with the module directory `root` made by
// the test: a process host with a module started (it holds a timer, so its process has work of its
// own), and a started host with none (as the warm pool holds them). Prints their pids as one JSON line, then waits:
// - `sigint`: on SIGINT, calls the module, ends the idle host itself, and prints how both fared;
// - `wait`: until it is killed.
import { join } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { HostPool } from "../../../dist/hosts/HostPool.js";
import { loadedHost } from "./loadedHost.mjs";

const [mode, root] = process.argv.slice(2);
const pool = new HostPool({ worker: 0, process: 0, heartbeatMs: 50 });
const host = await loadedHost({ isolation: "process", id: "echo", dir: join(root, "echo"), root, pool });
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
