import semver from "semver";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { cannotRun, explanationText, type ConflictExplanation } from "./explainConflict.js";

/** One requirement on a module: who asks (`id@version`, or `(requested)` for a root) and for which range. */
export interface VersionConstraint {
  from: string;
  range: string;
}

/** The requester label used for a root request. */
export const REQUESTED = "(requested)";

const ADD_HINT = "`chipset add <dir>`";

function describe(constraint: VersionConstraint): string {
  return constraint.from === REQUESTED
    ? `${REQUESTED} ${constraint.range}`
    : `'${constraint.from}' requires ${constraint.range}`;
}

function listVersions(versions: readonly string[]): string {
  return versions.length === 0 ? "none" : versions.join(", ");
}

/** `CHIP_ERR_MODULE_NOT_FOUND` for a requested module that has no installed version. */
export function moduleNotFound(id: string, range: string): ChipsetError {
  return new ChipsetError(
    ErrorCodes.MODULE_NOT_FOUND,
    `No module '${id}' is registered (requested ${range}). Add it with ${ADD_HINT}, or check the id.`,
    { module: id, details: { module: id, range } },
  );
}

/** `CHIP_ERR_DEPENDENCY_MISSING` for a hard dependency on a module that has no installed version. */
export function dependencyMissing(id: string, constraints: readonly VersionConstraint[]): ChipsetError {
  const who = constraints.map((c) => `'${c.from}' requires it (${c.range})`).join(" and ");
  return new ChipsetError(
    ErrorCodes.DEPENDENCY_MISSING,
    `Module '${id}' is not installed, but ${who}. ` +
      `Add it with ${ADD_HINT}, or remove the requirement (or make it optional).`,
    { module: id, details: { module: id, constraints } },
  );
}

/**
 * `CHIP_ERR_VERSION_CONFLICT`: no installed version of `id` meets every constraint. With `running`,
 * the module is pinned to that running version, which a constraint excludes.
 */
export function versionConflict(
  id: string,
  constraints: readonly VersionConstraint[],
  installed: readonly string[],
  running?: string,
): ChipsetError {
  const head =
    running === undefined
      ? `No installed version of '${id}' satisfies every requirement on it:`
      : `Module '${id}' is running as ${running} and cannot be swapped here, but not every requirement accepts it:`;
  const lines = [
    head,
    ...constraints.map((c) => `  - ${describe(c)}`),
    `Installed versions: ${listVersions(installed)}.`,
  ];
  lines.push(running === undefined ? conflictHint(id, constraints, installed) : runningHint(id, running));
  return new ChipsetError(ErrorCodes.VERSION_CONFLICT, lines.join("\n"), {
    module: id,
    details: { module: id, constraints, installed, ...(running === undefined ? {} : { running }) },
  });
}

/** `CHIP_ERR_VERSION_CONFLICT` when the choice for `id` keeps changing the requirements that decide it. */
export function versionUnsettled(
  id: string,
  constraints: readonly VersionConstraint[],
  installed: readonly string[],
  changes: number,
): ChipsetError {
  const lines = [
    `The version of '${id}' does not settle: after ${changes} changes, each version chosen for a module ` +
      `still changes the requirements on '${id}'. Requirements at the last attempt:`,
    ...constraints.map((c) => `  - ${describe(c)}`),
    `Installed versions: ${listVersions(installed)}.`,
    "Pin the versions of the modules involved in the request, or align their ranges so they agree.",
  ];
  return new ChipsetError(ErrorCodes.VERSION_CONFLICT, lines.join("\n"), {
    module: id,
    details: { module: id, constraints, installed, unsettled: true },
  });
}

function conflictHint(
  id: string,
  constraints: readonly VersionConstraint[],
  installed: readonly string[],
): string {
  const invalid = constraints.find((c) => semver.validRange(c.range) === null);
  if (invalid !== undefined)
    return `'${invalid.range}' (from ${invalid.from}) is not a valid semver range: correct it.`;
  let hint = "";
  outer: for (const [i, a] of constraints.entries()) {
    for (const b of constraints.slice(i + 1)) {
      if (!semver.intersects(a.range, b.range)) {
        hint = `${a.range} (from ${a.from}) and ${b.range} (from ${b.from}) cannot both be met: relax one of them.`;
        break outer;
      }
    }
  }
  if (hint === "") {
    hint =
      `Install a version of '${id}' that matches all of these ranges (${ADD_HINT}), ` +
      "or relax the range that excludes the installed versions.";
  }
  if (installed.some((v) => semver.prerelease(v) !== null)) {
    hint +=
      " Prereleases match only a range that names a prerelease of the same version (e.g. ^2.0.0-beta.1).";
  }
  return hint;
}

function runningHint(id: string, running: string): string {
  return `Stop '${id}' (or update it) before loading modules that need another version, or relax the ranges that exclude ${running}.`;
}

/**
 * The error for a request that has no selection, with its explanation: `CHIP_ERR_DEPENDENCY_MISSING`
 * when it comes down to modules that are not installed, else `CHIP_ERR_VERSION_CONFLICT`.
 * `details` carries the structure (`modules`, `clashes`, `derivation`, `fixes`), and `module`,
 * `constraints` and `installed` of the first clash.
 */
export function unsolvable(explanation: ConflictExplanation): ChipsetError {
  const [clash] = explanation.clashes;
  const missing = explanation.clashes.length > 0 && explanation.clashes.every((c) => c.missing);
  const head = missing
    ? `Module '${clash!.id}' is not installed, but ${clash!.ranges.map((r) => `'${r.from}' requires it (${r.range})`).join(" and ")}. Add it with ${ADD_HINT}, or remove the requirement (or make it optional). Why:`
    : `${cannotRun(explanation.modules)}: no choice of installed versions meets every requirement. Why:`;
  const constraints = clash?.ranges.map(({ from, range }) => ({ from, range })) ?? [];
  return new ChipsetError(
    missing ? ErrorCodes.DEPENDENCY_MISSING : ErrorCodes.VERSION_CONFLICT,
    `${head}\n${explanationText(explanation)}`,
    {
      ...(clash === undefined ? {} : { module: clash.id }),
      details: {
        module: clash?.id ?? null,
        constraints,
        installed: clash?.installed ?? [],
        modules: explanation.modules,
        clashes: explanation.clashes,
        derivation: explanation.derivation,
        conclusion: explanation.conclusion,
        fixes: explanation.fixes,
      },
    },
  );
}
