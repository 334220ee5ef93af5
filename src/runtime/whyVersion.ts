import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { rcompare, satisfies } from "../resolver/fastSemver.js";
import type { Selection, SelectionRequest } from "../resolver/Selection.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import { moduleKey, parseModuleRef } from "../vocabulary/moduleRef.js";
import type { VersionRule } from "./Activator.js";
import type { Catalog } from "./Catalog.js";

/** One constraint on a module: who set it, the range, and the version it is bound to. */
export interface VersionReason {
  /** `id@version` of a module, `the application`, or where the config set it. */
  from: string;
  range: string;
  kind: "module" | "application" | "config";
  /** The chosen version that meets it. */
  bound: string | null;
}

/** An installed version that was not chosen, and why. */
export interface RejectedVersion {
  version: string;
  reason: string;
  /** The constraint that excludes it, when one does. */
  excludedBy: { from: string; range: string } | null;
}

/** Why a module runs (or would run) at the version it does: `runtime.queries.why(id)`, `chipset why`. */
export interface VersionWhy {
  id: string;
  /** The versions chosen, highest first (several side by side); empty when there is no solution. */
  chosen: string[];
  /** The versions loaded now. */
  running: string[];
  constraints: VersionReason[];
  /** The override that replaces every range on it, if the config sets one. */
  override: VersionRule | null;
  rejected: RejectedVersion[];
  /** Ranges on it declared by installed modules that take no part in this resolution. */
  elsewhere: Array<{ from: string; range: string }>;
  /** When the modules cannot run together: the error, its derivation and fixes in `details`. */
  conflict: null | { code: string; message: string; details: Record<string, unknown> };
}

/** What the question needs from the runtime. */
export interface WhyDeps {
  catalog: Catalog;
  instances: InstanceReader;
  /** Resolves `requests`, loaded versions kept except those of `free`. */
  planOrder(requests: readonly SelectionRequest[], free?: string): { selection: Selection };
  use: ReadonlyMap<string, VersionRule>;
  overrides: ReadonlyMap<string, VersionRule>;
  /** The ids `start()` brings up. */
  eagerIds(): string[];
}

/**
 * Resolves the application as it runs or would run (the loaded modules at their versions, the
 * eager ones, those the config's `use` names, `id`, and `withRefs`: more modules, `id` or
 * `id@range`, to resolve together with them), and tells for `id` the versions chosen,
 * every constraint on it with who set it, and why each other installed version was not chosen.
 * Throws `CHIP_ERR_MODULE_NOT_FOUND` when `id` is not installed.
 */
export function whyVersion(deps: WhyDeps, id: string, withRefs: readonly string[] = []): VersionWhy {
  const installed = deps.catalog.versions(id);
  if (installed.length === 0) throw deps.catalog.notFound(id);
  // What runs stays as it is (loaded versions are kept by the resolution); `id` itself is asked
  // for as the application would, so that its own rule shows.
  const roots: SelectionRequest[] = [{ id }];
  const seen = new Set([id]);
  for (const inst of deps.instances.all()) {
    if (inst.state === "registered" || inst.id === id) continue;
    roots.push({ id: inst.id, range: inst.version, from: "running" });
    seen.add(inst.id);
  }
  for (const other of [...deps.eagerIds(), ...deps.use.keys()]) {
    if (seen.has(other)) continue;
    seen.add(other);
    roots.push({ id: other });
  }
  for (const ref of withRefs) {
    const { id: other, version } = parseModuleRef(ref);
    if (deps.catalog.versions(other).length === 0) throw deps.catalog.notFound(ref);
    roots.push(version === undefined ? { id: other } : { id: other, range: version });
  }
  const running = deps.instances
    .versionsOf(id)
    .filter((i) => i.state !== "registered")
    .map((i) => i.version);
  const override = deps.overrides.get(id) ?? null;
  let selection: Selection | undefined;
  let conflict: VersionWhy["conflict"] = null;
  try {
    selection = deps.planOrder(roots).selection;
  } catch (err) {
    if (!(err instanceof ChipsetError) || !isUnsolvable(err)) throw err;
    conflict = { code: err.code, message: err.message, details: err.details };
  }
  const chosen = selection?.selected.get(id) ?? [];
  const constraints = selection === undefined ? [] : reasons(deps, id, roots, selection);
  const rejected = installed
    .filter((v) => !chosen.includes(v))
    .map((version) => rejection(deps, roots, version, id, chosen, running, constraints, override));
  const inPlan = new Set(selection === undefined ? [] : [...selection.selected].flatMap(keysOf));
  const elsewhere = deps.catalog.records().flatMap((record) => {
    const key = moduleKey(record.id, record.version);
    const range = record.manifest.requires?.[id] ?? record.manifest.optional?.[id];
    return range === undefined || inPlan.has(key) ? [] : [{ from: key, range }];
  });
  return { id, chosen, running, constraints, override, rejected, elsewhere, conflict };
}

function keysOf([id, versions]: [string, string[]]): string[] {
  return versions.map((v) => moduleKey(id, v));
}

function isUnsolvable(err: ChipsetError): boolean {
  return err.code === ErrorCodes.VERSION_CONFLICT || err.code === ErrorCodes.DEPENDENCY_MISSING;
}

/** Every constraint on `id` in `selection`: the requests, and each dependent's range as its manifest says it. */
function reasons(
  deps: WhyDeps,
  id: string,
  roots: readonly SelectionRequest[],
  selection: Selection,
): VersionReason[] {
  const chosen = selection.selected.get(id) ?? [];
  const boundTo = (range: string) => chosen.find((v) => v === range || satisfies(v, range)) ?? null;
  const out: VersionReason[] = [];
  for (const root of roots) {
    if (root.id !== id) continue;
    const rule = deps.use.get(id);
    if (rule !== undefined)
      out.push({ from: rule.from, range: rule.range, kind: "config", bound: boundTo(rule.range) });
    else out.push({ from: "the application", range: "*", kind: "application", bound: boundTo("*") });
  }
  for (const edge of selection.edges) {
    if (parseModuleRef(edge.to).id !== id) continue;
    const from = parseModuleRef(edge.from);
    const manifest = deps.catalog.get(from.id, from.version)?.record.manifest;
    const range = manifest?.requires?.[id] ?? manifest?.optional?.[id] ?? "*";
    out.push({ from: edge.from, range, kind: "module", bound: parseModuleRef(edge.to).version! });
  }
  return out;
}

function rejection(
  deps: WhyDeps,
  roots: readonly SelectionRequest[],
  version: string,
  id: string,
  chosen: readonly string[],
  running: readonly string[],
  constraints: readonly VersionReason[],
  override: VersionRule | null,
): RejectedVersion {
  const fits = (range: string) => version === range || satisfies(version, range);
  if (override !== null && !fits(override.range))
    return {
      version,
      reason: `excluded by the override (${override.from}: ${override.range})`,
      excludedBy: { from: override.from, range: override.range },
    };
  const singleton = deps.catalog.get(id, version)?.record.manifest.singleton !== false;
  // A singleton's version must fit every constraint; a version side by side, any one of them.
  const against = constraints.find((c) => !fits(c.range));
  const accepting = constraints.filter((c) => fits(c.range));
  if (against !== undefined && (singleton || accepting.length === 0))
    return {
      version,
      reason: `excluded by ${against.from} (${against.range})`,
      excludedBy: { from: against.from, range: against.range },
    };
  const top = singleton ? [...chosen].sort(rcompare)[0] : (accepting[0]?.bound ?? undefined);
  if (top !== undefined && rcompare(version, top) > 0)
    return {
      version,
      reason: `lower than ${top}: the highest version that fits is chosen`,
      excludedBy: null,
    };
  // Higher than the choice, and no range excludes it: what it requires in turn leaves no solution.
  try {
    deps.planOrder([...roots.filter((r) => r.id !== id), { id, range: version }], id);
  } catch (err) {
    if (err instanceof ChipsetError && isUnsolvable(err)) {
      const conclusion = err.details["conclusion"];
      return {
        version,
        reason: `choosing it leaves no solution${typeof conclusion === "string" ? ` (${conclusion.replace(/^So /, "").replace(/\.$/, "")})` : ""}`,
        excludedBy: null,
      };
    }
    throw err;
  }
  if (singleton && running.length > 0 && !running.includes(version))
    return {
      version,
      reason: `${id}@${running[0]} is running: a singleton keeps its version until it is updated (\`chipset update ${id}@${version}\`)`,
      excludedBy: null,
    };
  return { version, reason: "fits too; fewer versions side by side were preferred", excludedBy: null };
}
