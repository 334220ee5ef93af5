/**
 * Benchmark 1: `runtime.use(id).method()` to the first result, cold, for a module with 3
 * dependencies installed on disk, against a raw chain of import() + hook calls of the same files.
 * Every sample runs in a fresh child process so no module cache carries over.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRuntime } from "chipset";
import { sampleInChild } from "./lib/child.mjs";
import { linkChipset, removeDir, tempDir, writeModule } from "./lib/fixtures.mjs";
import { HEADER, ms, ratio, row, summarize, table, x } from "./lib/stats.mjs";

const CHILD = new URL("./child/useFirstResult.child.mjs", import.meta.url).pathname;
const DEPS = ["bench-use-a", "bench-use-b", "bench-use-c"];
const APP = "bench-use-app";

const depSource = (factor) => `import { defineModule } from "chipset/module";
let factor = 0;
export const module = defineModule({
  init() { factor = ${factor}; },
  start() {},
  api: { scale(n) { return n * factor; } },
});
`;

const appSource = `import { defineModule } from "chipset/module";
let deps = [];
export const module = defineModule({
  init(ctx) { deps = ${JSON.stringify(DEPS)}.map((id) => ctx.use(id)); },
  start() {},
  api: {
    async compute(n) {
      let sum = 0;
      for (const dep of deps) sum += await dep.scale(n);
      return sum;
    },
  },
});
`;

/** Writes the 4 modules, installs them in a data dir (not timed); returns paths. */
export async function prepare() {
  const root = tempDir("use");
  const modules = join(root, "modules");
  linkChipset(root);
  const dirs = DEPS.map((name, i) => writeModule(modules, { name, source: depSource(i + 1) }));
  dirs.push(
    writeModule(modules, {
      name: APP,
      requires: Object.fromEntries(DEPS.map((d) => [d, "^1.0.0"])),
      source: appSource,
    }),
  );
  const dataDir = join(root, "data");
  const runtime = createRuntime({ dataDir, preload: 0 });
  for (const dir of dirs) runtime.add(dir);
  await runtime.close();
  const listFile = join(root, "entries.json");
  const ids = [...DEPS, APP];
  writeFileSync(listFile, JSON.stringify(ids.map((id, i) => ({ id, file: join(dirs[i], "index.js") }))));
  return { root, dataDir, listFile };
}

export async function run({ samples = 20, warmup = 2 } = {}) {
  const { root, dataDir, listFile } = await prepare();
  const chipset = [];
  const raw = [];
  try {
    // Interleaved so that drift on the machine hits both sides alike; warm-up samples warm the OS file cache.
    for (let i = 0; i < warmup + samples; i++) {
      const c = await sampleInChild(CHILD, ["chipset", dataDir]);
      const r = await sampleInChild(CHILD, ["raw", listFile]);
      if (c.result !== 126 || r.result !== 126)
        throw new Error(`wrong result: chipset ${c.result}, raw ${r.result} (expected 126)`);
      if (i >= warmup) {
        chipset.push(c);
        raw.push(r);
      }
    }
  } finally {
    removeDir(root);
  }
  const pick = (list, key) => summarize(list.map((s) => s[key]));
  const stats = {
    chipsetFirstResult: pick(chipset, "firstResultMs"),
    rawFirstResult: pick(raw, "firstResultMs"),
    chipsetImport: pick(chipset, "importMs"),
    chipsetCreate: pick(chipset, "createMs"),
    rawSdkImport: pick(raw, "importMs"),
    chipsetProcess: pick(chipset, "processMs"),
    rawProcess: pick(raw, "processMs"),
  };
  const r = ratio(stats.chipsetFirstResult, stats.rawFirstResult);
  const rows = [
    row("chipset: use(app).compute() to result", stats.chipsetFirstResult, x(r)),
    row("raw: import() x4 + init/start + compute()", stats.rawFirstResult, "1.00x"),
    row("chipset: import('chipset') (not in the above)", stats.chipsetImport),
    row("chipset: createRuntime() (not in the above)", stats.chipsetCreate),
    row("raw: import('chipset/module') (not in the above)", stats.rawSdkImport),
    row(
      "chipset: process start to result",
      stats.chipsetProcess,
      x(ratio(stats.chipsetProcess, stats.rawProcess)),
    ),
    row("raw: process start to result", stats.rawProcess, "1.00x"),
  ];
  console.log(
    "\n## 1. use() to first result: module with 3 dependencies, files on disk, inline, cold process",
  );
  console.log(table(HEADER, rows));
  const targets = [
    {
      name: "use() first result median < 5 ms",
      value: `${ms(stats.chipsetFirstResult.median)} ms`,
      met: stats.chipsetFirstResult.median < 5,
    },
    { name: "use() first result within 1.5x of raw import() chain", value: x(r), met: r <= 1.5 },
  ];
  return { name: "useFirstResult", stats, ratios: { firstResult: r }, targets, rows };
}
