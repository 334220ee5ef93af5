/**
 * Benchmark 6: the load-time integrity check (IntegrityCheck.assertIntact: a streamed sha256 of
 * the installed tree) against a raw import() of the same module's entry, evaluated afresh
 * (a query string defeats the module cache), in this process with the OS file cache warm.
 * A small module (package.json + index.js, like the `use` bench's) and one carrying a
 * dependency in its node_modules (a copy of semver's package).
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRuntime } from "chipset";
import { IntegrityCheck } from "../dist/registry/IntegrityCheck.js";
import { VerifiedTable } from "../dist/registry/VerifiedTable.js";
import { Database } from "../dist/store/Database.js";
import { walkTree } from "../dist/common/walkTree.js";
import { linkChipset, removeDir, repoRoot, tempDir, writeModule } from "./lib/fixtures.mjs";
import { HEADER, collect, ratio, row, summarize, table, x } from "./lib/stats.mjs";

const source = `import { defineModule } from "chipset/module";
let factor = 0;
export const module = defineModule({ init() { factor = 2; }, api: { scale(n) { return n * factor; } } });
`;

function figures(dir) {
  const entries = walkTree(dir);
  const bytes = entries.reduce((sum, e) => sum + (e.kind === "file" ? e.size : 0), 0);
  return `${entries.length} entries, ${(bytes / 1024).toFixed(0)} KiB`;
}

export async function run({ samples = 200, warmup = 20 } = {}) {
  const root = tempDir("integrity");
  linkChipset(root);
  const modules = join(root, "modules");
  const small = writeModule(modules, { name: "bench-integrity-small", source });
  const withDep = writeModule(modules, { name: "bench-integrity-dep", source });
  cpSync(join(repoRoot, "node_modules", "semver"), join(withDep, "node_modules", "semver"), {
    recursive: true,
    dereference: true,
  });
  const runtime = createRuntime({ dataDir: join(root, "data"), preload: 0, logLevel: "silent" });
  const records = [runtime.add(small).record, runtime.add(withDep).record];
  await runtime.close();
  const sizes = records.map((r) => figures(r.dir));
  const series = records.map(() => ({ check: [], import: [], cached: [], later: [] }));
  // What a later runtime has: the fingerprints remembered when the copies first hashed intact.
  const db = Database.open(join(root, "data"));
  const verified = new VerifiedTable(db, true);
  for (const record of records) new IntegrityCheck(verified).assertIntact(record);
  try {
    for (let i = 0; i < warmup + samples; i++) {
      for (const [k, record] of records.entries()) {
        collect();
        const check = new IntegrityCheck();
        let t = performance.now();
        check.assertIntact(record);
        const checkMs = performance.now() - t;
        t = performance.now();
        check.assertIntact(record);
        const cachedMs = performance.now() - t;
        const later = new IntegrityCheck(verified);
        t = performance.now();
        later.assertIntact(record);
        const laterMs = performance.now() - t;
        if (later.hashed !== 0) throw new Error("a later runtime hashed an unchanged copy again");
        const url = `${pathToFileURL(join(record.dir, record.entry)).href}?sample=${i}`;
        t = performance.now();
        await import(url);
        const importMs = performance.now() - t;
        if (i < warmup) continue;
        series[k].check.push(checkMs);
        series[k].cached.push(cachedMs);
        series[k].later.push(laterMs);
        series[k].import.push(importMs);
      }
    }
  } finally {
    db.close();
    removeDir(root);
  }
  const stats = series.map((s) => ({
    check: summarize(s.check),
    import: summarize(s.import),
    cached: summarize(s.cached),
    later: summarize(s.later),
  }));
  const [smallStats, depStats] = stats;
  const rows = [
    row(`small (${sizes[0]}): first check`, smallStats.check, x(ratio(smallStats.check, smallStats.import))),
    row("small: import() of its entry, fresh", smallStats.import, "1.00x"),
    row("small: later check (same runtime)", smallStats.cached),
    row(
      "small: check in a later runtime (fingerprint)",
      smallStats.later,
      x(ratio(smallStats.later, smallStats.import)),
    ),
    row(
      `with semver in node_modules (${sizes[1]}): first check`,
      depStats.check,
      x(ratio(depStats.check, smallStats.import)),
    ),
    row(
      "with semver: check in a later runtime (fingerprint)",
      depStats.later,
      x(ratio(depStats.later, smallStats.import)),
    ),
  ];
  console.log(
    "\n## 6. load-time integrity check of an installed module, against a fresh import() of its entry",
  );
  console.log(table(HEADER, rows));
  const r = ratio(smallStats.check, smallStats.import);
  const targets = [{ name: "integrity check of a small module / its import()", value: x(r), met: r <= 1 }];
  return {
    name: "integrity",
    stats: { small: smallStats, withDependency: depStats },
    ratios: { small: r },
    targets,
    rows,
  };
}
