import { rmSync } from "node:fs";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { AddResult } from "../registry/Registry.js";
import { rcompare, satisfies } from "../resolver/fastSemver.js";
import type { SourceSpec } from "../updates/SourceSpec.js";
import type { UpdateSources } from "../updates/UpdateSources.js";
import type { Catalog } from "./Catalog.js";
import type { UpdateOptions, UpdateReport, UpdateStep } from "./updateReport.js";

/** What obtaining a version needs from the runtime (a part of the updater's). */
export interface ObtainDeps {
  catalog: Catalog;
  sources: UpdateSources;
  /** A fresh scratch directory in the store (removed by recovery if the process dies). */
  scratchDir(): string;
  /** Installs the module in `dir` (validated, copied, recorded with `source` as where it came from). */
  install(dir: string, source: string): AddResult;
}

/**
 * The version to update to, installed: an installed version that fits `version` (higher than
 * the running one, or than the highest installed when none runs, when no version is named),
 * else one fetched from `from` or the registries.
 */
export async function obtainVersion(
  deps: ObtainDeps,
  id: string,
  options: UpdateOptions,
  report: UpdateReport,
  timed: <T>(name: UpdateStep, fn: () => T | Promise<T>) => Promise<T>,
  idle: string | null,
): Promise<string> {
  const versions = deps.catalog.versions(id); // highest first
  // Nothing loaded: the version its next load takes is the one to go up from.
  const current = report.from ?? idle;
  const installed = await timed("resolve", () =>
    options.from !== undefined
      ? undefined
      : versions
          .filter((v) =>
            options.version === undefined
              ? current === null || rcompare(v, current) < 0
              : satisfies(v, options.version) || v === options.version,
          )
          .sort(rcompare)[0],
  );
  if (installed !== undefined) return installed;
  const spec = sourceSpec(id, current, options);
  const staging = deps.scratchDir();
  try {
    const fetched = await timed("fetch", () =>
      deps.sources.fetch(spec, {
        staging,
        ...(options.integrity === undefined ? {} : { integrity: options.integrity }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
    report.source = fetched.source;
    report.integrity = fetched.integrity;
    report.signature = fetched.signature;
    // A published version never changes: one installed already is kept, and a copy that
    // differs from it is refused rather than replace files a running module was loaded from.
    const existing = deps.catalog.get(id, fetched.version)?.record;
    if (existing !== undefined) {
      if (existing.digest !== undefined && existing.digest !== fetched.digest)
        throw new ChipsetError(
          ErrorCodes.INTEGRITY_MISMATCH,
          `${id}@${fetched.version} from ${fetched.source.location} differs from the installed ${id}@${fetched.version}: ` +
            "a published version never changes; check the source (or remove the installed copy if it is the wrong one)",
          {
            module: `${id}@${fetched.version}`,
            details: { expected: existing.digest, actual: fetched.digest, source: fetched.source.location },
          },
        );
      return fetched.version;
    }
    // Recorded as coming from the directory, tarball or URL it was fetched from, not the staging copy.
    const { record } = await timed("install", () => deps.install(fetched.dir, fetched.source.location));
    return record.version;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Where to fetch `id` from. With no version named, a running `current` asks the registry for its
 * highest version from `current` up: its `latest` tag may point lower (moved back by the
 * publisher), and a plain update must not go back, as it does not among installed versions.
 */
function sourceSpec(id: string, current: string | null, options: UpdateOptions): SourceSpec {
  const from = options.from;
  if (from === undefined) {
    const version = options.version ?? (current === null ? undefined : `>=${current}`);
    return {
      kind: "registry",
      name: id,
      ...(version === undefined ? {} : { version }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    };
  }
  return /\.(tgz|tar\.gz)$/i.test(from)
    ? { kind: "tarball", path: from, name: id }
    : { kind: "directory", path: from, name: id };
}
