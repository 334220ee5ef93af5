/**
 * Benchmark 8: version resolution. A 10,000-module registry with 5 versions each (every version
 * requires up to 5 lower modules, at ranges that agree: ^2.0.0, >=1.1.0, ~2.1.0, 2.x), all
 * requested at once, resolved by Chipset's `selectVersions`, against the floor: one pass of
 * `semver.maxSatisfying` per requirement, which checks nothing (no agreement between dependents,
 * no transitive closure). Then 1,000 modules that are not singletons, whose dependents disagree
 * (^1 or ^2): the complete search, with versions side by side. Then a conflict buried in a
 * 1,000-module registry (two dependents asking a singleton for ranges that do not meet): the time
 * to throw the explained `CHIP_ERR_VERSION_CONFLICT`, derivation and fixes included.
 */
import semver from "semver";
import { selectVersions } from "../dist/resolver/selectVersions.js";
import { HEADER, collect, ms, prng, ratio, row, summarize, table, x } from "./lib/stats.mjs";

const VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"];

const AGREEING = ["^2.0.0", ">=1.1.0", "~2.1.0", "2.x"];

/**
 * `n` modules `m0..`, 5 versions each; each version requires up to `fanout` lower modules. With
 * `disagree`, at ^2 or ^1 and none a singleton (only side by side satisfies them all); else at
 * ranges that all accept 2.1.0.
 */
function registry(n, fanout, seed, disagree = false) {
  const random = prng(seed);
  const manifests = new Map();
  for (let i = 0; i < n; i++) {
    for (const version of VERSIONS) {
      const requires = {};
      const count = i === 0 ? 0 : Math.floor(random() * (fanout + 1));
      for (let k = 0; k < count; k++) {
        const target = Math.floor(random() * i);
        requires[`m${target}`] = disagree
          ? random() < 0.8
            ? "^2.0.0"
            : "^1.0.0"
          : AGREEING[Math.floor(random() * AGREEING.length)];
      }
      manifests.set(`m${i}@${version}`, disagree ? { requires, singleton: false } : { requires });
    }
  }
  return manifests;
}

function catalogOf(manifests) {
  return {
    versions: () => VERSIONS,
    manifest: (id, version) => manifests.get(`${id}@${version}`),
  };
}

/** The floor: the highest version satisfying each range, one lookup per requirement, nothing checked. */
function maxSatisfyingPass(manifests, n) {
  const chosen = new Map();
  for (let i = 0; i < n; i++) chosen.set(`m${i}`, semver.maxSatisfying(VERSIONS, "*"));
  for (const [, manifest] of manifests)
    for (const range of Object.values(manifest.requires)) semver.maxSatisfying(VERSIONS, range);
  return chosen;
}

function time(fn) {
  collect();
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

export async function run({ samples = 15, warmup = 3, n = 10_000, conflictN = 1_000 } = {}) {
  // ---- modules side by side: dependents disagree, the greedy choice fails, the search settles it ----
  const split = registry(conflictN, 5, 13, true);
  const splitCatalog = catalogOf(split);
  const splitRoots = Array.from({ length: conflictN }, (_, i) => ({ id: `m${i}` }));
  const sideBySide = [];
  let versionsRun = 0;
  for (let i = 0; i < warmup + samples; i++) {
    const elapsed = time(() => {
      const selection = selectVersions(splitRoots, splitCatalog);
      versionsRun = [...selection.selected.values()].reduce((sum, v) => sum + v.length, 0);
    });
    if (i >= warmup) sideBySide.push(elapsed);
  }

  const manifests = registry(n, 5, 11);
  const catalog = catalogOf(manifests);
  const roots = Array.from({ length: n }, (_, i) => ({ id: `m${i}` }));
  const chipset = [];
  const floor = [];
  for (let i = 0; i < warmup + samples; i++) {
    const a = time(() => selectVersions(roots, catalog));
    const b = time(() => maxSatisfyingPass(manifests, n));
    if (i >= warmup) {
      chipset.push(a);
      floor.push(b);
    }
  }
  const stats = {
    "chipset selectVersions": summarize(chipset),
    "semver.maxSatisfying pass": summarize(floor),
  };
  const resolveRatio = ratio(stats["chipset selectVersions"], stats["semver.maxSatisfying pass"]);

  // ---- a conflict in a 1,000-module registry ----
  const small = registry(conflictN, 5, 12);
  small.set("lib@1.0.0", { requires: {} });
  small.set("lib@2.0.0", { requires: {} });
  for (const version of VERSIONS) {
    small.set(`left@${version}`, { requires: { lib: "^1.0.0", m10: "*" } });
    small.set(`right@${version}`, { requires: { lib: "^2.0.0", m20: "*" } });
  }
  const conflictCatalog = {
    versions: (id) => (id === "lib" ? ["1.0.0", "2.0.0"] : VERSIONS),
    manifest: (id, version) => small.get(`${id}@${version}`),
  };
  const conflictRoots = [
    ...Array.from({ length: conflictN }, (_, i) => ({ id: `m${i}` })),
    { id: "left" },
    { id: "right" },
  ];
  let explained;
  const conflict = [];
  for (let i = 0; i < warmup + samples; i++) {
    const elapsed = time(() => {
      try {
        selectVersions(conflictRoots, conflictCatalog);
      } catch (err) {
        explained = err;
      }
    });
    if (i >= warmup) conflict.push(elapsed);
  }
  stats["chipset explains a conflict"] = summarize(conflict);
  stats["chipset side by side"] = summarize(sideBySide);

  const rows = [
    row("chipset selectVersions", stats["chipset selectVersions"], `${x(resolveRatio)} (chipset/floor)`),
    row("semver.maxSatisfying pass", stats["semver.maxSatisfying pass"], "1.00x"),
    row(
      `chipset side by side (${conflictN} modules, ${versionsRun} versions run)`,
      stats["chipset side by side"],
    ),
    row(`chipset explains a conflict (${conflictN} modules)`, stats["chipset explains a conflict"]),
  ];
  console.log(`\n## 8. resolve versions: ${n} modules x ${VERSIONS.length} versions, all requested`);
  console.log(table(HEADER, rows));
  console.log(
    `\nthe conflict explained (${explained?.code}): ${String(explained?.message).split("\n").slice(0, 4).join(" | ")}`,
  );
  const targets = [
    {
      name: `${n} modules x 5 versions resolved in < 50 ms (median)`,
      value: `${ms(stats["chipset selectVersions"].median)} ms`,
      met: stats["chipset selectVersions"].median < 50,
    },
    {
      name: `a conflict in a ${conflictN}-module registry explained in < 100 ms (median)`,
      value: `${ms(stats["chipset explains a conflict"].median)} ms`,
      met:
        stats["chipset explains a conflict"].median < 100 && explained?.code === "CHIP_ERR_VERSION_CONFLICT",
    },
  ];
  return { name: "versions", stats, ratios: { resolve: resolveRatio }, targets, rows };
}
