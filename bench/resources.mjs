/**
 * Benchmark 11: what resource sampling costs (issue 13).
 *   - one sampling round over 100 loaded modules (94 inline, 4 worker, 2 process): the time of
 *     `runtime.resources.sampleNow()`, per round and per module, and the time of one module's
 *     reading by isolation (`runtime.resources.usage(ref)`);
 *   - call throughput into an inline module (batches of 64 calls in flight) while the 100 modules
 *     are sampled every second, against the same runtime with sampling off, in alternating
 *     windows so drift hits both alike. The sampling is driven from here with `sampleNow()` on a
 *     one-second interval, what the runtime's own timer does (`resources.sampleMs: 1000`).
 * The target: under 1% of throughput lost. The measured ratio moves by a few % between windows on
 * a loaded machine, so the cost is also given as the share of one second a round takes, which
 * is what sampling takes from the thread that serves the calls.
 */
import { clearInterval, setInterval } from "node:timers";
import { createRuntime } from "chipset";
import { defineModule } from "chipset/module";
import { median, summarize, table, x } from "./lib/stats.mjs";
import { linkChipset, removeDir, tempDir, writeModule } from "./lib/fixtures.mjs";

const INLINE = 94;
const WORKERS = 4;
const PROCESSES = 2;
const TARGET_LOSS = 0.01;

const ECHO_SOURCE = `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { echo(x) { return x; } } });
`;

async function setUp() {
  const root = tempDir("resources");
  linkChipset(root);
  const modulesDir = `${root}/modules`;
  for (let i = 0; i < WORKERS; i++)
    writeModule(modulesDir, { name: `bench-res-w${i}`, isolation: "worker", source: ECHO_SOURCE });
  for (let i = 0; i < PROCESSES; i++)
    writeModule(modulesDir, { name: `bench-res-p${i}`, isolation: "process", source: ECHO_SOURCE });
  const runtime = createRuntime({
    dataDir: `${root}/data`,
    moduleDirs: [modulesDir],
    logLevel: "silent",
    hosts: { pool: { worker: 0, process: 0 } },
    resources: { sampleMs: 0 },
  });
  const inc = async (n) => n + 1;
  for (let i = 0; i < INLINE; i++)
    runtime.register(
      { name: `bench-res-i${i}`, version: "1.0.0", chipset: { kind: "bench" } },
      defineModule({ api: { inc } }),
    );
  await runtime.start();
  const ids = [
    ...Array.from({ length: INLINE }, (_, i) => `bench-res-i${i}`),
    ...Array.from({ length: WORKERS }, (_, i) => `bench-res-w${i}`),
    ...Array.from({ length: PROCESSES }, (_, i) => `bench-res-p${i}`),
  ];
  for (const id of ids) await runtime.call(id, id.includes("-i") ? "inc" : "echo", [1]);
  return { root, runtime };
}

/** µs per call of `fn`, median of `rounds` timings of `n` calls each. */
function timeEach(fn, n, rounds) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - started) * 1000) / n);
  }
  return summarize(samples);
}

/** Calls per second into one inline module over `ms`, 64 calls in flight. */
async function throughput(runtime, ms) {
  const batch = Array.from({ length: 64 });
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    await Promise.all(batch.map((_, i) => runtime.call("bench-res-i0", "inc", [i])));
    calls += 64;
  }
  return (calls * 1000) / (performance.now() - started);
}

export async function run({ rounds = 10, windowMs = 2000, readRounds = 20 } = {}) {
  const { root, runtime } = await setUp();
  try {
    // Two readings make the first samples; then time the rounds.
    runtime.resources.sampleNow();
    const round = timeEach(() => runtime.resources.sampleNow(), 10, readRounds);
    const perModule = round.median / (INLINE + WORKERS + PROCESSES);
    const reading = {
      inline: timeEach(() => runtime.resources.usage("bench-res-i0"), 200, readRounds).median,
      worker: timeEach(() => runtime.resources.usage("bench-res-w0"), 200, readRounds).median,
      process: timeEach(() => runtime.resources.usage("bench-res-p0"), 200, readRounds).median,
    };
    const on = [];
    const off = [];
    const paired = [];
    await throughput(runtime, windowMs); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const sampled of r % 2 === 0 ? [false, true] : [true, false]) {
        const timer = sampled ? setInterval(() => runtime.resources.sampleNow(), 1000) : undefined;
        try {
          (sampled ? on : off).push(await throughput(runtime, windowMs));
        } finally {
          clearInterval(timer);
        }
      }
      // Each round's two windows are neighbours: their ratio leaves out the drift between rounds.
      paired.push(on[r] / off[r]);
    }
    const ratio = median(paired);
    const share = round.median / 1e6; // µs of one round per second of serving
    console.log(
      `\n## 11. Resource sampling (${INLINE} inline, ${WORKERS} worker, ${PROCESSES} process modules)`,
    );
    console.log(
      table(
        ["case", "median", "unit"],
        [
          ["one sampling round, 100 modules", round.median.toFixed(1), "µs"],
          ["per module (average)", perModule.toFixed(2), "µs"],
          ["one inline module's reading", reading.inline.toFixed(2), "µs"],
          ["one worker module's reading (/proc)", reading.worker.toFixed(2), "µs"],
          ["one process module's reading (/proc)", reading.process.toFixed(2), "µs"],
          ["calls/s, sampling off", Math.round(median(off)).toLocaleString("en-US"), "calls/s"],
          ["calls/s, sampled every second", Math.round(median(on)).toLocaleString("en-US"), "calls/s"],
        ],
      ),
    );
    const spread = `${x(Math.min(...paired))}-${x(Math.max(...paired))}`;
    console.log(
      `throughput with sampling / without, median of ${rounds} paired windows: ${x(ratio)} (${spread}); ` +
        `one round takes ${(share * 100).toFixed(3)}% of each second`,
    );
    return {
      name: "resources",
      round: round.median,
      perModule,
      reading,
      throughput: { on, off, paired, ratio },
      targets: [
        {
          name: `call throughput with 100 modules sampled every second loses < ${TARGET_LOSS * 100}% (measured ratio; one round's share of a second)`,
          value: `${x(ratio)}; ${(share * 100).toFixed(3)}%`,
          met: ratio >= 1 - TARGET_LOSS && share < TARGET_LOSS,
        },
      ],
    };
  } finally {
    await runtime.close();
    removeDir(root);
  }
}
