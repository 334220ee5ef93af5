import fs from "node:fs";
import path from "node:path";
import semver from "semver";
import { abortError } from "../common/abort.js";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import { findModuleDirs } from "../registry/scanModuleDirs.js";
import { sortVersions } from "../updates/pickUpdate.js";
import type { UpdateSources } from "../updates/UpdateSources.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";

/** Where a version that is not installed was found. */
export interface FoundVersion {
  readonly kind: "directory" | "registry";
  /** The module directory's absolute path, or the URL of the registry's packument. */
  readonly location: string;
}

/** What one check found for one installed module. */
export interface ModuleFindings {
  readonly id: string;
  /** The running version (the highest when several run side by side), else the highest installed. */
  readonly current: string;
  /** The installed versions, highest first. */
  readonly installed: readonly string[];
  /** Versions newer than the highest installed that a source has (no pre-releases), by version. */
  readonly found: ReadonlyMap<string, FoundVersion>;
}

/** One module with a newer version somewhere: a row of `chipset outdated`. */
export interface OutdatedModule {
  id: string;
  /** The running version (the highest when several run side by side), else the highest installed. */
  current: string;
  /**
   * The highest version the application's `use` range for the module allows, else what
   * `^current` allows (the same major; for 0.x the same minor); `current` when none is newer.
   */
  wanted: string;
  /** The highest version there is, installed or at a source (pre-releases left out). */
  latest: string;
  /** Where `latest` is: `"installed"`, a module directory's path, or a registry packument's URL. */
  source: string;
}

/** A source that could not be read during a check; the others were read all the same. */
export interface UpdateCheckFailure {
  /** The module it was read for, or null for a module directory that holds no known module. */
  id: string | null;
  /** The directory or URL that failed. */
  source: string;
  /** Usually `CHIP_ERR_SOURCE_FAILED` or `CHIP_ERR_PACKAGE_INVALID`. */
  error: ChipsetError;
}

/** What `runtime.checkUpdates()` answers. */
export interface UpdateCheckReport {
  /** The modules with a newer version, by id. */
  outdated: OutdatedModule[];
  failures: UpdateCheckFailure[];
  /** How long the check took, in ms. */
  durationMs: number;
}

/** What a check reads. */
export interface FindUpdatesDeps {
  sources: Pick<UpdateSources, "check" | "registryFor">;
  /** Every installed module version (by id, highest version first). */
  installed(): ModuleRecord[];
  /** The version of `id` that runs (the highest of several), if one does. */
  running(id: string): string | undefined;
  /** The configured module directories, absolute. */
  moduleDirs: readonly string[];
  /** The data directory: sources inside it (update staging) are not watched. */
  dataDir: string;
}

/** Registry packuments asked for at once. */
const REGISTRY_CONCURRENCY = 4;

/**
 * Looks for versions of the installed modules (of `ids`, or all) newer than their highest
 * installed one: in every module directory (the configured `moduleDirs`, and each installed
 * version's own source directory while it exists), then in the registry `"sources"` routes each
 * id to (packuments revalidated with their ETag). A source that fails is a failure of the answer
 * and the others are read all the same; a registry without the package is no failure. Rejects
 * only with `CHIP_ERR_ABORTED` when `signal` fires.
 */
export async function findUpdates(
  deps: FindUpdatesDeps,
  ids: ReadonlySet<string> | undefined,
  signal: AbortSignal | undefined,
): Promise<{ findings: ModuleFindings[]; failures: UpdateCheckFailure[] }> {
  const records = deps.installed();
  const byId = new Map<string, { current: string; installed: string[]; found: Map<string, FoundVersion> }>();
  for (const record of records) {
    if (ids !== undefined && !ids.has(record.id)) continue;
    const entry = byId.get(record.id);
    if (entry !== undefined) entry.installed.push(record.version);
    else byId.set(record.id, { current: "", installed: [record.version], found: new Map() });
  }
  for (const [id, entry] of byId) entry.current = deps.running(id) ?? entry.installed[0]!;
  const failures: UpdateCheckFailure[] = [];
  const failed = (id: string | null, source: string, err: unknown): void => {
    if (signal?.aborted === true) throw abortError(signal, "the update check");
    failures.push({ id, source, error: asChipsetError(err, source) });
  };
  const offer = (id: string, version: string, where: FoundVersion): void => {
    const entry = byId.get(id);
    if (entry === undefined || semver.valid(version) === null || semver.prerelease(version) !== null) return;
    if (semver.gt(version, entry.installed[0]!) && !entry.found.has(version)) entry.found.set(version, where);
  };

  for (const [dir, id] of watchedDirs(deps, records)) {
    try {
      const answer = await deps.sources.check({ kind: "directory", path: dir }, { signal });
      for (const version of answer.versions)
        offer(answer.name, version, { kind: "directory", location: answer.source.location });
    } catch (err) {
      failed(id, dir, err);
    }
  }

  const queue = [...byId.keys()].filter((id) => deps.sources.registryFor(id) !== undefined);
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const highest = byId.get(id)!.installed[0]!;
        const answer = await deps.sources.check({ kind: "registry", name: id }, { current: highest, signal });
        for (const version of answer.newer)
          offer(id, version, { kind: "registry", location: answer.source.location });
      } catch (err) {
        // A registry that does not have the package has nothing newer: most local modules.
        if (err instanceof ChipsetError && err.details["reason"] === "not-found" && signal?.aborted !== true)
          continue;
        failed(id, sourceOf(err) ?? `${deps.sources.registryFor(id)}${id}`, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REGISTRY_CONCURRENCY, queue.length) }, worker));

  const findings = [...byId].map(([id, entry]) => ({ id, ...entry }));
  return { findings, failures };
}

/**
 * The row of `chipset outdated` for `findings`, or undefined when nothing is newer than the
 * current version. `use` is the application's range for the module, if it set one.
 */
export function summarize(findings: ModuleFindings, use: string | undefined): OutdatedModule | undefined {
  const { id, current } = findings;
  const newer = sortVersions([...findings.installed, ...findings.found.keys()]).filter(
    (v) => semver.prerelease(v) === null && semver.gt(v, current),
  );
  const latest = newer.at(-1);
  if (latest === undefined) return undefined;
  const wanted = semver.maxSatisfying(newer, use ?? `^${current}`) ?? current;
  return { id, current, wanted, latest, source: findings.found.get(latest)?.location ?? "installed" };
}

/**
 * The module directories to read, each with the module it was installed from (null when it is
 * only a child of a configured directory): the configured ones (a missing one is kept, so that
 * the check says it is missing) and the source directory of every installed version that still
 * exists outside the data directory.
 */
function watchedDirs(deps: FindUpdatesDeps, records: readonly ModuleRecord[]): Map<string, string | null> {
  const dirs = new Map<string, string | null>();
  const { found, missing } = findModuleDirs(deps.moduleDirs);
  for (const dir of [...found, ...missing]) dirs.set(dir, null);
  const data = path.resolve(deps.dataDir) + path.sep;
  for (const record of records) {
    const source = record.source;
    if (!path.isAbsolute(source) || dirs.has(source) || source.startsWith(data)) continue;
    if (isDirectory(source)) dirs.set(source, record.id);
  }
  return dirs;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function sourceOf(err: unknown): string | undefined {
  const source = err instanceof ChipsetError ? err.details["source"] : undefined;
  return typeof source === "string" ? source : undefined;
}

function asChipsetError(err: unknown, source: string): ChipsetError {
  if (err instanceof ChipsetError) return err;
  return new ChipsetError(
    ErrorCodes.SOURCE_FAILED,
    `Cannot look for new versions at ${source}: ${messageOf(err)}. Check that the source is there and readable.`,
    { cause: err, details: { reason: "unreadable", source } },
  );
}
