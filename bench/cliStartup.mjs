/**
 * Benchmark 14: how long a `chipset` command takes from the shell, start to exit (a new Node
 * process each time, as a person or a script runs it), against `node -e 0` (the floor) and PM2's
 * CLI (its peer: `pm2 --version`, and `pm2 ls` answered by its running daemon as `chipset ls` is
 * by a running host). Cases: `--help`; `ls` offline on an empty data directory (the runtime is
 * opened in the process); `ls` against a running host (HTTP). PM2 runs with its own PM2_HOME in
 * a temp directory, and its daemon is killed at the end.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { removeDir, repoRoot, tempDir } from "./lib/fixtures.mjs";
import { HEADER, ratio, row, summarize, table, x } from "./lib/stats.mjs";

const CLI = join(repoRoot, "dist", "cli", "main.js");
const PM2 = join(repoRoot, "node_modules", "pm2", "bin", "pm2");

/** Wall time of one run of `node ...args`, in ms; throws when it fails. */
function timed(args, env = process.env) {
  const t = performance.now();
  const run = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const took = performance.now() - t;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return took;
}

async function waitForFile(file, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (!existsSync(file)) {
    if (performance.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function run({ samples = 20, warmup = 3 } = {}) {
  const root = tempDir("cli-startup");
  const empty = join(root, "empty");
  const hostDir = join(root, "host");
  const pm2Env = { ...process.env, PM2_HOME: join(root, "pm2") };
  const host = spawn(process.execPath, [CLI, "--data-dir", hostDir, "start", "--http", "127.0.0.1:0"], {
    stdio: "ignore",
  });
  const cases = {
    "node -e 0": ["-e", "0"],
    "chipset --help": [CLI, "--help"],
    "chipset ls, offline (empty data dir)": [CLI, "--data-dir", empty, "ls"],
    "chipset ls, running host (HTTP)": [CLI, "--data-dir", hostDir, "ls"],
    "pm2 --version": [PM2, "--version"],
    "pm2 ls, running daemon": [PM2, "ls"],
  };
  const series = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  try {
    await waitForFile(join(hostDir, "host.json"));
    timed([PM2, "ping"], pm2Env); // starts PM2's daemon before anything is measured
    // Interleaved: a burst of load on the machine touches every case alike.
    for (let i = 0; i < warmup + samples; i++) {
      for (const [name, args] of Object.entries(cases)) {
        const took = timed(args, name.startsWith("pm2") ? pm2Env : process.env);
        if (i >= warmup) series[name].push(took);
      }
    }
  } finally {
    spawnSync(process.execPath, [PM2, "kill"], { env: pm2Env, stdio: "ignore" });
    spawnSync(process.execPath, [CLI, "--data-dir", hostDir, "shutdown"], { stdio: "ignore" });
    host.kill();
    removeDir(root);
  }
  const stats = Object.fromEntries(Object.entries(series).map(([name, s]) => [name, summarize(s)]));
  const floor = stats["node -e 0"];
  const rows = Object.keys(cases).map((name) =>
    row(name, stats[name], `${x(ratio(stats[name], floor))} node -e 0`),
  );
  console.log("\n## 14. CLI start-up: a command from the shell to exit, against node -e 0 and PM2's CLI");
  console.log(table(HEADER, rows));
  const hostLs = ratio(stats["chipset ls, running host (HTTP)"], stats["pm2 ls, running daemon"]);
  const help = ratio(stats["chipset --help"], stats["pm2 --version"]);
  return {
    name: "cliStartup",
    stats,
    ratios: { helpVsPm2Version: help, hostLsVsPm2Ls: hostLs },
    targets: [
      { name: "chipset ls (running host) / pm2 ls (running daemon)", value: x(hostLs), met: hostLs <= 1 },
      { name: "chipset --help / pm2 --version", value: x(help), met: help <= 1 },
    ],
    rows,
  };
}
