/**
 * The bare peer of benchmark 7 (bench/output.mjs): run as a worker thread, or forked with the
 * argument "peer", it answers `{ id, n }` by writing n lines to its stdout with `console.log`, and
 * `{ id, x, log }` with x + 1 (writing one line first when `log`). Imported, it gives the parent's
 * side: {@link BarePeer}, and the {@link Counter} of lines that arrived.
 */
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort } from "node:worker_threads";
import { BareChannel } from "./lib/bareChannel.mjs";

/** Line i of part 1, the same text for Chipset's module and the peers (about 65 characters). */
export const line = (i) => `bench output line ${i}: the quick brown fox jumps over the lazy dog`;

async function answer({ id, n, x, log }) {
  if (n !== undefined) {
    for (let i = 0; i < n; i++) console.log(line(i));
    return { id, value: n };
  }
  if (log) console.log(`call ${x}`);
  return { id, value: await (async (v) => v + 1)(x) };
}

if (!isMainThread && parentPort) {
  parentPort.on("message", async (m) => parentPort.postMessage(await answer(m)));
} else if (process.argv[2] === "peer" && process.send) {
  process.on("message", async (m) => process.send(await answer(m)));
}

/** Counts what arrives and lets a caller wait until a count is reached. */
export class Counter {
  count = 0;
  #waiter;

  add(k) {
    this.count += k;
    if (this.#waiter && this.count >= this.#waiter.target) this.#waiter.resolve();
  }

  /** Resolves once `count` reaches `target`; rejects after `ms` (output lost, or a bench bug). */
  until(target, what, ms = 10_000) {
    if (this.count >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`${what}: ${this.count} lines after ${ms} ms, expected ${target} (dropped?)`));
      }, ms);
      this.#waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          this.#waiter = undefined;
          resolve();
        },
      };
    });
  }
}

/** Number of "\n" bytes in `chunk` (a Buffer). */
function newlines(chunk) {
  let k = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) k++;
  return k;
}

/**
 * A bare worker (`stdout: true`: its stdout is a stream in this thread, not copied to ours) or
 * forked process (stdout piped), running this file. `spam(n)` resolves once the reply and n
 * more lines of its stdout have arrived; the lines are read and dropped.
 */
export class BarePeer {
  lines = new Counter();
  #channel;

  constructor(kind) {
    this.#channel = new BareChannel(kind, fileURLToPath(import.meta.url), { args: ["peer"], stdout: true });
    this.#channel.stdout.on("data", (chunk) => this.lines.add(newlines(chunk)));
  }

  async spam(n) {
    const target = this.lines.count + n;
    await this.#channel.request({ n });
    await this.lines.until(target, "bare peer");
    return n;
  }

  inc(x) {
    return this.#channel.request({ x, log: false });
  }

  incLogged(x) {
    return this.#channel.request({ x, log: true });
  }

  close() {
    return this.#channel.close();
  }
}
