import { rcompare } from "../resolver/fastSemver.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { ChipsetManifest, ModuleRecord } from "../vocabulary/manifest.js";
import type { VersionCatalog } from "../resolver/Selection.js";
import type { ModuleDefinition } from "../module.js";
import type { Registry } from "../registry/Registry.js";

/** A module version the catalogue knows, and its definition when it was registered in code. */
export interface CatalogEntry {
  record: ModuleRecord;
  definition: ModuleDefinition | undefined;
}

/** What a view reads: the registry, and the modules registered in code. */
export interface CatalogSource {
  readonly registry: Pick<Registry, "list" | "recordsOf">;
  /** Every module registered in code. */
  codeRecords(): ModuleRecord[];
  /** The in-code entries of `id`. */
  codeEntries(id: string): Iterable<CatalogEntry>;
}

/**
 * The catalogue as one plan sees it: each id's versions are read from the registry at most once
 * (or all at once, for a big plan such as starting 1,000 modules), then answered from memory.
 * A resolution asks for the same ids many times; the registry is SQLite.
 */
export class CatalogView implements VersionCatalog {
  private readonly byId = new Map<string, { entries: Map<string, CatalogEntry>; sorted: string[] }>();

  constructor(
    private readonly catalog: CatalogSource,
    prefetchAll: boolean,
  ) {
    if (prefetchAll) {
      const grouped = new Map<string, ModuleRecord[]>();
      for (const record of catalog.registry.list()) {
        let list = grouped.get(record.id);
        if (!list) grouped.set(record.id, (list = []));
        list.push(record);
      }
      for (const [id, records] of grouped) this.byId.set(id, this.build(id, records));
      for (const record of catalog.codeRecords())
        if (!grouped.has(record.id)) this.byId.set(record.id, this.build(record.id, []));
    }
  }

  /** Installed and in-code versions of `id`, highest first. */
  versions(id: string): string[] {
    return this.of(id).sorted;
  }

  /** The entry of `id@version`, or undefined. */
  get(id: string, version: string): CatalogEntry | undefined {
    return this.of(id).entries.get(version);
  }

  /** The manifest of `id@version` (for the resolver). */
  manifest(id: string, version: string): ChipsetManifest {
    const entry = this.get(id, version);
    // The resolver asks only for versions this view listed: a miss is a bug, not a user's mistake.
    if (!entry)
      throw new ChipsetError(ErrorCodes.INTERNAL, `the catalogue lost ${id}@${version} during a resolution`, {
        module: `${id}@${version}`,
      });
    return entry.record.manifest;
  }

  private of(id: string) {
    let found = this.byId.get(id);
    if (!found) this.byId.set(id, (found = this.build(id, this.catalog.registry.recordsOf(id))));
    return found;
  }

  private build(id: string, stored: readonly ModuleRecord[]) {
    const entries = new Map<string, CatalogEntry>();
    for (const record of stored) entries.set(record.version, { record, definition: undefined });
    for (const entry of this.catalog.codeEntries(id)) entries.set(entry.record.version, entry);
    return { entries, sorted: [...entries.keys()].sort(rcompare) };
  }
}
