import { rcompare } from "../resolver/fastSemver.js";
import type { ModuleDefinition } from "../module.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import type { Registry } from "../registry/Registry.js";
import { CatalogView, type CatalogEntry, type CatalogSource } from "./CatalogView.js";

/**
 * Every module version the runtime can use: the persistent registry (installed directories)
 * plus modules the application registered in code, which live only as long as the runtime.
 * A code module shadows an installed one of the same id and version.
 */
export class Catalog implements CatalogSource {
  private readonly code = new Map<string, Map<string, CatalogEntry>>();

  constructor(readonly registry: Registry) {}

  /** Adds a module registered in code. */
  addCode(record: ModuleRecord, definition: ModuleDefinition): void {
    let versions = this.code.get(record.id);
    if (!versions) this.code.set(record.id, (versions = new Map<string, CatalogEntry>()));
    versions.set(record.version, { record, definition });
  }

  /** Installed and in-code versions of `id`, highest first. */
  versions(id: string): string[] {
    const code = this.code.get(id);
    const stored = this.registry.versions(id);
    if (!code) return stored;
    return [...new Set([...stored, ...code.keys()])].sort(rcompare);
  }

  /** The entry of `id@version`, or of the highest version of `id` when `version` is omitted. */
  get(id: string, version?: string): CatalogEntry | undefined {
    const v = version ?? this.versions(id)[0];
    if (v === undefined) return undefined;
    const code = this.code.get(id)?.get(v);
    if (code) return code;
    const record = this.registry.get(id, v);
    return record ? { record, definition: undefined } : undefined;
  }

  /** Every module registered in code. */
  codeRecords(): ModuleRecord[] {
    return [...this.code.values()].flatMap((versions) => [...versions.values()].map((e) => e.record));
  }

  /** The in-code entries of `id`. */
  codeEntries(id: string): Iterable<CatalogEntry> {
    return this.code.get(id)?.values() ?? [];
  }

  /** A memoising view for one plan; `prefetchAll` reads the whole registry in one query. */
  snapshot(prefetchAll = false): CatalogView {
    return new CatalogView(this, prefetchAll);
  }

  /** True when `id@version` was registered in code. */
  isCode(id: string, version: string): boolean {
    return this.code.get(id)?.has(version) ?? false;
  }
}
