import { fork } from "node:child_process";
import { Worker } from "node:worker_threads";

/**
 * A bare worker thread or forked process running `entry`, asked with `{ id, ...message }` and
 * answering `{ id, value }`: the peers Chipset's hosts are measured against. "worker":
 * `new Worker()`; "process": `fork()` with `serialization: "advanced"` (what Chipset's process
 * host uses, so both sides pay the same structured clone). Neither inherits this process's flags
 * (--expose-gc), as Chipset's hosts start with none. With `stdout`, the child's stdout is a
 * stream here (`this.stdout`) instead of going to ours.
 */
export class BareChannel {
  /** The child's stdout, when asked for. */
  stdout;
  #pending = new Map();
  #next = 0;
  #send;
  #end;

  constructor(kind, entry, { args = [], stdout = false } = {}) {
    if (kind === "worker") {
      const worker = new Worker(entry, { execArgv: [], argv: args, stdout, stderr: false });
      worker.on("message", (m) => this.#settle(m));
      worker.on("error", (err) => this.#failAll(err));
      this.stdout = stdout ? worker.stdout : undefined;
      this.#send = (m) => worker.postMessage(m);
      this.#end = () => worker.terminate();
    } else {
      const child = fork(entry, args, {
        execArgv: [],
        serialization: "advanced",
        stdio: ["ignore", stdout ? "pipe" : "inherit", "inherit", "ipc"],
      });
      child.on("message", (m) => this.#settle(m));
      child.on("error", (err) => this.#failAll(err));
      this.stdout = stdout ? child.stdout : undefined;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      this.#send = (m) => child.send(m);
      this.#end = () => {
        child.kill();
        return exited;
      };
    }
  }

  /** Sends `message` with a fresh id; resolves with the reply's `value`. */
  request(message) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send({ id, ...message });
    });
  }

  /** Ends the thread or process (and, for a process, waits for it). */
  async close() {
    await this.#end();
  }

  #settle({ id, value }) {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    p?.resolve(value);
  }

  #failAll(err) {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
