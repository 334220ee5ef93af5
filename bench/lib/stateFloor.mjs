/**
 * The floor of an update's state hand-over as Chipset makes it: serialized once in a bare host,
 * its bytes through this thread to another that reads them (bench/updateStateHost.mjs).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { SHAPES as STATES } from "./updateApp.mjs";
import { spread } from "../updateHttp.mjs";

const STATE_HOST = new URL("../updateStateHost.mjs", import.meta.url);

/** A bare bench/updateStateHost.mjs in a worker thread or a forked process (advanced serialization). */
class StateHost {
  #pending = new Map();
  #next = 0;
  #send;
  #end;

  constructor(kind) {
    if (kind === "worker") {
      const worker = new Worker(STATE_HOST, { execArgv: [] });
      worker.on("message", (m) => this.#settle(m));
      this.#send = (m, transfer) => worker.postMessage(m, transfer);
      this.#end = () => worker.terminate();
    } else {
      const child = fork(fileURLToPath(STATE_HOST), [], {
        execArgv: [],
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child.on("message", (m) => this.#settle(m));
      const exited = new Promise((resolve) => child.once("exit", resolve));
      this.#send = (m) => child.send(m);
      this.#end = () => {
        child.kill();
        return exited;
      };
    }
  }

  /** Sends `{ op, x }` (transferring `transfer` to a worker); resolves with the answer's value. */
  ask(op, x, transfer = []) {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#send({ id, op, x }, transfer);
    });
  }

  close() {
    return this.#end();
  }

  #settle({ id, value }) {
    this.#pending.get(id)?.(value);
    this.#pending.delete(id);
  }
}

/**
 * The floor of the hand-over as Chipset makes it (src/hosts/StateParcel.ts): the state
 * serialized once in one bare host, its bytes through this thread (a worker's transferred) to a
 * second bare host that reads them; the next sample goes back, as the updates alternate (so the
 * state is, from the second on, what a deserialization made of it). Answers the hand-overs, ms.
 */
export async function serializedOnceFloor(kind, shape, { samples, warmup }) {
  const hosts = [new StateHost(kind), new StateHost(kind)];
  const times = [];
  try {
    await hosts[0].ask("keep", STATES[shape].make());
    for (let i = 0; i < warmup + samples; i++) {
      const [from, to] = i % 2 === 0 ? hosts : [hosts[1], hosts[0]];
      const t0 = performance.now();
      const bytes = await from.ask("pack");
      await to.ask("unpack", bytes, kind === "worker" ? [bytes.buffer] : []);
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
  return spread(times);
}
