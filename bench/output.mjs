/**
 * Benchmark 7: what capturing a worker's or process's console output costs (issue 10). A
 * worker or process module's `console.log` reaches the runtime's logger one record per line,
 * tagged with the module and the stream, each stream bounded to 1 MiB per second
 * (src/hosts/child/captureOutput.ts, src/hosts/isolated/ModuleOutput.ts, OutputBudget.ts).
 *   1. per line: a module call that writes N lines with `console.log`, from the call to the
 *      last of its N records written by the logger; Chipset's logger is pino at `info` on a
 *      synchronous `pino.destination("/dev/null")` (the default logger's shape, aimed at
 *      /dev/null), and the same on a no-op stream (what is left without the write(2) per line).
 *      Peers: a bare `new Worker({ stdout: true })` and a bare `fork()` with its stdout piped,
 *      running the same loop, the parent reading their stdout to its last line and dropping it.
 *   2. call latency, 1 in flight: `inc(x)` against `incLogged(x)` (one `console.log` per call),
 *      in Chipset's hosts and in the same bare worker / fork, interleaved call by call.
 * The bare peer is bench/outputPeer.mjs.
 * Chipset's hosts stay under their 1 MiB/s budget (the bench paces itself and checks that
 * nothing was dropped): the cost of the capture, not of dropping a flood.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { linkChipset, removeDir, tempDir, writeModule } from "./lib/fixtures.mjs";
import { BarePeer, Counter, line } from "./outputPeer.mjs";
import { HEADER, collect, ms, summarize, table, x } from "./lib/stats.mjs";

const ID = { worker: "bench-output-worker", process: "bench-output-process" };
const ISOLATIONS = ["worker", "process"];
/** Each stream's budget in a Chipset host (OutputBudget's default), in characters per second. */
const BUDGET = 1024 * 1024;

const SOURCE = `import { defineModule } from "chipset/module";
const line = ${line.toString()};
export const module = defineModule({
  api: {
    spam(n) { for (let i = 0; i < n; i++) console.log(line(i)); return n; },
    async inc(x) { return x + 1; },
    async incLogged(x) { console.log(\`call \${x}\`); return x + 1; },
  },
});
`;

// ---- Chipset ---------------------------------------------------------------------------------

/**
 * What Chipset's logger writes to: counts the module's stdout records (and drop notices, which
 * must stay at 0), then hands each record to `next` (a pino destination, or nothing).
 */
function sink(next) {
  const stream = {
    lines: new Counter(),
    dropped: 0,
    write(record) {
      if (record.includes('"stream":"stdout"')) {
        if (record.includes('"msg":"[chipset: ')) stream.dropped++;
        else stream.lines.add(1);
      }
      return next ? next.write(record) : true;
    },
  };
  return stream;
}

function writeModules(root) {
  return ISOLATIONS.map((isolation) => writeModule(root, { name: ID[isolation], isolation, source: SOURCE }));
}

/** A started runtime (no pool) with both modules, logging at info through pino to `stream`. */
async function startRuntime({ createRuntime, pino }, dataDir, dirs, stream) {
  const logger = pino({ level: "info" }, stream);
  const runtime = createRuntime({ dataDir, preload: 0, logger, hosts: { pool: { worker: 0, process: 0 } } });
  for (const dir of dirs) runtime.add(dir);
  await runtime.start();
  return runtime;
}

// ---- 1. per line -----------------------------------------------------------------------------

async function perLine(contenders, { lines, samples, warmup }) {
  const chars = Array.from({ length: lines }, (_, i) => line(i).length + 1).reduce((a, b) => a + b, 0);
  // Each Chipset host's stdout gets `chars` per round. A budget second starts with the first
  // output after the last one ended, at the latest when a round's last lines are logged: after
  // as many rounds as fit in one budget, wait until 1 s after the last round ended, so that no
  // second (in the host or in the runtime) ever holds more than the budget.
  const roundsPerSecond = Math.max(1, Math.floor((0.9 * BUDGET) / chars));
  const times = contenders.map(() => []);
  let inWindow = 0;
  let lastEnd = 0;
  for (let r = 0; r < warmup + samples; r++) {
    if (inWindow === roundsPerSecond) {
      await sleep(Math.max(0, lastEnd + 1_010 - performance.now()));
      inWindow = 0;
    }
    inWindow++;
    for (let k = 0; k < contenders.length; k++) {
      const j = (r + k) % contenders.length;
      collect();
      const t0 = performance.now();
      const n = await contenders[j].spam(lines);
      const t1 = performance.now();
      if (n !== lines) throw new Error(`${contenders[j].name}: spam(${lines}) returned ${n}`);
      if (r >= warmup) times[j].push(((t1 - t0) * 1000) / lines); // µs per line
      lastEnd = t1;
    }
  }
  return { chars, roundsPerSecond, perLine: times.map(summarize) };
}

// ---- 2. call latency -------------------------------------------------------------------------

async function callLatency(latencies, contenders, { rounds, calls }) {
  const fns = contenders.map((c) => c.call);
  await latencies(fns, 200);
  const times = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    collect();
    const t = await latencies(fns, calls);
    t.forEach((list, k) => times[k].push(...list));
  }
  return times.map(summarize);
}

// ---- the run ---------------------------------------------------------------------------------

export async function run({ lines = 2_000, samples = 30, warmup = 3, rounds = 10, calls = 300 } = {}) {
  // Imported here, not at the top: the bare peer (this file) loads neither.
  const chipset = await import("chipset");
  const { pino } = await import("pino");
  const { latencies } = await import("./isolationPeers.mjs");

  const root = tempDir("output");
  linkChipset(root);
  const dirs = writeModules(join(root, "modules"));
  const devNull = pino.destination({ dest: "/dev/null", sync: true });
  const sinks = { devNull: sink(devNull), noop: sink() };
  const runtimes = [];
  const peers = [];
  let part1;
  let part2;
  try {
    const make = { createRuntime: chipset.createRuntime, pino };
    runtimes.push(await startRuntime(make, join(root, "data-devnull"), dirs, sinks.devNull));
    runtimes.push(await startRuntime(make, join(root, "data-noop"), dirs, sinks.noop));
    const [devNullRuntime, noopRuntime] = runtimes;
    const contenders = { worker: [], process: [] };
    for (const isolation of ISOLATIONS) {
      const bare = new BarePeer(isolation);
      peers.push(bare);
      const via = (runtime, s, name) => {
        const proxy = runtime.use(ID[isolation]);
        return {
          name,
          proxy,
          spam: async (n) => {
            const target = s.lines.count + n;
            const value = await proxy.spam(n);
            await s.lines.until(target, name);
            return value;
          },
        };
      };
      contenders[isolation] = [
        via(devNullRuntime, sinks.devNull, `chipset ${isolation}, pino to /dev/null`),
        via(noopRuntime, sinks.noop, `chipset ${isolation}, pino to a no-op stream`),
        { name: `bare ${isolation}`, spam: (n) => bare.spam(n), bare },
      ];
      // Loaded and started before any timing.
      for (const c of contenders[isolation]) if (c.proxy) await c.proxy.inc(0);
      await bare.inc(0);
    }

    // 1. Both isolations' contenders in each round, so that drift hits them alike.
    const all = [...contenders.worker, ...contenders.process];
    const p1 = await perLine(all, { lines, samples, warmup });
    part1 = {
      chars: p1.chars,
      roundsPerSecond: p1.roundsPerSecond,
      ...Object.fromEntries(
        ISOLATIONS.map((isolation, i) => [
          isolation,
          { devNull: p1.perLine[3 * i], noop: p1.perLine[3 * i + 1], bare: p1.perLine[3 * i + 2] },
        ]),
      ),
    };

    // 2. Every budget second of part 1 over before the calls log.
    await sleep(1_100);
    part2 = {};
    for (const isolation of ISOLATIONS) {
      const [chip, , { bare }] = contenders[isolation];
      const list = [
        ["chipset", (v) => chip.proxy.inc(v)],
        ["chipsetLogged", (v) => chip.proxy.incLogged(v)],
        ["bare", (v) => bare.inc(v)],
        ["bareLogged", (v) => bare.incLogged(v)],
      ];
      const result = await callLatency(
        latencies,
        list.map(([name, call]) => ({ name, call })),
        { rounds, calls },
      );
      part2[isolation] = Object.fromEntries(list.map(([name], k) => [name, result[k]]));
    }
    // A drop is reported once its second is over.
    await sleep(1_100);
    const dropped = sinks.devNull.dropped + sinks.noop.dropped;
    if (dropped > 0)
      throw new Error(`bench/output.mjs: ${dropped} drop notices: the bench went over the budget`);
  } finally {
    for (const peer of peers) await peer.close();
    for (const runtime of runtimes) await runtime.close();
    devNull.flushSync?.();
    devNull.end();
    removeDir(root);
  }

  // ---- report --------------------------------------------------------------------------------
  const us = (v) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const rows1 = [];
  for (const isolation of ISOLATIONS) {
    const p = part1[isolation];
    const cells = (name, s, ratioText) => [name, us(s.median), us(s.p95), String(s.n), ratioText];
    const bareName = isolation === "worker" ? "new Worker({ stdout: true })" : "fork(), stdout piped";
    rows1.push(
      cells(`chipset ${isolation}, pino to /dev/null`, p.devNull, x(p.devNull.median / p.bare.median)),
      cells(`chipset ${isolation}, pino to a no-op stream`, p.noop, x(p.noop.median / p.bare.median)),
      cells(`bare ${bareName}, read and dropped`, p.bare, "1.00x"),
    );
  }
  const rows2 = [];
  for (const isolation of ISOLATIONS) {
    const c = part2[isolation];
    const cells = (name, s, ratioText) => [name, ms(s.median), ms(s.p95), String(s.n), ratioText];
    rows2.push(
      cells(`chipset ${isolation}: inc(x)`, c.chipset, "1.00x"),
      cells(
        `chipset ${isolation}: incLogged(x), 1 line per call`,
        c.chipsetLogged,
        x(c.chipsetLogged.median / c.chipset.median),
      ),
      cells(`bare ${isolation}: inc(x)`, c.bare, "1.00x"),
      cells(
        `bare ${isolation}: incLogged(x), 1 line per call`,
        c.bareLogged,
        x(c.bareLogged.median / c.bare.median),
      ),
    );
  }
  const tables = [
    {
      title: `7.1 console.log of ${lines.toLocaleString("en-US")} lines (${part1.chars.toLocaleString("en-US")} characters) in one call, to the last line logged / read: µs per line`,
      header: ["case", "median µs/line", "p95 µs/line", "n", "ratio to bare"],
      rows: rows1,
    },
    {
      title: "7.2 Call latency, 1 in flight, with and without one console.log per call",
      header: [...HEADER.slice(0, 4), "ratio logged / not"],
      rows: rows2,
    },
  ];
  console.log("\n## 7. Captured console output of worker and process modules");
  for (const t of tables) console.log(`\n### ${t.title}\n${table(t.header, t.rows)}`);

  const m = (a, b) => a.median / b.median;
  const ratios = {
    workerPerLineVsBare: m(part1.worker.devNull, part1.worker.bare),
    workerPerLineNoopVsBare: m(part1.worker.noop, part1.worker.bare),
    processPerLineVsBare: m(part1.process.devNull, part1.process.bare),
    processPerLineNoopVsBare: m(part1.process.noop, part1.process.bare),
    workerLoggedCallVsNot: m(part2.worker.chipsetLogged, part2.worker.chipset),
    workerBareLoggedCallVsNot: m(part2.worker.bareLogged, part2.worker.bare),
    processLoggedCallVsNot: m(part2.process.chipsetLogged, part2.process.chipset),
    processBareLoggedCallVsNot: m(part2.process.bareLogged, part2.process.bare),
  };
  // Issue 10 asks for the cost, recorded; no target was set.
  return { name: "output", stats: { perLine: part1, calls: part2 }, ratios, targets: [], tables };
}
