/**
 * The child of benchmark 5 (bench/policies.mjs): makes the contenders, samples both phases and
 * answers the raw samples (phase -> width -> key -> ns[]), after checking that nothing outlived
 * them. Arg: the options as JSON (`{ rounds, calls, warmup }`).
 */
import { join } from "node:path";
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
} from "cockatiel";
import CircuitBreaker from "opossum";
import { createRuntime } from "chipset";
import { defineModule } from "chipset/module";
import { childMain } from "../lib/child.mjs";
import { removeDir, tempDir } from "../lib/fixtures.mjs";
import { collect } from "../lib/stats.mjs";
import {
  COCKATIEL_SHARE,
  FULL,
  FULL_POLICIES,
  IN_FLIGHT,
  LABELS,
  PHASES,
  PLAIN,
  scaled,
} from "../policies.mjs";

// ---- contenders ----------------------------------------------------------------------------

/** The function every contender calls, or wraps. */
const inc = async (x) => x + 1;

/** A started runtime holding the inline module twice: without policies (`PLAIN`) and with all (`FULL`). */
async function chipsetRuntime(dataDir, inlineCrashes) {
  const runtime = createRuntime({
    dataDir,
    preload: 0,
    logLevel: "silent",
    hosts: { pool: { worker: 0, process: 0 } },
    inlineCrashes,
  });
  const definition = defineModule({ api: { inc } });
  runtime.register({ name: PLAIN, version: "1.0.0", chipset: { kind: "bench" } }, definition);
  runtime.register(
    { name: FULL, version: "1.0.0", chipset: { kind: "bench", calls: FULL_POLICIES } },
    definition,
  );
  await runtime.start();
  return runtime;
}

function cockatielPolicy() {
  return wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleAll, { halfOpenAfter: 5000, breaker: new ConsecutiveBreaker(5) }),
    timeout(1000, TimeoutStrategy.Cooperative),
    bulkhead(1000, 1000),
  );
}

// ---- sampling ------------------------------------------------------------------------------

/** `calls` sequential calls (1 in flight); ns per call. Checks every answer (a sum, the same cost for all). */
async function sequential(call, calls) {
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) sum += await call(i);
  const elapsed = performance.now() - t0;
  if (sum !== (calls * (calls + 1)) / 2) throw new Error(`wrong answers (sum ${sum})`);
  return (elapsed * 1e6) / calls;
}

/** `calls` calls in batches of `width` under Promise.all (`width` in flight); ns per call. */
async function batched(call, calls, width) {
  let sum = 0;
  const batch = new Array(width);
  const t0 = performance.now();
  for (let i = 0; i < calls;) {
    for (let k = 0; k < width; k++) batch[k] = call(i++);
    for (const v of await Promise.all(batch)) sum += v;
  }
  const elapsed = performance.now() - t0;
  if (sum !== (calls * (calls + 1)) / 2) throw new Error(`wrong answers (sum ${sum})`);
  return (elapsed * 1e6) / calls;
}

function drive(call, calls, width) {
  return width === 1 ? sequential(call, calls) : batched(call, calls, width);
}

/**
 * One sample: a warm-up, a collection, then the timed calls. Answers ns per call and the bytes
 * the timed calls left on the heap (after a second collection, not timed).
 */
async function sample({ call, share }, width, calls, warmup) {
  await drive(call, scaled(warmup, share), width);
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const nsPerCall = await drive(call, scaled(calls, share), width);
  collect();
  return { nsPerCall, retained: process.memoryUsage().heapUsed - heapBefore };
}

/**
 * One phase: every contender answers a first call, one warm-up round (every path compiled at
 * every width), then `rounds` rounds; each samples every contender at every width once, starting
 * 5 slots further along than the round before (5 shares no factor with 12 or 16 slots, so every
 * order comes round). Answers ns per call by width and key, and bytes left on the heap by key.
 */
async function measurePhase(contenders, { rounds, calls, warmup }) {
  const keys = Object.keys(contenders);
  for (const key of keys) {
    const v = await contenders[key].call(41);
    if (v !== 42) throw new Error(`${LABELS[key]}: inc(41) answered ${v}`);
  }
  const times = Object.fromEntries(IN_FLIGHT.map((w) => [w, Object.fromEntries(keys.map((k) => [k, []]))]));
  const retained = Object.fromEntries(keys.map((k) => [k, 0]));
  const slots = IN_FLIGHT.flatMap((width) => keys.map((key) => ({ width, key })));
  for (const { width, key } of slots) await sample(contenders[key], width, calls, warmup);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < slots.length; k++) {
      const { width, key } = slots[(r * 5 + k) % slots.length];
      const s = await sample(contenders[key], width, calls, warmup);
      times[width][key].push(s.nsPerCall);
      retained[key] += s.retained;
    }
  }
  return { times, retained };
}

/** Every live handle and the process listeners, to check that the suite left nothing behind. */
function liveResources() {
  return {
    resources: process.getActiveResourcesInfo().sort(),
    listeners: process.listenerCount("uncaughtException") + process.listenerCount("unhandledRejection"),
  };
}

function assertNothingLeaked(before) {
  const after = liveResources();
  const extra = [...after.resources];
  for (const r of before.resources) {
    const at = extra.indexOf(r);
    if (at >= 0) extra.splice(at, 1);
  }
  if (extra.length > 0 || after.listeners !== before.listeners)
    throw new Error(
      `bench/policies.mjs left live resources behind: [${extra.join(", ")}], ` +
        `${after.listeners - before.listeners} process listeners`,
    );
}

/**
 * Node 20's AsyncLocalStorage (async_hooks based) says whether it was ever entered; where that
 * flag does not exist (AsyncContextFrame, Node 24) the store costs promises nothing anyway.
 */
const callStore = () => globalThis[Symbol.for("chipset.call-store")];
const storeEntered = () => callStore()?.enabled === true;

/** The child's work: both phases; answers the raw samples. */
async function measureInChild(options) {
  const before = liveResources();
  const root = tempDir("policies");
  const started = performance.now();
  const unattributed = await chipsetRuntime(join(root, "no-als"), false);
  const cockatiel = cockatielPolicy();
  const opossum = new CircuitBreaker(inc, { timeout: 1000 });
  const opossumNoTimeout = new CircuitBreaker(inc, { timeout: false });
  let attributed;
  const phases = {};
  try {
    const common = {
      bare: { call: (i) => inc(i), share: 1 },
      callNoAls: { call: (i) => unattributed.call(PLAIN, "inc", [i]), share: 1 },
      pipelineNoAls: { call: (i) => unattributed.call(FULL, "inc", [i]), share: 1 },
      cockatiel: { call: (i) => cockatiel.execute(() => inc(i)), share: COCKATIEL_SHARE },
      opossum: { call: (i) => opossum.fire(i), share: 1 },
      opossumNoTimeout: { call: (i) => opossumNoTimeout.fire(i), share: 1 },
    };
    if (storeEntered()) throw new Error("AsyncLocalStorage was entered before phase A");
    phases.A = await measurePhase(pick(common, PHASES.A), options);
    if (storeEntered()) throw new Error("AsyncLocalStorage was entered during phase A");
    // Made only now: the default runtime's first inline call enters the store for good.
    attributed = await chipsetRuntime(join(root, "default"), true);
    const all = {
      ...common,
      call: { call: (i) => attributed.call(PLAIN, "inc", [i]), share: 1 },
      pipeline: { call: (i) => attributed.call(FULL, "inc", [i]), share: 1 },
    };
    phases.B = await measurePhase(pick(all, PHASES.B), options);
    if ("enabled" in (callStore() ?? {}) && !storeEntered())
      throw new Error("phase B ran without AsyncLocalStorage");
  } finally {
    opossum.shutdown();
    opossumNoTimeout.shutdown();
    await unattributed.close();
    await attributed?.close();
    removeDir(root);
  }
  assertNothingLeaked(before);
  return { phases, seconds: (performance.now() - started) / 1000 };
}

function pick(contenders, keys) {
  return Object.fromEntries(keys.map((k) => [k, contenders[k]]));
}

childMain(() => measureInChild(JSON.parse(process.argv[2])));
