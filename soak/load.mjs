import { pick } from "./random.mjs";

/** The pacing timer's period (ms): the load is released in small batches this often. */
const TICK_MS = 10;
/** Loop iterations of each `work` call: a little CPU in the module, not a benchmark. */
const WORK_SIZE = 1000;

/**
 * A steady call load: `rate` calls a second to `work` of random modules, at most `concurrency`
 * at a time (calls to a hung host queue up behind it otherwise). Calls answered by another
 * module than the one called went to its fallback.
 * @returns `stop()`, and `fallbackAnswers`, read at any time.
 */
export function startLoad({ runtime, ids, calls, random, rate, concurrency }) {
  const load = { fallbackAnswers: 0, stop };
  let inFlight = 0;
  let credit = 0;
  let last = performance.now();
  let timer = setTimeout(tick, TICK_MS);

  function tick() {
    const now = performance.now();
    // Credit left unspent while at the concurrency bound is capped, so the load never bursts.
    credit = Math.min(credit + ((now - last) / 1000) * rate, 1 + (rate * TICK_MS) / 1000);
    last = now;
    for (; credit >= 1 && inFlight < concurrency; credit--) launch(pick(random, ids));
    timer = setTimeout(tick, TICK_MS);
  }

  function launch(id) {
    inFlight++;
    void calls
      .run("work", (signal) => runtime.call(id, "work", [WORK_SIZE], { signal }))
      .then((outcome) => {
        inFlight--;
        if (outcome.ok && outcome.value.by !== id) load.fallbackAnswers++;
      });
  }

  function stop() {
    clearTimeout(timer);
  }

  return load;
}
