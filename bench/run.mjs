/**
 * Runs Chipset's benchmarks against their peers and writes bench/.results/latest.json (and a
 * copy per Node major, node20.json, node24.json).
 *   npm run bench                       build, then every benchmark
 *   node --expose-gc bench/run.mjs graph use   only some (names: use, start, graph, isolation, policies, integrity, output, versions, update, hostApi, resources, dispatch, replicas, cliStartup, dashboard)
 *   BENCH_QUICK=1                      fewer samples (a smoke test; do not quote)
 *   BENCH_INLINE_CRASHES=0             use/start suites with createRuntime({ inlineCrashes: false })
 *   BENCH_NODE=/path/to/bin/node       run them on that Node (e.g. 24 in a checkout installed with 20)
 *   CHIPSET_CHROMIUM=/path/to/chromium the browser of `dashboard` (default /usr/bin/chromium; without
 *                                      one, that benchmark says it was skipped and the others run)
 *
 * BENCH_NODE: this process (on the Node npm runs) first makes better-sqlite3 load under that Node
 * too, with scripts/sqliteForNode.mjs: its addon is built for one Node ABI, so a second build sits
 * beside the first, each where `bindings` looks for its ABI (compiled once, about 90 s, against
 * the headers in `npm_config_nodedir` or next to the binary). Nothing is swapped or undone, so the
 * install keeps working on both Nodes, during the run and after it. Then it runs this script again
 * on that Node, whose children (`fork`) and hosts run on it too.
 */
import { execFileSync, execSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { table } from "./lib/stats.mjs";

const quick = process.env.BENCH_QUICK === "1";
const BENCHMARKS = {
  use: async () => (await import("./useFirstResult.mjs")).run(quick ? { samples: 3, warmup: 1 } : {}),
  start: async () =>
    (await import("./start1000.mjs")).run(
      quick ? { warmSamples: 3, warmWarmup: 1, coldSamples: 2, coldWarmup: 0, filesSamples: 2 } : {},
    ),
  graph: async () =>
    (await import("./graph.mjs")).run(quick ? { samples: 3, warmup: 1, coldSamples: 2 } : {}),
  isolation: async () =>
    (await import("./isolation.mjs")).run(
      quick
        ? {
            startSamples: 3,
            startWarmup: 1,
            rounds: 2,
            latencyCalls: 100,
            throughputCalls: 500,
            crashSamples: 3,
            crashWarmup: 1,
          }
        : {},
    ),
  policies: async () =>
    (await import("./policies.mjs")).run(quick ? { rounds: 3, calls: 1_024, warmup: 128 } : {}),
  integrity: async () => (await import("./integrity.mjs")).run(quick ? { samples: 5, warmup: 1 } : {}),
  versions: async () => (await import("./versions.mjs")).run(quick ? { samples: 3, warmup: 1 } : {}),
  output: async () =>
    (await import("./output.mjs")).run(
      quick ? { lines: 500, samples: 5, warmup: 1, rounds: 2, calls: 100 } : {},
    ),
  update: async () =>
    (await import("./update.mjs")).run(
      quick
        ? {
            updates: 2,
            steadyMs: 100,
            warmupMs: 100,
            reloads: 2,
            httpSteadyMs: 300,
            httpWarmupMs: 300,
            floorSamples: 2,
            floorWarmup: 1,
          }
        : {},
    ),
  hostApi: async () =>
    (await import("./hostApi.mjs")).run(
      quick ? { rounds: 1, warmupMs: 200, measureMs: 500, events: 200 } : {},
    ),
  resources: async () =>
    (await import("./resources.mjs")).run(quick ? { rounds: 2, windowMs: 1000, readRounds: 5 } : {}),
  dispatch: async () =>
    (await import("./dispatch.mjs")).run(quick ? { rounds: 3, picks: 20_000, warmup: 5_000 } : {}),
  replicas: async () =>
    (await import("./replicas.mjs")).run(
      quick
        ? {
            rounds: 2,
            workCalls: 200,
            incCalls: 3_000,
            warmup: { work: 50, inc: 500 },
            crashSamples: 2,
            crashWarmup: 0,
            steadyMs: 100,
            afterMs: 50,
          }
        : {},
    ),
  cliStartup: async () => (await import("./cliStartup.mjs")).run(quick ? { samples: 3, warmup: 1 } : {}),
  dashboard: async () =>
    (await import("./dashboard.mjs")).run(quick ? { idleMs: 1_000, floodMs: 2_000, settleMs: 10_000 } : {}),
};

function machine() {
  const cpuModel = (() => {
    try {
      return /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model;
    } catch {
      return cpus()[0]?.model;
    }
  })();
  const shell = (cmd) => {
    try {
      return execSync(cmd, { encoding: "utf8" }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    nproc: Number(shell("nproc")) || cpus().length,
    cpu: cpuModel,
    memory: shell("free -h | awk '/^Mem:/ {print $2}'") ?? `${(totalmem() / 2 ** 30).toFixed(1)}Gi`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** Runs this script on BENCH_NODE (when it is another Node than this one); returns its exit code. */
function onOtherNode() {
  const other = process.env.BENCH_NODE;
  if (!other || realpathSync(other) === realpathSync(process.execPath)) return undefined;
  const script = fileURLToPath(new URL("../scripts/sqliteForNode.mjs", import.meta.url));
  execFileSync(process.execPath, [script, other], { stdio: "inherit" });
  const env = { ...process.env };
  delete env.BENCH_NODE;
  const args = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  return spawnSync(other, args, { stdio: "inherit", env }).status ?? 1;
}

async function main() {
  const exitCode = onOtherNode();
  if (exitCode !== undefined) {
    process.exitCode = exitCode;
    return;
  }
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
  for (const name of names)
    if (!(name in BENCHMARKS))
      throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  if (typeof globalThis.gc !== "function")
    console.warn("(run with --expose-gc for a collection before each in-process sample)");
  const info = machine();
  console.log(`# Chipset benchmarks${quick ? " (QUICK: too few samples to quote)" : ""}`);
  console.log(
    `${info.cpu}, ${info.nproc} cores, ${info.memory} RAM, node ${info.node}, ${info.date}, load average ${info.loadAverageAtStart.join(" ")}`,
  );
  const started = performance.now();
  const results = {};
  for (const name of names) results[name] = await BENCHMARKS[name]();
  const targets = Object.values(results).flatMap((r) =>
    r.targets.map((t) => [r.name, t.name, t.value, t.met ? "MET" : "MISSED"]),
  );
  console.log("\n## targets");
  console.log(table(["benchmark", "target", "measured", "status"], targets));
  const wallSeconds = (performance.now() - started) / 1000;
  info.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  console.log(
    `load average at the end: ${info.loadAverageAtEnd.join(" ")} (other work on the machine inflates absolute times)`,
  );
  console.log(
    `\n(wall time ${wallSeconds.toFixed(0)} s; ratios are what we quote, absolute times move with the machine)`,
  );
  mkdirSync(new URL("./.results/", import.meta.url), { recursive: true });
  const file = new URL("./.results/latest.json", import.meta.url);
  const json = `${JSON.stringify({ machine: info, quick, wallSeconds, results }, null, 2)}\n`;
  writeFileSync(file, json);
  const perNode = new URL(`./.results/node${process.versions.node.split(".")[0]}.json`, import.meta.url);
  writeFileSync(perNode, json);
  console.log(`results: ${file.pathname} (and ${perNode.pathname})`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
