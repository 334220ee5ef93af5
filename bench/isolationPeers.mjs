/**
 * The peers of benchmark 4 (isolation), measured in the same run as Chipset:
 *   - a bare worker thread / forked process running bench/isolationEcho.mjs (the floor: one
 *     structured-clone message each way, nothing else);
 *   - piscina with one thread running bench/isolationTask.mjs (the same function).
 * Plus the two drivers every contender goes through: one call at a time (latency) and a fixed
 * number of calls in flight (throughput).
 */
import { Piscina } from "piscina";
import { BareChannel } from "./lib/bareChannel.mjs";

const ECHO = new URL("./isolationEcho.mjs", import.meta.url);
const ECHO_SDK = new URL("./isolationEchoSdk.mjs", import.meta.url);
const TASK = new URL("./isolationTask.mjs", import.meta.url).href;

/**
 * A bare echo peer: `call(x)` sends `{ id, x }` and resolves with the reply's `value`, in a
 * worker (`kind` "worker") or a forked process ("process"), see {@link BareChannel}. `entry`: the
 * script to run (default bench/isolationEcho.mjs).
 */
export class Echo {
  #channel;

  constructor(kind, entry = ECHO) {
    this.#channel = new BareChannel(kind, entry);
  }

  call(x) {
    return this.#channel.request({ x });
  }

  /** Imports `url` in the thread or process; resolves with the module's `api.inc(1)` (`true` if it has none). */
  load(url) {
    return this.#channel.request({ url });
  }

  /** Ends the thread or process (and waits for it). */
  close() {
    return this.#channel.close();
  }
}

/**
 * One sample of "what a cold start cannot beat": from `new Worker()` / `fork()` to the answer of
 * the first message. Returns the time in ms; the thread or process is ended afterwards (not timed).
 */
export async function bareStart(kind) {
  const t0 = performance.now();
  const echo = new Echo(kind);
  const value = await echo.call(1);
  const elapsed = performance.now() - t0;
  await echo.close();
  if (value !== 2) throw new Error(`bare ${kind}: got ${value}, expected 2`);
  return elapsed;
}

/**
 * One sample of "what a warm pool cannot beat": in a thread or process that has started with
 * Chipset's SDK imported (as a blank pool host starts), from sending the module's entry file to
 * the answer of its `inc(1)`: the first dynamic `import()` there, and one round trip. The start
 * is not timed.
 */
export async function bareWarmLoad(kind, moduleUrl) {
  const echo = new Echo(kind, ECHO_SDK);
  try {
    if ((await echo.call(0)) !== 1) throw new Error(`bare ${kind}: no answer`);
    const t0 = performance.now();
    const value = await echo.load(moduleUrl);
    const elapsed = performance.now() - t0;
    if (value !== 2) throw new Error(`bare ${kind} load: got ${value}, expected 2`);
    return elapsed;
  } finally {
    await echo.close();
  }
}

/** piscina with exactly one thread (started, and its first task run, before any timing). */
export async function startPiscina() {
  const pool = new Piscina({ filename: TASK, minThreads: 1, maxThreads: 1 });
  if ((await pool.run(1)) !== 2) throw new Error("piscina: wrong answer");
  return { call: (x) => pool.run(x), close: () => pool.destroy() };
}

/**
 * Times `count` calls of each function in `calls`, one call at a time, interleaved call by call
 * (in a rotating order): on a VM whose idle cores sleep, one round trip costs 40 or 150 us
 * depending on what ran just before, so every contender must see the same mix. Returns each
 * contender's call times in ms.
 */
export async function latencies(calls, count) {
  const times = calls.map(() => new Array(count));
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < calls.length; k++) {
      const j = (i + k) % calls.length;
      const t0 = performance.now();
      const value = await calls[j](i);
      times[j][i] = performance.now() - t0;
      if (value !== i + 1) throw new Error(`call(${i}) returned ${value}`);
    }
  }
  return times;
}

/**
 * Makes `total` calls keeping `inFlight` of them outstanding (a new one starts as each one
 * ends); returns the elapsed time in ms. Answers are checked.
 */
export async function inFlight(call, total, inFlight) {
  let started = 0;
  let wrong = 0;
  const lane = async () => {
    while (started < total) {
      const x = started++;
      if ((await call(x)) !== x + 1) wrong++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
  const elapsed = performance.now() - t0;
  if (wrong > 0) throw new Error(`${wrong} wrong answers`);
  return elapsed;
}
