/**
 * Benchmark 2: start 1,000 modules with dependencies between them.
 *   a. registered in code, `await runtime.start()`, against avvio booting 1,000 plugins:
 *      warm (in this process, repeated) and cold (each sample in a fresh process);
 *   b. the same 1,000 as module directories on disk (installed beforehand, not timed), cold,
 *      against raw `import()` of the 1,000 files in topological order + their hooks.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import avvio from "avvio";
import * as chipset from "chipset";
import { avvioBoot, chipsetCodeBoot } from "./lib/boot.mjs";
import { sampleInChild } from "./lib/child.mjs";
import { bootGraph, linkChipset, removeDir, tempDir, writeBootModules } from "./lib/fixtures.mjs";
import { HEADER, collect, ms, ratio, row, summarize, table, x } from "./lib/stats.mjs";

const CHILD = new URL("./child/start1000.child.mjs", import.meta.url).pathname;
const N = 1000;

export async function run({
  warmSamples = 20,
  warmWarmup = 4,
  coldSamples = 12,
  coldWarmup = 1,
  filesSamples = 10,
} = {}) {
  const nodes = bootGraph(N, 42);
  const levels = 1 + Math.max(...nodes.map((n) => n.level));
  const edges = nodes.reduce((sum, n) => sum + n.deps.length, 0);
  const root = tempDir("start");
  try {
    const graphFile = join(root, "graph.json");
    writeFileSync(graphFile, JSON.stringify(nodes));

    // ---- a. in code, warm (this process) ----
    const warm = { chipset: [], avvioFlat: [], avvioLevels: [] };
    const warmData = join(root, "warm-data");
    for (let i = 0; i < warmWarmup + warmSamples; i++) {
      collect();
      const c = await chipsetCodeBoot(chipset, nodes, warmData);
      collect();
      const f = await avvioBoot(avvio, nodes, "flat");
      collect();
      const l = await avvioBoot(avvio, nodes, "levels");
      if (i >= warmWarmup) {
        warm.chipset.push(c);
        warm.avvioFlat.push(f);
        warm.avvioLevels.push(l);
      }
    }

    // ---- a. in code, cold (fresh processes) ----
    const cold = { chipset: [], avvioFlat: [] };
    const coldData = join(root, "cold-data");
    for (let i = 0; i < coldWarmup + coldSamples; i++) {
      const c = await sampleInChild(CHILD, ["code-chipset", graphFile, coldData]);
      const f = await sampleInChild(CHILD, ["code-avvio", graphFile, "flat"]);
      if (i >= coldWarmup) {
        cold.chipset.push(c);
        cold.avvioFlat.push(f);
      }
    }

    // ---- b. files on disk, cold ----
    const modules = join(root, "modules");
    linkChipset(root);
    const dirs = writeBootModules(modules, nodes);
    const filesData = join(root, "files-data");
    const installStarted = performance.now();
    const setup = chipset.createRuntime({ dataDir: filesData, moduleDirs: [modules], preload: 0 });
    const installMs = performance.now() - installStarted;
    const added = setup.lastScan.added.length;
    const rejected = setup.lastScan.rejected;
    await setup.close();
    if (added !== N)
      throw new Error(
        `installing the modules added ${added} of ${N}: ${rejected.map((r) => r.error?.message).join("; ")}`,
      );
    const entriesFile = join(root, "entries.json");
    writeFileSync(
      entriesFile,
      JSON.stringify(nodes.map((n, i) => ({ id: n.name, file: join(dirs[i], "index.js"), level: n.level }))),
    );
    const files = { chipset: [], rawSequential: [], rawLevels: [] };
    for (let i = 0; i < coldWarmup + filesSamples; i++) {
      const c = await sampleInChild(CHILD, ["files-chipset", filesData]);
      const s = await sampleInChild(CHILD, ["files-raw", entriesFile, "sequential"]);
      const l = await sampleInChild(CHILD, ["files-raw", entriesFile, "levels"]);
      if (c.started !== N) throw new Error(`chipset started ${c.started} of ${N} file modules`);
      if (i >= coldWarmup) {
        files.chipset.push(c);
        files.rawSequential.push(s);
        files.rawLevels.push(l);
      }
    }

    const pick = (list, key) => summarize(list.map((s) => s[key]));
    const stats = {
      warm: {
        chipsetStart: pick(warm.chipset, "startMs"),
        chipsetRegister: pick(warm.chipset, "registerMs"),
        chipsetTotal: pick(warm.chipset, "totalMs"),
        avvioFlat: pick(warm.avvioFlat, "totalMs"),
        avvioLevels: pick(warm.avvioLevels, "totalMs"),
      },
      cold: {
        chipsetStart: pick(cold.chipset, "startMs"),
        chipsetRegister: pick(cold.chipset, "registerMs"),
        chipsetTotal: pick(cold.chipset, "totalMs"),
        chipsetImport: pick(cold.chipset, "importMs"),
        avvioFlat: pick(cold.avvioFlat, "totalMs"),
        avvioImport: pick(cold.avvioFlat, "importMs"),
      },
      files: {
        chipsetStart: pick(files.chipset, "startMs"),
        chipsetCreate: pick(files.chipset, "createMs"),
        chipsetTotal: pick(files.chipset, "totalMs"),
        rawSequential: pick(files.rawSequential, "startMs"),
        rawLevels: pick(files.rawLevels, "startMs"),
      },
      installMs,
    };
    const ratios = {
      warmStartVsAvvio: ratio(stats.warm.chipsetStart, stats.warm.avvioFlat),
      warmTotalVsAvvio: ratio(stats.warm.chipsetTotal, stats.warm.avvioFlat),
      coldStartVsAvvio: ratio(stats.cold.chipsetStart, stats.cold.avvioFlat),
      coldTotalVsAvvio: ratio(stats.cold.chipsetTotal, stats.cold.avvioFlat),
      filesStartVsRawSequential: ratio(stats.files.chipsetStart, stats.files.rawSequential),
      filesStartVsRawLevels: ratio(stats.files.chipsetStart, stats.files.rawLevels),
      filesCreateStartVsRawSequential: ratio(stats.files.chipsetTotal, stats.files.rawSequential),
    };
    const { warm: w, cold: c, files: f } = stats;
    const rows = [
      ["a. in code, warm (same process, repeated)", "", "", "", ""],
      row("  chipset: await runtime.start()", w.chipsetStart, x(ratios.warmStartVsAvvio)),
      row("  chipset: register() x1000 (not in start)", w.chipsetRegister),
      row("  chipset: register x1000 + start", w.chipsetTotal, x(ratios.warmTotalVsAvvio)),
      row("  avvio: use() x1000 + ready(), flat", w.avvioFlat, "1.00x"),
      row("  avvio: nested by level", w.avvioLevels, x(ratio(w.avvioLevels, w.avvioFlat))),
      ["a. in code, cold (fresh process per sample)", "", "", "", ""],
      row("  chipset: await runtime.start()", c.chipsetStart, x(ratios.coldStartVsAvvio)),
      row("  chipset: register() x1000 (not in start)", c.chipsetRegister),
      row("  chipset: register x1000 + start", c.chipsetTotal, x(ratios.coldTotalVsAvvio)),
      row("  avvio: use() x1000 + ready(), flat", c.avvioFlat, "1.00x"),
      row("  import('chipset') (not timed above)", c.chipsetImport),
      row("  import('avvio') (not timed above)", c.avvioImport),
      ["b. files on disk, cold (fresh process per sample)", "", "", "", ""],
      row("  chipset: await runtime.start()", f.chipsetStart, x(ratios.filesStartVsRawSequential)),
      row("  chipset: createRuntime() (not in start)", f.chipsetCreate),
      row("  chipset: createRuntime + start", f.chipsetTotal, x(ratios.filesCreateStartVsRawSequential)),
      row("  raw: import()+hooks, sequential topo order", f.rawSequential, "1.00x"),
      row(
        "  raw: import()+hooks, level by level parallel",
        f.rawLevels,
        x(ratio(f.rawLevels, f.rawSequential)),
      ),
    ];
    console.log(`\n## 2. start ${N} modules (${edges} dependency edges, ${levels} levels)`);
    console.log(table(HEADER, rows));
    console.log(
      `(installing the ${N} module directories into the data dir, not timed above: ${ms(installMs)} ms, once)`,
    );
    console.log(`ratio of start() to raw level-by-level import: ${x(ratios.filesStartVsRawLevels)}`);
    const targets = [
      {
        name: "1,000 in code: start() / avvio < 1 (warm)",
        value: x(ratios.warmStartVsAvvio),
        met: ratios.warmStartVsAvvio < 1,
      },
      {
        name: "1,000 in code: start() / avvio < 1 (cold)",
        value: x(ratios.coldStartVsAvvio),
        met: ratios.coldStartVsAvvio < 1,
      },
    ];
    return { name: "start1000", graph: { modules: N, edges, levels }, stats, ratios, targets, rows };
  } finally {
    removeDir(root);
  }
}
