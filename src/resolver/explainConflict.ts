import semver from "semver";
import { moduleKey, parseModuleRef } from "../vocabulary/moduleRef.js";
import { rcompare, satisfies } from "./fastSemver.js";
import { overrideRoots, withOverrides } from "./overrides.js";
import type { SelectionRequest, VersionCatalog } from "./Selection.js";
import {
  requirementFact,
  rootFact,
  searchVersions,
  type FactKey,
  type SearchProblem,
} from "./searchVersions.js";

/** One requirement in an explanation: who asks (`id@version`, or a root's source) for `id` in `range`. */
export interface ExplainedConstraint {
  from: string;
  id: string;
  range: string;
}

/** One step of a derivation: its text, and the constraints it rests on. */
export interface DerivationStep {
  text: string;
  constraints: ExplainedConstraint[];
}

/** A change that makes the request solvable, found by solving again with it. */
export interface ConflictFix {
  kind: "override" | "side-by-side" | "install" | "version";
  /** The module the fix is about. */
  id: string;
  /** The version or range it names (`override`, `install`, `version`). */
  version?: string;
  text: string;
}

/** Why there is no selection: the requests that cannot run together, the derivation, and the fixes. */
export interface ConflictExplanation {
  /** The requested ids that cannot run together (one: that one cannot run). */
  modules: string[];
  /** The modules the requirements clash on, and the ranges that clash. */
  clashes: Array<{ id: string; ranges: ExplainedConstraint[]; installed: string[]; missing: boolean }>;
  derivation: DerivationStep[];
  conclusion: string;
  fixes: ConflictFix[];
}

/** What an explanation needs: the problem that has no solution, and the facts the search blamed. */
export interface ConflictInput {
  roots: readonly SelectionRequest[];
  catalog: VersionCatalog;
  pinned: ReadonlyMap<string, string>;
  blamed: ReadonlySet<FactKey>;
}

/**
 * Explains a request that has no selection, PubGrub-style: the smallest set of requests and
 * requirements that still has none (found by leaving each blamed fact out in turn and searching
 * again), told as numbered steps (each requirement once, versions that say the same grouped),
 * the clash they lead to, and the fixes: each relaxation of one constraint (an override, letting
 * a singleton run side by side, any version of a request that named one) that a new search
 * confirms, plus the range a version to install would need.
 */
export function explainConflict(input: ConflictInput): ConflictExplanation {
  const core = minimalCore(input);
  const roots = input.roots.flatMap((root, index) => (core.has(rootFact(index)) ? [root] : []));
  const requirements = [...core]
    .filter((fact) => !fact.startsWith("root:"))
    .map((fact) => {
      const [from, target] = fact.split("\0") as [string, string];
      const { id, version } = parseModuleRef(from);
      const manifest = input.catalog.manifest(id, version!);
      const range = manifest.requires?.[target] ?? manifest.optional?.[target] ?? "*";
      return { from, fromId: id, id: target, range };
    });
  const onId = (id: string): ExplainedConstraint[] => [
    ...roots
      .filter((r) => r.id === id)
      .map((r) => ({ from: r.from ?? "the application", id, range: r.range ?? "*" })),
    ...requirements.filter((r) => r.id === id).map(({ from, range }) => ({ from, id, range })),
  ];
  const derivation: DerivationStep[] = [];
  for (const root of roots) {
    // A request that clashes by itself is told in its clash.
    if ((root.range ?? "*") === "*" || clashesAlone(input, root)) continue;
    const constraint = { from: root.from ?? "the application", id: root.id, range: root.range! };
    derivation.push({
      text: `${constraint.from} asks for ${root.id} ${root.range}.`,
      constraints: [constraint],
    });
  }
  const groups = new Map<string, typeof requirements>();
  for (const r of requirements) {
    const key = `${r.fromId}\0${r.id}\0${r.range}`;
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(r);
  }
  for (const group of groups.values()) {
    const { fromId, id, range } = group[0]!;
    const versions = group.map((r) => parseModuleRef(r.from).version!).sort(rcompare);
    const fitting = fittingVersions(input, fromId, onId(fromId));
    const every = versions.length > 1 && versions.length === fitting.length;
    const who =
      versions.length === 1
        ? `${fromId}@${versions[0]}${fitting.length === 1 ? ` (the only ${qualified(fromId, onId(fromId))})` : ""}`
        : every
          ? `every ${qualified(fromId, onId(fromId))} (${versions.join(", ")})`
          : versions.map((v) => `${fromId}@${v}`).join(" and ");
    derivation.push({
      text: `${who} require${versions.length === 1 || every ? "s" : ""} ${id} ${range}.`,
      constraints: group.map(({ from }) => ({ from, id, range })),
    });
  }
  const targets = [...new Set([...roots.map((r) => r.id), ...requirements.map((r) => r.id)])];
  const clashing = targets.filter((id) => clashes(input, id, onId(id)));
  // A clash spread over choices (no one module's ranges clash by themselves): every module asked for in more than one range.
  const clashed =
    clashing.length > 0 ? clashing : targets.filter((id) => new Set(onId(id).map((r) => r.range)).size > 1);
  const found = clashed.map((id) => {
    const ranges = onId(id);
    const installed = [...input.catalog.versions(id)].sort(rcompare);
    derivation.push({ text: clashText(input, id, ranges, installed), constraints: ranges });
    return { id, ranges, installed, missing: installed.length === 0 };
  });
  const modules = roots.map((r) => r.id);
  const conclusion = `So ${cannotRun(modules)}.`;
  return { modules, clashes: found, derivation, conclusion, fixes: findFixes(input, found) };
}

/** "a cannot run", or "a and b cannot run together". */
export function cannotRun(modules: readonly string[]): string {
  if (modules.length <= 1) return `${modules[0] ?? "the request"} cannot run`;
  return `${modules.slice(0, -1).join(", ")} and ${modules.at(-1)} cannot run together`;
}

/** The explanation as text: the derivation's numbered steps, the conclusion, and the fixes. */
export function explanationText(explanation: ConflictExplanation): string {
  const lines = explanation.derivation.map((step, i) => `  ${i + 1}. ${step.text}`);
  lines.push(`  ${explanation.conclusion}`);
  if (explanation.fixes.length === 0) {
    lines.push("No single change fixes it: relax one of the ranges above, or install versions that agree.");
  } else {
    lines.push("Fixes (each one checked by solving again with it):");
    for (const fix of explanation.fixes) lines.push(`  - ${fix.text}`);
  }
  return lines.join("\n");
}

/** Whether the ranges on `id` cannot all be met: it is missing, a range fits no version, or a singleton fits none with all. */
function clashes(input: ConflictInput, id: string, ranges: readonly ExplainedConstraint[]): boolean {
  const installed = input.catalog.versions(id);
  if (installed.length === 0) return true;
  if (ranges.some((r) => !installed.some((v) => satisfies(v, r.range)))) return true;
  const running = input.pinned.get(id);
  const candidates = running !== undefined && isSingleton(input, id) ? [running] : installed;
  return (
    isSingleton(input, id) &&
    fittingVersions(input, id, ranges).filter((v) => candidates.includes(v)).length === 0
  );
}

function clashesAlone(input: ConflictInput, root: SelectionRequest): boolean {
  return !input.catalog.versions(root.id).some((v) => satisfies(v, root.range ?? "*"));
}

function hasVersion(input: ConflictInput, id: string): boolean {
  return input.catalog.versions(id).length > 0;
}

function fittingVersions(input: ConflictInput, id: string, ranges: readonly ExplainedConstraint[]): string[] {
  return input.catalog.versions(id).filter((v) => ranges.every((r) => satisfies(v, r.range)));
}

function qualified(id: string, ranges: readonly ExplainedConstraint[]): string {
  const narrowing = [...new Set(ranges.filter((r) => r.range !== "*").map((r) => r.range))];
  if (narrowing.length === 0) return `installed version of ${id}`;
  return `installed version of ${id} in ${narrowing.join(" and ")}`;
}

function isSingleton(input: ConflictInput, id: string): boolean {
  const [highest] = [...input.catalog.versions(id)].sort(rcompare);
  return highest === undefined || input.catalog.manifest(id, highest).singleton !== false;
}

function clashText(
  input: ConflictInput,
  id: string,
  ranges: readonly ExplainedConstraint[],
  installed: readonly string[],
): string {
  if (installed.length === 0) return `${id} is not installed.`;
  const running = input.pinned.get(id);
  const list = installed.join(", ");
  const unmet = ranges.find((r) => !installed.some((v) => satisfies(v, r.range)));
  if (unmet !== undefined)
    return `No installed version of ${id} satisfies ${unmet.range} (from ${unmet.from}; installed: ${list}).`;
  const asked = describeRanges(ranges);
  if (running !== undefined && isSingleton(input, id))
    return `${id} is running as ${running}, and a singleton keeps its version until it is updated, but not every range accepts ${running}: ${asked}.`;
  return `${id} is a singleton, and no installed version satisfies ${asked} together (installed: ${list}).`;
}

/**
 * Each distinct range once, with who asked for it: `^2.0.0 (from b@2.0.0)`, or with the ids when
 * several versions of one module ask the same (`^2.0.0 (from every version of b listed above)`).
 */
function describeRanges(ranges: readonly ExplainedConstraint[]): string {
  const byRange = new Map<string, string[]>();
  for (const r of ranges) {
    if (r.range === "*") continue;
    let from = byRange.get(r.range);
    if (from === undefined) byRange.set(r.range, (from = []));
    from.push(r.from);
  }
  return [...byRange]
    .map(([range, from]) => {
      const ids = [...new Set(from.map((f) => (isModule(f) ? parseModuleRef(f).id : f)))];
      const who =
        from.length === ids.length
          ? from
          : ids.map((id) => (from.includes(id) ? id : `every version of ${id} above`));
      return `${range} (from ${who.join(", ")})`;
    })
    .join(" and ");
}

/** Whether the problem, restricted to `only` (all facts when undefined), still has no solution. */
function unsolvable(
  input: ConflictInput,
  only?: ReadonlySet<FactKey>,
  change?: Partial<SearchProblem>,
): boolean {
  const problem: SearchProblem = {
    roots: input.roots,
    catalog: input.catalog,
    pinned: input.pinned,
    sideBySide: true,
    ...(only === undefined ? {} : { only }),
    ...change,
  };
  const outcome = searchVersions(problem);
  return !("chosen" in outcome) && !outcome.gaveUp;
}

/**
 * The smallest set of facts, from those the search blamed, that still has no solution: each is
 * left out in turn (requests first, so that the fewest requests are named) and stays out when the
 * rest still has none. Falls back to every fact when the blamed ones alone have a solution.
 */
function minimalCore(input: ConflictInput): Set<FactKey> {
  let core = new Set(input.blamed);
  if (!unsolvable(input, core)) core = everyFact(input);
  const order = [...core].sort((a, b) => Number(b.startsWith("root:")) - Number(a.startsWith("root:")));
  for (const fact of order) {
    core.delete(fact);
    if (!unsolvable(input, core)) core.add(fact);
  }
  return core;
}

/** Every root request and every requirement of every version reachable from the roots. */
function everyFact(input: ConflictInput): Set<FactKey> {
  const facts = new Set<FactKey>();
  const seen = new Set<string>();
  const queue = input.roots.map((root, index) => {
    facts.add(rootFact(index));
    return root.id;
  });
  for (const id of queue) {
    if (seen.has(id)) continue;
    seen.add(id);
    for (const version of input.catalog.versions(id)) {
      const requires = input.catalog.manifest(id, version).requires ?? {};
      for (const target of Object.keys(requires)) {
        facts.add(requirementFact(moduleKey(id, version), target));
        queue.push(target);
      }
    }
  }
  return facts;
}

function findFixes(input: ConflictInput, clashes: ConflictExplanation["clashes"]): ConflictFix[] {
  const fixes: ConflictFix[] = [];
  for (const clash of clashes) {
    const { id, ranges, installed } = clash;
    if (clash.missing) continue;
    const override = installed.find((version) => {
      const overrides = new Map([[id, version]]);
      return !unsolvable(input, undefined, {
        roots: overrideRoots(input.roots, overrides),
        catalog: withOverrides(input.catalog, overrides),
      });
    });
    const overruled = ranges.filter((r) => override !== undefined && !satisfies(override, r.range));
    // Overriding what the application itself asks for is asking for another version: see below.
    if (override !== undefined && overruled.some((r) => isModule(r.from))) {
      const against = overruled.map((r) => `${r.from} (${r.range})`);
      fixes.push({
        kind: "override",
        id,
        version: override,
        text:
          `override it: "overrides": { "${id}": "${override}" } in chipset.config.json runs every dependent with ${id}@${override}` +
          (against.length > 0 ? `, although ${against.join(" and ")} asked otherwise` : "") +
          ".",
      });
    }
    if (isSingleton(input, id) && !unsolvable(input, undefined, { notSingleton: new Set([id]) })) {
      fixes.push({
        kind: "side-by-side",
        id,
        text: `let ${id} run side by side: if several versions of it may run at once, its author sets "singleton": false in its manifest, and each dependent gets the version its range selects.`,
      });
    }
    const wanted = [...new Set(ranges.map((r) => r.range))];
    if (
      !installed.some((v) => wanted.every((r) => satisfies(v, r))) &&
      wanted.every((a) => wanted.every((b) => intersects(a, b)))
    ) {
      const range = wanted.join(" ");
      fixes.push({
        kind: "install",
        id,
        version: range,
        text: `install a version of ${id} that satisfies ${wanted.join(" and ")} (\`chipset add <dir>\` or \`chipset update ${id}@"${range}"\`).`,
      });
    }
  }
  input.roots.forEach((root, index) => {
    if ((root.range ?? "*") === "*" || !hasVersion(input, root.id)) return;
    const roots = input.roots.map((r, i) => (i === index ? { ...r, range: "*" } : r));
    const outcome = searchVersions({ roots, catalog: input.catalog, pinned: input.pinned, sideBySide: true });
    if (!("chosen" in outcome)) return;
    const version = [...(outcome.chosen.get(root.id) ?? [])].sort(rcompare)[0]!;
    fixes.push({
      kind: "version",
      id: root.id,
      version,
      text: `ask for ${root.id}@${version} instead of ${root.range} (from ${root.from ?? "the application"}).`,
    });
  });
  return fixes;
}

/** True when `from` names a module version (`id@version`), not the application or the config. */
function isModule(from: string): boolean {
  return parseModuleRef(from).version !== undefined && !from.includes(" ");
}

function intersects(a: string, b: string): boolean {
  try {
    return semver.intersects(a, b);
  } catch {
    return false;
  }
}
